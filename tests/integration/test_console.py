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


DELIVER_SLUG = "deliver-me"


def test_organizations_updates_and_delivery_from_the_console(make_stack):
    """Issue 13 parts 6 to 8 through the console's pages: an organization is reviewed with its
    logo, approved and its approval withdrawn; an update is tested, sent to the one signer who
    asked for updates, and unsubscribed from in one click; the letter is delivered by email with
    its PDF, once, and the campaign page says so."""
    stack = make_stack(campaigns=[{
        "slug": DELIVER_SLUG, "title": "Deliver me",
        "targets": ["Pat Example|Chief Executive|Example Corp|||" + "|pat@example.com",
                    "Sam Nomail|Board chair|Example Corp"]}])
    made = run_cli("user", "create", "--email", "boss@example.org", "--role", "admin",
                   data=stack.data)
    link = re.search(r"(http://\S+/console/link\?t=\S+)", made.stdout).group(1)
    boss = stack.client()
    assert follow_link(boss, link).status == 303
    base = "/console/c/%s" % DELIVER_SLUG

    # Signers: one asks for updates, one does not.
    signer = stack.client()
    wants, quiet = harness.unique_email("wants"), harness.unique_email("quiet")
    for addr, asks in ((wants, True), (quiet, False)):
        r = harness.sign(signer, DELIVER_SLUG, name="Signer " + addr[:5], email_addr=addr,
                         wants_updates=asks)
        assert r.status == 200, r
        [mail] = stack.wait_for_mail(addr)
        harness.press_button(signer, mail.link("confirm"), "confirm")

    # An organization asks to co-sign from the public page and confirms its address.
    org = stack.client()
    page = org.get("/c/%s/organizations/new" % DELIVER_SLUG)
    fields = harness.hidden_fields(harness.find_form(page.text, "/c/%s/organizations" %
                                                     DELIVER_SLUG))
    fields.update(name="Friends of the Earth", website="https://foe.example.org",
                  contact_email="press@foe.example.org", statement="We stand with them.")
    ctype, body = harness.multipart(fields, {"logo": ("logo.png", "image/png", harness.png())})
    r = org.request("POST", "/c/%s/organizations" % DELIVER_SLUG, body=body,
                    headers={"Content-Type": ctype})
    assert r.status == 303, r
    [mail] = stack.wait_for_mail("press@foe.example.org")
    confirm = re.search(r"https?://\S+/o/confirm\?t=[A-Za-z0-9_\-%.~]+", mail.text).group(0)
    u = urllib.parse.urlsplit(confirm)
    form = harness.find_form(org.get(u.path + "?" + u.query).text, "/o/confirm")
    done = org.post_form(harness.form_path(form["action"], "/o/confirm"),
                         harness.hidden_fields(form))
    assert done.status == 303, done

    # Reviewed in the console, logo first; approved, then the approval withdrawn.
    review = boss.get(base + "/organizations")
    assert review.status == 200 and "press@foe.example.org" in review.text, review
    logo_path = re.search(r'src="(%s/organizations/[0-9a-f-]+/logo)"' % base, review.text).group(1)
    logo = boss.get(logo_path)
    assert logo.status == 200 and logo.body.startswith(b"\x89PNG"), logo
    assert b"TRACKING-MARKER" not in logo.body  # re-encoded
    assert stack.client().get(logo_path).status == 303  # signed-in organizers only
    decide = logo_path[:-len("/logo")]
    r = boss.post_form(decide, {"csrf": console_token(boss), "decision": "approve"})
    assert r.status == 303, r
    assert "Friends of the Earth" in stack.client().get("/c/" + DELIVER_SLUG).text
    r = boss.post_form(decide, {"csrf": console_token(boss), "decision": "withdraw"})
    assert r.status == 303, r
    assert "Friends of the Earth" not in stack.client().get("/c/" + DELIVER_SLUG).text

    # An update: drafted, tested on oneself, sent to the signer who asked, unsubscribed from.
    r = boss.post_form(base + "/updates", {"csrf": console_token(boss),
                                           "subject": "We met Pat", "body": "It **went** well."})
    assert r.status == 303, r
    update_page = r.header("location").split("?")[0]
    shown = boss.get(update_page)
    assert "<strong>went</strong>" in shown.text and "1 signer<" in shown.text, shown
    assert boss.post_form(update_page + "/test", {"csrf": console_token(boss)}).status == 303
    harness.wait_until(
        lambda: [m for m in stack.sink.maildir.to("boss@example.org") if "We met Pat" in m.subject],
        30, what="the test copy")
    r = boss.post_form(update_page + "/send", {"csrf": console_token(boss), "when": "now"})
    assert r.status == 303, r
    [news] = harness.wait_until(
        lambda: [m for m in stack.sink.maildir.to(wants) if m.subject == "We met Pat"], 30,
        what="the update")
    header = str(news.msg["List-Unsubscribe"]).strip()
    assert str(news.msg["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
    unsub = urllib.parse.urlsplit(re.fullmatch(r"<([^>]+)>", header).group(1))
    r = stack.client().request("POST", unsub.path + "?" + unsub.query,
                               body=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    harness.wait_until(
        lambda: re.search(r'<td class="num">1</td><td class="num">1</td><td class="num">0</td>'
                          r'<td class="num">1</td>', boss.get(base + "/updates").text), 30,
        what="queued 1, sent 1, failed 0, unsubscribed 1 on the updates page")
    assert not [m for m in stack.sink.maildir.to(quiet) if m.subject == "We met Pat"]

    # The delivery: previewed (with its PDF), sent once to the target with an address.
    page = boss.get(base + "/delivery")
    assert page.status == 200 and "pat@example.com" in page.text, page
    pdf = boss.get(base + "/delivery/letter.pdf")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-"), pdf
    form = {"csrf": hidden(page.text, "csrf"), "last_seen": hidden(page.text, "last_seen")}
    r = boss.post_form(base + "/delivery", form)
    assert r.status == 303, r
    assert boss.post_form(base + "/delivery", form).status == 409  # pressed twice: once
    [letter] = stack.wait_for_mail("pat@example.com")
    pdfs = [p for p in letter.msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF-")
    harness.wait_until(lambda: "Delivered to Pat Example" in
                       stack.client().get("/c/" + DELIVER_SLUG).text, 30,
                       what="the campaign page saying it was delivered")
    # The signers who asked for updates are told by a "delivered" update (the one who did has
    # unsubscribed since, so it reaches nobody here: test_outreach checks who receives it).
    assert "<em>(delivered)</em>" in boss.get(base + "/updates").text
    actions = [json.loads(line)["action"] for line in
               boss.get(base + "/actions.jsonl").text.splitlines()]
    for a in ("organization.approve", "organization.withdraw", "update.draft", "update.test_send",
              "update.send", "deliver"):
        assert a in actions, (a, actions)


def test_a_scoped_token_made_at_the_command_line_reaches_only_its_campaign_and_reads(make_stack):
    """`token create --campaign --read-only --owner`: the scoped, owned API token of issue 13,
    made without a line of code; the API refuses everything outside its scope."""
    stack = make_stack(campaigns=[{"slug": "scoped-a", "title": "A"},
                                  {"slug": "scoped-b", "title": "B"}])
    run_cli("user", "create", "--email", "lead@example.org", "--role", "admin", data=stack.data)
    made = run_cli("token", "create", "--name", "crm", "--campaign", "scoped-a", "--read-only",
                   "--owner", "lead@example.org", data=stack.data)
    raw = made.stdout.strip()
    assert raw.startswith("us_") and "for scoped-a, read-only" in made.stderr, made
    ids = dict(harness.query(stack.data, "SELECT slug, uuid FROM campaigns"))
    c = stack.client()
    a, b = "/api/v2/petitions/" + ids["scoped-a"], "/api/v2/petitions/" + ids["scoped-b"]
    assert c.api("GET", a, token=raw).status == 200
    assert c.api("GET", a + "/signatures", token=raw).status == 200
    assert c.api("GET", b, token=raw).status == 403
    write = c.api("POST", a + "/signatures", token=raw,
                  obj={"person": {"email_addresses": [{"address": "x@example.org"}]}})
    assert write.status == 403 and "read-only" in write.text, write
    # Its owner is recorded with it, and the action too.
    assert harness.query(stack.data, "SELECT u.email FROM api_tokens t JOIN users u ON "
                         "u.id = t.owner_user_id WHERE t.name = 'crm'") == [("lead@example.org",)]
    # An owner who is no organizer of the campaign cannot make one for it.
    run_cli("user", "create", "--email", "nobody@example.org", "--role", "organizer",
            data=stack.data)
    refused = run_cli("token", "create", "--name", "x", "--campaign", "scoped-a", "--owner",
                      "nobody@example.org", data=stack.data, check=False)
    assert refused.returncode != 0


def test_a_campaign_picture_from_the_command_line_and_the_console(make_stack, tmp_path):
    """Issue 13 part 2's picture: set with `campaign edit --image --image-alt`, replaced from the
    console's form, removed with `--image ""`; the page shows it described, at an address that
    changes with it, as a re-encoded JPEG; nothing of the uploaded files but their pixels is
    kept anywhere in the store (the docs' promise, read off its raw bytes)."""
    stack = make_stack(campaigns=[{"slug": "pictured", "title": "Pictured"}])
    photo = tmp_path / "photo.png"
    photo.write_bytes(harness.png(2400, 1200))
    visitor = stack.client()

    refused = run_cli("campaign", "edit", "pictured", "--image", str(photo), data=stack.data,
                      check=False)
    assert refused.returncode != 0 and "--image-alt" in refused.stderr, refused
    not_image = tmp_path / "notes.txt"
    not_image.write_text("not a picture")
    refused = run_cli("campaign", "edit", "pictured", "--image", str(not_image), "--image-alt",
                      "x", data=stack.data, check=False)
    assert refused.returncode != 0 and "must be a PNG or JPEG" in refused.stderr, refused

    run_cli("campaign", "edit", "pictured", "--image", str(photo), "--image-alt",
            "Nurses outside the hospital", data=stack.data)
    shown = run_cli("campaign", "show", "pictured", data=stack.data)
    assert 'picture:   1600x800 JPEG, "Nurses outside the hospital"' in shown.stdout, shown

    def picture_src():
        page = visitor.get("/c/pictured")
        assert page.status == 200, page
        m = re.search(r'<img src="(/c/pictured/picture\.jpg\?v=[0-9a-f]{16})" '
                      r'alt="([^"]*)" width="(\d+)" height="(\d+)">', page.text)
        return m and m.groups()
    # The running server picks up the command line's edit (it reads the store every few
    # seconds).
    harness.wait_until(picture_src, 15, what="the picture on the campaign page")
    src, alt, width, height = picture_src()
    assert (alt, width, height) == ("Nurses outside the hospital", "1600", "800")
    jpeg = visitor.get(src)
    assert jpeg.status == 200 and jpeg.header("content-type") == "image/jpeg", jpeg
    assert jpeg.body.startswith(b"\xff\xd8\xff") and b"TRACKING-MARKER" not in jpeg.body
    assert jpeg.header("cache-control") == "public, max-age=31536000, immutable"

    # Replaced from the console by an editor.
    made = run_cli("user", "create", "--email", "pic@example.org", "--role", "admin",
                   data=stack.data)
    link = re.search(r"(http://\S+/console/link\?t=\S+)", made.stdout).group(1)
    boss = stack.client()
    assert follow_link(boss, link).status == 303
    form = boss.get("/console/c/pictured/edit")
    assert form.status == 200 and 'enctype="multipart/form-data"' in form.text, form
    ctype, body = harness.multipart(
        {"csrf": hidden(form.text, "csrf"), "image_alt": "A banner at the gate", "do": "save"},
        {"image": ("banner.png", "image/png", harness.png(640, 320))})
    r = boss.request("POST", "/console/c/pictured/picture", body=body,
                     headers={"Content-Type": ctype})
    assert r.status == 303, r
    new_src, alt, width, height = picture_src()
    assert new_src != src and (alt, width, height) == ("A banner at the gate", "640", "320")
    assert visitor.get(new_src).status == 200
    assert visitor.get(src).header("cache-control") != "public, max-age=31536000, immutable"
    actions = boss.get("/console/c/pictured/actions")
    assert "campaign.image" in actions.text, actions

    # Nothing of either upload is kept but its pixels.
    assert b"TRACKING-MARKER" not in harness.store_bytes(stack.data)

    run_cli("campaign", "edit", "pictured", "--image", "", data=stack.data)
    harness.wait_until(lambda: not picture_src(), 15, what="the picture to go")
    assert visitor.get(new_src).status == 404
