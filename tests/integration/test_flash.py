"""The flash (post/redirect/get) travels in the cookie us_flash, sealed with a key every node of
a site derives from the same instance secret: the page a POST redirects to shows what the POST
handed it even when another process answers the GET. Two servers cannot share a SQLite data dir
(it is locked), so "another node" is this one restarted between the POST and the GET, which is
what a browser sees when a load balancer sends it elsewhere (with the in-memory flash of before,
the GET lost the flash). The unit tests (src/http/pages/flash_test.cc, pages_test.cc) read one
node's cookie with another FlashStore of the same and of another secret."""

import urllib.parse

import pytest

import harness
from harness import find_form, hidden_fields, sign, unique_email

CAMPAIGNS = [{"slug": "prg", "title": "Post, redirect, get"}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS)


def restart(stack, client):
    """Stops the server and starts another on the same data dir; returns a client of it with
    the cookies client held (the browser, sent elsewhere)."""
    assert stack.server.stop() == 0
    stack.server = harness.Server(stack.data, stack.sink.port).start()
    stack.url = stack.server.url
    c = stack.client()
    c.cookies = dict(client.cookies)
    return c


def post_sign(client, **fields):
    """Posts the sign form without following its 303; returns that 303."""
    page = client.get("/c/prg")
    assert page.status == 200, page
    form = hidden_fields(find_form(page.text, "/c/prg/sign"))
    form.update(fields)
    r = client.post_form("/c/prg/sign", form)
    assert r.status == 303, r
    return r


def flash_cookie(resp):
    [set_cookie] = [c for c in resp.header_all("set-cookie") if c.startswith("us_flash=")]
    return set_cookie


def test_the_check_your_email_page_survives_a_restart(stack):
    c = stack.client()
    addr = unique_email("restart")
    r = post_sign(c, name="Ada Lovelace", email=addr, public_name="yes")
    assert r.header("location") == "/c/prg/sent", r.headers
    set_cookie = flash_cookie(r)
    for attr in ("Path=/c/prg/", "Max-Age=600", "HttpOnly", "SameSite=Lax"):
        assert "; %s" % attr in set_cookie, set_cookie
    value = set_cookie.split(";", 1)[0].split("=", 1)[1]
    # Sealed: base64url without padding, and nothing readable in it.
    assert value and all(ch.isalnum() or ch in "-_" for ch in value), value
    assert addr.split("@")[0] not in urllib.parse.unquote(value)

    c = restart(stack, c)
    sent = c.get("/c/prg/sent")
    assert sent.status == 200, sent
    assert addr in sent.text, "the flash did not survive the restart"
    # A browser without the cookie is told what to do, and nothing about whom.
    other = stack.client().get("/c/prg/sent")
    assert other.status == 200 and addr not in other.text, other


def test_a_failed_form_survives_a_restart(stack):
    c = stack.client()
    r = post_sign(c, name="Typed Name", email="not-an-address", postal_code="75011")
    assert r.header("location") == "/c/prg/sign#sign", r.headers
    c = restart(stack, c)
    form = c.get("/c/prg/sign")
    assert form.status == 422, form
    assert 'value="Typed Name"' in form.text, "what was typed is lost after the restart"
    assert 'value="75011"' in form.text
    assert 'id="f-email-error"' in form.text


def test_a_pressed_button_shows_its_result_after_a_restart(stack):
    c = stack.client()
    addr = unique_email("button")
    post_sign(c, name="Button", email=addr)
    [mail] = stack.wait_for_mail(addr)
    link = urllib.parse.urlsplit(mail.link("confirm"))
    path = link.path + "?" + link.query
    page = c.get(path)
    assert page.status == 200, page
    fields = hidden_fields(find_form(page.text, "/s/confirm"))
    pressed = c.post_form("/s/confirm", fields)
    assert pressed.status == 303, pressed
    assert "; Path=/s/confirm" in flash_cookie(pressed)
    c = restart(stack, c)
    result = c.get(pressed.header("location"))
    assert result.status == 200, result
    assert "Thank you! Your signature is confirmed" in result.text, result.text
    # Without the flash the same page only says it is already confirmed.
    other = stack.client().get(path)
    assert "Your signature is already confirmed" in other.text, other.text


def test_a_tampered_or_foreign_cookie_is_no_flash(stack):
    c = stack.client()
    addr = unique_email("tamper")
    r = post_sign(c, name="Ada", email=addr)
    value = c.cookies["us_flash"]
    flipped = ("B" if value[10] == "A" else "A").join((value[:10], value[11:]))
    for bad in (flipped, value[:-2], "garbage", "x" * 5000):
        c.cookies["us_flash"] = bad
        sent = c.get("/c/prg/sent")
        assert sent.status == 200, (bad[:20], sent)
        assert addr not in sent.text
        assert c.get("/c/prg/sign").status == 303  # no flash: back to the campaign page
    # Another campaign's pages do not read it (the cookie's Path keeps a browser from sending
    # it there; the sealed scope would refuse it anyway).
    c.cookies["us_flash"] = value
    assert addr in c.get("/c/prg/sent").text
    assert r.status == 303


def test_a_comment_too_long_for_the_cookie_must_be_typed_again(stack):
    c = stack.client()
    # Past its limit (2,000 bytes) and too long for the cookie even deflated; the sign form's
    # body may be 16 KiB.
    words = " ".join("word%d" % (i * 7919 % 104729) for i in range(1200))
    assert 10000 < len(words.encode()) < 14000
    r = post_sign(c, name="Long Comment", email="nope", comment=words)
    set_cookie = flash_cookie(r)
    assert len(set_cookie) < 4096, len(set_cookie)
    form = c.get("/c/prg/sign")
    assert form.status == 422, form
    assert 'value="Long Comment"' in form.text
    assert "please type it again" in form.text
    assert words[:200] not in form.text

    # A comment within its limit is kept whole (deflated before it is sealed).
    comment = ("We ask for the contract to be cancelled and its terms published. " * 40)[:2000]
    r = post_sign(c, name="Kept Comment", email="nope", comment=comment)
    assert len(flash_cookie(r)) < 4096
    form = c.get("/c/prg/sign")
    assert form.status == 422, form
    assert comment.strip() in form.text.replace("&#39;", "'")
    assert "please type it again" not in form.text


def test_signing_still_works_after_the_restarts(stack):
    c = stack.client()
    addr = unique_email("after")
    r = sign(c, "prg", name="After", email_addr=addr)
    assert r.status == 200 and addr in r.text, r
    stack.wait_for_mail(addr)
