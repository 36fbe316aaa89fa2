"""Organizer accounts from the CLI (issue 13): `undersigned user create | list | disable` on the
real binary, against the store (SQLite here; PostgreSQL as integration_accounts_pg)."""

import re
import subprocess

import pytest

import harness
from harness import query, run_cli

PASSWORD = "correct horse battery staple"


def users(data):
    """`user list` as {email: row dict}."""
    out = run_cli("user", "list", data=data).stdout.splitlines()
    assert out[0].split() == ["EMAIL", "ROLE", "STATUS", "PASSWORD", "TOTP", "CREATED", "ID"]
    rows = {}
    for line in out[1:]:
        email, role, status, password, totp, created, uuid = line.split()
        rows[email] = dict(role=role, status=status, password=password, totp=totp,
                           created=created, uuid=uuid)
    return rows


def test_user_create_without_a_password_prints_a_one_time_sign_in_link(tmp_path):
    p = run_cli("user", "create", "--email", "Ada@Example.org", "--role", "admin",
                "--name", "Ada Lovelace", data=tmp_path)
    assert re.search(r"created administrator ada@example\.org \([0-9a-f-]{36}\)", p.stdout)
    link = re.search(r"(http://\S+/console/link\?t=([A-Za-z0-9_\-]+))", p.stdout)
    assert link, p.stdout
    assert "works once" in p.stderr
    token = link.group(2)
    # Only the link's hash is kept: one unused sign-in token, and not the token itself.
    assert query(tmp_path, "SELECT kind, used FROM account_tokens") == [("sign_in", None)]
    stored = query(tmp_path, "SELECT token_hash FROM account_tokens")[0][0]
    assert token.encode() not in bytes(stored)
    listed = users(tmp_path)
    assert list(listed) == ["ada@example.org"]
    assert listed["ada@example.org"]["role"] == "admin"
    assert listed["ada@example.org"]["status"] == "active"
    assert listed["ada@example.org"]["password"] == "no"
    # What the operator did is on the record, by no user.
    assert query(tmp_path, "SELECT action, subject, user_id FROM organizer_actions ORDER BY id") \
        == [("user.create", "ada@example.org", None),
            ("user.sign_in_link", "ada@example.org", None)]


def test_user_create_reads_the_password_from_stdin_and_hashes_it_with_argon2id(tmp_path):
    p = run_cli("user", "create", "--email", "bob@example.org", "--role", "organizer",
                "--password-stdin", data=tmp_path, input=PASSWORD + "\n")
    assert "created user bob@example.org" in p.stdout
    assert "password set" in p.stdout
    assert "/console/link" not in p.stdout
    listed = users(tmp_path)
    assert listed["bob@example.org"]["role"] == "-"
    assert listed["bob@example.org"]["password"] == "yes"
    (hash_,), = query(tmp_path, "SELECT password_hash FROM users")
    assert hash_.startswith("$argon2id$v=19$m=65536,t=2,p=1$"), hash_
    assert PASSWORD not in hash_


def test_bad_input_is_refused_and_nothing_is_stored(tmp_path):
    short = run_cli("user", "create", "--email", "cy@example.org", "--password-stdin",
                    data=tmp_path, input="short\n", check=False)
    assert short.returncode == 2
    assert "at least 12 characters" in short.stderr
    bad = run_cli("user", "create", "--email", "not an address", data=tmp_path, check=False)
    assert bad.returncode == 2
    assert "email" in bad.stderr
    role = run_cli("user", "create", "--email", "cy@example.org", "--role", "owner",
                   data=tmp_path, check=False)
    assert role.returncode != 0
    assert users(tmp_path) == {}
    run_cli("user", "create", "--email", "cy@example.org", data=tmp_path)
    again = run_cli("user", "create", "--email", "CY@example.org", data=tmp_path, check=False)
    assert again.returncode == 1
    assert "exists" in again.stderr
    assert list(users(tmp_path)) == ["cy@example.org"]
    # Without --role the first user is an administrator (someone must be), later ones are not.
    later = run_cli("user", "create", "--email", "dee@example.org", data=tmp_path)
    assert "created user dee@example.org" in later.stdout, later.stdout


def test_user_disable_ends_sessions_but_keeps_an_administrator(tmp_path):
    run_cli("user", "create", "--email", "root@example.org", data=tmp_path)
    run_cli("user", "create", "--email", "eve@example.org", "--role", "organizer", data=tmp_path)
    last = run_cli("user", "disable", "--email", "root@example.org", data=tmp_path, check=False)
    assert last.returncode == 1
    assert "last active administrator" in last.stderr
    p = run_cli("user", "disable", "--email", "eve@example.org", data=tmp_path)
    assert "disabled eve@example.org" in p.stdout
    listed = users(tmp_path)
    assert listed["eve@example.org"]["status"] == "disabled"
    assert listed["root@example.org"]["status"] == "active"
    unknown = run_cli("user", "disable", "--email", "nobody@example.org", data=tmp_path,
                      check=False)
    assert unknown.returncode == 1


def test_user_commands_list_store_in_their_help(tmp_path):
    for sub in ("create", "list", "disable"):
        out = run_cli("user", sub, "--help").stdout
        assert "--store" in out, sub


@pytest.mark.postgres_only
def test_user_commands_need_no_data_directory_with_postgresql(tmp_path):
    url = harness.store_url(tmp_path)
    cmd = [harness.BIN, "user", "create", "--email", "pg@example.org", "--store", url,
           "--password-stdin"]
    p = subprocess.run(cmd, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = subprocess.run([harness.BIN, "user", "list", "--store", url], capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "pg@example.org" in out.stdout
    assert query(tmp_path, "SELECT email, admin FROM users") == [("pg@example.org", True)]
