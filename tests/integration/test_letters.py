"""The letter people signed is the letter on record, end to end: a signer confirms, the
organizers then rewrite the letter through the API; the page says "Edited on" and shows the
earlier version; the first signer's receipt still carries the text they signed and the next
signer's the new one, `undersigned log verify-receipt` checks each text against its leaf (and
refuses a receipt whose letter was changed), and `undersigned log audit` passes."""

import base64
import hashlib
import json
import urllib.parse

import pytest

import harness
from harness import counts, press_button, query, run_cli, sign, unique_email, wait_until

SLUG = "rewritten"
FIRST = "Dear Pat,\n\nWe ask you to **stop the first thing**.\n"
SECOND = "Dear Pat,\n\nWe ask you to **stop the second thing** instead.\n"
DEMAND = "Stop it."

CAMPAIGNS = [{"slug": SLUG, "title": "A letter that changes", "demand": DEMAND,
              "letter": FIRST}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["editor"])


def text_hash(demand, letter):
    """log/leaf.h TextHash, independently."""
    d, l = demand.encode(), letter.encode()
    return hashlib.sha256(b"undersigned/text/v1\ndemand %d\n%s\nletter %d\n%s\n" %
                          (len(d), d, len(l), l)).hexdigest()


def sign_and_confirm(stack):
    addr = unique_email("letter")
    c = stack.client()
    assert sign(c, SLUG, email_addr=addr).status == 200
    [mail] = stack.wait_for_mail(addr)
    press_button(c, mail.link("confirm"), "confirm")
    return addr, urllib.parse.parse_qs(urllib.parse.urlsplit(mail.link("confirm")).query)["t"][0]


def receipt_of(stack, token):
    c = stack.client()
    box = {}

    def fetched():
        box["r"] = c.get("/s/receipt?t=" + urllib.parse.quote(token))
        return box["r"].status == 200
    wait_until(fetched, 30, interval=0.1, what="the receipt")
    return box["r"].json()


def verify_receipt(stack, receipt, path, *extra):
    path.write_text(json.dumps(receipt))
    return run_cli("log", "verify-receipt", path, "--log", stack.url, *extra, check=False,
                   timeout=60)


def test_an_edit_is_visible_and_every_receipt_proves_its_text(stack, tmp_path):
    first_addr, first_token = sign_and_confirm(stack)
    page = stack.client().get("/c/%s" % SLUG).text
    assert "Edited on" not in page

    uuid = query(stack.data, "SELECT uuid FROM campaigns WHERE slug = ?", (SLUG,))[0][0]
    r = stack.client().api("PUT", "/api/v2/petitions/" + uuid, {"petition_text": SECOND},
                           token=stack.tokens["editor"])
    assert r.status == 200, r

    # The page says so, and keeps the earlier version with its hash.
    page = stack.client().get("/c/%s" % SLUG).text
    assert "Edited on" in page, page
    assert "stop the second thing" in page and "stop the first thing" in page, page
    assert text_hash(DEMAND, FIRST) in page and text_hash(DEMAND, SECOND) in page, page
    assert query(stack.data, "SELECT t.version, t.letter_markdown FROM campaign_texts t JOIN "
                             "campaigns c ON c.id = t.campaign_id WHERE c.slug = ? "
                             "ORDER BY version", (SLUG,)) == [(1, FIRST), (2, SECOND)]

    # The first signer signed the first text: their leaf and receipt say so, still.
    second_addr, second_token = sign_and_confirm(stack)
    assert counts(stack.client(), SLUG)["confirmed"] == 2
    for addr, token, version, letter in ((first_addr, first_token, 1, FIRST),
                                         (second_addr, second_token, 2, SECOND)):
        receipt = receipt_of(stack, token)
        assert receipt["text"] == {"version": version, "demand": DEMAND,
                                   "letter_markdown": letter}, receipt
        leaf = base64.b64decode(receipt["leaf"])
        assert leaf.startswith(b"undersigned/leaf/v2\n"), leaf
        assert ("\ntext %s\n" % text_hash(DEMAND, letter)).encode() in leaf, leaf
        p = verify_receipt(stack, receipt, tmp_path / ("r%d.json" % version), "--email", addr)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert "text: version %d" % version in p.stdout, p.stdout

    # A receipt whose letter was rewritten afterwards no longer matches its leaf.
    forged = receipt_of(stack, first_token)
    forged["text"]["letter_markdown"] = SECOND
    p = verify_receipt(stack, forged, tmp_path / "forged.json")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "not the text its leaf names" in p.stderr, p.stderr

    # And the site still passes its audit.
    leaves = query(stack.data, "SELECT count(*) FROM log_leaves")[0][0]

    def covering():
        return stack.client().get("/log/counts").json()["tree_size"] == leaves
    wait_until(covering, 30, interval=0.1, what="a checkpoint covering every leaf")
    p = run_cli("log", "audit", stack.url, "--state", tmp_path / "audit.json", check=False,
                timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
