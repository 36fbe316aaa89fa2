"""The store chosen by URL (--store, store.url, UNDERSIGNED_STORE_URL) on PostgreSQL: what is
particular to it. Runs only on PostgreSQL (ctest: integration_postgres_pg, once enabled in
tests/CMakeLists.txt); every other suite runs on both stores."""

import re
import subprocess
import urllib.parse

import pytest

import harness
from harness import Server, run_cli

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=[{"slug": "on-pg", "title": "On PostgreSQL"}])


def test_backup_says_pg_dump(stack):
    """A PostgreSQL store is copied with pg_dump: `undersigned backup` says so, writes nothing
    and exits non-zero."""
    target = stack.root / "backup-pg.db"
    p = run_cli("backup", target, data=stack.data, check=False)
    assert p.returncode != 0, p.stdout
    assert "pg_dump" in p.stderr, p.stderr
    assert not target.exists()


def test_store_url_password_is_never_printed(tmp_path):
    """A password in the store's URL appears in no message: not when the database cannot be
    opened (the CLI, serve), nor in a running server's log."""
    secret = "Pw-" + harness.uuid.uuid4().hex[:12]
    admin = urllib.parse.urlsplit(harness.PG_ADMIN_URL)
    user = admin.username or "postgres"
    host = "%s:%s@%s" % (user, secret, admin.netloc.rsplit("@", 1)[-1])
    missing = urllib.parse.urlunsplit(admin._replace(netloc=host, path="/us_no_such_database"))
    for args in (["campaign", "list"], ["token", "create", "--name", "x"],
                 ["serve", "--listen", "127.0.0.1:0"]):
        p = subprocess.run([harness.BIN, *args, "--store", missing], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path)
        assert p.returncode != 0, (args, p.stdout)
        assert secret not in p.stdout + p.stderr, (args, p.stdout + p.stderr)
        assert p.stderr.strip(), "no message for %s" % args

    # A server that runs: its log names the store without the password. (Trust authentication
    # on the test server: the password is carried, not checked.)
    data = tmp_path / "data"
    good = urllib.parse.urlsplit(harness.store_url(data))
    with_password = urllib.parse.urlunsplit(good._replace(netloc=host))
    server = Server(data)
    server.command = lambda: [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--data",
                              str(data), "--store", with_password]
    server.start()
    try:
        assert server.client().get("/healthz").status == 200
    finally:
        assert server.stop() == 0
    assert secret not in server.log(), server.log()[-2000:]
    assert "***" in server.log(), server.log()[-2000:]


def test_token_create_with_a_store_url_needs_no_data_directory(tmp_path):
    """`undersigned token create --name N --store URL` works anywhere and makes no directory."""
    url = harness.store_url(tmp_path / "only-for-its-database")
    p = subprocess.run([harness.BIN, "token", "create", "--name", "crm", "--store", url],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert re.search(r"[A-Za-z0-9_\-]{20,}", p.stdout), p.stdout
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())
