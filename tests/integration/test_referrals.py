"""Personal share links (issue 15, "Referrals"), end to end against the real binary, a real
SMTP server and the real store: every confirmed signer's thank-you page offers a link of their
own; signatures that arrive through it are credited to them once confirmed, and the page behind
their confirmation mail's link shows how many, never who; the dashboard counts the channel
they were shared on; a code that is not one is ignored."""

import json
import re

import pytest

from harness import find_form, form_path, hidden_fields, press_button, query, run_cli, unique_email

CAMPAIGNS = [{"slug": "passed-on", "title": "A letter passed on"}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS)


def sign_from(client, landing, name, email):
    """Lands on `landing` (a fresh visitor), posts the sign form there; the confirm link mailed."""
    page = client.get(landing)
    assert page.status == 200, page
    form = find_form(page.text, "/c/passed-on/sign")
    data = hidden_fields(form)
    data.update(name=name, email=email, public_name="on")
    r = client.post_form(form_path(form["action"], "/c/passed-on/sign"), data, follow=True)
    assert r.status == 200 and "Check your email" in r.text, r


def confirm_link(stack, email):
    [mail] = stack.wait_for_mail(email)
    return mail.link("confirm")


def personal_code(page_text):
    # (Not \b after the code: a code may end in '-', which is no word character.)
    m = re.search(r"/c/passed-on\?ref=([A-Za-z0-9_-]{16})(?![A-Za-z0-9_-])", page_text)
    return m.group(1) if m else None


def test_a_personal_link_is_credited_with_the_confirmed_signatures_it_brought(stack):
    ada = unique_email("ada")
    sign_from(stack.client(), "/c/passed-on", "Ada Referrer", ada)
    ada_link = confirm_link(stack, ada)
    _, done = press_button(stack.client(), ada_link, "confirm")
    assert done.status == 200, done
    code = personal_code(done.text)
    assert code, done.text
    assert stack.url + "/c/passed-on?ref=" + code in done.text
    assert "No signature has come through your personal link yet" in done.text

    # Bob arrives through it from WhatsApp and confirms; Carol arrives through it and never
    # confirms; Dan comes without it; Eve brings a code that is not one.
    bob, carol, dan, eve = (unique_email(p) for p in ("bob", "carol", "dan", "eve"))
    sign_from(stack.client(), "/c/passed-on?ref=%s&s=whatsapp" % code, "Bob Brought", bob)
    press_button(stack.client(), confirm_link(stack, bob), "confirm")
    sign_from(stack.client(), "/c/passed-on?ref=%s&s=x" % code, "Carol Pending", carol)
    sign_from(stack.client(), "/c/passed-on", "Dan Direct", dan)
    press_button(stack.client(), confirm_link(stack, dan), "confirm")
    sign_from(stack.client(), "/c/passed-on?ref=%3Cbad%3E", "Eve Odd", eve)
    press_button(stack.client(), confirm_link(stack, eve), "confirm")

    # What the store kept: the code with the signatures that came through it, nothing else.
    rows = query(stack.data, "SELECT email, referral FROM signatures ORDER BY id")
    kept = {email: referral for email, referral in rows}
    assert kept[bob] == code and kept[carol] == code, kept
    assert kept[ada] == "" and kept[dan] == "" and kept[eve] == "", kept

    # Ada's page, opened later from her mail's link (a new browser), shows the count only.
    shares = stack.client().get("/s/shares?t=" + ada_link.split("?t=", 1)[1])
    assert shares.status == 200, shares
    assert "Your shares have brought 1 confirmed signature." in shares.text, shares.text
    assert personal_code(shares.text) == code
    for who in ("Bob", bob, "Carol", carol):
        assert who not in shares.text, who
    assert shares.header("cache-control") == "no-store"
    assert shares.header("referrer-policy") == "no-referrer"

    # Bob's own link is another, and brought nothing yet.
    bob_shares = stack.client().get("/s/shares?t=" + confirm_link(stack, bob).split("?t=", 1)[1])
    assert personal_code(bob_shares.text) not in (None, code)
    assert "No signature has come through your personal link yet" in bob_shares.text

    # The dashboard counts the channels the link was shared on (confirmed ones).
    d = json.loads(run_cli("dashboard", "passed-on", data=stack.data).stdout)
    channels = {row["key"]: row for row in d["channels"]["top"]}
    assert channels["whatsapp"]["confirmed"] == 1, d["channels"]
    assert channels["x"]["confirmed"] == 0 and channels["x"]["pending"] == 1, d["channels"]


def test_the_shares_page_refuses_a_link_that_is_not_a_confirmed_signature(stack):
    assert stack.client().get("/s/shares?t=not-a-token").status == 404
    pending = unique_email("pending")
    sign_from(stack.client(), "/c/passed-on", "Pat Pending", pending)
    r = stack.client().get("/s/shares?t=" + confirm_link(stack, pending).split("?t=", 1)[1])
    assert r.status == 409, r
    assert "not confirmed yet" in r.text
