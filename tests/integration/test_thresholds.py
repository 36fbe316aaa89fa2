"""Campaign thresholds end to end, against the real server and a real SMTP server: a campaign
that reaches its threshold succeeds at once and every signer and organizer gets one mail; one
whose deadline passes first fails on time with nobody visiting the site, and everyone gets one
mail; a restart sends nothing again."""

import datetime

import pytest

import harness
from harness import query, unique_email, wait_until

SOON = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=8)) \
    .strftime("%Y-%m-%dT%H:%M:%SZ")
LATER = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)) \
    .strftime("%Y-%m-%d")

CAMPAIGNS = [
    {"slug": "goes-ahead", "title": "Goes ahead if two sign",
     "extra": ["--threshold", "2", "--deadline", LATER, "--organizer", "org-win@example.org"]},
    {"slug": "falls-short", "title": "Needs a hundred by soon",
     "extra": ["--threshold", "100", "--deadline", SOON, "--organizer", "org-lose@example.org"]},
]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["th"])


def petition_uuid(data, slug):
    return query(data, "SELECT uuid FROM campaigns WHERE slug = ?", (slug,))[0][0]


def api_sign(stack, slug, addr):
    c = stack.client()
    c.retry_429 = True
    body = {"person": {"given_name": "Th", "email_addresses": [{"address": addr}]}}
    r = c.api("POST", "/api/v2/petitions/%s/signatures" % petition_uuid(stack.data, slug), body,
              token=stack.tokens["th"])
    assert r.status == 200, r


def outcome_rows(data, recipient):
    return query(data, "SELECT count(*) FROM outbox WHERE kind = 'outcome' AND recipient = ?",
                 (recipient,))[0][0]


def restart(stack):
    assert stack.server.stop() == 0
    stack.server = harness.Server(stack.data, stack.sink.port).start()
    stack.url = stack.server.url


def test_deadline_passes_with_nobody_visiting(stack):
    signer = unique_email("short")
    api_sign(stack, "falls-short", signer)  # one of the hundred needed, before the deadline
    # Nobody touches the site from here on: the failure is decided and mailed on time.
    [to_signer] = stack.wait_for_mail(signer, timeout=40)
    [to_organizer] = stack.wait_for_mail("org-lose@example.org", timeout=10)
    for m in (to_signer, to_organizer):
        assert m.subject.startswith("Not this time"), m.subject
        assert "needed 100" in m.text and "had 1" in m.text, m.text
    assert query(stack.data, "SELECT outcome FROM campaigns WHERE slug = 'falls-short'") == \
        [("failed",)]


def test_threshold_reached_succeeds_at_once(stack):
    a, b = unique_email("win-a"), unique_email("win-b")
    api_sign(stack, "goes-ahead", a)
    assert stack.client().get("/c/goes-ahead.json").json()["outcome"] == "pending"
    api_sign(stack, "goes-ahead", b)
    j = stack.client().get("/c/goes-ahead.json").json()
    assert j["outcome"] == "succeeded", j
    for addr in (a, b, "org-win@example.org"):
        [m] = stack.wait_for_mail(addr)
        assert m.subject == "It worked: Goes ahead if two sign reached 2 signatures", m.subject
    page = stack.client().get("/c/goes-ahead")
    assert "It goes ahead: 2 people confirmed" in page.text


def test_nobody_is_told_twice_across_a_restart(stack):
    everyone = ["org-win@example.org", "org-lose@example.org"] + [
        r[0] for r in query(stack.data, "SELECT email FROM signatures WHERE state = 'confirmed'")]
    restart(stack)  # the scheduler looks at every deadline again at start
    late = unique_email("late")
    api_sign(stack, "goes-ahead", late)  # a late signer of a succeeded campaign: welcome, no mail
    for addr in everyone:
        assert outcome_rows(stack.data, addr) == 1, addr
    assert outcome_rows(stack.data, late) == 0
    wait_until(lambda: query(stack.data, "SELECT count(*) FROM outbox WHERE kind = 'outcome' "
                                         "AND sent IS NULL")[0][0] == 0,
               20, what="the outcome mail to be sent")
    for addr in everyone:
        assert len(stack.sink.maildir.to(addr)) == 1, addr
