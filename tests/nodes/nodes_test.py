#!/usr/bin/python3
"""Three nodes on one PostgreSQL database behave as one site (docs/scale-out.md).

Three `undersigned serve` processes share one database (and one SMTP server); people sign
through the pages of whichever node, a form fetched from one node is posted to another (the
CSRF key is shared), and one node is killed with SIGKILL under that load and started again.
Afterwards:
- every signature a node acknowledged is stored exactly once; none is counted twice (the
  stored counts, summed over the nodes' rows, equal the rows);
- the outbox queued exactly one confirmation per signature, and every one reached the SMTP
  server (at most twice: a node killed mid-send leaves its lease to expire);
- confirmations made on every node show on every node: each node's JSON count reaches the
  exact confirmed count (the promise is within a second; bench/run measures the lag, this test
  only waits with a generous bound);
- the campaign's threshold is decided once, and its outcome mails are queued once;
- `undersigned log audit` passes against each node.

Run: UNDERSIGNED_TEST_PG_URL=<admin URL> UNDERSIGNED_BIN=... tests/nodes/nodes_test.py
(scripts/test.sh starts a PostgreSQL and sets the URL; without it the test is skipped, exit 77.)
Env: NODES_LOAD_S (default 6): seconds of signing load before and after the kill.
"""

import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import harness  # noqa: E402

ADMIN_URL = os.environ.get("UNDERSIGNED_TEST_PG_URL") or ""
LOAD_S = float(os.environ.get("NODES_LOAD_S", "6"))
THREADS = 6
SLUG = "nodes"
THRESHOLD = 40
BASE_URL = "http://nodes.example"  # the site's one public address, as behind a load balancer


def log(msg):
    print("nodes: %s" % msg, flush=True)


class Site:
    def __init__(self, root, url):
        self.root = Path(root)
        self.url = url
        self.store = ["--store", url]
        self.sink = harness.SmtpSink(self.root / "mail").start()
        self.nodes = [self.make_node(i) for i in range(3)]

    def make_node(self, i):
        args = self.store + ["--base-url", BASE_URL]
        return harness.Server(self.root / ("node%d" % i), self.sink.port, args=args)

    def start(self, i):
        self.nodes[i].start(timeout=60)
        return self.nodes[i]

    def client(self, i):
        return harness.Client(self.nodes[i].url, timeout=20)

    def sql(self, query):
        out = harness.psql(self.url, query).strip()
        return [line.split("|") for line in out.splitlines()] if out else []

    def close(self):
        for n in self.nodes:
            try:
                n.stop()
            except Exception as e:  # noqa: BLE001 - report and go on closing
                log("stopping a node: %s" % e)
        self.sink.stop()


def sign_load(site, answered, lock, stop, tag):
    """Threads that sign through the pages of a random node each time, until stop is set.
    Every third signature takes the form from one node and posts it to another."""
    def worker(i):
        rnd = random.Random("%s-%d" % (tag, i))
        n = 0
        while not stop.is_set():
            a = rnd.randrange(3)
            b = a if n % 3 else (a + 1) % 3
            addr = "%s-t%d-n%d-%s" % (tag, i, n, harness.unique_email("node"))
            n += 1
            if not (site.nodes[a].alive() and site.nodes[b].alive()):
                continue
            c = site.client(a)
            try:
                page = c.get("/c/%s" % SLUG)
                if page.status != 200:
                    continue
                form = harness.find_form(page.text, "/c/%s/sign" % SLUG)
                fields = harness.hidden_fields(form)
                fields.update(name="Node Signer %d" % i, email=addr, public_name="on")
                c.port = site.client(b).port  # the same browser, routed to node b
                r = c.post_form("/c/%s/sign" % SLUG, fields)
            except (OSError, harness.http.client.HTTPException):
                continue
            if r.status == 303 and r.header("location", "").endswith("/sent"):
                with lock:
                    answered.add(addr)
            elif r.status in (403, 429):
                raise AssertionError("node %d refused a form from node %d: %s %s" %
                                     (b, a, r.status, r.text[:300]))
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    return threads


def main():
    if not ADMIN_URL:
        print("skipped: UNDERSIGNED_TEST_PG_URL is not set (scripts/test.sh starts a "
              "PostgreSQL and sets it; or scripts/pg.sh start DIR)")
        return 77
    root = Path(tempfile.mkdtemp(prefix="us_nodes_"))
    name = "us_nodes_%s" % uuid.uuid4().hex[:12]
    harness.psql(ADMIN_URL, 'CREATE DATABASE "%s"' % name)
    url = harness._database_url(ADMIN_URL, name)
    site = None
    try:
        store = ["--store", url]
        harness.run_cli("campaign", "create", "--slug", SLUG, "--title", "Three nodes",
                        "--goal", 1000, "--status", "open", "--threshold", THRESHOLD,
                        "--deadline", time.strftime("%Y-12-31", time.gmtime(time.time() + 86400 * 40)),
                        "--organizer", "organizer@example.org",
                        "--target", "Pat Example|Chief Executive|Example Corp|pat_example",
                        "--demand", "Please do the right thing.",
                        "--letter", "Dear Pat,\n\nWe ask you to do the right thing.\n", *store)
        site = Site(root, url)
        for i in range(3):
            site.start(i)
        log("three nodes up: %s" % [n.url for n in site.nodes])

        answered, lock, stop = set(), threading.Lock(), threading.Event()
        threads = sign_load(site, answered, lock, stop, "a")
        time.sleep(LOAD_S / 2)  # the load runs meanwhile; nothing to await
        site.nodes[1].kill()
        log("node 1 killed with %d signatures answered" % len(answered))
        time.sleep(LOAD_S / 4)
        site.start(1)
        log("node 1 restarted")
        time.sleep(LOAD_S / 4)
        stop.set()
        for t in threads:
            t.join(30)
        log("%d signatures answered" % len(answered))
        assert len(answered) >= 30, "too few signatures to say anything: %d" % len(answered)

        # Every acknowledged signature once; counts equal rows.
        rows = site.sql("SELECT canonical_email, state FROM signatures")
        emails = [r[0] for r in rows]
        assert len(emails) == len(set(emails)), "a signature stored twice"
        missing = answered - set(emails)
        assert not missing, "%d acknowledged signatures lost, e.g. %s" % (
            len(missing), sorted(missing)[:3])
        stored = site.sql("SELECT sum(pending), sum(confirmed), sum(withdrawn) FROM "
                          "campaign_counts")
        assert [int(x) for x in stored[0]] == [len(emails), 0, 0], (stored, len(emails))

        log("stored once each, counts equal rows")
        # One confirmation queued per signature; each reached the SMTP server, at most twice.
        queued = site.sql("SELECT recipient, count(*) FROM outbox WHERE kind = 'confirm' "
                          "GROUP BY recipient")
        assert len(queued) == len(emails), "%d queued for %d signatures" % (len(queued),
                                                                           len(emails))
        assert all(int(n) == 1 for _, n in queued), "a confirmation queued twice"
        sample = sorted(answered)
        by_recipient = {}

        def delivered():
            by_recipient.clear()
            for m in site.sink.maildir.all():  # parsed once per look, not once per address
                for r in m.recipients:
                    by_recipient.setdefault(r, []).append(m)
            return all(a.lower() in by_recipient for a in sample)
        log("one confirmation queued each; waiting for delivery")
        harness.wait_until(delivered, 120, interval=0.5, what="every confirmation mail sent")
        log("delivered")
        twice = [a for a in sample if len(by_recipient[a.lower()]) > 2]
        assert not twice, "mail sent more than twice: %s" % twice[:3]

        # Confirm THRESHOLD + 5 of them, each through a different node.
        to_confirm = sample[:THRESHOLD + 5]
        for k, addr in enumerate(to_confirm):
            mail = by_recipient[addr.lower()][0]
            _, done = harness.press_button(site.client(k % 3), mail.link("confirm"), "confirm")
            assert done.status == 200, done
        confirmed = len(to_confirm)

        log("%d confirmed through the three nodes" % confirmed)
        # Every node shows the exact count (pages and JSON are served from memory).
        for i in range(3):
            c = site.client(i)
            harness.wait_until(lambda: harness.counts(c, SLUG)["confirmed"] == confirmed, 30,
                               interval=0.05, what="node %d showing %d" % (i, confirmed))

        # The threshold was decided once: one outcome, one mail per confirmed signer and
        # organizer.
        outcome = site.sql("SELECT outcome FROM campaigns WHERE slug = '%s'" % SLUG)
        assert outcome == [["succeeded"]], outcome
        mails = site.sql("SELECT recipient, count(*) FROM outbox WHERE kind = 'outcome' "
                         "GROUP BY recipient")
        assert all(int(n) == 1 for _, n in mails), "an outcome mail queued twice: %s" % mails
        assert len(mails) >= THRESHOLD + 1, mails  # the signers confirmed by then + organizer

        # The log: every node's checkpoint reaches the stored leaves; the audit passes.
        leaves = int(site.sql("SELECT count(*) FROM log_leaves")[0][0])
        assert leaves == confirmed, (leaves, confirmed)
        for i in range(3):
            c = site.client(i)

            def covered():
                note = c.get("/log/checkpoint").text.split("\n")
                return int(note[1]) == leaves
            harness.wait_until(covered, 60, interval=0.1,
                               what="node %d's checkpoint covering %d leaves" % (i, leaves))
            p = harness.run_cli("log", "audit", site.nodes[i].url + "/", "--state",
                                root / ("audit%d.json" % i), check=False, timeout=120)
            assert p.returncode == 0 and "PASSED" in p.stdout, \
                "audit on node %d failed:\n%s\n%s" % (i, p.stdout, p.stderr)
        log("passed: %d signatures, %d confirmed on three nodes, one killed" %
            (len(emails), confirmed))
        return 0
    finally:
        if site:
            site.close()
        harness.psql(ADMIN_URL, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


if __name__ == "__main__":
    sys.exit(main())
