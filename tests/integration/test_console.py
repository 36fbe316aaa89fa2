"""The organizer console on the real binary with a real SMTP server (issue 13): an administrator
made at the command line signs in with the printed link, chooses a password and a second factor,
signs in again with both, starts a campaign as a draft that only its organizers see at its real
address, invites an editor by email, and removes them again; the record of actions is exported.
(PostgreSQL: integration_console_pg.)"""

import base64
import hashlib
import hmac
import json
import re
import struct
import time
import urllib.parse

import harness
from harness import run_cli

PASSWORD = "correct horse battery staple"


def totp(secret_b32, at=None):
    """RFC 6238 with SHA-1, 30 s steps, 6 digits (what authenticator apps do)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((at if at is not None else time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


def hidden(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    assert m, "no hidden field %s in %s" % (name, html[:2000])
    return m.group(1)


def follow_link(client, link):
    """Opens a mailed or printed /console/link and presses its button."""
    path = urllib.parse.urlsplit(link)
    page = client.get(path.path + "?" + path.query)
    assert page.status == 200, page
    assert page.header("referrer-policy") == "no-referrer"
    return client.post_form("/console/link", {"csrf": hidden(page.text, "csrf"),
                                              "t": hidden(page.text, "t")})


def console_token(client):
    page = client.get("/console/account")
    assert page.status == 200, page
    return hidden(page.text, "csrf")


def sign_in(client, email, password, code=""):
    form = client.get("/console/sign-in")
    return client.post_form("/console/sign-in", {"csrf": hidden(form.text, "csrf"),
                                                 "email": email, "password": password,
                                                 "code": code, "next": "/console"})


def test_an_organizers_day_in_the_console(make_stack):
    stack = make_stack()
    made = run_cli("user", "create", "--email", "ada@example.org", "--role", "admin",
                   data=stack.data)
    link = re.search(r"(http://\S+/console/link\?t=\S+)", made.stdout).group(1)

    ada = stack.client()
    r = follow_link(ada, link)
    assert r.status == 303 and r.header("location") == "/console/account?welcome=1", r
    cookie = r.header("set-cookie")
    assert cookie.startswith("__Host-undersigned-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    # The link works once.
    again = follow_link(stack.client(), link)
    assert again.status == 401

    # A password, then a second factor.
    r = ada.post_form("/console/account/password",
                      {"csrf": console_token(ada), "password": PASSWORD,
                       "password_again": PASSWORD})
    assert r.status == 303, r
    page = ada.get("/console/account")
    secret = hidden(page.text, "secret")
    r = ada.post_form("/console/account/totp", {"csrf": hidden(page.text, "csrf"),
                                                "secret": secret, "code": totp(secret)})
    assert r.status == 303, r
    r = ada.post_form("/console/sign-out", {"csrf": console_token(ada)})
    assert r.status == 303
    assert ada.get("/console").status == 303

    # Signing in now takes both; the password alone asks for the code.
    ada = stack.client()
    r = sign_in(ada, "ada@example.org", PASSWORD)
    assert r.status == 401 and "authenticator" in r.text
    # The step used at enrolment cannot be used again: wait for the next one if needed.
    code = totp(secret)
    r = sign_in(ada, "ada@example.org", PASSWORD, code)
    if r.status == 401:
        time.sleep(30 - time.time() % 30 + 0.5)
        r = sign_in(ada, "ada@example.org", PASSWORD, totp(secret))
    assert r.status == 303, r

    # A campaign, as a draft.
    r = ada.post_form("/console/campaigns", {
        "csrf": console_token(ada), "slug": "fund-the-library", "title": "Fund the library",
        "goal": "500", "letter": "Dear council,\n\nKeep it *open*.", "t0_name": "The Council",
        "t0_x": "council", "time_zone": "UTC", "language": "en", "anonymity_floor": "5",
        "groups": "kind=employees; key=staff; name=Library staff; organization=Library; "
                  "domains=library.example\nkind=public; name=Everyone else",
        "status": "draft"})
    assert r.status == 303 and r.header("location").startswith("/console/c/fund-the-library"), r
    assert stack.client().get("/c/fund-the-library").status == 404  # not public yet
    draft = ada.get("/c/fund-the-library")  # its organizers see it at its real address
    assert draft.status == 200 and 'class="draft-banner"' in draft.text, draft
    dash = ada.get("/console/c/fund-the-library/dashboard")
    assert dash.status == 200 and "<svg" in dash.text, dash
    assert stack.client().get("/console/c/fund-the-library/dashboard").status == 303  # sign in
    console_page = ada.get("/console/c/fund-the-library")
    assert "Fund the library" in console_page.text and "draft" in console_page.text

    # An editor, invited by email (a real SMTP server), signs in with the mailed link.
    r = ada.post_form("/console/c/fund-the-library/members",
                      {"csrf": console_token(ada), "email": "ed@example.org", "role": "editor"})
    assert r.status == 303, r
    mail = stack.wait_for_mail("ed@example.org")[0]
    invite = re.search(r"(http://\S+/console/link\?t=[A-Za-z0-9_\-]+)", mail.text).group(1)
    ed = stack.client()
    assert follow_link(ed, invite).status == 303
    edit = ed.get("/console/c/fund-the-library/edit")
    assert edit.status == 200 and "value=\"The Council\"" in edit.text
    # An editor may edit but not open the campaign (its status is the owner's).
    fields = {"csrf": hidden(edit.text, "csrf"), "slug": "fund-the-library",
              "title": "Fund the library now", "goal": "500", "letter": "Dear council,",
              "t0_name": "The Council", "time_zone": "UTC", "language": "en",
              "anonymity_floor": "5",
              "groups": "kind=employees; key=staff; name=Library staff; organization=Library; "
                        "domains=library.example\nkind=public; name=Everyone else"}
    assert 'name="status"' not in edit.text
    r = ed.post_form("/console/c/fund-the-library/edit", fields)
    assert r.status == 303, r

    # Removed, the editor loses the campaign at once.
    listed = run_cli("user", "list", data=stack.data).stdout
    ed_uuid = re.search(r"^ed@example\.org\s.*\s([0-9a-f-]{36})$", listed, re.M).group(1)
    r = ada.post_form("/console/c/fund-the-library/members/%s/remove" % ed_uuid,
                      {"csrf": console_token(ada)})
    assert r.status == 303, r
    assert ed.get("/console/c/fund-the-library/edit").status == 404
    assert ed.get("/console/c/fund-the-library").status == 404

    # The record, exported: who did what.
    export = ada.get("/console/c/fund-the-library/actions.jsonl")
    assert export.status == 200
    rows = [json.loads(line) for line in export.text.splitlines()]
    actions = [(row["user"], row["action"]) for row in rows]
    assert ("ada@example.org", "campaign.create") in actions
    assert ("ada@example.org", "user.invite") in actions
    assert ("ed@example.org", "campaign.edit") in actions
    assert ("ada@example.org", "member.remove") in actions
