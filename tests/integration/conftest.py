"""pytest fixtures for the end-to-end tests. The machinery lives in harness.py so the crash
test can use it without pytest."""

import sys
from pathlib import Path

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: inspects or damages the SQLite file itself; "
                            "skipped when the tests run on PostgreSQL")
    config.addinivalue_line("markers", "postgres_only: about the PostgreSQL store; skipped on "
                            "SQLite")


def pytest_collection_modifyitems(config, items):
    """The store is chosen by UNDERSIGNED_TEST_BACKEND (harness.py): tests marked for the
    other store are skipped, saying why."""
    for item in items:
        if "sqlite_only" in item.keywords and harness.BACKEND != "sqlite":
            item.add_marker(pytest.mark.skip(reason="SQLite only (the test reads or changes "
                                                    "the SQLite file)"))
        if "postgres_only" in item.keywords and harness.BACKEND != "postgres":
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))


@pytest.fixture(scope="module")
def make_stack(tmp_path_factory):
    """Factory: make_stack(campaigns=[{slug:...}], server_args=[...], tokens=[...]) starts a
    data dir + SMTP sink + server that live until the end of the test module. On close the
    server must exit 0 after SIGTERM."""
    stacks = []

    def make(**kw):
        s = harness.Stack(tmp_path_factory.mktemp("stack"), **kw)
        stacks.append(s)
        return s

    yield make
    codes = []
    for s in stacks:
        codes.append((s.server.command(), s.close(), s.server.log()[-3000:]))
    bad = [c for c in codes if c[1] not in (0, None)]
    assert not bad, "server did not exit 0 on SIGTERM: %s" % bad


@pytest.fixture
def tmp_dir(tmp_path):
    return tmp_path
