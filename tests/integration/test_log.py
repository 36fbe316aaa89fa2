"""The verifiable log end to end: signatures confirmed through the pages and the API and one
withdrawn are appended to the log; once a checkpoint covers them `undersigned log audit` passes
over HTTP, a signer's receipt verifies with `undersigned log verify-receipt` (and with an
independent Python check of its inclusion proof and commitment); then the state file is forked
and the database tampered with (a leaf deleted, a count changed), and the audit and the restart
catch each of them."""

import base64
import hashlib
import json
import shutil
import urllib.parse

import pytest

import harness
from harness import counts, press_button, query, run_cli, sign, unique_email, wait_until

CAMPAIGNS = [
    {"slug": "log-one", "title": "Logged petition one", "goal": 100},
    {"slug": "log-two", "title": "Logged petition two"},
]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["logger"])


# --------------------------------------------------------------------------- helpers


def checkpoint_fields(note):
    """(origin, size, root bytes) of a checkpoint note (unverified: the CLI verifies)."""
    lines = note.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2])


def live_checkpoint(client):
    r = client.get("/log/checkpoint")
    assert r.status == 200, r
    assert r.header("content-type", "").startswith("text/plain"), r.headers
    return r.text


def stored_leaves(data):
    return query(data, "SELECT COUNT(*) FROM log_leaves")[0][0]


def wait_for_checkpoint(stack, at_least):
    """Waits until the log has at least `at_least` leaves and the latest checkpoint covers every
    stored leaf; returns its size."""
    c = stack.client()

    def covered():
        n = stored_leaves(stack.data)
        size = checkpoint_fields(live_checkpoint(c))[1]
        return size if n >= at_least and size == n else None
    return wait_until(covered, 30, interval=0.1, what="a checkpoint covering %d leaves" % at_least)


def petition_id(stack, token, slug):
    c = stack.client()
    c.retry_429 = True
    r = c.api("GET", "/api/v2/petitions?per_page=100", token=token)
    assert r.status == 200, r
    for p in r.json()["_embedded"]["osdi:petitions"]:
        if p.get("browser_url", "").rstrip("/").endswith("/c/" + slug):
            ids = [i for i in p.get("identifiers", []) if i.startswith("undersigned:")]
            return ids[0].split(":", 1)[1]
    raise AssertionError("petition %s not in the API list" % slug)


def api_sign(stack, token, slug, addr):
    c = stack.client()
    c.retry_429 = True
    body = {"person": {"given_name": "Api", "family_name": "Signer",
                       "email_addresses": [{"address": addr}],
                       "postal_addresses": [{"postal_code": "10115"}]}}
    r = c.api("POST", "/api/v2/petitions/%s/signatures" % petition_id(stack, token, slug), body,
              token=token)
    assert r.status == 200, r


def token_of(link):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]


def cli(*args, check=False):
    return run_cli("log", *args, check=check, timeout=120)


def sha256(data):
    return hashlib.sha256(data).digest()


def root_from_inclusion(leaf_hash, index, size, proof):
    """RFC 9162 section 2.1.3.2, independent of the C++ code."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# --------------------------------------------------------------------------- the flow

STATE = {}


@pytest.fixture(scope="module")
def signed(stack):
    """Two signatures through the form (one later withdrawn), three through the API; returns
    what the later tests need."""
    token = stack.tokens["logger"]
    c = stack.client()
    form = []
    for i in range(2):
        addr = unique_email("logform%d" % i)
        assert sign(c, "log-one", name="Form Signer %d" % i, email_addr=addr).status == 200
        [mail] = stack.wait_for_mail(addr)
        press_button(c, mail.link("confirm"), "confirm")
        form.append((addr, mail))
    for i in range(2):
        api_sign(stack, token, "log-one", unique_email("logapi%d" % i))
    api_sign(stack, token, "log-two", unique_email("logapi-two"))
    assert counts(c, "log-one")["confirmed"] == 4
    assert counts(c, "log-two")["confirmed"] == 1

    # The second form signer withdraws.
    press_button(c, form[1][1].link("withdraw"), "withdraw")
    assert counts(c, "log-one")["confirmed"] == 3

    size = wait_for_checkpoint(stack, 6)  # 5 confirmations and 1 withdrawal
    return {"form": form, "size": size}


def test_leaves_hold_no_personal_data(stack, signed):
    rows = query(stack.data, "SELECT idx, entry, hash FROM log_leaves ORDER BY idx")
    assert [r[0] for r in rows] == list(range(len(rows)))
    events = []
    for idx, entry, h in rows:
        entry = bytes(entry)
        assert bytes(h) == sha256(b"\x00" + entry), "stored hash of leaf %d is wrong" % idx
        text = entry.decode("utf-8")
        assert text.startswith("undersigned/leaf/v2\n"), text
        assert "\ntext " in text, text  # the hash of the campaign text, nothing personal
        events.append(text.split("\nevent ")[1].split("\n")[0])
        for addr, _ in signed["form"]:
            assert addr.split("@")[0] not in text, "an email address is in a leaf"
        assert "Signer" not in text, "a name is in a leaf"
    assert events.count("confirm") == 5 and events.count("withdraw") == 1, events


def test_pages_say_which_checkpoint_their_count_is_in(stack, signed):
    c = stack.client()
    doc = counts(c, "log-one")
    assert "log" in doc, "the campaign JSON has no \"log\" object: %s" % doc
    assert doc["log"]["tree_size"] <= signed["size"]
    if doc["log"]["tree_size"] == signed["size"]:
        assert doc["log"]["confirmed"] == 3, doc

    r = c.get("/log/counts")
    assert r.status == 200, r
    published = r.json()
    by_slug = {x["slug"]: x for x in published["campaigns"]}
    if published["tree_size"] == signed["size"]:
        assert by_slug["log-one"]["confirmed"] == 3, published
        assert by_slug["log-two"]["confirmed"] == 1, published
    assert checkpoint_fields(published["checkpoint"])[1] == published["tree_size"]


def test_audit_passes(stack, signed, tmp_path_factory):
    state = tmp_path_factory.mktemp("audit") / "state.json"
    STATE["file"] = state
    p = cli("audit", stack.url + "/", "--state", state)
    assert p.returncode == 0, "audit failed:\nstdout: %s\nstderr: %s" % (p.stdout, p.stderr)
    assert "PASSED" in p.stdout, p.stdout
    assert "trusted on first use" in p.stdout, p.stdout
    saved = json.loads(state.read_text())
    assert saved["tree_size"] >= signed["size"], saved
    assert set(saved) >= {"origin", "verifier_key", "tree_size", "root", "checkpoint"}, saved

    # Again with the key given explicitly and the log grown by one signature.
    key = stack.client().get("/log/key").text.strip()
    assert key == saved["verifier_key"]
    STATE["key"] = key
    api_sign(stack, stack.tokens["logger"], "log-two", unique_email("logapi-late"))
    wait_for_checkpoint(stack, saved["tree_size"] + 1)
    p = cli("audit", stack.url, "--state", state, "--key", key)
    assert p.returncode == 0, "second audit failed:\n%s\n%s" % (p.stdout, p.stderr)
    assert json.loads(state.read_text())["tree_size"] > saved["tree_size"]


def test_receipt_verifies(stack, signed, tmp_path_factory):
    addr, mail = signed["form"][0]
    t = token_of(mail.link("confirm"))
    c = stack.client()
    box = {}

    def fetched():
        box["r"] = c.get("/s/receipt?t=" + urllib.parse.quote(t))
        return box["r"].status == 200
    wait_until(fetched, 30, interval=0.1, what="the receipt")
    receipt = box["r"].json()
    assert receipt["format"] == "undersigned-receipt/v1", receipt
    assert receipt["campaign"]["slug"] == "log-one", receipt
    assert receipt["verifier_key"] == STATE["key"]

    # An independent check: the leaf, its commitment to the signer and its inclusion proof.
    leaf = base64.b64decode(receipt["leaf"])
    salt = base64.b64decode(receipt["salt"])
    assert len(salt) == 32
    commitment = sha256(b"undersigned/commitment/v1\x00" + salt + addr.lower().encode()).hex()
    assert ("\ncommitment %s\n" % commitment).encode() in leaf, leaf
    assert ("\ncampaign %s\n" % receipt["campaign"]["uuid"]).encode() in leaf
    _, size, root = checkpoint_fields(receipt["checkpoint"])
    proof = [base64.b64decode(h) for h in receipt["inclusion_proof"]]
    assert root_from_inclusion(sha256(b"\x00" + leaf), receipt["leaf_index"], size, proof) == root

    d = tmp_path_factory.mktemp("receipt")
    f = d / "receipt.json"
    f.write_bytes(box["r"].body)
    p = cli("verify-receipt", f, "--log", stack.url)
    assert p.returncode == 0, "verify-receipt failed:\n%s\n%s" % (p.stdout, p.stderr)
    assert "consistent" in p.stdout, p.stdout
    p = cli("verify-receipt", f, "--log", stack.url + "/", "--key", STATE["key"], "--email", addr)
    assert p.returncode == 0, "verify-receipt --email failed:\n%s\n%s" % (p.stdout, p.stderr)

    # Someone else's address, another key, a tampered receipt: exit 1.
    p = cli("verify-receipt", f, "--log", stack.url, "--email", unique_email("other"))
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "commitment" in p.stderr, p.stderr
    other_key = "%s+00000000+AQ%s" % (STATE["key"].split("+")[0], "A" * 42)
    p = cli("verify-receipt", f, "--log", stack.url, "--key", other_key)
    assert p.returncode != 0, (p.stdout, p.stderr)
    bad = dict(receipt)
    bad["leaf_index"] = receipt["leaf_index"] + 1
    g = d / "tampered.json"
    g.write_text(json.dumps(bad))
    p = cli("verify-receipt", g, "--log", stack.url)
    assert p.returncode == 1, (p.stdout, p.stderr)


def test_audit_reports_a_fork_against_its_state(stack, signed, tmp_path_factory):
    good = json.loads(STATE["file"].read_text())
    d = tmp_path_factory.mktemp("fork")

    forked = dict(good)
    root = bytearray(base64.b64decode(good["root"]))
    root[0] ^= 1
    forked["root"] = base64.b64encode(bytes(root)).decode()
    f = d / "forked.json"
    f.write_text(json.dumps(forked))
    p = cli("audit", stack.url, "--state", f)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "fork" in p.stdout, p.stdout
    assert json.loads(f.read_text()) == forked, "the state was overwritten after a failed audit"

    bigger = dict(good)
    bigger["tree_size"] = good["tree_size"] + 10
    f = d / "bigger.json"
    f.write_text(json.dumps(bigger))
    p = cli("audit", stack.url, "--state", f)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "shrank" in p.stdout or "rolled back" in p.stdout, p.stdout


# --------------------------------------------------------------------------- tampering


def start_refused(data):
    """Starts the server on data and expects it to refuse; returns its output."""
    server = harness.Server(data)
    try:
        server.start(timeout=30)
    except RuntimeError as e:
        assert server.proc.poll() is not None and server.proc.returncode != 0, \
            "server neither started nor exited: %s" % e
        return server.log()
    code = server.stop()
    raise AssertionError("the server started on a tampered database (exit %s):\n%s" %
                         (code, server.log()[-3000:]))


def copy_data(stack, tmp_path_factory, name):
    """A copy of the stopped server's data dir and store (with PostgreSQL, of its database)."""
    d = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(stack.data, d)
    harness.copy_store(stack.data, d)
    return d


def tamper(data, sql, params=()):
    n = harness.change_store(data, sql, params)
    assert n == 1, "tampering changed %d rows: %s" % (n, sql)


# One row of a campaign's counts: SQLite has one per campaign; PostgreSQL one per campaign and
# node (summed on read), so there the row of the node with the lowest id.
def counts_row(slug):
    campaign = "(SELECT id FROM campaigns WHERE slug = '%s')" % slug
    where = "campaign_id = " + campaign
    if harness.BACKEND == "postgres":
        where += " AND node = (SELECT MIN(node) FROM campaign_counts WHERE campaign_id = %s)" % \
            campaign
    return where


def test_tampered_database_is_refused_at_start(stack, signed, tmp_path_factory):
    assert stack.server.stop() == 0
    try:
        # Control: an untouched copy starts.
        ok = copy_data(stack, tmp_path_factory, "untouched")
        s = harness.Server(ok).start()
        assert s.stop() == 0

        # A deleted leaf.
        gone = copy_data(stack, tmp_path_factory, "deleted-leaf")
        tamper(gone, "DELETE FROM log_leaves WHERE idx = (SELECT MAX(idx) FROM log_leaves)")
        out = start_refused(gone)
        assert "log" in out.lower(), "the refusal does not mention the log:\n" + out[-3000:]

        # A changed count.
        more = copy_data(stack, tmp_path_factory, "changed-count")
        tamper(more, "UPDATE campaign_counts SET confirmed = confirmed + 1 WHERE " +
               counts_row("log-one"))
        out = start_refused(more)
        assert "log" in out.lower() or "count" in out.lower(), \
            "the refusal does not say why:\n" + out[-3000:]
    finally:
        stack.server = harness.Server(stack.data, stack.sink.port).start()
        stack.url = stack.server.url

    # The original restarts, and the audit with the saved state still passes.
    p = cli("audit", stack.url, "--state", STATE["file"], "--key", STATE["key"])
    assert p.returncode == 0, "audit after restart failed:\n%s\n%s" % (p.stdout, p.stderr)


def test_audit_catches_tampering_while_serving(stack, signed):
    """The database is changed under the running server. A count raised in the counts table is
    published with the next checkpoint, and the audit, which recounts from the leaves, reports
    it; a deleted leaf leaves a hole the audit reports; a rewritten entry no longer hashes to its
    tile, and the audit reports that too. (Runs last: it leaves the module's database tampered
    with.)"""
    two_id = "(SELECT id FROM campaigns WHERE slug = 'log-two')"
    [(honest,)] = query(stack.data,
                        "SELECT SUM(confirmed) FROM campaign_counts WHERE campaign_id = " + two_id)
    tamper(stack.data, "UPDATE campaign_counts SET confirmed = confirmed + 5 WHERE " +
           counts_row("log-two"))
    before = stored_leaves(stack.data)
    # The tree grows, so a checkpoint is signed with the counts as stored.
    api_sign(stack, stack.tokens["logger"], "log-one", unique_email("after-tamper"))
    wait_for_checkpoint(stack, before + 1)
    published = stack.client().get("/log/counts").json()
    two = [c for c in published["campaigns"] if c["slug"] == "log-two"]
    assert two and two[0]["confirmed"] == honest + 5, published

    p = cli("audit", stack.url, "--state", STATE["file"], "--key", STATE["key"])
    out = p.stdout + p.stderr
    assert p.returncode == 1, "the audit missed a changed count:\n" + out
    assert "log-two" in out, out

    # A leaf deleted under the server: the entry bundle holding it can no longer be served.
    tamper(stack.data, "DELETE FROM log_leaves WHERE idx = (SELECT MAX(idx) FROM log_leaves)")
    p = cli("audit", stack.url, "--state", STATE["file"], "--key", STATE["key"])
    out = p.stdout + p.stderr
    assert p.returncode == 1, "the audit missed a deleted leaf:\n" + out
    assert "does not serve /log/tile/" in out, out

    if harness.BACKEND == "postgres":  # entry is bytea there
        tamper(stack.data, "UPDATE log_leaves SET entry = convert_to(replace(convert_from(entry, "
                           "'UTF8'), 'event confirm', 'event reveal'), 'UTF8') WHERE idx = 0")
    else:
        tamper(stack.data, "UPDATE log_leaves SET entry = replace(entry, 'event confirm', "
                           "'event reveal') WHERE idx = 0")
    p = cli("audit", stack.url, "--state", STATE["file"], "--key", STATE["key"])
    out = p.stdout + p.stderr
    assert p.returncode == 1, "the audit missed a rewritten entry:\n" + out
    assert "leaf 0" in out or "entry 0" in out or "tile" in out, out
