"""Co-signing organizations end to end, against the real server and a real SMTP server: an
organization uploads its logo with the form, its contact confirms from the mail, an organizer
approves it from theirs, and only then is it listed, with a re-encoded logo; a bad logo gets a
clear 422 that keeps what was typed."""

import re
import secrets
import struct
import urllib.parse

import pytest

import harness
from harness import find_form, hidden_fields, multipart, png, query

SLUG = "co-signed"
ORGANIZER = "organizer-%s@example.org" % secrets.token_hex(3)
CAMPAIGNS = [{"slug": SLUG, "title": "A letter organizations co-sign",
              "extra": ["--organizer", ORGANIZER]}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS)


def submit(client, contact, logo, name="Friends of the Earth"):
    page = client.get("/c/%s/organizations/new" % SLUG)
    assert page.status == 200, page
    form = find_form(page.text, "/c/%s/organizations" % SLUG)
    fields = hidden_fields(form)
    fields.update(name=name, website="https://foe.example.org", contact_email=contact,
                  statement="We stand with the signers.")
    ctype, body = multipart(fields, {"logo": ("logo.png", "image/png", logo)})
    return client.request("POST", "/c/%s/organizations" % SLUG, body=body,
                          headers={"Content-Type": ctype})


def press(client, link, path):
    u = urllib.parse.urlsplit(link)
    page = client.get(u.path + "?" + u.query)
    assert page.status == 200, page
    form = find_form(page.text, path)
    return page, form


def test_an_organization_is_listed_once_confirmed_and_approved(stack):
    c = stack.client()
    contact = "press-%s@foe.example.org" % secrets.token_hex(3)
    r = submit(c, contact, png())
    # Post/redirect/get: the answer is a redirect to a page that names the contact address
    # (kept in memory for this browser, never in the URL); reloading it sends nothing.
    assert r.status == 303, r
    assert r.header("location") == "/c/%s/organizations/sent" % SLUG, r
    sent = c.get(r.header("location"))
    assert sent.status == 200 and contact in sent.text, sent
    assert c.get(r.header("location")).status == 200
    assert "Friends of the Earth" not in c.get("/c/%s" % SLUG).text

    [mail] = stack.wait_for_mail(contact)
    link = re.search(r"https?://\S+/o/confirm\?t=[A-Za-z0-9_\-%.~]+", mail.text).group(0)
    _, form = press(c, link, "/o/confirm")
    done = c.post_form(harness.form_path(form["action"], "/o/confirm"), hidden_fields(form),
                       follow=True)
    assert done.posted.status == 303 and done.status == 200, done
    assert "the request is confirmed" in done.text
    assert "Friends of the Earth" not in c.get("/c/%s" % SLUG).text  # not before review

    [review] = stack.wait_for_mail(ORGANIZER)
    link = re.search(r"https?://\S+/o/review\?t=[A-Za-z0-9_\-%.~]+", review.text).group(0)
    page, form = press(c, link, "/o/review")
    assert "Friends of the Earth" in page.text
    fields = hidden_fields(form)
    fields["decision"] = "approve"
    decided = c.post_form(harness.form_path(form["action"], "/o/review"), fields, follow=True)
    assert decided.posted.status == 303 and decided.status == 200, decided
    assert "It was approved" in decided.text and 'name="decision"' not in decided.text

    campaign = c.get("/c/%s" % SLUG).text
    assert "Friends of the Earth" in campaign
    assert harness.counts(c, SLUG)["organizations"] == 1
    uuid = query(stack.data, "SELECT uuid FROM organizations WHERE contact_email = ?",
                 (contact,))[0][0]
    logo = c.get("/c/%s/organizations/%s/logo.png" % (SLUG, uuid))
    assert logo.status == 200 and logo.header("content-type") == "image/png", logo
    assert logo.body.startswith(b"\x89PNG") and b"TRACKING-MARKER" not in logo.body
    width, height = struct.unpack(">II", logo.body[16:24])
    assert (width, height) == (256, 171)  # scaled to at most 256 on the longer side
    delivered = harness.run_cli("deliver", SLUG, "--format", "json", "--base-url", stack.url,
                                data=stack.data).stdout
    assert "Friends of the Earth" in delivered and contact not in delivered


def test_a_bad_logo_is_refused_and_the_form_keeps_what_was_typed(stack):
    c = stack.client()
    r = submit(c, "press@sea.example.org", b"GIF89a not really", name="Sea Shepherds")
    assert r.status == 422, r
    assert "PNG or JPEG" in r.text
    assert "Sea Shepherds" in r.text
    assert query(stack.data, "SELECT count(*) FROM organizations WHERE name = 'Sea Shepherds'") \
        == [(0,)]
    r = submit(c, "someone@gmail.com", png(4, 4), name="Wrong Domain")
    assert r.status == 422, r
    assert "foe.example.org" in r.text
