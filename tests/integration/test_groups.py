"""Signer groups end to end, against the real server, a real SQLite file and a real SMTP server:
an employee proves their affiliation by a one-time link sent to their work address, which is
never stored; a sealed name is nowhere (pages, JSON, API, exports, the delivered letter, the log,
the database's bytes) until its group reaches the threshold, then everywhere, and its signer is
told exactly once, across a restart; aliases of a work address cannot sign twice; small groups'
counts are not shown."""

import secrets

import pytest

import harness
from harness import find_form, form_path, hidden_fields, query, unique_email, wait_until

SLUG = "staff-letter"
TITLE = "Tell Acme to drop the surveillance contract"
SEALED = "SEALEDMARK%s" % secrets.token_hex(4)
WORK = "w1.%s@acme.example" % secrets.token_hex(3)
PERSONAL = unique_email("sealed")

CAMPAIGNS = [{
    "slug": SLUG, "title": TITLE,
    "extra": ["--group", "kind=employees; key=staff; name=Acme staff; organization=Acme; "
                         "domains=acme.example; seal=3",
              "--group", "kind=public; name=Everyone else",
              "--anonymity-floor", "2"],
}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["groups"])


def sign_employee(client, name, work, personal="", visibility="public"):
    page = client.get("/c/%s" % SLUG)
    assert page.status == 200, page
    form = find_form(page.text, "/c/%s/sign" % SLUG)
    fields = hidden_fields(form)
    fields.update(group="staff", name=name, work_email=work, email=personal,
                  visibility=visibility)
    return client.post_form(form_path(form["action"], "/c/%s/sign" % SLUG), fields, follow=True)


def verify(stack, work):
    [mail] = stack.wait_for_mail(work)
    link = mail.link("confirm")
    assert link, mail
    _, done = harness.press_button(stack.client(), link, "confirm")
    assert done.status == 200, done
    return mail


def surfaces(stack, token):
    """Every public and organizer surface of the campaign, as one string."""
    c = stack.client()
    parts = [c.get("/c/%s" % SLUG).text, c.get("/c/%s.json" % SLUG).text, c.get("/").text]
    uuid = query(stack.data, "SELECT uuid FROM campaigns WHERE slug = ?", (SLUG,))[0][0]
    for path in ("/api/v2/petitions/%s" % uuid, "/api/v2/petitions/%s/signatures" % uuid,
                 "/api/v2/people"):
        r = c.api("GET", path, token=token)
        assert r.status == 200, r
        parts.append(r.text)
    for fmt in ("csv", "json"):
        parts.append(harness.run_cli("export", SLUG, "--format", fmt, data=stack.data).stdout)
    for fmt in ("html", "csv", "json"):
        parts.append(harness.run_cli("deliver", SLUG, "--format", fmt, "--base-url", stack.url,
                                     data=stack.data).stdout)
    parts.append(stack.server.log())
    return "\n".join(parts)


def group_count(stack, key):
    for g in harness.counts(stack.client(), SLUG)["groups"]:
        if g["key"] == key:
            return g
    raise AssertionError("no group %s" % key)


def database_bytes(data):
    return harness.store_bytes(data)


def test_verified_sealed_signing_and_the_reveal(stack):
    token = stack.tokens["groups"]
    r = sign_employee(stack.client(), SEALED, WORK, PERSONAL, visibility="sealed-3")
    assert r.status == 200, r
    assert "work" in r.text.lower()

    # The link goes to the work address, in a message that names neither the letter nor the
    # signer.
    mail = verify(stack, WORK)
    for text in (mail.subject, mail.text, mail.html):
        assert TITLE not in text and SLUG not in text and SEALED not in text, text
    assert group_count(stack, "staff") == {"key": "staff", "name": "Acme staff",
                                           "fewer_than": 2}

    # Verified, counted, and sealed: the name is nowhere, not even in the database's bytes
    # (it is stored encrypted until the reveal).
    assert SEALED not in surfaces(stack, token)
    assert SEALED.encode() not in database_bytes(stack.data)
    rows = query(stack.data, "SELECT state, verified, name, email, sealed IS NOT NULL "
                             "FROM signatures WHERE group_key = 'staff'")
    assert rows == [("confirmed", 1, "", "", 1)], rows

    # The same work address through aliases cannot sign again.
    alias = WORK.replace("w1.", "W1.").replace("@", "+again@")
    r = sign_employee(stack.client(), "Someone Else", alias, unique_email("alias"))
    assert r.status == 200, r
    assert query(stack.data, "SELECT count(*) FROM signatures WHERE group_key = 'staff'") == [(1,)]

    # Two more verified employees: the group reaches 3 and the sealed name is revealed.
    for i in (2, 3):
        work = "w%d.%s@acme.example" % (i, secrets.token_hex(3))
        assert sign_employee(stack.client(), "Colleague %d" % i, work).status == 200
        verify(stack, work)
    assert group_count(stack, "staff")["confirmed"] == 3
    wait_until(lambda: SEALED in stack.client().get("/c/%s" % SLUG).text, 10,
               what="the revealed name on the page")
    assert SEALED in surfaces(stack, token)
    [notice] = stack.wait_for_mail(PERSONAL)
    assert "now shown" in notice.subject.lower(), notice

    # Exactly once, across a restart.
    assert stack.server.stop() == 0
    stack.server = harness.Server(stack.data, stack.sink.port).start()
    stack.url = stack.server.url
    verify_more = "w4.%s@acme.example" % secrets.token_hex(3)
    assert sign_employee(stack.client(), "Colleague 4", verify_more).status == 200
    verify(stack, verify_more)
    assert query(stack.data, "SELECT count(*) FROM outbox WHERE kind = 'revealed'") == [(1,)]
    assert len(stack.sink.wait_for_mail(PERSONAL, count=1)) == 1


def test_the_work_address_leaves_no_trace_in_the_database(stack, tmp_path):
    work = "trace.%s@acme.example" % secrets.token_hex(4)
    assert sign_employee(stack.client(), "Tracy", work).status == 200
    verify(stack, work)
    # Sent and verified: the outbox forgot the recipient. After a clean stop the database is
    # one file (the WAL is checkpointed into it and removed); the address is in none of it.
    wait_until(lambda: query(stack.data, "SELECT count(*) FROM outbox WHERE recipient = ?",
                             (work,)) == [(0,)], 10, what="the outbox forgetting the address")
    assert stack.server.stop() == 0
    try:
        blob = database_bytes(stack.data)
        assert work.encode() not in blob
        assert work.split("@")[0].encode() not in blob
    finally:
        stack.server = harness.Server(stack.data, stack.sink.port).start()
        stack.url = stack.server.url


def test_bad_group_input_is_a_clear_error(stack):
    r = sign_employee(stack.client(), "Mallory", "mallory@gmail.com", unique_email("m"))
    assert r.status == 422, r
    assert "acme.example" in r.text
    assert "mallory@gmail.com" in r.text  # what was typed is kept
    r = sign_employee(stack.client(), "Nina", "nina@acme.example", "", visibility="sealed-3")
    assert r.status == 422, r
    r = sign_employee(stack.client(), "Otto", "otto@acme.example", "", visibility="sealed-99")
    assert r.status == 422, r


def test_log_audit_passes_with_verified_employees(stack, tmp_path):
    """An honest site with signer groups passes its own audit: /log/counts publishes each
    group's count as the leaves name it, so verified employees are not reported as a lie."""
    for i in range(2):
        work = "audit%d.%s@acme.example" % (i, secrets.token_hex(3))
        assert sign_employee(stack.client(), "Auditee %d" % i, work).status == 200
        verify(stack, work)
    addr = unique_email("public-audit")
    assert harness.sign(stack.client(), SLUG, email_addr=addr,
                        extra={"group": "public"}).status == 200
    [mail] = stack.wait_for_mail(addr)
    harness.press_button(stack.client(), mail.link("confirm"), "confirm")

    leaves = query(stack.data, "SELECT count(*) FROM log_leaves")[0][0]

    def covering():
        j = stack.client().get("/log/counts").json()
        return j if j["tree_size"] == leaves else None
    published = wait_until(covering, 30, interval=0.1, what="a checkpoint covering every leaf")
    [mine] = [c for c in published["campaigns"] if c["slug"] == SLUG]
    staff = query(stack.data, "SELECT count(*) FROM signatures WHERE group_key = 'staff' "
                              "AND state = 'confirmed'")[0][0]
    assert staff >= 2
    assert mine["groups"]["staff"] == staff, mine
    assert mine["groups"]["public"] >= 1, mine
    assert sum(mine["groups"].values()) == mine["confirmed"], mine

    p = harness.run_cli("log", "audit", stack.url, "--state", str(tmp_path / "audit.json"),
                        check=False, timeout=120)
    assert p.returncode == 0, "audit failed:\nstdout: %s\nstderr: %s" % (p.stdout, p.stderr)
