"""Fundraisers end to end through the real binary and the Stripe emulator (tests/stripe/): a gift
through emulated Checkout moves the page's total (awaited on the event stream), the same webhook
delivered three times counts once, a bad signature or an old timestamp is refused, a refund takes
the gift back, and offline gifts come in from the CLI and the API's record_donation_helper. See
docs/fundraising.md."""

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.parse

import pytest

import harness
from harness import Server
from stripe_emulator import StripeEmulator


@pytest.fixture
def emulator():
    e = StripeEmulator()
    yield e
    e.stop()


def totals(client, slug="hives"):
    r = client.get("/f/%s.json" % slug)
    assert r.status == 200, r
    return r.json()


def read_event(server, path, want, subscribed=None):
    """Reads the event stream at path until an event whose data satisfies want(data); sets the
    threading.Event subscribed once the stream answered (the server has subscribed)."""
    import http.client
    u = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
    try:
        conn.request("GET", path, headers={"Accept": "text/event-stream"})
        r = conn.getresponse()
        assert r.status == 200
        deadline = time.monotonic() + 20
        while True:
            assert time.monotonic() < deadline, "no event satisfied the test:\n" + server.log()
            line = r.fp.readline()
            assert line, "the stream ended"
            if subscribed is not None and line.startswith(b"retry:"):
                subscribed.set()
            if line.startswith(b"data: "):
                data = json.loads(line[6:])
                if want(data):
                    return data
    finally:
        conn.close()


def signed(body, secret, t):
    mac = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def test_a_gift_through_checkout_counts_once_from_its_webhooks(tmp_path, emulator):
    data = tmp_path / "data"
    harness.create_campaign(data, "bees", title="Save the bees")
    harness.run_cli("fundraiser", "create", "--slug", "hives", "--campaign", "bees", "--title",
                    "Hives for the city", "--goal", "5000", "--suggested", "10", "25",
                    "--monthly", "--item", "hive=One hive=300.00", data=data)
    harness.run_cli("fundraiser", "status", "hives", "open", data=data)
    server = Server(data, env=emulator.env()).start()
    try:
        emulator.request("POST", "/_emulator/config",
                         {"webhook_url": server.url + "/webhooks/stripe"})
        c = server.client()
        page = c.get("/f/hives")
        assert page.status == 200, page
        assert "$0.00" in page.text and "Hives for the city" in page.text
        # The gift form ends on Checkout, another site: the page's policy lets it go there.
        assert "form-action 'self' https:;" in page.header("content-security-policy"), \
            page.headers
        # Monthly is offered, never pre-selected.
        assert re.search(r'<input id="f-monthly"[^>]*>', page.text)
        assert "checked" not in re.search(r'<input id="f-monthly"[^>]*>', page.text).group(0)
        form = harness.find_form(page.text, "/f/hives/give")
        fields = harness.hidden_fields(form)
        fields.update({"amount": "25.00", "name": "Ada Donor", "email": "ada@example.org",
                       "named": "yes", "line_item": "hive"})
        r = c.post_form("/f/hives/give", fields, headers={"Origin": server.url})
        assert r.status == 303, r.text
        session = re.search(r"cs_[A-Za-z0-9_]+", r.header("location")).group(0)
        # Nothing counts before the payment provider says so; the thank-you page says as much.
        assert totals(c)["total"] == 0
        thanks = c.get("/f/hives/thanks?session=" + session)
        assert thanks.status == 200 and "when the payment arrives" in thanks.text

        status, _ = emulator.complete_checkout(session)
        assert status == 200
        got = read_event(server, "/f/hives/events", lambda d: d.get("total") == 2500)
        assert got["donations"] == 1 and got["items"][0]["total"] == 2500
        emulator.flush()
        deliveries = emulator.state()["deliveries"]
        assert all(d["status"] == 200 for d in deliveries), deliveries
        completed = [d["event"] for d in deliveries if d["type"] == "checkout.session.completed"]
        assert len(completed) == 1
        for _ in range(2):  # delivered three times in all
            emulator.request("POST", "/_emulator/events/%s/resend" % completed[0])
        emulator.flush()
        assert [d["status"] for d in emulator.state()["deliveries"]
                if d["event"] == completed[0]] == [200, 200, 200]
        t = totals(c)
        assert t["total"] == 2500 and t["donations"] == 1, t
        page = c.get("/f/hives")
        assert "$25.00" in page.text and "Ada Donor" in page.text
        assert "ada@example.org" not in page.text

        # A bad signature, an old timestamp: refused, nothing moves.
        body = json.dumps({"id": "evt_forged", "type": "charge.refunded", "object": "event",
                           "data": {"object": {"payment_intent": "pi_x", "refunded": True}}}
                          ).encode()
        now = int(time.time())
        bad = c.request("POST", "/webhooks/stripe", body=body, headers={
            "Stripe-Signature": signed(body, "whsec_wrong", now),
            "Content-Type": "application/json"})
        assert bad.status == 400, bad.text
        old = c.request("POST", "/webhooks/stripe", body=body, headers={
            "Stripe-Signature": signed(body, emulator.webhook_secret, now - 1000),
            "Content-Type": "application/json"})
        assert old.status == 400, old.text
        fine = c.request("POST", "/webhooks/stripe", body=body, headers={
            "Stripe-Signature": signed(body, emulator.webhook_secret, now),
            "Content-Type": "application/json"})
        assert fine.status == 200, fine.text  # verified, about no donation of ours
        assert totals(c)["total"] == 2500

        # A refund from Stripe takes the gift back.
        pi = emulator.state()["objects"]["payment_intent"][0]["id"]
        # Watched live: subscribed first, then the refund; the stream brings the new total.
        subscribed, box = threading.Event(), {}
        watcher = threading.Thread(target=lambda: box.update(got=read_event(
            server, "/f/hives/events", lambda d: d.get("total") == 0, subscribed)))
        watcher.start()
        assert subscribed.wait(15)
        status, refund = emulator.request("POST", "/v1/refunds", {"payment_intent": pi},
                                          idempotency_key="test-refund-1")
        assert status == 200, refund
        watcher.join(30)
        assert box.get("got", {}).get("donations") == 0, box

        # Offline gifts: the CLI (the operator's console) and the API's helper.
        harness.run_cli("fundraiser", "gift", "hives", "--amount", "40.00", "--method", "check",
                        "--reference", "CHQ-0042", "--name", "Bea", data=data)
        assert totals(c)["total"] == 4000  # a gift from another process: at the next read
        token = harness.create_token(data, "treasurer")
        pages = c.api("GET", "/api/v2/fundraising_pages", token=token)
        assert pages.status == 200, pages.text
        fp = pages.json()["_embedded"]["osdi:fundraising_pages"][0]
        assert fp["total_amount"] == "40.00" and fp["undersigned:goal"] == "5000.00"
        helper = urllib.parse.urlsplit(fp["_links"]["osdi:record_donation_helper"]["href"]).path
        r = c.api("POST", helper, {"amount": "20.01", "currency": "USD",
                                   "payment": {"method": "cash", "reference_number": "R-7"},
                                   "person": {"given_name": "Cy",
                                              "email_addresses": [{"address": "cy@example.org"}]}},
                  token=token)
        assert r.status == 200, r.text
        d = r.json()
        assert d["amount"] == "20.01" and d["payment"]["reference_number"] == "R-7"
        for bad_amount in ["-5.00", "twenty", "1.234"]:
            r = c.api("POST", helper, {"amount": bad_amount}, token=token)
            assert r.status == 400, r.text
            assert "amount" in r.text
        assert c.api("POST", helper, {"amount": "1.00"}).status == 401
        t = totals(c)
        assert t["total"] == 6001 and t["donations"] == 2, t
        csv = harness.run_cli("fundraiser", "csv", "hives", data=data).stdout
        assert '"20.01","USD","succeeded","offline","cash","R-7"' in csv
        assert '"25.00","USD","refunded","stripe"' in csv
    finally:
        assert server.stop() == 0
    assert emulator.api_key not in server.log()


def test_without_payments_the_page_says_so_and_offline_gifts_work(tmp_path):
    data = tmp_path / "data"
    harness.run_cli("fundraiser", "create", "--slug", "alone", "--title", "Stand alone",
                    "--goal", "100", data=data)
    harness.run_cli("fundraiser", "status", "alone", "open", data=data)
    server = Server(data).start()
    try:
        c = server.client()
        page = c.get("/f/alone")
        assert page.status == 200
        assert "takes no card payments" in page.text
        assert c.request("POST", "/webhooks/stripe", body="{}").status == 404
        harness.run_cli("fundraiser", "gift", "alone", "--amount", "10", data=data)
        assert totals(c, "alone")["total"] == 1000
    finally:
        assert server.stop() == 0


def test_the_campaign_page_shows_its_open_fundraiser_and_its_total(tmp_path):
    data = tmp_path / "data"
    harness.create_campaign(data, "bees", title="Save the bees")
    harness.create_campaign(data, "wasps", title="Wasps have no fundraiser")
    harness.run_cli("fundraiser", "create", "--slug", "hives", "--campaign", "bees", "--title",
                    "Hives for the city", "--goal", "5000", data=data)
    server = Server(data).start()
    try:
        c = server.client()
        # A draft fundraiser is not shown.
        assert "campaign-fundraiser" not in c.get("/c/bees").text
        harness.run_cli("fundraiser", "status", "hives", "open", data=data)
        page = harness.wait_until(
            lambda: (lambda p: p if "Hives for the city" in p.text else None)(c.get("/c/bees")),
            10, what="the fundraiser on the campaign page")
        assert 'href="/f/hives"' in page.text
        assert 'data-fundraiser-events="/f/hives/events"' in page.text
        assert "$0.00" in page.text and "$5000.00" in page.text, page.text
        assert "campaign-fundraiser" not in c.get("/c/wasps").text
        # A gift recorded by another process shows within a second or so (the box is read
        # again at most once a second; its script follows the totals live after that).
        harness.run_cli("fundraiser", "gift", "hives", "--amount", "25", data=data)
        harness.wait_until(lambda: "$25.00" in c.get("/c/bees").text, 10,
                           what="the gift on the campaign page")
    finally:
        assert server.stop() == 0
