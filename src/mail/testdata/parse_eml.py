#!/usr/bin/python3
"""Parses an .eml file with Python's email package and prints what a mail client would see,
as one JSON object: the decoded subject, from name and address, to, message id, date, content
type, the text and html bodies (transfer encoding removed), every header as decoded strings,
the attachments (file name, content type, the decoded bytes in base64), and the parser's
defects (an empty list means Python found nothing wrong). Used by the mail
tests as an independent check of FormatRfc5322.

    /usr/bin/python3 parse_eml.py FILE
"""

import base64
import email
import email.header
import email.policy
import email.utils
import json
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    defects = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        if part is not msg:
            defects += [type(d).__name__ for d in part.defects]
    from_name, from_addr = email.utils.parseaddr(str(msg["From"]))
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    out = {
        "subject": str(msg["Subject"]),
        "from_name": from_name,
        "from_address": from_addr,
        "to": str(msg["To"]),
        "message_id": str(msg["Message-ID"]),
        "date": str(msg["Date"]),
        "content_type": msg.get_content_type(),
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "headers": [[k, str(v)] for k, v in msg.items()],
        "attachments": [
            {
                "filename": part.get_filename(),
                # Content-Type's name, RFC 2047 encoded-words decoded.
                "name": str(email.header.make_header(email.header.decode_header(
                    part.get_param("name")))) if part.get_param("name") else None,
                "content_type": part.get_content_type(),
                "disposition": part.get_content_disposition(),
                "data_base64": base64.b64encode(part.get_payload(decode=True)).decode("ascii"),
            }
            for part in msg.iter_attachments()
        ],
        "structure": [part.get_content_type() for part in msg.walk()],
        "defects": defects,
    }
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
