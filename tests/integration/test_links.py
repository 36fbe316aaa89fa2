"""Links, names and deadlines (issue 11, items 6, 7 and 10), against the real binary: the public
base URL is kept with the instance and used everywhere, deliver included; a changed one is
refused at start unless the operator says the site moved; listening on 0.0.0.0 never makes
0.0.0.0 links; a date deadline closes at the end of that day and every surface (CLI, home page,
campaign page, JSON, API) agrees on open or closed; a past deadline is refused; the demo says
where its mail went, labels each link in its log and prints each campaign's full URL."""

import datetime
import json
import urllib.parse

import harness
from harness import Server, create_campaign, create_token, find_form, run_cli, unique_email, \
    wait_until

SITE = "https://sign.example.org"
MOVED = "https://letters.example.org"


class ServerOn(Server):
    """A server on a listen address of the test's choosing (Server always takes 127.0.0.1)."""

    def __init__(self, data_dir, listen, args=()):
        super().__init__(data_dir, None, args)
        self.listen = listen

    def command(self):
        return [harness.BIN, "serve", "--listen", self.listen, "--data", str(self.data)] + \
            harness.store_args(self.data) + self.args


def refused_start(data, *args):
    """Runs a serve that must refuse to start; returns its output."""
    p = run_cli("serve", "--listen", "127.0.0.1:0", *args, data=data, check=False, timeout=60)
    assert p.returncode != 0, "serve %s started: %s" % (args, p.stdout)
    return p.stdout + p.stderr


def page(server, path):
    r = server.client().get(path)
    assert r.status == 200, r
    return r.text


def test_deliver_uses_the_kept_base_url(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "letter")
    # Nothing given or kept yet: deliver says how to give one instead of writing 127.0.0.1.
    p = run_cli("deliver", "letter", "--format", "json", data=data, check=False)
    assert p.returncode == 2, p
    assert "--base-url" in p.stderr and "127.0.0.1" not in p.stdout, p

    server = Server(data, args=["--base-url", SITE + "/"]).start()
    try:
        assert SITE + "/c/letter" in page(server, "/c/letter")
    finally:
        assert server.stop() == 0
    out = run_cli("deliver", "letter", "--format", "json", data=data).stdout
    assert json.loads(out)["campaign"]["url"] == SITE + "/c/letter"
    assert "127.0.0.1" not in out
    html = run_cli("deliver", "letter", data=data).stdout
    assert 'href="%s/c/letter"' % SITE in html


def test_a_changed_base_url_is_refused_unless_the_site_moved(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "letter")
    server = Server(data, args=["--base-url", SITE]).start()
    assert server.stop() == 0
    origin = run_cli("log", "key", data=data).stdout
    assert "origin:       sign.example.org/log" in origin, origin

    out = refused_start(data, "--base-url", MOVED)
    assert SITE in out and MOVED in out and "--change-base-url" in out, out

    server = Server(data, args=["--base-url", MOVED, "--change-base-url"]).start()
    try:
        assert MOVED + "/c/letter" in page(server, "/c/letter")
    finally:
        assert server.stop() == 0
    assert "sign.example.org/log" in server.log()  # said plainly: the log keeps its origin
    # The new URL is the kept one from now on: a start without --base-url and deliver use it.
    server = Server(data).start()
    try:
        assert MOVED + "/c/letter" in page(server, "/c/letter")
    finally:
        assert server.stop() == 0
    out = run_cli("deliver", "letter", "--format", "json", data=data).stdout
    assert json.loads(out)["campaign"]["url"] == MOVED + "/c/letter"
    assert run_cli("log", "key", data=data).stdout == origin


def test_a_base_url_that_disagrees_with_the_logs_origin_is_refused(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()  # the log's origin is made from the listen address
    assert server.stop() == 0
    out = refused_start(data, "--base-url", SITE)
    assert "127.0.0.1" in out and "--change-base-url" in out, out


def test_listening_on_every_interface_never_makes_0000_links(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "letter")
    p = run_cli("serve", "--listen", "0.0.0.0:0", data=data, check=False, timeout=60)
    assert p.returncode != 0
    assert "--base-url" in p.stderr and "every interface" in p.stderr, p.stderr
    p = run_cli("serve", "--listen", "127.0.0.1:0", "--base-url", "http://0.0.0.0:8080",
                data=data, check=False, timeout=60)
    assert p.returncode != 0 and "every interface" in p.stderr, p.stderr

    server = ServerOn(data, "0.0.0.0:0", ["--base-url", SITE]).start()
    assert server.stop() == 0
    server = ServerOn(data, "0.0.0.0:0").start()  # the kept URL serves
    try:
        text = page(server, "/c/letter")
        assert SITE + "/c/letter" in text and "0.0.0.0" not in text
        addr = unique_email("anywhere")
        r = harness.sign(server.client(), "letter", email_addr=addr)
        assert r.status in (200, 303), r
        wait_until(lambda: "confirm: " + SITE + "/s/confirm?t=" in server.log(), 15,
                   what="the confirm link in the log")
    finally:
        assert server.stop() == 0
    stray = [line for line in server.log().splitlines()
             if "0.0.0.0" in line and "listening on" not in line]  # the address it binds
    assert not stray, stray


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def api_status(server, token, slug):
    r = server.client().api("GET", "/api/v2/petitions?per_page=100", token=token)
    assert r.status == 200, r
    for p in r.json()["_embedded"]["osdi:petitions"]:
        if p["name"] == slug:
            return p["undersigned:status"]
    raise AssertionError("no petition %s" % slug)


def surfaces(server, data, token, slug):
    """The status each surface shows for slug: CLI show, CLI list, home page, campaign page
    (open if it has the sign form), JSON, API."""
    show = run_cli("campaign", "show", slug, data=data).stdout
    status_line = [line for line in show.splitlines() if line.startswith("status:")][0]
    listed = [line for line in run_cli("campaign", "list", data=data).stdout.splitlines()
              if line.startswith(slug + " ")][0]
    home = page(server, "/")
    campaign = page(server, "/c/" + slug)
    try:
        find_form(campaign, "/c/%s/sign" % slug)
        form = "open"
    except AssertionError:
        form = "closed"
    return {
        "show": status_line.split()[1],
        "list": listed.split()[1],
        "home": "open" if ('href="/c/%s"' % slug) in home else "closed",  # lists open ones
        "page": form,
        "json": server.client().get("/c/%s.json" % slug).json()["status"],
        "api": api_status(server, token, slug),
    }


def test_a_date_deadline_ends_with_that_day_and_every_surface_agrees(tmp_path):
    data = tmp_path / "data"
    token = create_token(data, "surfaces")
    day = today()
    made = create_campaign(data, "until-tonight", extra=["--deadline", day.isoformat()])
    assert "(open)" in made.stdout, made.stdout
    show = run_cli("campaign", "show", "until-tonight", data=data).stdout
    closes = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0, 0))
    assert "deadline:  %sZ" % closes.isoformat() in show, show
    assert "the end of %d %s %d (UTC)" % (day.day, day.strftime("%B"), day.year) in show, show

    # Refused with a message that says what to fix: a past date, an unknown zone.
    yesterday = (day - datetime.timedelta(days=1)).isoformat()
    p = create_campaign_unchecked(data, "too-late", ["--deadline", yesterday])
    assert p.returncode == 2 and "deadline" in p.stderr and "already passed" in p.stderr, p
    p = create_campaign_unchecked(data, "nowhere",
                                  ["--deadline", day.isoformat(), "--time-zone", "Nowhere/Land"])
    assert p.returncode == 2 and "Nowhere/Land" in p.stderr, p
    assert "too-late" not in run_cli("campaign", "list", data=data).stdout

    # A deadline a few seconds away, as a full timestamp (taken as given).
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
    create_campaign(data, "closing-soon",
                    extra=["--deadline", soon.strftime("%Y-%m-%dT%H:%M:%SZ")])

    server = Server(data).start()
    try:
        assert set(surfaces(server, data, token, "until-tonight").values()) == {"open"}
        text = page(server, "/c/until-tonight")
        assert "Open until" in text and ">the end of %d %s %d (UTC)</time>" % (
            day.day, day.strftime("%B"), day.year) in text, text
        wait_until(lambda: server.client().get("/c/closing-soon.json").json()["status"] ==
                   "closed", 20, what="the deadline to pass")
        seen = surfaces(server, data, token, "closing-soon")
        assert set(seen.values()) == {"closed"}, seen
        assert "Closed since" in page(server, "/c/closing-soon")
        show = run_cli("campaign", "show", "closing-soon", data=data).stdout
        assert "closed (its deadline passed)" in show, show
        # Opening it again needs a new deadline.
        p = run_cli("campaign", "open", "closing-soon", data=data, check=False)
        assert p.returncode == 2 and "already passed" in p.stderr, p
    finally:
        assert server.stop() == 0


def create_campaign_unchecked(data, slug, extra):
    return run_cli("campaign", "create", "--slug", slug, "--title", "T " + slug, "--goal", 10,
                   "--status", "open", "--target", "Pat Example", *extra, data=data, check=False)


def test_the_demo_says_where_its_mail_went(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "letter")
    server = Server(data).start()  # no SMTP: mail is written as .eml files
    try:
        # The startup log prints the full URL of each open campaign, at every start.
        wait_until(lambda: server.url + "/c/letter" in server.log(), 10,
                   what="the campaign URL in the startup log")
        client = server.client()
        r = harness.sign(client, "letter", email_addr=unique_email("demo"))
        if r.status == 303:  # post/redirect/get
            r = client.get(urllib.parse.urlsplit(r.header("location")).path +
                           "?" + urllib.parse.urlsplit(r.header("location")).query)
        assert r.status == 200, r
        eml_dir = str((data / "outbox-eml").resolve())
        assert eml_dir in r.text and "sends no email" in r.text, r.text
        wait_until(lambda: "confirm: " + server.url + "/s/confirm?t=" in server.log() and
                   "withdraw: " + server.url + "/s/withdraw?t=" in server.log(), 15,
                   what="labelled links in the log")
    finally:
        assert server.stop() == 0
    server = Server(data).start()
    try:
        wait_until(lambda: server.url + "/c/letter" in server.log(), 10,
                   what="the campaign URL at the second start")
    finally:
        assert server.stop() == 0
