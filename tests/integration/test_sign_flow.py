"""Sign, confirm, duplicate, resend bound, withdraw and export, end to end: the real binary on
a free port, a real SQLite file, a real SMTP server."""

import csv
import io
import json
import re
import time

import pytest

from harness import (counts, find_form, hidden_fields, press_button, run_cli, sign,
                     signatures_of, unique_email, wait_until)

CAMPAIGNS = [
    {"slug": "flow", "title": "Stop the contract", "goal": 100},
    {"slug": "dup", "title": "Duplicates"},
    {"slug": "bound", "title": "Resend bound"},
    {"slug": "again", "title": "Signed again after confirming"},
    {"slug": "withdraw", "title": "Withdraw"},
    {"slug": "export", "title": "Export"},
]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS)


def wait_for_page(client, path, pred, what, timeout=5):
    box = {}

    def check():
        box["r"] = client.get(path)
        return pred(box["r"].text)
    wait_until(check, timeout, interval=0.1, what=what)
    return box["r"]


def check_email_page(resp):
    assert resp.status == 200, resp
    assert resp.header("content-type", "").startswith("text/html"), resp
    assert "email" in resp.text.lower(), resp.text


def test_sign_confirm_and_show(stack):
    c = stack.client()
    page = c.get("/c/flow")
    assert page.status == 200, page
    assert "Stop the contract" in page.text
    assert "Pat Example" in page.text, "the target is not on the campaign page"
    form = find_form(page.text, "/c/flow/sign")
    assert form["method"] == "post"
    assert hidden_fields(form).get("csrf"), "no csrf field in the sign form"
    assert "us_csrf" in c.cookies, "no us_csrf cookie set by the campaign page"
    names = {i["name"] for i in form["inputs"]}
    for field in ("name", "email", "postal_code", "country", "comment", "public_name",
                  "wants_updates"):
        assert field in names, "field %s missing from the sign form: %s" % (field, names)
    before = counts(c, "flow")
    assert before["slug"] == "flow" and before["goal"] == 100 and before["status"] == "open"
    assert before["confirmed"] == 0
    assert "last_change" in before and "title" in before

    addr = unique_email("ada")
    r = sign(c, "flow", name="Ada Lovelace", email_addr=addr, comment="For the engines",
             public_name=True)
    check_email_page(r)
    assert counts(c, "flow")["confirmed"] == 0, "a pending signature was counted"
    # Post/redirect/get: the address is in no URL, and reloading the page sends nothing again
    # (one mail, below).
    assert r.posted.status == 303, r.posted
    assert r.posted.header("location") == "/c/flow/sent", r.posted.headers
    assert addr in r.text
    for _ in range(2):
        again = c.get("/c/flow/sent")
        check_email_page(again)
        assert addr in again.text

    [mail] = stack.wait_for_mail(addr)
    confirm = mail.link("confirm")
    withdraw = mail.link("withdraw")
    assert confirm and confirm.startswith(stack.url + "/s/confirm?t="), mail.text
    assert withdraw and withdraw.startswith(stack.url + "/s/withdraw?t="), mail.text
    # One token per mail: both links carry it.
    assert confirm.split("?t=", 1)[1] == withdraw.split("?t=", 1)[1], mail.text

    # A mail scanner pre-fetching the link (GET, twice, no cookies) confirms nothing.
    scanner = stack.client()
    path = confirm[len(stack.url):]
    for _ in range(2):
        g = scanner.get(path)
        assert g.status == 200, g
        assert find_form(g.text, "/s/confirm")["buttons"] >= 1
    assert counts(c, "flow")["confirmed"] == 0, "GET on the confirm link confirmed"
    assert [s[1] for s in signatures_of(stack.data, "flow")] == ["pending"]

    page = scanner.get(path)
    fields = hidden_fields(find_form(page.text, "/s/confirm"))
    _, done = press_button(scanner, confirm, "confirm")
    assert done.status in (200, 303), done
    after = counts(c, "flow")
    assert after["confirmed"] == 1, after
    assert after["last_change"], after
    assert [s[1] for s in signatures_of(stack.data, "flow")] == ["confirmed"]

    # Opening the link or pressing the button again is harmless.
    assert scanner.get(path).status == 200
    again = scanner.post_form("/s/confirm", fields)
    assert again.status in (200, 303), again
    assert counts(c, "flow")["confirmed"] == 1

    # The recent-signers list may be cached briefly; the count above is exact at once.
    page = wait_for_page(c, "/c/flow", lambda t: "Ada Lovelace" in t,
                         "the public name on the campaign page")
    assert "For the engines" in page.text, "public comment missing from the campaign page"
    assert re.search(r"(?<![\d.,])1(?![\d.,])", page.text), "count 1 not on the page"


def test_json_is_readable_from_any_origin(stack):
    r = stack.client().get("/c/flow.json", headers={"Origin": "https://elsewhere.example"})
    assert r.status == 200
    assert r.header("content-type", "").startswith("application/json"), r
    assert r.header("access-control-allow-origin") in ("*", "https://elsewhere.example"), r.headers


def test_pending_and_private_signers_are_not_shown(stack):
    c = stack.client()
    pending = unique_email("pend")
    check_email_page(sign(c, "flow", name="Pending Person", email_addr=pending,
                          comment="not yet confirmed", public_name=True))
    private = unique_email("priv")
    check_email_page(sign(c, "flow", name="Private Person", email_addr=private,
                          comment="keep me private", public_name=False))
    [m] = stack.wait_for_mail(private)
    press_button(c, m.link("confirm"), "confirm")
    page = c.get("/c/flow").text
    assert "Pending Person" not in page
    assert "Private Person" not in page
    assert counts(c, "flow")["confirmed"] == 2


def test_duplicate_with_alias_resends(stack):
    c = stack.client()
    local = "grace.hopper." + unique_email("x").split("@")[0].replace("-", "")
    first = local + "@gmail.com"
    check_email_page(sign(c, "dup", name="Grace Hopper", email_addr=first))
    [m1] = stack.wait_for_mail(first)

    aliases = [local.replace(".", "").upper() + "+petitions@GMAIL.com",
               local.replace(".", "") + "@googlemail.com"]
    for n, alias in enumerate(aliases):
        r = sign(c, "dup", name="Grace Hopper", email_addr=alias)
        assert r.status == 200, r
        assert re.search(r"(re-?sent|send(ing)? (it|the link|you the link)? ?again|again|"
                         r"already)", r.text, re.I), \
            "signing again does not say the link was re-sent:\n" + r.text
    rows = signatures_of(stack.data, "dup")
    assert len(rows) == 1, "an alias created a second signature: %s" % rows
    canonical = rows[0][0]
    assert canonical == local.replace(".", "") + "@gmail.com", canonical

    # The link went out again (to the address as typed or as first given).
    def all_mail():
        return [m for m in stack.sink.maildir.all()
                if m.recipients & {first.lower(), *(a.lower() for a in aliases)}]
    deadline = time.monotonic() + 15
    while len(all_mail()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    mails = all_mail()
    assert len(mails) == 3, "expected 3 confirmation mails (1 + 2 resends), got %s" % mails

    # The newest link confirms; one signature counted.
    press_button(c, mails[-1].link("confirm"), "confirm")
    assert counts(c, "dup")["confirmed"] == 1
    assert [r[1] for r in signatures_of(stack.data, "dup")] == ["confirmed"]

    # The first mail's links still work: its withdraw link withdraws.
    _, gone = press_button(c, mails[0].link("withdraw"), "withdraw")
    assert gone.status in (200, 303), gone
    assert counts(c, "dup")["confirmed"] == 0
    assert [r[1] for r in signatures_of(stack.data, "dup")] == ["withdrawn"]


def test_resend_is_bounded(stack):
    c = stack.client()
    addr = unique_email("bound")
    answers = []
    for _ in range(4):
        r = sign(c, "bound", name="Bounded", email_addr=addr)
        answers.append(r)
        assert r.status in (200, 429), r
    assert answers[0].status == 200
    stack.wait_for_mail(addr, count=3)
    # The 4th attempt must not send a 4th mail. Give the sender time to send one if it would.
    time.sleep(1.5)
    n = len(stack.sink.maildir.to(addr))
    assert n == 3, "resend bound is 3 mails (first + 2), %d were sent" % n
    assert len(signatures_of(stack.data, "bound")) == 1
    assert answers[3].status in (200, 429)


def test_sign_again_after_confirming(stack):
    c = stack.client()
    addr = unique_email("again")
    sign(c, "again", name="Repeat Signer", email_addr=addr)
    [m] = stack.wait_for_mail(addr)
    press_button(c, m.link("confirm"), "confirm")
    assert counts(c, "again")["confirmed"] == 1
    r = sign(c, "again", name="Repeat Signer", email_addr=addr.upper())
    assert r.status == 200, r
    mails = stack.wait_for_mail(addr, count=2)
    withdraw = mails[-1].link("withdraw")
    assert withdraw, "the already-signed mail has no withdraw link"
    assert not mails[-1].link("confirm"), mails[-1].text
    assert counts(c, "again")["confirmed"] == 1
    assert len(signatures_of(stack.data, "again")) == 1

    # Its token withdraws but cannot confirm: there is no confirm page for it.
    token = withdraw.split("?t=", 1)[1]
    assert c.get("/s/confirm?t=" + token).status == 404
    _, r = press_button(c, withdraw, "withdraw")
    assert r.status in (200, 303), r
    assert counts(c, "again")["confirmed"] == 0


def test_withdraw(stack):
    c = stack.client()
    addr = unique_email("wd")
    sign(c, "withdraw", name="Withdrawing Person", email_addr=addr, comment="changed my mind")
    [m] = stack.wait_for_mail(addr)
    press_button(c, m.link("confirm"), "confirm")
    assert counts(c, "withdraw")["confirmed"] == 1
    wait_for_page(c, "/c/withdraw", lambda t: "Withdrawing Person" in t, "the signer shown")

    link = m.link("withdraw")
    g = c.get(link[len(stack.url):])
    assert g.status == 200
    assert find_form(g.text, "/s/withdraw")["buttons"] >= 1
    assert counts(c, "withdraw")["confirmed"] == 1, "GET on the withdraw link withdrew"

    _, r = press_button(c, link, "withdraw")
    assert r.status in (200, 303), r
    assert counts(c, "withdraw")["confirmed"] == 0
    assert [s[1] for s in signatures_of(stack.data, "withdraw")] == ["withdrawn"]
    wait_for_page(c, "/c/withdraw", lambda t: "Withdrawing Person" not in t,
                  "the withdrawn signer gone from the page")

    # Confirming a withdrawn signature does not bring it back.
    page = c.get(m.link("confirm")[len(stack.url):])
    if page.status == 200 and "/s/confirm" in page.text:
        f = find_form(page.text, "/s/confirm")
        c.post_form("/s/confirm", hidden_fields(f))
    assert counts(c, "withdraw")["confirmed"] == 0


def test_export_has_confirmed_only(stack):
    c = stack.client()
    yes, no = unique_email("confirmed"), unique_email("pending")
    sign(c, "export", name="Confirmed Signer", email_addr=yes, postal_code="10115",
         country="DE", comment="Yes, with a comma, and \"quotes\"")
    sign(c, "export", name="Pending Signer", email_addr=no)
    [m] = stack.wait_for_mail(yes)
    stack.wait_for_mail(no)
    press_button(c, m.link("confirm"), "confirm")

    # While the server runs.
    out = run_cli("export", "export", "--format", "csv", data=stack.data).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 2, "CSV should be a header and one row:\n" + out
    assert "Confirmed Signer" in rows[1] and "10115" in rows[1] and "DE" in rows[1], rows
    assert 'Yes, with a comma, and "quotes"' in rows[1], rows[1]
    assert no not in out and "Pending Signer" not in out

    out = run_cli("export", "export", "--format", "json", data=stack.data).stdout
    doc = json.loads(out)
    items = doc if isinstance(doc, list) else next(v for v in doc.values() if isinstance(v, list))
    assert len(items) == 1, doc
    assert "Confirmed Signer" in json.dumps(items[0]) and "Pending Signer" not in out

    target = stack.root / "export.csv"
    run_cli("export", "export", "--format", "csv", "--output", target, data=stack.data)
    assert "Confirmed Signer" in target.read_text()

    bad = run_cli("export", "no-such-campaign", "--format", "csv", data=stack.data, check=False)
    assert bad.returncode != 0
    bad = run_cli("export", "export", "--format", "xml", data=stack.data, check=False)
    assert bad.returncode != 0


def test_campaign_page_content(stack):
    c = stack.client()
    page = c.get("/c/flow").text
    assert "<strong>do the right thing</strong>" in page, "the letter's Markdown is not rendered"
    assert re.search(r'<progress[^>]*max="100"', page), "no progress bar toward the goal"
    hrefs = re.findall(r'href="([^"]+)"', page)
    for site in (r"^https://(x|twitter)\.com/", r"^https://bsky\.app/",
                 r"^https://[^/]*facebook\.com/", r"^https://(wa\.me|api\.whatsapp\.com)/",
                 r"^mailto:", r"mastodon"):
        assert any(re.search(site, h) for h in hrefs), "no share link matching %s" % site
    x = [h for h in hrefs if re.search(r"^https://(x|twitter)\.com/", h)][0]
    assert "%40pat_example" in x or "@pat_example" in x, "the X message does not name the handle"
    index = c.get("/")
    assert index.status == 200
    assert 'href="/c/flow"' in index.text and "Stop the contract" in index.text
    assert c.get("/c/flow/share/mastodon").status in (200, 303)


def test_concurrent_duplicates_make_one_signature(stack):
    import threading
    base = "racer" + unique_email("x").split("@")[0].replace("-", "")
    variants = [base + "@example.org", base.upper() + "@EXAMPLE.org",
                base + "+a@example.org", base + "+b@example.org", base + "+c@Example.org"]
    results = []

    def go(addr):
        results.append(sign(stack.client(), "dup", name="Racer", email_addr=addr))
    threads = [threading.Thread(target=go, args=(a,)) for a in variants]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status for r in results if r.status != 200) in ([], [429], [429, 429]), \
        [r.status for r in results]
    rows = [r for r in signatures_of(stack.data, "dup") if r[0] == base + "@example.org"]
    assert len(rows) == 1, rows
    time.sleep(1)
    mails = [m for m in stack.sink.maildir.all() if any(base in r for r in m.recipients)]
    assert 1 <= len(mails) <= 3, "resend bound broken under concurrency: %d mails" % len(mails)


def test_concurrent_confirmations_count_exactly(stack):
    import threading
    c = stack.client()
    before = counts(c, "again")["confirmed"]
    links = []
    n = 25
    for i in range(n):
        addr = unique_email("conc%d" % i)
        assert sign(c, "again", name="Concurrent %d" % i, email_addr=addr).status == 200
        links.append((addr, None))
    ready = []
    for addr, _ in links:
        [m] = stack.wait_for_mail(addr)
        page = c.get(m.link("confirm")[len(stack.url):])
        ready.append(hidden_fields(find_form(page.text, "/s/confirm")))
    statuses = []

    def press(fields):
        statuses.append(c.post_form("/s/confirm", fields).status)
    # Every button pressed twice at the same time.
    threads = [threading.Thread(target=press, args=(f,)) for f in ready + ready]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(s in (200, 303) for s in statuses), statuses
    # The public count (memory, pages, JSON, events) must equal the committed rows.
    assert counts(c, "again")["confirmed"] == before + n, \
        "the public count drifted under concurrent confirmations"
    import harness
    # Summed: PostgreSQL keeps a row per campaign and node (SQLite one per campaign).
    stored = harness.query(stack.data,
                           "SELECT SUM(k.confirmed) FROM campaign_counts k JOIN campaigns c ON "
                           "c.id = k.campaign_id WHERE c.slug = 'again'")[0][0]
    rows = len([r for r in signatures_of(stack.data, "again") if r[1] == "confirmed"])
    assert stored == rows == before + n, (stored, rows)


def test_restart_keeps_counts_and_pages(stack):
    import harness
    c = stack.client()
    slugs = [x["slug"] for x in CAMPAIGNS]
    before = {s: counts(c, s) for s in slugs}
    assert stack.server.stop() == 0
    stack.server = harness.Server(stack.data, stack.sink.port).start()
    stack.url = stack.server.url
    c = stack.client()
    for s in slugs:
        after = counts(c, s)
        assert after["confirmed"] == before[s]["confirmed"], (s, before[s], after)
    wait_for_page(c, "/c/flow", lambda t: "Ada Lovelace" in t, "public signers after restart")


def test_first_link_still_confirms_after_a_resend(stack):
    # "Signing again re-sends the link": someone who signs twice (the first mail was slow)
    # and then opens the FIRST mail must still be able to confirm.
    c = stack.client()
    addr = unique_email("firstlink")
    sign(c, "bound", name="First Link", email_addr=addr)
    [first] = stack.wait_for_mail(addr)
    sign(c, "bound", name="First Link", email_addr=addr)
    stack.wait_for_mail(addr, count=2)
    link = first.link("confirm")
    page = c.get(link[len(stack.url):])
    assert page.status == 200, "the first confirmation link is dead after a re-send: %r" % page
    press_button(c, link, "confirm")
    rows = [r for r in signatures_of(stack.data, "bound") if r[0] == addr]
    assert rows and rows[0][1] == "confirmed", rows
