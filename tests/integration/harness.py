"""Harness for the end-to-end tests: the real `undersigned` binary on a free port, a real
SQLite file, a real SMTP server (smtp_sink.py), an HTTP client with a cookie jar, and helpers
that go through the sign form, the confirmation mail and the confirm/withdraw buttons.

Standard library only (plus aiosmtpd inside the sink process). Every wait is bounded and
event-driven (lines read from the process, files polled at short intervals).

Environment: UNDERSIGNED_BIN (the binary; ctest sets it), UNDERSIGNED_SOURCE_DIR.

The store: SQLite in each data dir by default. With UNDERSIGNED_TEST_BACKEND=postgres (ctest's
*_pg tests) every data dir a test uses gets a fresh PostgreSQL database of its own, made on the
server at UNDERSIGNED_TEST_PG_URL (an admin URL: scripts/test.sh starts a throw-away server with
scripts/pg.sh and sets it) with psql, and every `undersigned` command run here with that data
dir also gets `--store <its URL>` (the data dir is still given: mail files live there). The
databases are dropped when the test process exits. query() then runs its SQL on that database.
"""

import email
import email.policy
import email.utils
import atexit
import glob
import html.parser
import http.client
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import struct
import subprocess
import threading
import time
import urllib.parse
import uuid
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("UNDERSIGNED_SOURCE_DIR") or HERE.parents[1])
PYTHON = "/usr/bin/python3"
# The mail module's SMTP sink when it exists (same command line and "ready" line); ours else.
# UNDERSIGNED_SMTP_SINK overrides the choice.
SINK_SCRIPT = Path(os.environ.get("UNDERSIGNED_SMTP_SINK") or next(
    p for p in (SOURCE_DIR / "src" / "mail" / "testdata" / "smtp_sink.py",
                HERE / "smtp_sink.py") if p.exists()))


def find_binary():
    b = os.environ.get("UNDERSIGNED_BIN")
    if b:
        return b
    found = sorted(glob.glob(str(SOURCE_DIR / "build" / "*" / "src" / "cli" / "undersigned")),
                   key=os.path.getmtime)
    if not found:
        raise RuntimeError("set UNDERSIGNED_BIN to the undersigned binary (ctest does)")
    return found[-1]


BIN = find_binary()

# --------------------------------------------------------------------------- the store

BACKEND = os.environ.get("UNDERSIGNED_TEST_BACKEND") or "sqlite"
if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError("UNDERSIGNED_TEST_BACKEND must be sqlite or postgres, not %r" % BACKEND)
PG_ADMIN_URL = os.environ.get("UNDERSIGNED_TEST_PG_URL") or ""
if BACKEND == "postgres" and not PG_ADMIN_URL:
    raise RuntimeError("UNDERSIGNED_TEST_BACKEND=postgres needs UNDERSIGNED_TEST_PG_URL, a URL "
                       "that may create databases (scripts/pg.sh start DIR prints one)")
PSQL = os.environ.get("UNDERSIGNED_PSQL") or "psql"

_databases = {}  # resolved data dir -> (database name, URL)
_databases_lock = threading.Lock()


def psql(url, sql, timeout=60):
    """Runs sql with psql on the database at url; returns its unaligned, tuples-only output."""
    p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                        "-c", sql], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("psql failed (%d) on %r: %s" % (p.returncode, sql, p.stderr))
    return p.stdout


def _database_url(admin_url, name):
    """admin_url with its database replaced by name (the query, host and user kept)."""
    u = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(u._replace(path="/" + name))


def store_url(data_dir):
    """The PostgreSQL URL that stands for data_dir's store (made on first use), or None with
    SQLite."""
    if BACKEND != "postgres" or data_dir is None:
        return None
    key = str(Path(data_dir).resolve())
    with _databases_lock:
        if key not in _databases:
            name = "us_test_%s" % uuid.uuid4().hex[:16]
            psql(PG_ADMIN_URL, 'CREATE DATABASE "%s"' % name)
            _databases[key] = (name, _database_url(PG_ADMIN_URL, name))
        return _databases[key][1]


def store_args(data_dir):
    """["--store", URL] for data_dir with PostgreSQL; [] with SQLite."""
    url = store_url(data_dir)
    return ["--store", url] if url else []


def copy_store(src_data, dst_data):
    """Makes dst_data's store a copy of src_data's: with PostgreSQL a new database made from
    src_data's as its template (nothing may be connected to it: stop its server first); with
    SQLite nothing (copying the data dir copies the file)."""
    if BACKEND != "postgres":
        return
    src = str(Path(src_data).resolve())
    key = str(Path(dst_data).resolve())
    with _databases_lock:
        assert src in _databases, "copy_store: %s has no database" % src_data
        assert key not in _databases, "copy_store: %s has a database already" % dst_data
        name = "us_test_%s" % uuid.uuid4().hex[:16]
        psql(PG_ADMIN_URL, 'CREATE DATABASE "%s" TEMPLATE "%s"' % (name, _databases[src][0]))
        _databases[key] = (name, _database_url(PG_ADMIN_URL, name))


def change_store(data_dir, sql, params=()):
    """Runs one INSERT, UPDATE or DELETE (? parameters) on data_dir's store and returns how
    many rows it changed: the SQLite file, or with PostgreSQL its database."""
    if BACKEND == "postgres":
        out = psql(store_url(data_dir), "WITH changed AS (%s RETURNING 1) SELECT count(*) FROM "
                   "changed" % pg_bind(sql, params))
        return int(out.strip())
    con = sqlite3.connect(str(db_path(data_dir)), timeout=10)
    try:
        n = con.execute(sql, params).rowcount
        con.commit()
        return n
    finally:
        con.close()


def drop_databases():
    """Drops every database made here (WITH (FORCE): a killed server's connections too)."""
    with _databases_lock:
        made = list(_databases.values())
        _databases.clear()
    if not made:
        return
    # One psql for all (each DROP DATABASE is its own transaction, and a checkpoint: ~1 s).
    cmd = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", PG_ADMIN_URL]
    for name, _ in made:
        cmd += ["-c", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60 + 10 * len(made))
        if p.returncode != 0 or p.stderr.strip():
            print("harness: dropping the test databases: %s" % p.stderr.strip())
    except (OSError, subprocess.TimeoutExpired) as e:
        print("harness: could not drop the test databases %s: %s" % ([n for n, _ in made], e))


atexit.register(drop_databases)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send_until_closed(host, port, raw, timeout=10):
    """Sends raw bytes on a new connection and returns everything the server sends until it
    closes the connection."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    finally:
        s.close()


def unique_email(prefix="signer", domain="example.org"):
    return "%s-%s@%s" % (prefix, uuid.uuid4().hex[:12], domain)


# --------------------------------------------------------------------------- processes


class LineReader:
    """Reads a process stream line by line on a thread; wait_for() blocks on a condition."""

    def __init__(self, stream, name):
        self.name = name
        self.lines = []
        self.closed = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        """First match of pattern in lines[start:], waiting up to timeout seconds."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                if self.closed:
                    raise EOFError("%s closed before a line matched %r" % (self.name, pattern))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no line matched %r on %s within %ss" %
                                       (pattern, self.name, timeout))
                self.cond.wait(left)

    def text(self):
        with self.cond:
            return "\n".join(self.lines)


def run_cli(*args, data=None, check=True, timeout=30, input=None):
    """Runs `undersigned args... [--data DIR [--store URL]]`; returns CompletedProcess (text)."""
    cmd = [BIN, *map(str, args)]
    if data is not None:
        cmd += ["--data", str(data)] + store_args(data)
    env = dict(os.environ)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                       input=input)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" %
                             (cmd, p.returncode, p.stdout, p.stderr))
    return p


def create_campaign(data, slug, title=None, goal=100, targets=None, demand=None,
                    letter=None, status="open", extra=()):
    args = ["campaign", "create", "--slug", slug, "--title", title or ("Campaign " + slug),
            "--goal", goal, "--status", status]
    for t in targets or ["Pat Example|Chief Executive|Example Corp|pat_example"]:
        args += ["--target", t]
    args += ["--demand", demand if demand is not None else "Please do the right thing."]
    args += ["--letter", letter if letter is not None else
             "Dear Pat,\n\nWe, the undersigned, ask you to **do the right thing**.\n"]
    args += list(extra)
    return run_cli(*args, data=data)


def create_token(data, name):
    """Runs `token create` and returns the raw token it printed."""
    out = run_cli("token", "create", "--name", name, data=data).stdout
    words = re.findall(r"[A-Za-z0-9_\-]{20,}", out)
    assert words, "no token in output of token create: %r" % out
    return max(words, key=len)


class SmtpSink:
    """The SMTP sink (SINK_SCRIPT) on a port; messages land in self.maildir. Mail to an
    address in tempfail is answered 451 (a mail server that refuses for now)."""

    def __init__(self, directory, port=None, tempfail=()):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.tempfail = list(tempfail)
        self.proc = None
        self.maildir = MailDir(self.dir)

    def start(self, timeout=15):
        cmd = [PYTHON, str(SINK_SCRIPT), "--port", str(self.port), "--dir", str(self.dir)]
        for addr in self.tempfail:
            cmd += ["--tempfail-rcpt", addr]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.out = LineReader(self.proc.stdout, "smtp sink stdout")
        self.err = LineReader(self.proc.stderr, "smtp sink stderr")
        try:
            self.out.wait_for(r"^ready", timeout)
        except (EOFError, TimeoutError) as e:
            self.stop()
            raise RuntimeError("smtp sink did not start: %s\n%s" % (e, self.err.text()))
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def wait_for_mail(self, to, timeout=15, count=1):
        return self.maildir.wait_for_mail(to, timeout, count)


class Server:
    """`undersigned serve` on 127.0.0.1:0 against data_dir. stdout and stderr are read on
    threads; start() returns once the "listening on" line is printed."""

    def __init__(self, data_dir, smtp_port=None, args=(), env=None):
        self.data = Path(data_dir)
        self.smtp_port = smtp_port
        self.args = list(args)
        self.env = env
        self.proc = None
        self.url = None

    def command(self):
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", str(self.data)]
        cmd += store_args(self.data)
        if self.smtp_port:
            cmd += ["--smtp", "smtp://127.0.0.1:%d" % self.smtp_port]
        return cmd + self.args

    def start(self, timeout=20):
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
        self.out = LineReader(self.proc.stdout, "server stdout")
        self.err = LineReader(self.proc.stderr, "server stderr")
        try:
            m = self.out.wait_for(r"listening on (http://[^\s]+)", timeout)
        except (EOFError, TimeoutError) as e:
            self.kill()
            raise RuntimeError("server did not start (%s)\ncommand: %s\nstdout:\n%s\nstderr:\n%s"
                               % (e, self.command(), self.out.text(), self.err.text()))
        self.url = m.group(1).rstrip("/")
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port = u.hostname, u.port
        return self

    def client(self):
        return Client(self.url)

    def log(self):
        return self.out.text() + "\n" + self.err.text()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Sends sig and waits; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("server did not exit within %ss of signal %s" %
                                     (timeout, sig))
        self.out.thread.join(5)
        self.err.thread.join(5)
        return self.proc.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


# --------------------------------------------------------------------------- HTTP


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %s %r>" % (self.status, self.header("content-type"),
                                         self.body[:300])


class Client:
    """One HTTP client with a cookie jar (name -> value); a new connection per request."""

    def __init__(self, base_url, timeout=15):
        u = urllib.parse.urlsplit(base_url)
        self.host, self.port = u.hostname, u.port
        self.timeout = timeout
        self.cookies = {}
        # Like a well-behaved API client: on 429 wait Retry-After (at most 5 s) and retry.
        self.retry_429 = False

    def request(self, method, path, body=None, headers=None, timeout=None):
        h = {}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        h.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, r.reason, r.getheaders(), data)
        finally:
            conn.close()
        for sc in resp.header_all("set-cookie"):
            first = sc.split(";", 1)[0]
            if "=" in first:
                k, v = first.split("=", 1)
                k = k.strip()
                if v == "" or re.search(r"max-age=0\b", sc, re.I):
                    self.cookies.pop(k, None)
                else:
                    self.cookies[k] = v
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path, fields, headers=None, follow=False, **kw):
        """POSTs an urlencoded form. follow: like a browser, answer a 303 with a GET of its
        Location (the fragment dropped) and return that page; .posted is the 303 itself."""
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        body = fields if isinstance(fields, (str, bytes)) else urllib.parse.urlencode(fields)
        resp = self.request("POST", path, body=body, headers=h, **kw)
        if follow and resp.status == 303:
            posted = resp
            resp = self.get(resp.header("location").split("#", 1)[0])
            resp.posted = posted
        return resp

    def api(self, method, path, obj=None, token=None, headers=None, raw=None):
        h = {"Accept": "application/hal+json"}
        if obj is not None or raw is not None:
            h["Content-Type"] = "application/json"
        if token:
            h["OSDI-API-Token"] = token
        h.update(headers or {})
        body = raw if raw is not None else (json.dumps(obj) if obj is not None else None)
        for _ in range(10):
            r = self.request(method, path, body=body, headers=h)
            if r.status != 429 or not self.retry_429:
                return r
            time.sleep(min(5, int(r.header("retry-after", "1"))))
        return r


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.current = None
        self.textarea = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {"action": a.get("action") or "", "method": (a.get("method") or
                            "get").lower(), "inputs": [], "buttons": 0}
            self.forms.append(self.current)
        elif self.current is not None:
            if tag == "input":
                self.current["inputs"].append({"name": a.get("name"), "type": (a.get("type") or
                                               "text").lower(), "value": a.get("value") or "",
                                               "checked": "checked" in a})
                if (a.get("type") or "").lower() == "submit":
                    self.current["buttons"] += 1
            elif tag == "button":
                if (a.get("type") or "submit").lower() == "submit":
                    self.current["buttons"] += 1
            elif tag == "textarea":
                self.textarea = {"name": a.get("name"), "type": "textarea", "value": ""}
                self.current["inputs"].append(self.textarea)
            elif tag == "select":
                self.select = {"name": a.get("name"), "type": "select", "value": "",
                               "options": []}
                self.current["inputs"].append(self.select)
            elif tag == "option" and self.select is not None:
                value = a.get("value") or ""
                self.select["options"].append(value)
                if "selected" in a:
                    self.select["value"] = value

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def forms(page_html):
    p = _FormParser()
    p.feed(page_html)
    p.close()
    return p.forms


def find_form(page_html, action_part):
    for f in forms(page_html):
        if action_part in f["action"]:
            return f
    raise AssertionError("no form posting to %r in page:\n%s" % (action_part, page_html[:3000]))


def hidden_fields(form):
    return {i["name"]: i["value"] for i in form["inputs"] if i["type"] == "hidden" and i["name"]}


def field_value(form, name):
    for i in form["inputs"]:
        if i["name"] == name:
            return i["value"]
    return None


def form_path(action, default):
    if not action:
        return default
    u = urllib.parse.urlsplit(action)
    return u.path + ("?" + u.query if u.query else "")


# --------------------------------------------------------------------------- mail


class Mail:
    def __init__(self, path):
        self.path = Path(path)
        self.raw = self.path.read_bytes()
        self.msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        addrs = []
        for h in ("to", "cc", "x-sink-rcpt-to"):
            for v in self.msg.get_all(h) or []:
                addrs += [a.lower() for _, a in email.utils.getaddresses([str(v)])]
        self.recipients = set(addrs)
        self.subject = str(self.msg.get("subject", ""))
        self.text = self._part("plain")
        self.html = self._part("html")

    def _part(self, kind):
        part = self.msg.get_body(preferencelist=(kind,))
        if part is None:
            return ""
        try:
            return part.get_content()
        except Exception:  # noqa: BLE001 - undecodable charset: fall back to bytes
            return part.get_payload(decode=True).decode("utf-8", "replace")

    def link(self, kind):
        """The first <base>/s/<kind>?t=TOKEN link in the plain text (or HTML) part."""
        for body in (self.text, html_unescape(self.html), self.raw.decode("utf-8", "replace")):
            m = re.search(r"https?://[^\s\"'<>]+/s/%s\?t=[A-Za-z0-9_\-.~%%]+" % kind, body)
            if m:
                return m.group(0)
        return None

    def __repr__(self):
        return "<Mail %s to %s: %r>" % (self.path.name, sorted(self.recipients), self.subject)


def html_unescape(s):
    import html as _html
    return _html.unescape(s)


class MailDir:
    """A directory of .eml files (the SMTP sink's, or <data>/outbox-eml)."""

    def __init__(self, directory):
        self.dir = Path(directory)

    def all(self):
        if not self.dir.exists():
            return []
        # Complete files only (sinks write a hidden temporary file, then rename it), oldest
        # first by the time each was completed (names differ between sinks).
        found = []
        for p in self.dir.glob("*.eml"):
            if p.name.startswith("."):
                continue
            try:
                found.append(((p.stat().st_mtime_ns, p.name), Mail(p)))
            except FileNotFoundError:
                continue
        return [m for _, m in sorted(found, key=lambda x: x[0])]

    def to(self, addr):
        addr = addr.lower()
        return [m for m in self.all() if addr in m.recipients]

    def wait_for_mail(self, to, timeout=15, count=1):
        """Waits until at least count messages to `to` exist; returns them (oldest first)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(to)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("%d message(s) to %s within %ss; have %d: %s; all: %s" %
                                     (count, to, timeout, len(found), found, self.all()[-10:]))
            time.sleep(0.05)


# --------------------------------------------------------------------------- flows


def sign(client, slug, name="Ada Lovelace", email_addr=None, public_name=True,
         wants_updates=False, comment="", postal_code="", country="", extra=None):
    """GETs the campaign page (for the CSRF cookie and field) and posts the sign form.
    Returns the page the POST's 303 leads to ("check your email", or the form with its errors),
    or the POST's own response if it is not a 303 (a 429, a 403...)."""
    page = client.get("/c/%s" % slug)
    assert page.status == 200, page
    form = find_form(page.text, "/c/%s/sign" % slug)
    fields = hidden_fields(form)
    fields.update(name=name, email=email_addr or unique_email(), postal_code=postal_code,
                  country=country, comment=comment)
    def checkbox_value(name):
        for i in form["inputs"]:
            if i["name"] == name and i["type"] == "checkbox":
                return i["value"] or "on"
        return "on"
    if public_name:
        fields["public_name"] = checkbox_value("public_name")
    if wants_updates:
        fields["wants_updates"] = checkbox_value("wants_updates")
    fields.update(extra or {})
    return client.post_form(form_path(form["action"], "/c/%s/sign" % slug), fields, follow=True)


def press_button(client, link, kind):
    """Opens a /s/confirm or /s/withdraw link (GET), checks it shows a button, and posts its
    form. Returns (get_response, the page the POST's 303 leads to: the result)."""
    u = urllib.parse.urlsplit(link)
    page = client.get(u.path + "?" + u.query)
    assert page.status == 200, page
    form = find_form(page.text, "/s/%s" % kind)
    assert form["method"] == "post", form
    assert form["buttons"] >= 1, "no button in the %s form: %s" % (kind, form)
    fields = hidden_fields(form)
    resp = client.post_form(form_path(form["action"], "/s/%s" % kind), fields, follow=True)
    return page, resp


def counts(client, slug):
    r = client.get("/c/%s.json" % slug)
    assert r.status == 200, r
    return r.json()


def wait_until(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %ss" % (what, timeout))
        time.sleep(interval)


# --------------------------------------------------------------------------- database


def db_path(data_dir):
    """The SQLite file (SQLite only: a test that reads the file's bytes is SQLite's)."""
    if BACKEND != "sqlite":
        raise AssertionError("db_path: this test reads the SQLite file itself; it runs on "
                             "SQLite only (leave it out of the _pg tests)")
    return Path(data_dir) / "undersigned.db"


def open_db(data_dir):
    """Read-only connection to the server's database (works while the server runs)."""
    return sqlite3.connect("file:%s?mode=ro" % db_path(data_dir), uri=True, timeout=10)


def store_bytes(data_dir):
    """Everything data_dir's store holds, as bytes, to check that something is not in it: with
    SQLite the database file and its WAL as they are on disk; with PostgreSQL a pg_dump of the
    database's rows (what the database holds, not its files)."""
    if BACKEND == "postgres":
        p = subprocess.run([os.environ.get("UNDERSIGNED_PG_DUMP") or "pg_dump", "--data-only",
                            "--no-owner", "-d", store_url(data_dir)], capture_output=True,
                           timeout=120)
        assert p.returncode == 0, "pg_dump failed: %s" % p.stderr.decode("utf-8", "replace")
        return p.stdout
    out = b""
    for name in ("undersigned.db", "undersigned.db-wal"):
        p = Path(data_dir) / name
        if p.exists():
            out += p.read_bytes()
    return out


def _pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    return "'%s'" % str(v).replace("'", "''")


def pg_bind(sql, params):
    """sql with each ? outside quotes replaced by params' next value as a PostgreSQL literal."""
    out, values, quote = [], iter(params), None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            try:
                ch = _pg_literal(next(values))
            except StopIteration:
                raise AssertionError("more ? than parameters in %r" % sql) from None
        out.append(ch)
    if next(values, out) is not out:
        raise AssertionError("more parameters than ? in %r" % sql)
    return "".join(out)


class _Object(list):
    """A JSON object as parsed from PostgreSQL's row_to_json: its (key, value) pairs in order."""


_QUERY_SEPARATOR = "--- harness.query: rows ---"


def _pg_value(v, pg_type=None):
    """A column as SQLite would give it: nested JSON (json/jsonb columns) back to its text,
    bytea (row_to_json's "\\x" and hex digits) as bytes."""
    if pg_type == "bytea" and isinstance(v, str):
        assert v.startswith("\\x"), "bytea not in hex: %r" % v
        return bytes.fromhex(v[2:])
    def plain(x):
        if isinstance(x, _Object):
            return {k: plain(y) for k, y in x}
        if isinstance(x, list):
            return [plain(y) for y in x]
        return x
    return json.dumps(plain(v)) if isinstance(v, list) else v


def query(data_dir, sql, params=()):
    """Rows (tuples) of sql with ? parameters, on data_dir's store: the SQLite file, or with
    PostgreSQL its database (through psql; numbers, booleans and NULL keep their types, JSON
    columns come back as text, bytea as bytes). The SQL must mean the same to both (no PRAGMA)."""
    if BACKEND == "postgres":
        if sql.lstrip().upper().startswith("PRAGMA"):
            raise AssertionError("query: %r is SQLite's; this test runs on SQLite only" % sql)
        bound = pg_bind(sql, params).strip().rstrip(";")
        # \gdesc first: the columns' types, so that bytea comes back as bytes (as a blob does
        # from SQLite), not as row_to_json's "\\x..." text.
        script = "%s \\gdesc\n\\echo %s\nSELECT coalesce(json_agg(row_to_json(q)), '[]') " \
                 "FROM (%s) q;\n" % (bound, _QUERY_SEPARATOR, bound)
        p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                            store_url(data_dir)], input=script, capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise AssertionError("psql failed (%d) on %r: %s" % (p.returncode, bound, p.stderr))
        desc, _, out = p.stdout.partition(_QUERY_SEPARATOR + "\n")
        types = [line.rsplit("|", 1)[-1] for line in desc.splitlines() if line]
        rows = json.loads(out or "[]", object_pairs_hook=_Object)
        return [tuple(_pg_value(v, t) for (_, v), t in zip(row, types)) for row in rows]
    con = open_db(data_dir)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def signatures_of(data_dir, slug):
    """[(canonical_email, state, name, email, comment)] of a campaign, by id."""
    return query(data_dir,
                 "SELECT s.canonical_email, s.state, s.name, s.email, s.comment "
                 "FROM signatures s JOIN campaigns c ON c.id = s.campaign_id "
                 "WHERE c.slug = ? ORDER BY s.id", (slug,))


# --------------------------------------------------------------------------- a whole stack


class Stack:
    """A data dir with campaigns, an SMTP sink and a server, started in that order."""

    def __init__(self, root, campaigns=(), server_args=(), tokens=(), smtp=True):
        self.root = Path(root)
        self.data = self.root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.sink = SmtpSink(self.root / "mail") if smtp else None
        self.tokens = {}
        for c in campaigns:
            c = dict(c)
            create_campaign(self.data, c.pop("slug"), **c)
        for name in tokens:
            self.tokens[name] = create_token(self.data, name)
        if self.sink:
            self.sink.start()
        self.server = Server(self.data, self.sink.port if self.sink else None,
                             args=server_args).start()
        self.url = self.server.url

    def client(self):
        return self.server.client()

    def wait_for_mail(self, to, timeout=15, count=1):
        return self.sink.wait_for_mail(to, timeout, count)

    def close(self):
        code = None
        try:
            code = self.server.stop()
        finally:
            if self.sink:
                self.sink.stop()
        return code


def png(width=300, height=200):
    """A PNG image (RGBA, one colour) with a tEXt chunk that a re-encoder must drop."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\x10\x80\xc0\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6,
                                                             0, 0, 0)) +
            chunk(b"tEXt", b"Comment\x00TRACKING-MARKER") +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def multipart(fields, files):
    """A multipart/form-data body: (content type, bytes). files: name -> (filename, type, data)."""
    boundary = "----us%s" % secrets.token_hex(8)
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                (boundary, k, v)).encode()
    for k, (filename, ctype, data) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (boundary, k, filename, ctype)).encode()
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=%s" % boundary, out
