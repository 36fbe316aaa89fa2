"""The data directory, end to end: after a work address's link is sent and followed, no file in
the data directory holds the address once the store says so (about a second), even after
SIGKILL; a second server on the same directory is refused with a message naming the first,
while CLI commands keep working beside it; a database whose last page is damaged is refused at
start with a message that says which page and what to do."""

import re
import secrets
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

import harness
from harness import BIN, find_form, form_path, hidden_fields, query, run_cli, wait_until

SLUG = "data-dir-letter"
CAMPAIGNS = [{
    "slug": SLUG,
    "extra": ["--group", "kind=employees; key=staff; name=Acme staff; organization=Acme; "
                         "domains=acme.example",
              "--group", "kind=public; name=Everyone else"],
}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS)


def every_file_bytes(directory):
    """The bytes of every file under directory (database, WAL, shared memory, lock, ...)."""
    return b"".join(p.read_bytes() for p in sorted(Path(directory).rglob("*")) if p.is_file())


def scrub_pending(stack):
    r = stack.client().get("/metrics")
    assert r.status == 200, r
    m = re.search(r"^undersigned_store_scrub_pending (\S+)$", r.text, re.M)
    assert m, "no undersigned_store_scrub_pending in /metrics"
    return float(m.group(1))


def sign_and_verify(stack, work):
    client = stack.client()
    page = client.get("/c/%s" % SLUG)
    form = find_form(page.text, "/c/%s/sign" % SLUG)
    fields = hidden_fields(form)
    fields.update(group="staff", name="Wanda Worker", work_email=work, email="",
                  visibility="public")
    r = client.post_form(form_path(form["action"], "/c/%s/sign" % SLUG), fields, follow=True)
    assert r.posted.status == 303 and r.status == 200, r
    [mail] = stack.wait_for_mail(work)
    _, done = harness.press_button(stack.client(), mail.link("confirm"), "confirm")
    assert done.status == 200, done


def restart(stack):
    stack.server = harness.Server(stack.data, stack.sink.port).start()
    stack.url = stack.server.url


def test_a_work_address_leaves_no_file_in_the_data_directory_even_after_sigkill(stack):
    work = "wal.%s@acme.example" % secrets.token_hex(4)
    local = work.split("@")[0].encode()
    sign_and_verify(stack, work)
    # Sent (the outbox row forgot it) and scrubbed (the WAL holding it was truncated): the
    # store's gauge counts addresses cleared but not yet scrubbed from the commit on.
    wait_until(lambda: query(stack.data, "SELECT count(*) FROM outbox WHERE recipient = ?",
                             (work,)) == [(0,)], 10, what="the outbox forgetting the address")
    wait_until(lambda: scrub_pending(stack) == 0, 5, what="the WAL scrubbed")
    stack.server.stop(sig=signal.SIGKILL)
    try:
        blob = every_file_bytes(stack.data)
        assert (stack.data / "undersigned.db-wal").exists()  # killed: nothing was tidied up
        assert work.encode() not in blob
        assert local not in blob
    finally:
        restart(stack)
    # The restarted server's files hold none of it either, and it counts the signature.
    assert local not in every_file_bytes(stack.data)
    assert harness.counts(stack.client(), SLUG)["confirmed"] >= 1


def test_a_second_server_on_the_same_data_directory_is_refused(stack):
    before = harness.counts(stack.client(), SLUG)
    second = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data", str(stack.data)],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode != 0, second
    pid = stack.server.proc.pid
    assert "is in use by process %d (" % pid in second.stderr, second.stderr
    assert "serve" in second.stderr and "another --data" in second.stderr, second.stderr
    assert "listening" not in second.stdout
    # The first server is untouched, and CLI commands still work beside it.
    assert stack.server.alive()
    assert harness.counts(stack.client(), SLUG) == before
    assert SLUG in run_cli("campaign", "list", data=stack.data).stdout
    run_cli("campaign", "edit", SLUG, "--title", "Edited beside the server", data=stack.data)
    wait_until(lambda: "Edited beside the server" in stack.client().get("/c/%s" % SLUG).text, 10,
               what="the server showing the CLI's edit")
    assert harness.create_token(stack.data, "beside-the-server")
    assert "verifier key" in run_cli("log", "key", data=stack.data).stdout
    run_cli("organization", "list", SLUG, data=stack.data)
    assert "Wanda Worker" in run_cli("export", SLUG, "--format", "csv", data=stack.data).stdout
    delivered = run_cli("deliver", SLUG, "--format", "json", "--base-url", stack.url,
                        data=stack.data).stdout
    assert "Edited beside the server" in delivered
    target = stack.root / "beside.db"
    run_cli("backup", target, data=stack.data)
    assert target.stat().st_size > 0


def test_a_damaged_last_page_is_refused_at_start(tmp_path):
    data = tmp_path / "data"
    harness.create_campaign(data, "damaged")
    server = harness.Server(data).start()
    c = server.client()
    for i in range(3):
        assert harness.sign(c, "damaged", email_addr=harness.unique_email("d%d" % i)).status == 200
    assert server.stop() == 0
    db = data / "undersigned.db"
    # Every page's current version into the file, so that the damage is not undone by the WAL
    # at the next start (the last page, signature_hours's, is written by every signing).
    con = sqlite3.connect(str(db))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    pages = db.stat().st_size // 4096
    with open(db, "r+b") as f:
        f.seek((pages - 1) * 4096)
        f.write(bytes(4096))
    p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data", str(data)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0, p
    assert "is damaged: page %d of %d" % (pages, pages) in p.stderr, p.stderr
    assert "restore the data directory from a backup" in p.stderr, p.stderr
    assert "listening" not in p.stdout
