"""Events, end to end (issue 15, part 1), against the real binary and a real SMTP server: 64
concurrent RSVPs for a 50-place time, through the API's record_attendance_helper (on PostgreSQL
spread over two server nodes on one database), leave exactly 50 accepted and 14 waiting; a
cancellation promotes exactly one and mails them; a reminder goes out once, on time, with nobody
visiting, across a restart; a private address is absent from the public calendar, the API read
without a token and an unconfirmed attendee's mail, and present in the accepted attendee's; the
.ics parses with icalendar and shows the right local time across a daylight-saving change.

Events are made with `undersigned event ...` beside the running server (docs/events.md)."""

import concurrent.futures
import datetime
import re

import icalendar
import pytest

import harness
from harness import run_cli, unique_email

CAMPAIGNS = [{"slug": "protest", "title": "Protest letter"}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["crm"])


def cli(stack, *args, timeout=60):
    return run_cli(*args, data=stack.data, timeout=timeout).stdout


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_event(stack, slug, reminders=None, private=True):
    """A listed event in person (its place private unless told); its id."""
    args = ["event", "create", "protest", "--slug", slug, "--title", "Rally " + slug,
            "--venue", "Secret Garage", "--address", "12 Hidden Lane", "--host-name", "Hana",
            "--host-email", "hana@example.org"]
    if private:
        args.append("--private")
    if reminders:
        args += ["--reminders", reminders]
    return int(cli(stack, *args).strip())


def add_slot(stack, event_id, starts, ends, zone="UTC", capacity=0):
    return int(cli(stack, "event", "slot", event_id, "--starts", starts, "--ends", ends,
                   "--time-zone", zone, "--capacity", capacity).strip())


def rsvp(stack, event_slug, slot_id, email, trusted=True, guests=0):
    """Answers through the CLI, a process of its own beside the server. Many such processes
    starting at once may be refused while they open the store, before they write anything: one
    SQLite file may be locked, and a PostgreSQL server shared by the whole suite may have no
    connection left. Such a refusal is tried again; any other error fails the test."""
    args = ["event", "rsvp", "protest", event_slug, "--slot", slot_id, "--name",
            "Name " + email.split("@")[0], "--email", email, "--guests", guests]
    if trusted:
        args.append("--trusted")
    for _ in range(50):
        p = run_cli(*args, data=stack.data, timeout=120, check=False)
        if p.returncode == 0:
            out = p.stdout.split()
            return int(out[0]), out[1]
        assert ("database is locked" in p.stderr
                or "too many clients already" in p.stderr), p.stderr
    raise AssertionError("the store stayed locked or full")


def attendees(stack, event_id):
    rows = [line.split("\t") for line in cli(stack, "event", "attendees", event_id).splitlines()]
    return {int(r[0]): {"status": r[1], "email": r[3]} for r in rows}


def mails_with(stack, addr, prefix):
    return [m for m in stack.sink.maildir.to(addr) if m.subject.startswith(prefix)]


def ics_of(mail):
    for part in mail.msg.iter_attachments():
        if part.get_content_type() == "text/calendar":
            data = part.get_payload(decode=True)
            return icalendar.Calendar.from_ical(data), data
    return None, b""


def second_node(stack):
    """Another `undersigned serve` on the stack's PostgreSQL database (a data directory of its
    own, the same store, the same SMTP server), as a second node behind a load balancer."""
    root = stack.root / "node2"
    node = harness.Server(root, stack.sink.port)
    url = harness.store_url(stack.data)
    node.command = lambda: [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--data", str(root),
                            "--store", url, "--smtp", "smtp://127.0.0.1:%d" % stack.sink.port]
    return node.start()


def api_rsvp(client, token, slot_id, email):
    """An RSVP through the API's helper with a trusted token: (attendance id, status)."""
    r = client.api("POST", "/api/v2/events/%d/record_attendance_helper" % slot_id,
                   {"person": {"given_name": "Name", "family_name": email.split("@")[0],
                               "email_addresses": [{"address": email}]}},
                   token=token)
    assert r.status == 200, r
    body = r.json()
    return int(body["identifiers"][0].split(":")[1]), body["undersigned:status"]


def test_64_concurrent_rsvps_for_50_places_and_a_cancellation_promotes_exactly_one(stack):
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)
    event_id = make_event(stack, "race")
    slot = add_slot(stack, event_id, iso(start), iso(start + datetime.timedelta(hours=2)),
                    capacity=50)
    # On PostgreSQL the RSVPs alternate between two nodes on one database: the slot's row lock,
    # not one process's memory, keeps the capacity.
    nodes = [stack.server]
    if harness.BACKEND == "postgres":
        nodes.append(second_node(stack))
    try:
        token = stack.tokens["crm"]
        emails = [unique_email("race%02d" % i) for i in range(64)]
        clients = [n.client() for n in nodes]
        with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
            results = list(pool.map(
                lambda ie: api_rsvp(clients[ie[0] % len(clients)], token, slot, ie[1]),
                enumerate(emails)))
    finally:
        for n in nodes[1:]:
            assert n.stop() == 0, n.log()[-3000:]
    statuses = [s for _, s in results]
    assert statuses.count("accepted") == 50
    assert statuses.count("waitlisted") == 14
    rows = attendees(stack, event_id)
    assert sum(1 for r in rows.values() if r["status"] == "accepted") == 50
    assert sum(1 for r in rows.values() if r["status"] == "waitlisted") == 14
    assert re.search(r"slot %d\t.*\t50/50 taken\t14 waiting" % slot,
                     cli(stack, "event", "list", "protest"))
    # The API says the same: 50 places taken, 14 waiting, positions 1 to 14.
    ev = stack.client().api("GET", "/api/v2/events/%d" % slot).json()
    assert (ev["capacity"], ev["total_accepted"], ev["undersigned:waitlisted"]) == (50, 50, 14)
    listed = stack.client().api("GET", "/api/v2/events/%d/attendances" % slot,
                                token=stack.tokens["crm"]).json()
    positions = sorted(a["undersigned:waitlist_position"]
                       for a in listed["_embedded"]["osdi:attendances"]
                       if a["undersigned:status"] == "waitlisted")
    assert positions == list(range(1, 15))

    # The first waiting person (the lowest position) is promoted, and only them.
    waiting = sorted(i for i, r in rows.items() if r["status"] == "waitlisted")
    accepted = sorted(i for i, r in rows.items() if r["status"] == "accepted")
    assert "promoted 1" in cli(stack, "event", "cancel-rsvp", accepted[0])
    after = attendees(stack, event_id)
    promoted = [i for i in waiting if after[i]["status"] == "accepted"]
    assert len(promoted) == 1
    assert sum(1 for r in after.values() if r["status"] == "accepted") == 50
    assert sum(1 for r in after.values() if r["status"] == "waitlisted") == 13
    addr = after[promoted[0]]["email"]
    harness.wait_until(lambda: mails_with(stack, addr, "A place freed up"), 30,
                       what="the promotion mail to %s" % addr)
    [mail] = mails_with(stack, addr, "A place freed up")
    assert "12 Hidden Lane" in mail.text
    cal, _ = ics_of(mail)
    assert cal is not None


def test_a_private_address_reaches_only_the_accepted_attendee(stack):
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)
    event_id = make_event(stack, "hidden")
    slot = add_slot(stack, event_id, iso(start), iso(start + datetime.timedelta(hours=1)),
                    capacity=10)
    pending = unique_email("pending")
    accepted = unique_email("accepted")
    rsvp(stack, "hidden", slot, pending, trusted=False)
    rsvp(stack, "hidden", slot, accepted, trusted=True)
    [ask] = stack.wait_for_mail(pending, timeout=30)
    assert ask.subject.startswith("Please confirm")
    assert "Hidden Lane" not in ask.raw.decode("utf-8", "replace")
    assert "Secret Garage" not in ask.raw.decode("utf-8", "replace")
    # The link shows a page with a button and changes nothing; the button confirms.
    link = re.search(r"https?://\S+/confirm\?t=\S+", ask.text).group(0)
    path = "/" + link.split("/", 3)[3]
    client = stack.client()
    page = client.get(path)
    assert page.status == 200, page
    assert "Hidden Lane" not in page.text
    assert [r["status"] for r in attendees(stack, event_id).values()
            if r["email"] == pending] == ["pending"]
    token = path.split("?t=", 1)[1]
    done = client.post_form(path.split("?")[0], {"t": token})
    assert done.status == 200, done
    assert "You are coming" in done.text
    assert "12 Hidden Lane" in done.text
    [(status,)] = [(r["status"],) for r in attendees(stack, event_id).values()
                   if r["email"] == pending]
    assert status == "accepted"
    # A second press finds the link spent.
    assert client.post_form(path.split("?")[0], {"t": token}).status == 404
    [yes] = stack.wait_for_mail(accepted, timeout=30)
    assert yes.subject.startswith("You're in")
    assert "12 Hidden Lane" in yes.text
    cal, _ = ics_of(yes)
    [ev] = cal.walk("VEVENT")
    assert "12 Hidden Lane" in str(ev["LOCATION"])
    # The public calendar of the campaign lists the event without its place, from the server
    # and from the CLI alike.
    r = stack.client().get("/c/protest/events.ics")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/calendar")
    feed = r.text
    assert "Hidden Lane" not in cli(stack, "event", "calendar", "protest")
    assert "Rally hidden" in feed
    assert "Hidden Lane" not in feed and "Secret Garage" not in feed
    parsed = icalendar.Calendar.from_ical(feed.encode())
    assert all("LOCATION" not in e or "Hidden" not in str(e["LOCATION"])
               for e in parsed.walk("VEVENT"))
    # The API read without a token: the event is there, its place is not; with a token it is.
    for path in ("/api/v2/events", "/api/v2/events/%d" % slot):
        r = stack.client().api("GET", path)
        assert r.status == 200, r
        assert "Rally hidden" in r.text
        assert "Hidden Lane" not in r.text and "Secret Garage" not in r.text, r.text
    r = stack.client().api("GET", "/api/v2/events/%d" % slot, token=stack.tokens["crm"])
    assert r.json()["location"]["address_lines"] == ["12 Hidden Lane"]


def test_the_calendar_shows_local_times_across_a_daylight_saving_change(stack):
    # Paris leaves summer time on 31 October 2027: 18:00 local is 16:00 UTC before, 17:00 after.
    event_id = make_event(stack, "dst", private=False)
    add_slot(stack, event_id, "2027-10-30T18:00", "2027-10-30T20:00", zone="Europe/Paris")
    add_slot(stack, event_id, "2027-11-01T18:00", "2027-11-01T20:00", zone="Europe/Paris")
    raw = run_cli("event", "calendar", "protest", data=stack.data).stdout.encode()
    cal = icalendar.Calendar.from_ical(raw)
    starts = sorted(e.decoded("DTSTART") for e in cal.walk("VEVENT")
                    if str(e["SUMMARY"]) == "Rally dst")
    assert [s.hour for s in starts] == [18, 18]
    assert [s.astimezone(datetime.timezone.utc).hour for s in starts] == [16, 17]
    assert cal.walk("VTIMEZONE"), "a VTIMEZONE for Europe/Paris"
    assert "Secret Garage" in str([e.get("LOCATION") for e in cal.walk("VEVENT")])


def test_a_reminder_goes_out_once_on_time_with_nobody_visiting_across_a_restart(stack):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = now + datetime.timedelta(seconds=600)
    # Reminders 585 and 570 seconds before the start: about 15 and 30 seconds from now.
    event_id = make_event(stack, "remind", reminders="585,570")
    slot = add_slot(stack, event_id, iso(start), iso(start + datetime.timedelta(hours=1)),
                    capacity=10)
    addr = unique_email("remind")
    rsvp(stack, "remind", slot, addr)
    [first] = harness.wait_until(lambda: mails_with(stack, addr, "Reminder:"), 40,
                                 what="the first reminder")
    assert "12 Hidden Lane" in first.text
    assert "/cancel?t=" in first.text
    # The cancel link works from the mail (the page, then its button).
    cancel = re.search(r"https?://\S+/cancel\?t=\S+", first.text).group(0)
    cancel_path = "/" + cancel.split("/", 3)[3]
    assert stack.client().get(cancel_path).status == 200
    cal, _ = ics_of(first)
    [ev] = cal.walk("VEVENT")
    assert ev.decoded("DTSTART").astimezone(datetime.timezone.utc) == start
    # A restart between the two reminders: the first is not sent again, the second goes out.
    stack.server.stop()
    stack.server.start()
    harness.wait_until(lambda: len(mails_with(stack, addr, "Reminder:")) >= 2, 60,
                       what="the second reminder")
    stack.server.stop()
    stack.server.start()
    assert len(mails_with(stack, addr, "Reminder:")) == 2
    [(claimed,)] = harness.query(stack.data, "SELECT count(*) FROM event_reminders WHERE slot_id = %d"
                            % slot)
    assert claimed == 2


def test_the_public_pages_list_an_event_take_an_rsvp_and_keep_what_was_typed(stack):
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=5)
    event_id = make_event(stack, "pages")
    slot = add_slot(stack, event_id, iso(start), iso(start + datetime.timedelta(hours=2)),
                    zone="Europe/Paris", capacity=1)
    client = stack.client()
    listing = client.get("/c/protest/agenda")
    assert listing.status == 200, listing
    assert "Rally pages" in listing.text
    assert "/c/protest/events/pages" in listing.text
    # This event's entry (other events of the module show their place: not all are private).
    entry = listing.text.split("Rally pages", 1)[1].split("<h2>", 1)[0]
    assert "Europe/Paris" in entry
    assert "Hidden Lane" not in entry and "Secret Garage" not in entry
    page = client.get("/c/protest/events/pages")
    assert page.status == 200, page
    assert "The address is sent to confirmed attendees" in page.text
    assert "Hidden Lane" not in page.text and "Secret Garage" not in page.text
    assert "(Europe/Paris)" in page.text
    assert "1 place left" in page.text
    assert "Hosted by Hana" in page.text
    assert "hana@example.org" not in page.text
    form = harness.find_form(page.text, "/c/protest/events/pages/rsvp")
    fields = harness.hidden_fields(form)
    assert harness.field_value(form, "slot") == str(slot)

    # A bad address: 422, the form again with what was typed and a message.
    bad = dict(fields, slot=str(slot), name="Zoë Tester", email="not-an-address", guests="2")
    r = client.post_form(form["action"], bad)
    assert r.status == 422, r
    assert "Zoë Tester" in r.text and "not-an-address" in r.text
    assert "is not an email address" in r.text
    assert 'value="2"' in r.text
    r = client.post_form(form["action"], dict(bad, email=unique_email("g"), guests="many"))
    assert r.status == 422, r
    assert "from 0 to 10" in r.text
    assert attendees(stack, event_id) == {}

    # A good one: "check your email"; the mailed link confirms; the place is then taken.
    addr = unique_email("pagesrsvp")
    r = client.post_form(form["action"], dict(fields, slot=str(slot), name="Ada", email=addr,
                                              guests="0"))
    assert r.status == 200, r
    assert "Check your email" in r.text
    [ask] = stack.wait_for_mail(addr, timeout=30)
    link = re.search(r"https?://\S+/confirm\?t=\S+", ask.text).group(0)
    path = "/" + link.split("/", 3)[3]
    done = client.post_form(path.split("?")[0], {"t": path.split("?t=", 1)[1]})
    assert "You are coming" in done.text
    assert "Full: you can join the waitlist" in client.get("/c/protest/events/pages").text
    # The same address again: 409 with a message, the form kept.
    again = client.post_form(form["action"], dict(fields, slot=str(slot), name="Ada",
                                                  email=addr, guests="0"))
    assert again.status == 409, again
    assert "already answered" in again.text and addr in again.text

    # The event's own calendar parses, with the zone and without the private place.
    cal = client.get("/c/protest/events/pages/calendar.ics")
    assert cal.status == 200, cal
    assert cal.header("Content-Type").startswith("text/calendar")
    assert "DTSTART;TZID=Europe/Paris" in cal.text
    assert "Hidden Lane" not in cal.text
    parsed = icalendar.Calendar.from_ical(cal.body)
    [ev] = parsed.walk("VEVENT")
    assert ev.decoded("DTSTART").astimezone(datetime.timezone.utc) == start.replace(microsecond=0)

    assert client.get("/c/protest/events/no-such-event").status == 404
    # A form without its CSRF token is refused and stores nothing.
    r = client.post_form(form["action"], {"slot": str(slot), "name": "X",
                                          "email": unique_email("x")})
    assert r.status == 403, r


def test_a_supporter_proposes_an_event_that_is_listed_only_once_approved(stack):
    client = stack.client()
    page = client.get("/c/protest/propose-event")
    assert page.status == 200, page
    form = harness.find_form(page.text, "/c/protest/propose-event")
    fields = harness.hidden_fields(form)
    start = datetime.datetime.now() + datetime.timedelta(days=9)
    good = dict(fields, title="Picnic for the letter", description="Bring *food*.",
                kind="in_person", venue="The park", address="1 Green Road",
                accessibility="Flat grass", starts=start.strftime("%Y-%m-%dT%H:%M"),
                ends=(start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                time_zone="Europe/Berlin", capacity="20", host_name="Pia",
                host_email=unique_email("pia"))
    # Missing the host's address: 422, everything typed kept.
    r = client.post_form(form["action"], dict(good, host_email=""))
    assert r.status == 422, r
    assert "Picnic for the letter" in r.text and "1 Green Road" in r.text
    assert "Give your email address" in r.text
    r = client.post_form(form["action"], good)
    assert r.status == 200, r
    assert "an organizer will review it" in r.text
    listed = cli(stack, "event", "list", "protest")
    [line] = [l for l in listed.splitlines() if "Picnic for the letter" in l]
    assert "proposed" in line
    assert "Picnic" not in client.get("/c/protest/agenda").text
    event_id = int(line.split()[0])
    cli(stack, "event", "status", event_id, "listed")
    assert "Picnic for the letter" in client.get("/c/protest/agenda").text
