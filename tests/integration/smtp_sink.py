#!/usr/bin/python3
"""A real SMTP server for the integration tests: one .eml file per accepted message.

Usage: smtp_sink.py --port N --dir DIR [--host 127.0.0.1] [--tempfail-rcpt ADDR]...

The fallback of src/mail/testdata/smtp_sink.py (the tests use that one when it exists), with
the same command line and output for what the tests need.

Prints "ready <port>" on stdout once it accepts connections. Each message is written
atomically (to a temporary name, then renamed) as DIR/<n>.eml, with two headers added at
the top: X-Sink-Mail-From and X-Sink-Rcpt-To (the SMTP envelope). Mail to an address given
with --tempfail-rcpt is answered "451 try again later" and not written, to test retries.
Stops on SIGTERM or SIGINT.
"""

import argparse
import itertools
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, tempfail):
        self.directory = directory
        self.tempfail = {a.lower() for a in tempfail}
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.tempfail:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.counter)
        name = "%d-%06d.eml" % (time.time_ns(), n)
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        head = ("X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\n" %
                (envelope.mail_from, ", ".join(envelope.rcpt_tos))).encode("utf-8")
        with open(tmp, "wb") as f:
            f.write(head + data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 OK"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tempfail-rcpt", action="append", default=[])
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    controller = Controller(Sink(args.dir, args.tempfail_rcpt), hostname=args.host, port=args.port,
                            decode_data=False, enable_SMTPUTF8=True)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready %d" % args.port, flush=True)
    while not stop.wait(3600):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
