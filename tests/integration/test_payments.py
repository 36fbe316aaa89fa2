"""Payments' foundation through the real binary: the [payments] settings from the environment,
the start-up line saying whether payments are on (never a secret), a misconfiguration refused
with the setting's name; and the Stripe emulator as the next tests will use it, its webhooks
checked by a third, independent verifier (Python's hmac). See docs/payments.md."""

import hashlib
import hmac
import json
import os
import subprocess
import time

import pytest

import harness
from harness import Server
from stripe_emulator import StripeEmulator, WebhookEndpoint


@pytest.fixture
def emulator():
    endpoint = WebhookEndpoint()
    e = StripeEmulator(webhook_url=endpoint.url)
    e.endpoint = endpoint
    yield e
    e.stop()
    endpoint.stop()


def test_payments_off_without_a_key(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        harness.wait_until(lambda: "payments: off" in server.log(), 10,
                           what="the start-up line saying payments are off")
    finally:
        assert server.stop() == 0


def test_payments_on_from_the_environment_never_logging_the_secrets(tmp_path, emulator):
    server = Server(tmp_path / "data", env=emulator.env()).start()
    try:
        harness.wait_until(lambda: "payments: stripe (test mode) at %s" % emulator.url
                           in server.log(), 10, what="the start-up line naming the emulator")
        assert server.client().get("/healthz").status == 200
    finally:
        assert server.stop() == 0
    log = server.log()
    assert emulator.api_key not in log and emulator.webhook_secret not in log, log


def test_a_key_without_a_webhook_secret_is_refused_by_name(tmp_path, emulator):
    env = emulator.env()
    del env["UNDERSIGNED_PAYMENTS_STRIPE_WEBHOOK_SECRET"]
    cmd = Server(tmp_path / "data").command()
    r = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "payments.stripe_webhook_secret" in out, out
    assert emulator.api_key not in out, out


def test_the_emulator_signs_webhooks_as_stripe_does(emulator):
    status, session = emulator.request(
        "POST", "/v1/checkout/sessions",
        {"mode": "payment", "line_items[0][price_data][currency]": "usd",
         "line_items[0][price_data][unit_amount]": "2500",
         "line_items[0][price_data][product_data][name]": "Gift",
         "line_items[0][quantity]": "1", "success_url": "https://x.example/ok",
         "metadata[donation_id]": "34", "payment_intent_data[metadata][donation_id]": "34"},
        idempotency_key="undersigned:donation-checkout:34")
    assert status == 200, session
    # The same key again: the same session, not a second one.
    again = emulator.request("POST", "/v1/checkout/sessions",
                             {"mode": "payment", "line_items[0][price_data][currency]": "usd",
                              "line_items[0][price_data][unit_amount]": "2500",
                              "line_items[0][price_data][product_data][name]": "Gift",
                              "line_items[0][quantity]": "1",
                              "success_url": "https://x.example/ok",
                              "metadata[donation_id]": "34",
                              "payment_intent_data[metadata][donation_id]": "34"},
                             idempotency_key="undersigned:donation-checkout:34")
    assert again == (200, session)
    status, done = emulator.complete_checkout(session["id"])
    assert status == 200 and done["payment_status"] == "paid", done
    emulator.flush()
    types = []
    for body, header in emulator.endpoint.deliveries:
        fields = dict(item.split("=", 1) for item in header.split(","))
        expected = hmac.new(emulator.webhook_secret.encode(),
                            fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(fields["v1"], expected), header
        assert abs(time.time() - int(fields["t"])) < 300
        types.append(json.loads(body)["type"])
    assert types == ["checkout.session.completed", "payment_intent.succeeded",
                     "charge.succeeded"], types
    assert emulator.state()["counts"]["succeeded_charges"] == 1
    # A wrong key is Stripe's 401 authentication_error.
    status, err = emulator.request("GET", "/v1/checkout/sessions/" + session["id"],
                                   key="sk_test_wrong")
    assert status == 401 and err["error"]["type"] == "authentication_error", err
