#!/usr/bin/python3
"""A small SMTP server for tests: accepts mail and writes each message to a directory.

Run with Debian's python (python3-aiosmtpd):

    /usr/bin/python3 smtp_sink.py --dir DIR [--port 0] [--host 127.0.0.1]
        [--auth USER:PASS] [--tls-cert CERT.pem --tls-key KEY.pem]
        [--require-starttls] [--implicit-tls]
        [--reject-rcpt ADDR]... [--tempfail-rcpt ADDR]... [--reject-from ADDR]...
        [--reject-data-containing TEXT]...

Protocol with the parent process, on stdout, one line each, flushed:
    ready PORT            once listening (PORT is the real port when --port 0 was given)
    received PATH         after each accepted message, once PATH is complete on disk

Each accepted message is written atomically (temp file + rename) as
DIR/<sequence>-<unix millis>.eml: two envelope headers, then the message exactly as received
(CRLF line endings, dot-stuffing removed):
    X-Sink-Mail-From: <MAIL FROM address>
    X-Sink-Rcpt-To: <RCPT TO addresses, comma separated>

Options:
    --auth USER:PASS             offer AUTH PLAIN/LOGIN and require it (allowed without TLS)
    --tls-cert/--tls-key         offer STARTTLS with this certificate
    --require-starttls           refuse mail before STARTTLS (needs --tls-cert)
    --implicit-tls               TLS from the first byte (smtps://) instead of STARTTLS
    --reject-rcpt ADDR           answer RCPT TO:<ADDR> with 550 (permanent)
    --tempfail-rcpt ADDR         answer RCPT TO:<ADDR> with 451 (temporary)
    --reject-from ADDR           answer MAIL FROM:<ADDR> with 550
    --reject-data-containing T   answer the end of DATA with 554 if the message contains T
    --verbose                    log SMTP sessions to stderr (quiet by default)

SIGTERM or SIGINT stops the server cleanly.
"""

import argparse
import asyncio
import itertools
import logging
import os
import signal
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class SinkHandler:
    def __init__(self, args):
        self.dir = args.dir
        self.reject_rcpt = {a.lower() for a in args.reject_rcpt}
        self.tempfail_rcpt = {a.lower() for a in args.tempfail_rcpt}
        self.reject_from = {a.lower() for a in args.reject_from}
        self.reject_data = [t.encode() for t in args.reject_data_containing]
        self.sequence = itertools.count(1)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.lower() in self.reject_from:
            return "550 5.7.1 Sender rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject_rcpt:
            return "550 5.1.1 No such user here"
        if address.lower() in self.tempfail_rcpt:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        if any(t in content for t in self.reject_data):
            return "554 5.6.0 Message rejected"
        name = "%06d-%d.eml" % (next(self.sequence), int(time.time() * 1000))
        path = os.path.join(self.dir, name)
        tmp = os.path.join(self.dir, ".tmp-" + name)
        head = ("X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\n"
                % (envelope.mail_from, ", ".join(envelope.rcpt_tos))).encode()
        with open(tmp, "wb") as f:
            f.write(head + content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        print("received " + path, flush=True)
        return "250 OK"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--auth", default="")
    p.add_argument("--tls-cert", default="")
    p.add_argument("--tls-key", default="")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--reject-rcpt", action="append", default=[])
    p.add_argument("--tempfail-rcpt", action="append", default=[])
    p.add_argument("--reject-from", action="append", default=[])
    p.add_argument("--reject-data-containing", action="append", default=[])
    p.add_argument("--verbose", action="store_true", help="log sessions to stderr")
    args = p.parse_args()
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG)
    else:
        # aiosmtpd warns about AUTH without TLS and logs client errors; tests expect both.
        warnings.simplefilter("ignore")
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    os.makedirs(args.dir, exist_ok=True)

    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key or None)
    if (args.require_starttls or args.implicit_tls) and tls is None:
        p.error("--require-starttls and --implicit-tls need --tls-cert")

    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            # handled=False: aiosmtpd then answers 535 itself.
            return AuthResult(success=ok, handled=False)

    handler = SinkHandler(args)

    def factory():
        kwargs = dict(hostname="smtp-sink", ident="smtp-sink", timeout=30)
        if authenticator is not None:
            kwargs.update(authenticator=authenticator, auth_required=True,
                          auth_require_tls=False)
        if tls is not None and not args.implicit_tls:
            kwargs.update(tls_context=tls, require_starttls=args.require_starttls)
        return SMTP(handler, **kwargs)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host=args.host, port=args.port,
        ssl=tls if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print("ready %d" % port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(server.wait_closed())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
