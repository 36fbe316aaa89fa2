#!/usr/bin/env python3
"""An organizer watching a campaign's dashboard, for bench/run (issue 13): signs in to the
console over HTTP as a person would (the one-time link `undersigned user create` printed, a
password chosen on the account page, then the sign-in form with its CSRF token), fetches
/console/c/<slug>/dashboard --idle times alone, writes --ready, then fetches it again and again
(every --interval seconds, 0: back to back) until --stop exists, and writes what it saw to --out
as JSON: the idle and the watched fetches' count, median and p99 in ms, and any failures.

    watch_dashboard.py --url http://127.0.0.1:PORT --link LINK --email EMAIL --slug SLUG --ready FILE
                       --stop FILE --out FILE [--idle 20] [--interval 0.2] [--timeout 120]

Standard library only. Exits 1 (with the reason on stderr) if signing in fails."""

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

PASSWORD = "bench horse battery staple"


class Client:
    """Keep-alive HTTP with a cookie jar (name -> value)."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.cookies = {}
        self.conn = None

    def request(self, method, path, fields=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        if r.getheader("connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        for name, value in r.getheaders():
            if name.lower() != "set-cookie":
                continue
            first = value.split(";", 1)[0]
            if "=" in first:
                k, v = first.split("=", 1)
                if v == "" or re.search(r"max-age=0\b", value, re.I):
                    self.cookies.pop(k.strip(), None)
                else:
                    self.cookies[k.strip()] = v
        return r.status, r.getheader("location", ""), data.decode("utf-8", "replace")


def hidden(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    if not m:
        sys.exit("watch_dashboard: no hidden field %s on the page" % name)
    return m.group(1)


def expect(what, status, want):
    if status != want:
        sys.exit("watch_dashboard: %s answered %d, not %d" % (what, status, want))


def sign_in(url, link):
    first = Client(url)
    u = urllib.parse.urlsplit(link)
    status, _, page = first.request("GET", u.path + "?" + u.query)
    expect("the sign-in link", status, 200)
    status, _, _ = first.request("POST", "/console/link",
                                 {"csrf": hidden(page, "csrf"), "t": hidden(page, "t")})
    expect("following the link", status, 303)
    status, _, page = first.request("GET", "/console/account")
    expect("the account page", status, 200)
    status, _, _ = first.request("POST", "/console/account/password",
                                 {"csrf": hidden(page, "csrf"), "password": PASSWORD,
                                  "password_again": PASSWORD})
    expect("choosing a password", status, 303)
    # Signing in with the form, as on any later day.
    c = Client(url)
    status, _, form = c.request("GET", "/console/sign-in")
    expect("the sign-in form", status, 200)
    return c, form


def percentile(ms, p):
    if not ms:
        return None
    s = sorted(ms)
    return round(s[min(len(s) - 1, int(len(s) * p))], 2)


def summary(ms, failures):
    return {"n": len(ms), "p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99),
            "failures": failures}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--link", required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--slug", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--idle", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()

    c, form = sign_in(a.url, a.link)
    status, location, _ = c.request("POST", "/console/sign-in",
                                    {"csrf": hidden(form, "csrf"), "email": a.email,
                                     "password": PASSWORD, "code": "", "next": "/console"})
    expect("signing in with the form", status, 303)
    path = "/console/c/%s/dashboard" % a.slug

    def fetch():
        t = time.perf_counter()
        status, _, page = c.request("GET", path)
        ms = (time.perf_counter() - t) * 1000
        return ms, status == 200 and "<svg" in page

    idle, idle_failures = [], 0
    for _ in range(a.idle):
        ms, ok = fetch()
        if ok:
            idle.append(ms)
        else:
            idle_failures += 1
    if not idle:
        sys.exit("watch_dashboard: the dashboard never answered 200 with its chart")
    open(a.ready, "w").close()

    watched, failures = [], 0
    deadline = time.monotonic() + a.timeout
    while not os.path.exists(a.stop) and time.monotonic() < deadline:
        t = time.monotonic()
        ms, ok = fetch()
        if ok:
            watched.append(ms)
        else:
            failures += 1
        if a.interval > 0:
            time.sleep(max(0.0, a.interval - (time.monotonic() - t)))
    with open(a.out, "w") as f:
        json.dump({"idle": summary(idle, idle_failures), "watched": summary(watched, failures)},
                  f)


if __name__ == "__main__":
    main()
