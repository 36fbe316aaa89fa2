"""The Stripe emulator (tests/stripe/emulator.mjs) for the end-to-end payment tests: started as
a node child process on a free port, with helpers for its test-only routes and a webhook
endpoint that keeps every delivery. See docs/payments.md."""

import http.server
import json
import subprocess
import threading
import urllib.parse
import urllib.request
from pathlib import Path

STRIPE_DIR = Path(__file__).resolve().parent.parent / "stripe"
API_KEY = "sk_test_undersigned_emulator_py"
WEBHOOK_SECRET = "whsec_undersigned_emulator_py"


class WebhookEndpoint:
    """An HTTP endpoint on 127.0.0.1 that answers 200 and keeps (raw body, Stripe-Signature)."""

    def __init__(self):
        self.deliveries = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                endpoint.deliveries.append((body, self.headers.get("Stripe-Signature")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/webhooks/stripe" % self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class StripeEmulator:
    def __init__(self, webhook_url="", api_key=API_KEY, webhook_secret=WEBHOOK_SECRET):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.proc = subprocess.Popen(
            ["node", str(STRIPE_DIR / "emulator.mjs"), "--port", "0", "--api-key", api_key,
             "--webhook-secret", webhook_secret, "--webhook-url", webhook_url],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError("the Stripe emulator did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    def env(self):
        """The environment that points `undersigned serve` at this emulator."""
        return {"UNDERSIGNED_PAYMENTS_STRIPE_SECRET_KEY": self.api_key,
                "UNDERSIGNED_PAYMENTS_STRIPE_WEBHOOK_SECRET": self.webhook_secret,
                "UNDERSIGNED_PAYMENTS_STRIPE_API_BASE": self.url}

    def request(self, method, path, form=None, key=None, idempotency_key=None):
        """(status, JSON) of one request, form-encoded as Stripe's API takes it."""
        data = urllib.parse.urlencode(form or {}).encode() if method == "POST" else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + (key or self.api_key))
        if idempotency_key:
            req.add_header("Idempotency-Key", idempotency_key)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def complete_checkout(self, session_id, card="4242424242424242"):
        return self.request("POST", "/_emulator/checkout/sessions/%s/complete" % session_id,
                            {"card": card})

    def configure(self, **params):
        """Sets the emulator's test options (/_emulator/config): webhook_url, latency_ms."""
        return self.request("POST", "/_emulator/config", {k: str(v) for k, v in params.items()})[1]

    def state(self):
        return self.request("GET", "/_emulator/state")[1]

    def flush(self):
        """Returns once every webhook queued so far was delivered (or failed)."""
        return self.request("POST", "/_emulator/webhooks/flush")[1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
