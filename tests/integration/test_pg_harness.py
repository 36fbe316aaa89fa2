"""The harness's PostgreSQL side, without undersigned: each data dir gets a database of its own,
made on first use and dropped at the end, and query() binds parameters and gives rows as the
SQLite side does. Runs only with UNDERSIGNED_TEST_BACKEND=postgres (ctest: integration_pg_harness,
labelled postgres), so the machinery the *_pg tests stand on is checked before any backend
passes them."""

import pytest

import harness

pytestmark = pytest.mark.skipif(harness.BACKEND != "postgres",
                                reason="UNDERSIGNED_TEST_BACKEND is not postgres")


def databases():
    return set(harness.psql(harness.PG_ADMIN_URL,
                            "SELECT datname FROM pg_database WHERE datname LIKE 'us\\_test\\_%'")
               .split())


def test_each_data_dir_has_a_database_of_its_own(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    url_a = harness.store_url(a)
    assert harness.store_url(a) == url_a  # the same dir, the same database
    assert harness.store_url(tmp_path / "x" / ".." / "a") == url_a
    url_b = harness.store_url(b)
    assert url_b != url_a
    assert harness.store_args(a) == ["--store", url_a]
    assert url_a.startswith("postgresql://") or url_a.startswith("postgres://")
    # The admin URL's host and port are kept; only the database differs.
    assert url_a.split("?", 1)[1:] == harness.PG_ADMIN_URL.split("?", 1)[1:]
    name = harness.psql(url_a, "SELECT current_database()").strip()
    assert name.startswith("us_test_") and name in databases()


def test_query_binds_and_types_like_sqlite(tmp_path):
    data = tmp_path / "q"
    url = harness.store_url(data)
    harness.psql(url, "CREATE TABLE t (id bigint, name text, ok boolean, doc jsonb, raw bytea)")
    harness.psql(url, harness.pg_bind("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                                      (1, "O'Brien ? here", True, '{"a": [1, 2]}', b"\x00\xff")))
    harness.psql(url, harness.pg_bind("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                                      (2, None, False, None, None)))
    assert harness.query(data, "SELECT count(*) FROM t") == [(2,)]
    assert harness.query(data, "SELECT id, name FROM t WHERE name = ?", ("O'Brien ? here",)) == \
        [(1, "O'Brien ? here")]
    # A ? inside quotes is not a parameter.
    assert harness.query(data, "SELECT id FROM t WHERE name <> '?' AND id = ?", (1,)) == [(1,)]
    # Booleans compare equal to SQLite's 0 and 1; NULL is None; JSON comes back as text.
    rows = harness.query(data, "SELECT ok, name, doc FROM t ORDER BY id")
    assert rows[0][0] == 1 and rows[1][0] == 0 and rows[1][1] is None
    assert harness.json.loads(rows[0][2]) == {"a": [1, 2]}
    # bytea comes back as bytes, as a blob does from SQLite (a text that looks like hex does not).
    assert harness.query(data, "SELECT raw, '\\x00ff' AS t FROM t ORDER BY id") == \
        [(b"\x00\xff", "\\x00ff"), (None, "\\x00ff")]
    # Two columns of one name both come back, in order.
    assert harness.query(data, "SELECT 1 AS n, 2 AS n") == [(1, 2)]
    assert harness.query(data, "SELECT id FROM t WHERE id > ?", (5,)) == []
    with pytest.raises(AssertionError):
        harness.query(data, "PRAGMA integrity_check")
    with pytest.raises(AssertionError):
        harness.query(data, "SELECT ? + ?", (1,))
    with pytest.raises(AssertionError):
        harness.db_path(data)


def test_databases_are_dropped(tmp_path):
    url = harness.store_url(tmp_path / "gone")
    name = harness.psql(url, "SELECT current_database()").strip()
    assert name in databases()
    harness.drop_databases()
    assert not (databases() & {name})
