"""Operations: /healthz, /metrics (and who may read it), security headers, SIGTERM under load,
a mail server that is down, the .eml outbox without SMTP, JSON logs, backup, --version and
--help, connection limits, a full disk."""

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest

import harness
from harness import (Client, Server, SmtpSink, counts, create_campaign, press_button, query,
                     run_cli, send_until_closed, sign, signatures_of, unique_email, wait_until)


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=[{"slug": "ops", "title": "Operations"}])


def test_healthz(stack):
    r = stack.client().get("/healthz")
    assert r.status == 200, r
    assert r.body


def metric_lines(text):
    return [l for l in text.splitlines() if l and not l.startswith("#")]


def test_metrics(stack):
    c = stack.client()
    addr = unique_email("metrics")
    assert sign(c, "ops", name="Metric Person", email_addr=addr).status == 200
    stack.wait_for_mail(addr)
    c.get("/c/ops")
    c.get("/c/ops.json")
    c.get("/c/does-not-exist")

    r = c.get("/metrics")
    assert r.status == 200, r
    assert r.header("content-type", "").startswith("text/plain"), r.headers
    text = r.text
    lines = metric_lines(text)
    for l in lines:
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfa]+( \d+)?", l), \
            "not Prometheus text format: %r" % l
    assert re.search(r"^# TYPE \S+ (counter|gauge|histogram|summary)$", text, re.M)

    # Requests by route (the route pattern, not the raw path, so labels stay bounded).
    req = [l for l in lines if re.match(r"\w*requests?\w*(_total)?\{", l) and "route=" in l]
    assert req, "no request counter with a route label:\n" + text
    routes = set(re.findall(r'route="([^"]*)"', "\n".join(req)))
    assert len(routes) >= 3, routes
    assert not any("does-not-exist" in r for r in routes), "raw paths used as route labels"
    # Latencies by route.
    assert [l for l in lines if re.match(r"\w*(latency|duration)\w*(_bucket|_sum|_count)?\{", l)
            and "route=" in l], "no latency metric by route"
    # Signatures by state.
    states = {m.group(1): float(m.group(2)) for m in
              re.finditer(r'^\w*signatures\w*\{[^}]*state="(\w+)"[^}]*\} (\S+)$', text, re.M)}
    assert {"pending", "confirmed"} <= set(states), "no signatures by state:\n" + text
    assert states["pending"] >= 1
    # Outbox depth.
    assert re.search(r"^\w*outbox\w*(depth|pending|size|queued)\w* \d+", text, re.M), \
        "no outbox depth:\n" + text
    # The signature log's latest checkpoint: its size and age.
    assert re.search(r"^undersigned_log_checkpoint_size \d+", text, re.M), text
    age = re.search(r"^undersigned_log_checkpoint_age_seconds (\S+)", text, re.M)
    assert age and 0 <= float(age.group(1)) < 3600, text


def test_security_headers(stack):
    c = stack.client()
    for path in ("/", "/c/ops", "/healthz", "/c/ops.json", "/c/nope"):
        r = c.get(path)
        assert r.header("x-content-type-options") == "nosniff", (path, r.headers)
    for path in ("/", "/c/ops", "/c/nope"):
        r = c.get(path)
        csp = r.header("content-security-policy")
        assert csp, "no CSP on %s" % path
        d = {p.strip().split()[0]: p.strip().split()[1:] for p in csp.split(";") if p.strip()}
        scripts = d.get("script-src", d.get("default-src"))
        assert scripts is not None, csp
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, csp
        assert "*" not in scripts, csp
        assert d.get("object-src") == ["'none'"] or d.get("default-src") == ["'none'"], csp
        assert "frame-ancestors" in d or r.header("x-frame-options"), csp
        assert "base-uri" in d, csp
        assert r.header("referrer-policy"), r.headers
    r = c.get("/c/ops")
    cookie = [v for v in r.header_all("set-cookie") if v.startswith("us_csrf=")]
    if cookie:
        assert re.search(r";\s*HttpOnly", cookie[0], re.I), cookie
        assert re.search(r";\s*SameSite=(Lax|Strict)", cookie[0], re.I), cookie
    assert c.get("/").header("server", "").lower().find("beast") < 0


def test_static_files(stack):
    c = stack.client()
    page = c.get("/c/ops").text
    refs = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert refs, "the campaign page uses no /static/ files"
    for ref in refs:
        r = c.get(ref)
        assert r.status == 200, (ref, r)
    for bad in ("/static/../undersigned.db", "/static/%2e%2e/%2e%2e/etc/passwd",
                "/static/..%2fCMakeLists.txt", "/static/nope.css"):
        r = c.get(bad)
        assert r.status in (400, 404), (bad, r)
        assert b"root:" not in r.body and b"SQLite format" not in r.body


@pytest.mark.sqlite_only  # PostgreSQL: test_postgres.py, test_backup_says_pg_dump
def test_backup_while_running(stack):
    c = stack.client()
    addr = unique_email("backup")
    sign(c, "ops", name="Backup Person", email_addr=addr)
    target = stack.root / "backup.db"
    run_cli("backup", target, data=stack.data)
    con = sqlite3.connect("file:%s?mode=ro" % target, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = con.execute("SELECT canonical_email FROM signatures").fetchall()
        assert (addr,) in rows
        live = query(stack.data, "SELECT COUNT(*) FROM signatures")[0][0]
        assert len(rows) == live
        assert con.execute("SELECT slug FROM campaigns").fetchall() == [("ops",)]
    finally:
        con.close()
    again = run_cli("backup", target, data=stack.data, check=False)
    # Overwriting an existing file must be refused or be a complete, valid copy.
    if again.returncode == 0:
        con = sqlite3.connect(target)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()


def test_sigterm_under_load_loses_nothing(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "load", title="Load")
    server = Server(data, args=["--rate-limit-per-address", "0"]).start()
    answered, lock, stop = [], threading.Lock(), threading.Event()
    errors = []

    def worker(i):
        c = Client(server.url, timeout=10)
        n = 0
        while not stop.is_set():
            addr = "load%d-%d-%s" % (i, n, unique_email("t"))
            n += 1
            try:
                page = c.get("/c/load")
                csrf = harness.hidden_fields(harness.find_form(page.text, "/c/load/sign"))
                r = c.post_form("/c/load/sign", dict(csrf, name="Load %d" % i, email=addr))
            except (OSError, AssertionError, harness.http.client.HTTPException):
                if server.proc.poll() is not None:
                    return
                continue
            if r.status == 303 and r.header("location", "").endswith("/sent"):  # signed
                with lock:
                    answered.append(addr)
            elif r.status != 503:
                errors.append(r)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    wait_until(lambda: len(answered) >= 100, 30, what="100 signatures under load")
    server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(20)
    finally:
        stop.set()
        for t in threads:
            t.join(15)
        server.kill()
    assert code == 0, "exit code %s after SIGTERM\n%s" % (code, server.log()[-3000:])
    assert not errors, errors[:5]

    # Restart and check every answered signature is there once.
    server = Server(data).start()
    try:
        rows = query(data, "SELECT canonical_email FROM signatures")
        stored = [r[0] for r in rows]
        assert len(stored) == len(set(stored))
        missing = set(answered) - set(stored)
        assert not missing, "%d answered signatures lost, e.g. %s" % (len(missing),
                                                                    sorted(missing)[:5])
        if harness.BACKEND == "sqlite":
            assert query(data, "PRAGMA integrity_check") == [("ok",)]
    finally:
        assert server.stop() == 0


def test_mail_waits_while_smtp_is_down_or_refuses(tmp_path):
    # Two servers side by side: one whose SMTP server is not running at all, one whose SMTP
    # server answers 451 to everything. Retries start after 1 s instead of the default 30 s.
    down_data, refused_data = tmp_path / "down", tmp_path / "refused"
    create_campaign(down_data, "down", title="Down")
    create_campaign(refused_data, "refused", title="Refused")
    port = harness.free_port()  # nothing listens there yet
    fast_retry = {"UNDERSIGNED_MAIL_FIRST_RETRY_SECONDS": "1"}
    down = Server(down_data, smtp_port=port, env=fast_retry).start()
    down_sink = SmtpSink(tmp_path / "down-mail", port=port)
    raddr = unique_email("refused")
    refusing = SmtpSink(tmp_path / "refused-mail", tempfail=[raddr]).start()
    refused = Server(refused_data, smtp_port=refusing.port, env=fast_retry).start()
    good_sink = None
    try:
        c = down.client()
        addr = unique_email("down")
        r = sign(c, "down", name="Waiting Person", email_addr=addr)
        assert r.status == 200, r
        assert signatures_of(down_data, "down")[0][1] == "pending"
        assert sign(refused.client(), "refused", name="Refused Person",
                    email_addr=raddr).status == 200

        def attempts(data, to):
            rows = query(data, "SELECT attempts, last_error, sent FROM outbox WHERE "
                               "recipient = ?", (to,))
            return rows[0] if rows else (0, "", None)

        # The message is in the outbox and a delivery was tried and failed.
        wait_until(lambda: attempts(down_data, addr)[0] >= 1, 15,
                   what="a failed delivery attempt")
        assert attempts(down_data, addr)[2] is None
        m = re.search(r"^\w*outbox\w*(depth|pending|size|queued)\w* (\d+)",
                      c.get("/metrics").text, re.M)
        assert m and int(m.group(2)) >= 1, "outbox depth metric missing or 0"
        wait_until(lambda: attempts(refused_data, raddr)[0] >= 1, 15,
                   what="a refused delivery attempt")
        assert attempts(refused_data, raddr)[1], "a refused delivery left no last_error"
        assert refusing.maildir.to(raddr) == []

        # The mail servers come back.
        down_sink.start()
        refusing.stop()
        good_sink = SmtpSink(refusing.dir, port=refusing.port).start()
        [mail] = down_sink.wait_for_mail(addr, timeout=60)
        good_sink.wait_for_mail(raddr, timeout=60)

        press_button(c, mail.link("confirm"), "confirm")
        assert counts(c, "down")["confirmed"] == 1
        wait_until(lambda: query(down_data, "SELECT COUNT(*) FROM outbox WHERE sent IS NULL")
                   [0][0] == 0, 10, what="an empty outbox")
        # The payload (with the one-time token) leaves the database once sent.
        payload = query(down_data, "SELECT payload FROM outbox WHERE recipient = ?",
                        (addr,))[0][0]
        assert "token" not in (payload or ""), payload
        time.sleep(0.5)
        assert len(down_sink.maildir.to(addr)) == 1, "the message was sent more than once"
    finally:
        codes = [down.stop(), refused.stop()]
        for sink in (down_sink, refusing, good_sink):
            if sink:
                sink.stop()
    assert codes == [0, 0], codes


def test_without_smtp_mail_goes_to_eml_files_and_link_is_logged(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "nosmtp", title="No SMTP")
    server = Server(data).start()
    try:
        c = server.client()
        addr = unique_email("eml")
        assert sign(c, "nosmtp", name="Eml Person", email_addr=addr).status == 200
        [mail] = harness.MailDir(data / "outbox-eml").wait_for_mail(addr)
        link = mail.link("confirm")
        assert link and link.startswith(server.url + "/s/confirm?t="), mail.raw[:2000]
        wait_until(lambda: link in server.log(), 10, what="the confirmation link in the log")
        press_button(c, link, "confirm")
        assert counts(c, "nosmtp")["confirmed"] == 1
    finally:
        assert server.stop() == 0


def test_demo_mode_and_json_logs(tmp_path):
    data = tmp_path / "data"
    server = Server(data, args=["--demo", "--log-format", "json"]).start()
    try:
        c = server.client()
        r = c.get("/c/demo")
        assert r.status == 200, r
        assert "/c/demo" in c.get("/").text
        assert counts(c, "demo")["status"] == "open"
        addr = unique_email("demo")
        # The demo's groups: employees and everyone else; the form chooses none by default.
        assert sign(c, "demo", name="Demo Person", email_addr=addr,
                    extra={"group": "public"}).status == 200
        [mail] = harness.MailDir(data / "outbox-eml").wait_for_mail(addr)
        press_button(c, mail.link("confirm"), "confirm")
        assert counts(c, "demo")["confirmed"] == 1
    finally:
        assert server.stop() == 0
    lines = [l for l in (server.out.lines + server.err.lines)
             if l.strip() and not l.startswith("listening on")]
    assert lines, "no log lines at all"
    for l in lines:
        doc = json.loads(l)  # every log line is one JSON object
        assert isinstance(doc, dict)
    # Starting again with --demo keeps the one demo campaign and its signature.
    server = Server(data, args=["--demo"]).start()
    try:
        assert counts(server.client(), "demo")["confirmed"] == 1
        assert [r[0] for r in query(data, "SELECT slug FROM campaigns")] == ["demo"]
    finally:
        assert server.stop() == 0


def test_cli_version_and_help(tmp_path):
    v = run_cli("--version")
    assert re.search(r"\d+\.\d+\.\d+", v.stdout + v.stderr), v
    for args in (["--help"], ["serve", "--help"], ["campaign", "--help"],
                 ["campaign", "create", "--help"], ["export", "--help"], ["token", "--help"],
                 ["backup", "--help"]):
        p = run_cli(*args)
        assert len(p.stdout) > 50, (args, p.stdout)
    assert "--listen" in run_cli("serve", "--help").stdout
    bad = run_cli("no-such-command", check=False)
    assert bad.returncode != 0

    data = tmp_path / "data"
    create_campaign(data, "cli", title="Cli campaign", goal=7)
    lst = run_cli("campaign", "list", data=data).stdout
    assert "cli" in lst
    show = run_cli("campaign", "show", "cli", data=data).stdout
    assert "Cli campaign" in show
    dup = run_cli("campaign", "create", "--slug", "cli", "--title", "Again", "--goal", "1",
                  "--target", "A|B|C|", data=data, check=False)
    assert dup.returncode != 0, "a second campaign with the same slug was accepted"
    bad_slug = run_cli("campaign", "create", "--slug", "Bad Slug/../x", "--title", "x",
                       "--goal", "1", "--target", "A|B|C|", data=data, check=False)
    assert bad_slug.returncode != 0
    run_cli("campaign", "close", "cli", data=data)
    assert "closed" in run_cli("campaign", "show", "cli", data=data).stdout
    run_cli("campaign", "open", "cli", data=data)
    assert "open" in run_cli("campaign", "show", "cli", data=data).stdout
    missing = run_cli("campaign", "show", "nope", data=data, check=False)
    assert missing.returncode != 0


def test_who_is_behind_the_site_and_the_campaign(tmp_path):
    """[site] settings in the header and footer, and a campaign's organizer on its page."""
    data = tmp_path / "data"
    create_campaign(data, "named", title="Named", extra=["--organized-by", "Tenants United"])
    create_campaign(data, "unnamed", title="Unnamed")
    assert "organized: Tenants United" in run_cli("campaign", "show", "named", data=data).stdout
    # Without an operator and a contact: the pages say so, and the log warns.
    s = Server(data).start()
    try:
        page = s.client().get("/c/unnamed").text
        assert "This site does not say who runs it." in page
        assert "have not said who they are" in page
        assert "Organized by" in s.client().get("/c/named").text
    finally:
        assert s.stop() == 0
    assert "does not say who runs it" in s.log()
    conf = tmp_path / "site.toml"
    conf.write_text('[site]\nname = "Sign Here"\noperator = "Acme Workers United"\n'
                    'privacy_url = "https://acme.example/privacy"\n')
    s = Server(data, args=["--config", str(conf), "--contact", "privacy@acme.example"]).start()
    try:
        page = s.client().get("/c/named").text
        assert '<a class="brand" href="/">Sign Here</a>' in page
        assert "run by Acme Workers United" in page
        assert 'href="mailto:privacy@acme.example"' in page
        assert 'href="https://acme.example/privacy"' in page
        assert "does not say who runs it" not in page
    finally:
        assert s.stop() == 0
    bad = run_cli("serve", "--contact", "call us", data=data, check=False, timeout=20)
    assert bad.returncode != 0
    assert "site.contact" in bad.stdout + bad.stderr


def first_limited(server, slug, n=6):
    """Index (1-based) of the first signature answered 429, or None."""
    c = server.client()
    for i in range(1, n + 1):
        r = sign(c, slug, name="Config %d" % i, email_addr=unique_email("cfg"))
        if r.status == 429:
            return i
        assert r.status == 200, r
    return None


def test_config_file_environment_and_flags(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "cfg", title="Config")
    conf = tmp_path / "undersigned.toml"
    conf.write_text('[limits]\nper_address_burst = 2\n\n[log]\nformat = "json"\n')

    def run(args=(), env=None):
        s = Server(data, args=["--config", str(conf), *args], env=env).start()
        try:
            return first_limited(s, "cfg")
        finally:
            assert s.stop() == 0

    assert run() == 3, "the file's per_address_burst = 2 was not applied"
    assert run(env={"UNDERSIGNED_LIMITS_PER_ADDRESS_BURST": "1"}) == 2, \
        "the environment does not override the file"
    assert run(["--rate-limit-per-address", "3"],
               env={"UNDERSIGNED_LIMITS_PER_ADDRESS_BURST": "1"}) == 4, \
        "a flag does not override the environment"

    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nlisten = "127.0.0.1:0"\nno_such_key = 1\n')
    p = run_cli("serve", "--config", bad, data=data, check=False, timeout=20)
    assert p.returncode != 0, "an unknown key in the config file was accepted"
    assert "no_such_key" in p.stdout + p.stderr, p.stderr


def test_keep_alive_and_pipelining(stack):
    data = send_until_closed(
        stack.server.host, stack.server.port,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /c/ops.json HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /c/nope.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"200", b"200", b"404"], data[:2000]


def test_metrics_only_for_allowed_networks_or_on_their_own_listener(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "metrics", title="Metrics")
    # Loopback is allowed by default (the stack's tests read it); another network is not.
    server = Server(data, env={"UNDERSIGNED_SERVER_METRICS_ALLOW": "10.0.0.0/8"}).start()
    try:
        r = server.client().get("/metrics")
        assert r.status == 403, r
        assert "server.metrics_allow" in r.text, r.text
        assert "undersigned_" not in r.text
        assert server.client().get("/healthz").status == 200
    finally:
        assert server.stop() == 0

    server = Server(data, env={"UNDERSIGNED_SERVER_METRICS_LISTEN": "127.0.0.1:0"}).start()
    try:
        url = server.out.wait_for(r"metrics on (http://\S+)/metrics", 10).group(1)
        assert server.client().get("/metrics").status == 404  # not on the public listener
        ops = Client(url)
        r = ops.get("/metrics")
        assert r.status == 200, r
        assert "undersigned_http_requests_total" in r.text
        assert ops.get("/healthz").status == 200
        assert ops.get("/c/metrics").status == 404  # nothing else there
    finally:
        assert server.stop() == 0

    p = subprocess.run([harness.BIN, "serve", "--listen", "127.0.0.1:0", "--data", str(data)] +
                       harness.store_args(data), capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, UNDERSIGNED_SERVER_METRICS_ALLOW="10.0.0.0/33"))
    assert p.returncode != 0
    assert "server.metrics_allow" in p.stdout + p.stderr, p.stderr


def test_connections_per_address_are_limited(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "conn", title="Connections")
    server = Server(data, env={"UNDERSIGNED_SERVER_MAX_CONNECTIONS_PER_ADDRESS": "3"}).start()
    held = []
    try:
        for _ in range(3):
            s = socket.create_connection((server.host, server.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 200 ")  # accepted and kept open
            held.append(s)
        data_ = send_until_closed(server.host, server.port,
                                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert data_.startswith(b"HTTP/1.1 429 "), data_
        assert b"Retry-After: " in data_ and b"Too many open connections" in data_, data_
        held.pop().close()
        wait_until(lambda: server.client().get("/healthz").status == 200, 10,
                   what="a connection slot freed by a close")
    finally:
        for s in held:
            s.close()
        assert server.stop() == 0


@pytest.mark.sqlite_only  # the data directory's disk is SQLite's store, not PostgreSQL's
def test_full_disk_answers_503_with_retry_after_and_recovers(tmp_path):
    """A real full disk: the data directory on a small tmpfs that the test fills. SQLite's
    own text goes to the log only; the visitor gets 503, Retry-After and a neutral page."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
                       capture_output=True, text=True)
    if m.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + m.stderr)
    try:
        data = disk / "data"
        create_campaign(data, "full", title="Full disk")
        sink = SmtpSink(tmp_path / "mail").start()
        server = Server(data, smtp_port=sink.port).start()
        try:
            c = server.client()
            assert sign(c, "full", email_addr=unique_email("room")).status == 200
            filler = disk / "filler"
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
            try:
                block = b"\0" * 65536
                while True:
                    try:
                        os.write(fd, block)
                    except OSError:
                        if len(block) == 1:
                            break
                        block = block[:len(block) // 2]
            finally:
                os.close(fd)
            for _ in range(200):
                r = sign(c, "full", email_addr=unique_email("full"))
                if r.status != 200:
                    break
            assert r.status == 503, r
            assert int(r.header("retry-after", "0")) >= 1, r.headers
            assert "sqlite" not in r.text.lower() and "disk" not in r.text.lower(), r.text
            wait_until(lambda: "the disk is full" in server.log(), 10, what="the full disk logged")
            wait_until(lambda: re.search(r"POST /c/full/sign 503", server.log()), 10,
                       what="the 503 logged")
            filler.unlink()
            after = unique_email("after")
            assert sign(c, "full", email_addr=after).status == 200
            assert after in [row[0] for row in signatures_of(data, "full")]
        finally:
            assert server.stop() == 0
            sink.stop()
    finally:
        subprocess.run(["umount", str(disk)], check=False)
