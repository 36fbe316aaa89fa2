"""Updates to signers and delivery to the targets, end to end (issue 13, parts 7 and 8), against
the real server and a real SMTP server: an update reaches exactly the confirmed signers who asked
for updates (not the others, not the unsubscribed), carries working RFC 8058 one-click
unsubscribe headers, and a POST to that URL without any session stops the next update; a
scheduled update goes out once across restarts; a delivery mails the target the letter as a PDF
whose text has the count, is recorded, and tells the signers."""

import datetime
import re
import subprocess
import urllib.parse

import pytest

import harness
from harness import press_button, query, run_cli, sign, unique_email

CAMPAIGNS = [
    {"slug": "outreach", "title": "Outreach letter",
     "targets": ["Pat Example|Chief Executive|Example Corp|pat_example|||pat@example.com",
                 "Sam Nomail|Board chair|Example Corp"]},
]


@pytest.fixture(scope="module")
def stack(make_stack):
    s = make_stack(campaigns=CAMPAIGNS)
    s.signers = {}
    client = s.client()
    # Confirmed and asked for updates (two), confirmed without asking, asked but never confirmed.
    for role, wants, confirm in (("a", True, True), ("b", True, True), ("quiet", False, True),
                                 ("pending", True, False)):
        addr = unique_email("out-" + role)
        s.signers[role] = addr
        r = sign(client, "outreach", name="Signer " + role.title(), email_addr=addr,
                 wants_updates=wants)
        assert r.status == 200, r
        if confirm:
            [mail] = s.wait_for_mail(addr)
            press_button(client, mail.link("confirm"), "confirm")
    return s


def cli(stack, *args):
    return run_cli(*args, data=stack.data).stdout


def new_update(stack, subject, body):
    return int(cli(stack, "update", "create", "outreach", "--subject", subject, "--body",
                   body).strip())


def mails_with(stack, addr, subject):
    return [m for m in stack.sink.maildir.to(addr) if m.subject == subject]


def wait_mail_with(stack, addr, subject, timeout=30):
    return harness.wait_until(lambda: mails_with(stack, addr, subject), timeout,
                              what="a mail %r to %s" % (subject, addr))


def queued_for(stack, update_id):
    return query(stack.data, "SELECT count(*) FROM outbox WHERE update_id = ?", (update_id,))[0][0]


def restart(stack):
    assert stack.server.stop() == 0
    stack.server = harness.Server(stack.data, stack.sink.port).start()
    stack.url = stack.server.url


def test_an_update_reaches_the_confirmed_opted_in_signers_and_unsubscribes_in_one_click(stack):
    a, b = stack.signers["a"], stack.signers["b"]
    first = new_update(stack, "First news", "We **met** Pat today.")
    preview = cli(stack, "update", "preview", str(first))
    assert "recipients now: 2" in preview
    assert "<strong>met</strong>" in preview
    cli(stack, "update", "send", str(first))
    [to_a] = wait_mail_with(stack, a, "First news")
    [to_b] = wait_mail_with(stack, b, "First news")
    # Exactly the two: nothing was even queued for the quiet or the pending signer.
    harness.wait_until(lambda: query(stack.data, "SELECT state FROM updates WHERE id = ?",
                                     (first,))[0][0] == "sent", 30, what="update sent")
    assert queued_for(stack, first) == 2
    assert not mails_with(stack, stack.signers["quiet"], "First news")
    assert not mails_with(stack, stack.signers["pending"], "First news")
    assert "<strong>met</strong>" in to_a.html

    # RFC 8058: the header names an unsubscribe URL, and the POST header says one click.
    header = str(to_a.msg["List-Unsubscribe"])
    m = re.fullmatch(r"<(https?://[^>]+/u/unsubscribe\?t=[^>]+)>", header.strip())
    assert m, header
    assert str(to_a.msg["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
    assert m.group(1) in to_a.text
    u = urllib.parse.urlsplit(m.group(1))
    path = u.path + "?" + u.query

    # A GET (a mail scanner) changes nothing: it shows a button.
    page = stack.client().get(path)
    assert page.status == 200, page
    assert "Unsubscribe" in page.text
    assert query(stack.data, "SELECT count(*) FROM unsubscribes")[0][0] == 0
    # A forged token is refused.
    bad = stack.client().request("POST", path[:-1] + ("0" if path[-1] != "0" else "1"),
                                 body=b"List-Unsubscribe=One-Click",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status == 404, bad
    # The one-click POST, as a mail client sends it: no cookie, no CSRF token, no Origin.
    r = stack.client().request("POST", path, body=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    assert "unsubscribed" in r.text
    assert query(stack.data, "SELECT count(*) FROM unsubscribes")[0][0] == 1

    def counts():  # queued, sent, failed, unsubscribed
        listing = cli(stack, "update", "list", "outreach")
        row = [line for line in listing.splitlines() if line.startswith("%d\t" % first)][0]
        return row.split("\t")[4:8]
    # (sent is marked just after the SMTP server accepted the mail)
    harness.wait_until(lambda: counts() == ["2", "2", "0", "1"], 30, what="counts")

    # The next update reaches b only.
    second = new_update(stack, "Second news", "Pat answered.")
    cli(stack, "update", "send", str(second))
    wait_mail_with(stack, b, "Second news")
    harness.wait_until(lambda: query(stack.data, "SELECT state FROM updates WHERE id = ?",
                                     (second,))[0][0] == "sent", 30, what="update sent")
    assert queued_for(stack, second) == 1
    assert not mails_with(stack, a, "Second news")


def test_bad_update_input_is_refused_with_nothing_stored(stack):
    before = query(stack.data, "SELECT count(*) FROM updates")[0][0]
    p = run_cli("update", "create", "outreach", "--subject", "", "--body", "x", data=stack.data,
                check=False)
    assert p.returncode != 0
    assert "subject" in p.stderr
    p = run_cli("update", "send", "99999", data=stack.data, check=False)
    assert p.returncode != 0
    assert query(stack.data, "SELECT count(*) FROM updates")[0][0] == before


def test_a_scheduled_update_goes_out_once_across_restarts(stack):
    b = stack.signers["b"]
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=10)) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    later = new_update(stack, "Scheduled news", "Tomorrow we deliver.")
    cli(stack, "update", "send", str(later), "--at", at)
    restart(stack)  # the schedule is kept in the store, not in the server that was told
    wait_mail_with(stack, b, "Scheduled news", timeout=40)
    restart(stack)
    assert query(stack.data, "SELECT state FROM updates WHERE id = ?", (later,))[0][0] == "sent"
    assert queued_for(stack, later) == 1
    assert len(mails_with(stack, b, "Scheduled news")) == 1


def test_the_letter_is_delivered_to_its_target_as_a_pdf_with_the_count(stack, tmp_path):
    # (The test server keeps no public URL: the links use its listen address, given here.)
    out = cli(stack, "deliver", "outreach", "--send", "--base-url", stack.url)
    assert "pat@example.com" in out
    [mail] = wait_mail_with(stack, "pat@example.com", "Open letter: Outreach letter")
    pdfs = [p for p in mail.msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(pdfs[0].get_content())
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Outreach letter" in text
    assert re.search(r"\b3\s+people\s+confirmed", text), text  # the three confirmed
    row = query(stack.data, "SELECT confirmed, recipients FROM deliveries")
    assert len(row) == 1 and row[0][0] == 3 and "pat@example.com" in row[0][1]
    # The signers who asked for updates (and did not unsubscribe) are told.
    wait_mail_with(stack, stack.signers["b"], "Delivered: Outreach letter")
    # The campaign page says so once the server picked the change up (it polls the store).
    page = harness.wait_until(
        lambda: (lambda p: p if "Delivered to Pat Example on" in p.text else None)(
            stack.client().get("/c/outreach")), 30, what="the delivery on the campaign page")
    assert "with 3 signatures" in page.text
    assert "pat@example.com" not in page.text


def test_delivery_without_any_target_address_is_refused(stack):
    harness.create_campaign(stack.data, "no-address")
    p = run_cli("deliver", "no-address", "--send", "--base-url", stack.url, data=stack.data,
                check=False)
    assert p.returncode != 0
    assert "email address" in p.stderr
    assert query(stack.data, "SELECT count(*) FROM deliveries WHERE campaign_id = "
                 "(SELECT id FROM campaigns WHERE slug = 'no-address')")[0][0] == 0
