"""Bad input: malformed forms and JSON, oversized bodies and headers, invalid UTF-8, markup
and script in every field, wrong content types, unknown campaigns, CSRF, rate limits. Each gets
a clear 4xx answer, and the database holds exactly the signatures it should afterwards."""

import html.parser
import json
import re
import socket
import threading
import time
import urllib.parse

import pytest

import harness
from harness import (MailDir, Server, counts, create_campaign, find_form, field_value, forms,
                     hidden_fields, press_button, query, send_until_closed, sign, signatures_of,
                     unique_email, wait_until)

XSS_TITLE = "<script>alert('title')</script> Title & \"quotes\""
XSS_LETTER = ("Dear <b onclick=\"alert(1)\">you</b>,\n\n<script>alert('letter')</script>\n\n"
              "<iframe src=\"https://evil.example\"></iframe>\n\n"
              "[click me](javascript:alert('link')) and ![img](x\" onerror=\"alert(1))\n")
XSS_TARGET = "<img src=x onerror=alert('target')>|<b>Boss</b>|Evil \"Corp\"|evil_corp"

CAMPAIGNS = [
    {"slug": "bad", "title": "Bad input"},
    {"slug": "xss", "title": XSS_TITLE, "letter": XSS_LETTER, "targets": [XSS_TARGET],
     "demand": "<script>alert('demand')</script>"},
    {"slug": "closed-one", "title": "Closed", "status": "closed"},
    {"slug": "draft-one", "title": "Draft", "status": "draft"},
]

# Text we inject that must never appear unescaped in HTML we serve.
RAW_MARKUP = ["<script>alert", "<img src=x", "<iframe", "<b onclick", "<svg onload",
              "</textarea><"]


class _Unsafe(html.parser.HTMLParser):
    """Collects anything in a page that could run script: inline or foreign <script>,
    frames and plugins, event-handler attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            src = a.get("src") or ""
            data_only = (a.get("type") or "").endswith("json")
            if not src.startswith("/static/") and not data_only:
                self.problems.append("script tag %s" % attrs)
            self.in_script = not data_only
        if tag in ("iframe", "object", "embed", "frame", "frameset"):
            self.problems.append("<%s %s>" % (tag, attrs))
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("event handler %s=%r on <%s>" % (k, v, tag))
            if k in ("href", "src", "action", "formaction", "xlink:href") and v and \
                    re.sub(r"[\s\x00-\x1f]", "", v).lower().startswith(
                        ("javascript:", "vbscript:") + (("data:",) if tag == "a" else ())):
                self.problems.append("%s=%r on <%s>" % (k, v, tag))

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append("inline script %r" % data[:100])


def assert_no_raw_markup(text, where):
    for bad in RAW_MARKUP:
        assert bad not in text, "raw %r on %s:\n%s" % (bad, where, excerpt(text, bad))
    p = _Unsafe()
    p.feed(text)
    p.close()
    assert not p.problems, "unsafe markup on %s: %s" % (where, p.problems)


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["bad-input"])


def excerpt(text, needle):
    i = text.find(needle)
    return text[max(0, i - 300):i + 300]


def sign_fields(client, slug="bad"):
    page = client.get("/c/%s" % slug)
    assert page.status == 200, page
    return hidden_fields(find_form(page.text, "/c/%s/sign" % slug))


def check_4xx(r, statuses):
    assert r.status in statuses, r
    assert r.body, "a %d without a body" % r.status


# ------------------------------------------------------------------ form validation


def test_invalid_form_rerenders_with_typed_values(stack):
    c = stack.client()
    csrf = sign_fields(c)
    cases = [
        ({"name": "Typed Name", "email": ""}, "email"),
        ({"name": "Typed Name", "email": "not-an-email"}, "email"),
        ({"name": "", "email": unique_email()}, "name"),
        ({"name": "N" * 201, "email": unique_email()}, "name"),
        ({"name": "Typed Name", "email": unique_email(), "comment": "c" * 2001}, "comment"),
        ({"name": "Typed Name", "email": unique_email(), "country": "ZZZ"}, "country"),
        ({"name": "Typed Name", "email": unique_email(), "postal_code": "1" * 17},
         "postal_code"),
        ({"name": "Typed Name", "email": "a@" + "b" * 260 + ".org"}, "email"),
    ]
    for fields, bad_field in cases:
        body = dict(csrf, **fields)
        r = c.post_form("/c/bad/sign", body, follow=True)
        assert r.status == 422, (fields, r)
        form = find_form(r.text, "/c/bad/sign")
        # What the person typed is kept (the long ones may be cut, never dropped silently).
        for k, v in fields.items():
            if v and len(v) <= 200 and k != "country":
                assert field_value(form, k) == v, (k, field_value(form, k), v)
        assert hidden_fields(form).get("csrf"), "the re-rendered form lost its csrf field"
        assert re.search(r"(aria-invalid|error|invalid)", r.text, re.I), r.text
    assert signatures_of(stack.data, "bad") == []


def test_error_rerender_escapes_what_was_typed(stack):
    c = stack.client()
    csrf = sign_fields(c)
    evil = {
        "name": "\"><script>alert('name')</script>",
        "email": "\"><img src=x onerror=alert('email')>@x",
        "postal_code": "<svg onload=1>",
        "country": "\"><b",
        "comment": "</textarea><script>alert('comment')</script>",
    }
    r = c.post_form("/c/bad/sign", dict(csrf, **evil), follow=True)
    assert r.status == 422, r
    assert_no_raw_markup(r.text, "the re-rendered sign form")
    assert "</textarea><script>" not in r.text
    form = find_form(r.text, "/c/bad/sign")
    assert field_value(form, "name") == evil["name"], "typed name not kept verbatim"
    assert field_value(form, "comment") == evil["comment"]
    assert signatures_of(stack.data, "bad") == []


def test_malformed_form_bodies(stack):
    c = stack.client()
    csrf = sign_fields(c)["csrf"]
    bodies = [
        b"name=%ZZ&email=a%40example.org&csrf=" + csrf.encode(),           # bad escape
        b"name=%&email=a%40example.org&csrf=" + csrf.encode(),
        b"name=%FF%FE&email=a%40example.org&csrf=" + csrf.encode(),        # invalid UTF-8
        b"name=\xff\xfe\xfd&email=a%40example.org&csrf=" + csrf.encode(),  # raw bytes
        b"name=a%00b&email=nul%40example.org&csrf=" + csrf.encode(),       # NUL
        b"name=%C0%AF&email=overlong%40example.org&csrf=" + csrf.encode(),  # overlong
        b"name=%ED%A0%80&email=surrogate%40example.org&csrf=" + csrf.encode(),
        b"&&&===&csrf=" + csrf.encode(),
    ]
    for b in bodies:
        r = c.post_form("/c/bad/sign", b, follow=True)
        check_4xx(r, (400, 403, 422))
    assert signatures_of(stack.data, "bad") == []


def test_wrong_content_types(stack):
    c = stack.client()
    fields = dict(sign_fields(c), name="Typed", email=unique_email())
    body = urllib.parse.urlencode(fields)
    for ctype in ("application/json", "text/plain", "multipart/form-data; boundary=x",
                  "application/xml"):
        r = c.request("POST", "/c/bad/sign", body=body, headers={"Content-Type": ctype})
        check_4xx(r, (400, 415))
    r = c.request("POST", "/c/bad/sign", body=body)  # no Content-Type at all
    check_4xx(r, (400, 415))
    r = c.request("POST", "/c/bad/sign", body=json.dumps(fields),
                  headers={"Content-Type": "application/json"})
    check_4xx(r, (400, 415))
    assert signatures_of(stack.data, "bad") == []


def test_malformed_json_to_api(stack):
    c = stack.client()
    tok = stack.tokens["bad-input"]
    for raw in ("{", "[]", "null", "\"str\"", "{\"title\": }", "{\"title\": \"x\"} trailing",
                b"{\"title\": \"\xff\xfe\"}", "{\"title\": \"a\\ud800\"}"):
        r = c.api("POST", "/api/v2/petitions", raw=raw, token=tok)
        assert r.status == 400, (raw, r)
        assert isinstance(r.json().get("error"), str), r
    r = c.request("POST", "/api/v2/petitions", body="title=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded",
                           "OSDI-API-Token": tok})
    assert r.status in (400, 415), r
    assert isinstance(r.json().get("error"), str), r


def test_number_too_large_for_api_is_400_naming_the_field(stack):
    c = stack.client()
    tok = stack.tokens["bad-input"]
    for raw, field in (('{"title": "Big", "goal": 1e999}', "goal"),
                       ('{"title": "Big", "origin_system": "x", "goal": -1E+400}', "goal")):
        r = c.api("POST", "/api/v2/petitions", raw=raw, token=tok)
        assert r.status == 400, (raw, r)
        assert field in r.json()["fields"], r
        assert field in r.json()["error"], r


# ------------------------------------------------------------------ limits


def raw_exchange(stack, head, body_iter=(), timeout=10):
    """Sends head (bytes) and then body chunks on a thread, ignoring send errors (the server
    may answer and close before reading everything); returns (status, headers, body)."""
    s = socket.create_connection((stack.server.host, stack.server.port), timeout=timeout)

    def send():
        try:
            s.sendall(head)
            for chunk in body_iter:
                s.sendall(chunk)
        except OSError:
            pass

    t = threading.Thread(target=send, daemon=True)
    t.start()
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head_part, rest = data.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head_part)
                if m and len(rest) >= int(m.group(1)):
                    break
    finally:
        s.close()
    assert data, "the server closed the connection without an answer"
    head_part, _, body = data.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    return status, lines[1:], body


def test_oversized_body_gets_413(stack):
    size = 8 * 1024 * 1024
    chunk = b"a" * 65536
    for path, ctype in (("/c/bad/sign", "application/x-www-form-urlencoded"),
                        ("/api/v2/petitions", "application/json")):
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                % (path, ctype, size)).encode()
        status, headers, body = raw_exchange(stack, head, (chunk for _ in range(size // 65536)))
        assert status == 413, (path, status, headers, body[:200])
        assert body.strip(), "413 without a body on %s" % path

    # Chunked, no Content-Length.
    head = (b"POST /c/bad/sign HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"10000\r\n" + b"a" * 65536 + b"\r\n"
    status, headers, body = raw_exchange(stack, head, (piece for _ in range(128)))
    assert status == 413, (status, headers, body[:200])
    assert body.strip()
    # The server is still fine.
    assert stack.client().get("/healthz").status == 200


def test_huge_headers_get_431(stack):
    big = "a" * 64 * 1024
    head = ("GET /c/bad HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % big).encode()
    status, headers, body = raw_exchange(stack, head)
    assert status == 431, (status, headers, body[:200])
    assert body.strip(), "431 without a body"

    many = "".join("X-H%d: %s\r\n" % (i, "v" * 100) for i in range(1000))
    status, headers, body = raw_exchange(stack, ("GET / HTTP/1.1\r\nHost: x\r\n%s\r\n" %
                                                 many).encode())
    assert status == 431, (status, body[:200])

    long_target = "/c/bad?x=" + "a" * 64 * 1024
    status, headers, body = raw_exchange(stack, ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" %
                                                 long_target).encode())
    assert status in (414, 431), status
    assert stack.client().get("/healthz").status == 200


def test_garbage_requests_get_400(stack):
    for head in (b"NONSENSE\r\n\r\n",
                 b"POST /c/bad/sign HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                 b"POST /c/bad/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"):
        try:
            status, _, _ = raw_exchange(stack, head, timeout=5)
        except AssertionError:
            status = None  # closing the connection on garbage is acceptable
        assert status is None or 400 <= status < 500, (head, status)
    assert stack.client().get("/healthz").status == 200


def test_transfer_encoding_not_ending_in_chunked_is_400_and_closes(stack):
    """RFC 9112 6.3: the body of such a request has no known length. Its bytes must not be
    run as a second request (request smuggling): 400, and the connection closes."""
    smuggled = b"GET /c/nope-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    for coding in (b"chunked, identity", b"gzip", b"xchunked"):
        data = send_until_closed(
            stack.server.host, stack.server.port,
            b"POST /c/bad/sign HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nTransfer-Encoding: " + coding +
            b"\r\n\r\n" + smuggled, timeout=5)
        assert data.startswith(b"HTTP/1.1 400 "), (coding, data[:300])
        assert b"Transfer-Encoding must end in chunked" in data, data
        assert data.count(b"HTTP/1.1 ") == 1, (coding, data)  # no second answer
    assert stack.client().get("/healthz").status == 200


def test_host_header_missing_or_twice_is_400(stack):
    for head in (b"GET /c/bad HTTP/1.1\r\n\r\n",
                 b"GET /c/bad HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"):
        status, _, body = raw_exchange(stack, head, timeout=5)
        assert status == 400, (head, status)
        assert b"Host header" in body, body


# ------------------------------------------------------------------ unknown things, CSRF


def test_unknown_campaigns_are_404(stack):
    c = stack.client()
    csrf = sign_fields(c)
    for path in ("/c/nope", "/c/nope.json", "/c/nope/events", "/c/draft-one",
                 "/c/draft-one.json", "/c/%3Cscript%3E", "/nothing/here"):
        r = c.get(path)
        assert r.status == 404, (path, r)
        assert r.body
        assert "<script>" not in r.text
    r = c.post_form("/c/nope/sign", dict(csrf, name="X", email=unique_email()))
    assert r.status == 404, r
    r = c.post_form("/c/draft-one/sign", dict(csrf, name="X", email=unique_email()))
    assert r.status == 404, r
    assert signatures_of(stack.data, "draft-one") == []
    index = c.get("/").text
    assert "/c/bad" in index and "/c/draft-one" not in index, "a draft is listed on /"


def test_closed_campaign_refuses_signatures(stack):
    c = stack.client()
    page = c.get("/c/closed-one")
    assert page.status == 200, page
    assert not [f for f in forms(page.text) if "/sign" in f["action"]], \
        "a closed campaign still shows the sign form"
    csrf = sign_fields(c, "bad")
    r = c.post_form("/c/closed-one/sign", dict(csrf, name="Late", email=unique_email()))
    assert 400 <= r.status < 500, r
    assert signatures_of(stack.data, "closed-one") == []


def test_csrf_is_required(stack):
    c = stack.client()
    good = sign_fields(c)
    fields = {"name": "No Csrf", "email": unique_email()}
    r = c.post_form("/c/bad/sign", fields)                        # no field
    assert r.status == 403, r
    r = c.post_form("/c/bad/sign", dict(fields, csrf="forged"))  # wrong field
    assert r.status == 403, r
    r = c.post_form("/c/bad/sign", dict(fields, csrf=""))
    assert r.status == 403, r
    stranger = stack.client()                                     # right field, no cookie
    r = stranger.post_form("/c/bad/sign", dict(fields, **good))
    assert r.status == 403, r
    other = stack.client()                                        # someone else's cookie
    sign_fields(other)
    r = other.post_form("/c/bad/sign", dict(fields, **good))
    assert r.status == 403, r
    assert signatures_of(stack.data, "bad") == []


def test_confirm_needs_csrf_and_a_real_token(stack):
    c = stack.client()
    addr = unique_email("csrfconfirm")
    assert sign(c, "bad", name="Confirm Csrf", email_addr=addr).status == 200
    [m] = stack.wait_for_mail(addr)
    link = m.link("confirm")
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]
    r = stack.client().post_form("/s/confirm", {"t": token})
    assert r.status == 403, r
    r = c.post_form("/s/confirm", {"t": token, "csrf": "forged"})
    assert r.status == 403, r
    assert counts(c, "bad")["confirmed"] == 0

    for t in ("", "garbage", "A" * 43, "%00", "<script>alert(1)</script>"):
        g = c.get("/s/confirm?t=" + urllib.parse.quote(t))
        assert g.status in (400, 404), (t, g)
        assert_no_raw_markup(g.text, "the confirm page for a bad token")
        g = c.get("/s/withdraw?t=" + urllib.parse.quote(t))
        assert g.status in (400, 404), (t, g)
    g = c.get("/s/confirm")
    assert g.status in (400, 404)
    page = c.get("/c/bad")
    csrf = hidden_fields(find_form(page.text, "/c/bad/sign"))["csrf"]
    r = c.post_form("/s/confirm", {"t": "garbage", "csrf": csrf})
    assert r.status in (400, 404), r
    r = c.post_form("/s/withdraw", {"t": "garbage", "csrf": csrf})
    assert r.status in (400, 404), r

    press_button(c, link, "confirm")
    assert counts(c, "bad")["confirmed"] == 1


# ------------------------------------------------------------------ escaping everywhere


def test_markup_in_every_field_is_escaped_everywhere(stack):
    c = stack.client()
    tok = stack.tokens["bad-input"]
    name = "<script>alert('name')</script> \"Bobby\" & 'Tables'"
    comment = "<img src=x onerror=alert('comment')> <a href=\"javascript:alert(1)\">x</a>"
    postal = "SW1A 1AA"  # markup is refused here (see the re-render test)
    addr = unique_email("xss")
    r = sign(c, "xss", name=name, email_addr=addr, comment=comment, postal_code=postal,
             public_name=True)
    assert r.status == 200, r
    assert_no_raw_markup(r.text, "the thank-you page")

    [m] = stack.wait_for_mail(addr)
    assert "<script>alert" not in m.html and "<img src=x" not in m.html, \
        "markup raw in the HTML mail:\n" + m.html
    link = m.link("confirm")
    page, done = press_button(c, link, "confirm")
    assert_no_raw_markup(page.text, "the confirm page")
    assert_no_raw_markup(done.text, "the confirmed page")

    # The recent-signers list may be cached for a moment: wait (bounded) for the name.
    import html as _html
    box = {}

    def shown():
        box["r"] = c.get("/c/xss")
        return name in _html.unescape(box["r"].text)
    wait_until(shown, 5, interval=0.1, what="the signer's name on the campaign page")
    campaign = box["r"]
    assert campaign.status == 200
    assert_no_raw_markup(campaign.text, "the campaign page")
    visible = _html.unescape(campaign.text)
    for text in (comment, XSS_TITLE, "<b>Boss</b>", "Evil \"Corp\""):
        assert text in visible, "%r is not shown (escaped) on the campaign page" % text
    # Share links carry the handle and title percent-encoded, never raw.
    for href in re.findall(r"href=\"([^\"]+)\"", campaign.text):
        assert "<" not in href and ">" not in href, href

    assert_no_raw_markup(c.get("/").text, "the campaign list")
    j = c.get("/c/xss.json")
    assert j.header("content-type", "").startswith("application/json")
    assert j.json()["title"] == XSS_TITLE
    assert j.header("x-content-type-options") == "nosniff", j.headers

    # The API returns exactly what was typed, as JSON (no HTML escaping, but valid JSON).
    pets = c.api("GET", "/api/v2/petitions?per_page=100", token=tok).json()
    p = [x for x in pets["_embedded"]["osdi:petitions"] if x["title"] == XSS_TITLE]
    assert len(p) == 1
    pid = [i for i in p[0]["identifiers"] if i.startswith("undersigned:")][0].split(":", 1)[1]
    sigs = c.api("GET", "/api/v2/petitions/%s/signatures" % pid, token=tok)
    assert sigs.header("content-type", "").startswith("application/hal+json")
    assert sigs.header("x-content-type-options") == "nosniff"
    [s] = sigs.json()["_embedded"]["osdi:signatures"]
    assert s["comments"] == comment

    rows = signatures_of(stack.data, "xss")
    assert rows == [(addr, "confirmed", name, addr, comment)], rows


# ------------------------------------------------------------------ rate limits


def test_rate_limit_per_address(make_stack):
    small = make_stack(campaigns=[{"slug": "limited", "title": "Limited"}],
                       server_args=["--rate-limit-per-address", "3"])
    c = small.client()
    answered = []
    for i in range(6):
        addr = unique_email("rl%d" % i)
        r = sign(c, "limited", name="Rate %d" % i, email_addr=addr)
        answered.append((addr, r))
    statuses = [r.status for _, r in answered]
    assert statuses[:3] == [200, 200, 200], statuses
    assert 429 in statuses[3:], statuses
    limited = [r for _, r in answered if r.status == 429]
    for r in limited:
        ra = r.header("retry-after")
        assert ra and ra.isdigit() and int(ra) >= 1, r.headers
        assert r.body
    stored = sorted(row[0] for row in signatures_of(small.data, "limited"))
    assert stored == sorted(a for a, r in answered if r.status == 200)

    # Reads are not limited.
    for _ in range(20):
        assert c.get("/c/limited").status == 200


def test_rate_limit_per_email(stack):
    c = stack.client()
    addr = unique_email("flood")
    statuses = []
    for i in range(8):
        statuses.append(sign(c, "bad", name="Flood", email_addr=addr.replace(
            "@", "+%d@" % i)))
    codes = [r.status for r in statuses]
    assert codes[0] == 200 and 429 in codes, codes
    r = statuses[codes.index(429)]
    assert int(r.header("retry-after", "0")) >= 1
    rows = [x for x in signatures_of(stack.data, "bad") if x[0] == addr]
    assert len(rows) == 1


def test_the_per_email_limit_is_kept_in_the_store(tmp_path):
    """The per-email limit's bucket lives with the person in the store, not in a node's memory:
    it survives a restart, and on PostgreSQL a second node on the same database (its own data
    directory) sees the tokens the first one took."""
    data = tmp_path / "data"
    create_campaign(data, "kept", title="Kept")
    env = {"UNDERSIGNED_LIMITS_PER_EMAIL_BURST": "3",
           "UNDERSIGNED_LIMITS_PER_EMAIL_PER_SECOND": "0.0001"}
    addr = unique_email("kept")
    alias = lambda i: addr.replace("@", "+%d@" % i)  # one canonical address
    server = Server(data, env=env).start()
    try:
        c = server.client()
        assert [sign(c, "kept", email_addr=alias(i)).status for i in range(2)] == [200, 200]
    finally:
        assert server.stop() == 0
    nodes = [Server(data, env=env).start()]
    try:
        if harness.BACKEND == "postgres":
            other = tmp_path / "other"
            other.mkdir()
            node = Server(other, env=env)
            node.command = lambda: [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--data",
                                    str(other), "--store", harness.store_url(data)]
            nodes.append(node.start())
        codes = [sign(n.client(), "kept", email_addr=alias(10 + i)).status
                 for i, n in enumerate(nodes * 2)]
        assert codes == [200] + [429] * (len(codes) - 1), codes
    finally:
        for n in nodes:
            assert n.stop() == 0
    rows = [x for x in signatures_of(data, "kept") if x[0] == addr]
    assert len(rows) == 1, rows


def test_database_holds_exactly_what_it_should(stack):
    rows = query(stack.data,
                 "SELECT c.slug, s.state, s.canonical_email FROM signatures s "
                 "JOIN campaigns c ON c.id = s.campaign_id ORDER BY s.id")
    by = {}
    for slug, state, email in rows:
        by.setdefault(slug, []).append((state, email.split("-")[0]))
    assert by.get("bad") == [("confirmed", "csrfconfirm"), ("pending", "flood")], by
    assert by.get("xss") == [("confirmed", "xss")], by
    assert "closed-one" not in by and "draft-one" not in by
    if harness.BACKEND == "sqlite":
        assert query(stack.data, "PRAGMA integrity_check") == [("ok",)]


def test_slow_client_is_cut_off(stack):
    # Headers trickling in one byte a second: the server must close the connection (with or
    # without a 408) instead of holding it open forever. Bounded at 30 s.
    s = socket.create_connection((stack.server.host, stack.server.port), timeout=2)
    started = time.monotonic()
    closed = False
    try:
        s.sendall(b"GET /c/bad HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        while time.monotonic() - started < 30:
            try:
                s.sendall(b"a")
            except OSError:
                closed = True
                break
            try:
                s.recv(4096)  # EOF, or an answer (408): either way the server gave up on us
                closed = True
                break
            except socket.timeout:
                pass
            except OSError:
                closed = True
                break
    finally:
        s.close()
    assert closed, "a client sending one header byte every 2 s was kept for 30 s"
    assert stack.client().get("/healthz").status == 200


def test_guessing_link_tokens_is_throttled_per_address(tmp_path):
    """Unknown confirm, withdraw and review links use up an address's guesses; then even a
    real link from that address is refused (429) before it is looked up, so guessing tells
    nothing. Another address, and real links before that, are not slowed."""
    data = tmp_path / "data"
    create_campaign(data, "guess", title="Guess")
    server = Server(data, env={"UNDERSIGNED_LIMITS_LINK_GUESS_BURST": "3",
                               "UNDERSIGNED_LIMITS_LINK_GUESS_PER_SECOND": "0.01",
                               "UNDERSIGNED_SERVER_TRUST_PROXY": "true"}).start()
    try:
        c = server.client()
        guesser = {"X-Forwarded-For": "198.51.100.7"}
        addr = unique_email("guess")
        assert sign(c, "guess", email_addr=addr).status == 200
        [mail] = MailDir(data / "outbox-eml").wait_for_mail(addr)
        real = mail.link("confirm")[len(server.url):]
        assert c.get(real, headers=guesser).status == 200  # a real link uses no guess
        for path in ("/s/confirm?t=guess1", "/s/withdraw?t=guess2", "/o/review?t=guess3"):
            assert c.get(path, headers=guesser).status == 404, path
        for path in ("/s/confirm?t=guess4", "/o/confirm?t=guess5", real):
            r = c.get(path, headers=guesser)
            assert r.status == 429, (path, r)
            assert int(r.header("retry-after", "0")) >= 1, r.headers
            assert "network address" in r.text, r.text
        other = {"X-Forwarded-For": "203.0.113.9"}
        assert c.get(real, headers=other).status == 200
    finally:
        assert server.stop() == 0
