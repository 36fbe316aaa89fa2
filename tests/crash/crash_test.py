#!/usr/bin/python3
"""Crash test: kill the server with SIGKILL again and again under a signing load, and show that
every signature answered with success is there after the restart, none twice, the database
passes `PRAGMA integrity_check`, and the stored counters equal the rows.

Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned /usr/bin/python3 tests/crash/crash_test.py
Env: CRASH_ROUNDS (default 8), CRASH_THREADS (default 16), CRASH_SEED (random by default).
Exit status 0 when every check passed. Bounded: stops starting rounds after ~90 s.
"""

import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import harness  # noqa: E402

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "8"))
THREADS = int(os.environ.get("CRASH_THREADS", "16"))
SEED = int(os.environ.get("CRASH_SEED", str(random.randrange(1 << 30))))
BUDGET_S = 90


def check(data, answered):
    """Every answered signature once; integrity ok; counters equal rows. Returns row count."""
    rows = harness.query(data, "SELECT canonical_email, state FROM signatures")
    emails = [r[0] for r in rows]
    dupes = len(emails) - len(set(emails))
    assert dupes == 0, "%d duplicate signatures" % dupes
    missing = answered - set(emails)
    assert not missing, "%d answered signatures lost after SIGKILL, e.g. %s" % (
        len(missing), sorted(missing)[:5])
    if harness.BACKEND == "sqlite":
        integrity = harness.query(data, "PRAGMA integrity_check")
        assert integrity == [("ok",)], integrity
    by_state = dict(harness.query(
        data, "SELECT state, COUNT(*) FROM signatures GROUP BY state"))
    if harness.BACKEND == "sqlite":
        stored = harness.query(data, "SELECT pending, confirmed, withdrawn FROM campaign_counts")
    else:  # PostgreSQL keeps a row per campaign and node: the count is their sum
        stored = harness.query(data, "SELECT sum(pending), sum(confirmed), sum(withdrawn) FROM "
                                     "campaign_counts HAVING count(*) > 0")
    if stored:
        assert len(stored) == 1, stored
        p, c, w = stored[0]
        assert (p, c, w) == (by_state.get("pending", 0), by_state.get("confirmed", 0),
                             by_state.get("withdrawn", 0)), \
            "counters %s differ from rows %s" % (stored[0], by_state)
    # The outbox holds one confirmation per signature, none lost with it.
    outbox = harness.query(data, "SELECT COUNT(DISTINCT recipient) FROM outbox")[0][0]
    assert outbox == len(emails), "outbox has mail for %d of %d signatures" % (outbox,
                                                                              len(emails))
    return len(emails)


def load(server, answered, lock, stop, round_no):
    def worker(i):
        c = harness.Client(server.url, timeout=10)
        csrf = None
        n = 0
        while not stop.is_set():
            try:
                if csrf is None:
                    page = c.get("/c/crash")
                    csrf = harness.hidden_fields(harness.find_form(page.text, "/c/crash/sign"))
                addr = "r%dt%dn%d-%s" % (round_no, i, n, harness.unique_email("crash"))
                n += 1
                r = c.post_form("/c/crash/sign", dict(csrf, name="Crash %d" % i, email=addr,
                                                       public_name="on"))
            except (OSError, harness.http.client.HTTPException, AssertionError):
                if not server.alive():
                    return
                continue
            if r.status == 303 and r.header("location", "").endswith("/sent"):  # signed
                with lock:
                    answered.add(addr)
            elif r.status == 403:
                csrf = None

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    return threads


def main():
    rnd = random.Random(SEED)
    print("crash test: %d rounds x %d threads, seed %d" % (ROUNDS, THREADS, SEED), flush=True)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="undersigned-crash-"))
    data = root / "data"
    harness.create_campaign(data, "crash", title="Crash test", goal=1000000)
    answered, lock = set(), threading.Lock()
    rounds = 0
    for round_no in range(ROUNDS):
        if time.monotonic() - started > BUDGET_S:
            print("time budget reached after %d rounds" % rounds)
            break
        server = harness.Server(data, args=["--rate-limit-per-address", "0"]).start()
        try:
            rows = check(data, answered)
            stop = threading.Event()
            before = len(answered)
            threads = load(server, answered, lock, stop, round_no)
            # Kill at a random moment: after a random number of answers or a random time.
            want = before + rnd.randint(1, 400)
            deadline = time.monotonic() + rnd.uniform(0.2, 3.0)
            while len(answered) < want and time.monotonic() < deadline:
                time.sleep(0.005)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
            stop.set()
            for t in threads:
                t.join(15)
            print("round %d: %d rows at start, %d answered this round, killed" %
                  (round_no, rows, len(answered) - before), flush=True)
        finally:
            server.kill()
        rounds += 1

    server = harness.Server(data).start()
    try:
        rows = check(data, answered)
        page = server.client().get("/c/crash.json").json()
        assert page["confirmed"] == 0
    finally:
        code = server.stop()
    assert code == 0, "exit code %s after SIGTERM" % code
    assert answered, "no signature was ever answered: the test proved nothing"
    print("ok: %d rounds, %d answered signatures, %d rows, all present once, integrity ok "
          "(%.1fs)" % (rounds, len(answered), rows, time.monotonic() - started))
    import shutil
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAILED: %s (seed %d)" % (e, SEED), file=sys.stderr)
        sys.exit(1)
