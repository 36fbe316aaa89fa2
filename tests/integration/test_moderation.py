"""Moderation end to end (issue 13, part 5), the real binary beside a running server: a flood of
confirmed signatures from one address range (the server behind a proxy that says where each
came from) is previewed and bulk-invalidated with `undersigned signature`; the campaign's page
and JSON count go down, the flood's signers are told, only the /24 of each address was kept, the
log's new leaves say "invalidate" and hold nothing personal, and `undersigned log audit` passes.
Hiding a comment leaves the count alone. Bad filters are refused, saying what to fix."""

import os
import re

import pytest

import harness
from harness import counts, press_button, query, run_cli, sign, unique_email, wait_until

SLUG = "mod-flood"


@pytest.fixture(scope="module")
def stack(make_stack):
    # Behind a proxy: the client address is X-Forwarded-For's last entry.
    os.environ["UNDERSIGNED_SERVER_TRUST_PROXY"] = "true"
    try:
        return make_stack(campaigns=[{"slug": SLUG, "title": "A letter to moderate"}])
    finally:
        del os.environ["UNDERSIGNED_SERVER_TRUST_PROXY"]


def signed_from(stack, address, name, comment=""):
    """Signs through the form from address (via X-Forwarded-For) and follows the mailed link;
    returns the signer's email."""
    c = stack.client()
    addr = unique_email(re.sub(r"\W", "", name.lower()))

    def forwarded(method):
        def call(path, *a, headers=None, **kw):
            h = {"X-Forwarded-For": address}
            h.update(headers or {})
            return method(path, *a, headers=h, **kw)
        return call
    c.get = forwarded(c.get)
    c.post_form = forwarded(c.post_form)
    assert sign(c, SLUG, name=name, email_addr=addr, comment=comment).status == 200
    [mail] = stack.wait_for_mail(addr)
    press_button(c, mail.link("confirm"), "confirm")
    return addr


def cli(stack, *args, check=True):
    return run_cli("signature", *args, data=stack.data, check=check, timeout=60)


def confirmed(stack):
    return counts(stack.client(), SLUG)["confirmed"]


@pytest.fixture(scope="module")
def flood(stack):
    real = [signed_from(stack, "198.51.100.%d" % (i + 1), "Real Person %d" % i,
                        comment="real words %d" % i) for i in range(3)]
    bots = [signed_from(stack, "203.0.113.%d" % (i + 10), "Bot Number %d" % i,
                        comment="spam spam %d" % i) for i in range(6)]
    assert confirmed(stack) == 9
    return {"real": real, "bots": bots}


def test_only_the_network_is_kept(stack, flood):
    nets = {r[0] for r in query(stack.data, "SELECT client_net FROM signatures")}
    assert nets == {"198.51.100.0/24", "203.0.113.0/24"}, nets


def test_bad_filters_are_refused_saying_what_to_fix(stack, flood):
    p = cli(stack, "preview", SLUG, "--range", "203.0.113.10/32", check=False)
    assert p.returncode != 0
    assert "/24" in p.stderr, p.stderr
    p = cli(stack, "preview", SLUG, check=False)
    assert p.returncode != 0
    assert "ranges" in p.stderr, p.stderr
    p = cli(stack, "invalidate", SLUG, "--range", "203.0.113.0/24", "--reason", "flood",
            check=False)
    assert p.returncode != 0
    assert "--expect" in p.stderr, p.stderr
    p = cli(stack, "preview", "no-such-campaign", "--range", "203.0.113.0/24", check=False)
    assert p.returncode != 0
    assert confirmed(stack) == 9


def test_preview_then_bulk_invalidate(stack, flood):
    p = cli(stack, "preview", SLUG, "--range", "203.0.113.0/24")
    assert "6 signature(s) match" in p.stdout, p.stdout
    assert "Bot Number" in p.stdout, p.stdout
    assert "Real Person" not in p.stdout, p.stdout
    for addr in flood["bots"]:
        assert addr not in p.stdout, "an address is in the preview"
    assert "203.0.113" not in p.stdout, "a network is in the preview"

    # A stale count is refused and nothing changes.
    p = cli(stack, "invalidate", SLUG, "--range", "203.0.113.0/24", "--expect", "5", "--reason",
            "a flood from one range", check=False)
    assert p.returncode != 0
    assert "preview it again" in p.stderr, p.stderr
    assert confirmed(stack) == 9

    p = cli(stack, "invalidate", SLUG, "--range", "203.0.113.0/24", "--expect", "6", "--reason",
            "a flood from one range", "--notify")
    assert "invalidated 6 signature(s)" in p.stdout, p.stdout

    # The running server picks the change up: the count and the page go down.
    wait_until(lambda: confirmed(stack) == 3, 30, interval=0.1, what="the count to go down")
    page = stack.client().get("/c/%s" % SLUG).text
    assert "Bot Number" not in page
    assert "Real Person" in page
    # Each flood signer is told.
    for addr in flood["bots"]:
        mails = stack.wait_for_mail(addr, count=2)
        assert any("removed" in m.subject for m in mails), mails
    for addr in flood["real"]:
        assert not any("removed" in m.subject for m in stack.sink.maildir.to(addr)), addr
    # Nothing matches any more.
    p = cli(stack, "preview", SLUG, "--range", "203.0.113.0/24")
    assert "0 signature(s) match" in p.stdout, p.stdout


def test_the_log_records_it_and_the_audit_passes(stack, flood, tmp_path):
    rows = query(stack.data, "SELECT entry FROM log_leaves ORDER BY idx")
    events = [bytes(r[0]).decode().split("\nevent ")[1].split("\n")[0] for r in rows]
    assert events.count("confirm") == 9 and events.count("invalidate") == 6, events
    for r in rows:
        text = bytes(r[0]).decode()
        assert "203.0.113" not in text and "Bot" not in text and "@" not in text, text

    audit(stack, tmp_path / "state.json")


def audit(stack, state):
    """Waits for a checkpoint covering every stored leaf, then `undersigned log audit` passes."""
    c = stack.client()

    def covered():
        n = query(stack.data, "SELECT COUNT(*) FROM log_leaves")[0][0]
        note = c.get("/log/checkpoint").text
        return int(note.split("\n")[1]) == n
    wait_until(covered, 30, interval=0.1, what="a checkpoint covering every leaf")
    p = run_cli("log", "audit", stack.url + "/", "--state", state, check=False, timeout=120)
    assert p.returncode == 0, "audit failed:\nstdout: %s\nstderr: %s" % (p.stdout, p.stderr)
    assert "PASSED" in p.stdout, p.stdout


def test_hiding_a_comment_keeps_the_count(stack, flood):
    [(uuid,)] = query(stack.data, "SELECT uuid FROM signatures WHERE email = ?",
                      (flood["real"][0],))
    assert "real words 0" in stack.client().get("/c/%s" % SLUG).text
    p = cli(stack, "hide", SLUG, uuid, "--comment")
    assert "[comment hidden]" in p.stdout, p.stdout
    wait_until(lambda: "real words 0" not in stack.client().get("/c/%s" % SLUG).text, 30,
               interval=0.1, what="the comment to leave the page")
    assert confirmed(stack) == 3
    assert "Real Person 0" in stack.client().get("/c/%s" % SLUG).text
    cli(stack, "hide", SLUG, uuid, "--comment", "--show")
    wait_until(lambda: "real words 0" in stack.client().get("/c/%s" % SLUG).text, 30,
               interval=0.1, what="the comment to come back")


def test_the_server_signs_on_after_the_cli_wrote_to_the_log(stack, flood, tmp_path):
    """The CLI appended leaves beside the running server: the server's next ones follow them."""
    signed_from(stack, "198.51.100.77", "Late Person")
    assert confirmed(stack) == 4
    audit(stack, tmp_path / "state.json")
    rows = query(stack.data, "SELECT entry FROM log_leaves ORDER BY idx")
    assert len(rows) == 16 and b"\nevent confirm\n" in bytes(rows[-1][0])
