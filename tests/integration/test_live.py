"""Live counts: the server-sent event stream /c/<slug>/events delivers a new count within one
second of a confirmation, to every open stream."""

import http.client
import json
import queue
import signal
import threading
import time

import pytest

from harness import (Server, counts, create_campaign, find_form, hidden_fields, press_button,
                     sign, unique_email)


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=[{"slug": "live", "title": "Live"},
                                 {"slug": "live-other", "title": "Other"}])


class EventStream:
    """Reads an SSE stream on a thread; events land in self.events with arrival times."""

    def __init__(self, host, port, path, timeout=30):
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        self.events = queue.Queue()
        self.closed = threading.Event()
        if self.resp.status == 200:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        name, data = "message", []
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if data:
                        self.events.put((time.monotonic(), name, "\n".join(data)))
                    name, data = "message", []
                elif line.startswith(":"):
                    continue
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
        except (OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            self.closed.set()

    def wait_count(self, pred, timeout):
        """The first "count" event whose JSON satisfies pred, as (arrival time, doc)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching count event within %ss" % timeout)
            try:
                at, name, data = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if name != "count":
                continue
            doc = json.loads(data)
            if pred(doc):
                return at, doc

    def drain(self):
        while not self.events.empty():
            self.events.get_nowait()

    def close(self):
        self.conn.close()


def open_stream(stack, slug):
    s = EventStream(stack.server.host, stack.server.port, "/c/%s/events" % slug)
    assert s.resp.status == 200, s.resp.status
    assert s.resp.getheader("content-type", "").startswith("text/event-stream")
    return s


def pending_confirmation(stack, slug, name):
    """Signs and returns (client, form fields) ready to POST the confirm button."""
    c = stack.client()
    addr = unique_email("live")
    assert sign(c, slug, name=name, email_addr=addr).status == 200
    [m] = stack.wait_for_mail(addr)
    page = c.get(m.link("confirm")[len(stack.url):])
    form = find_form(page.text, "/s/confirm")
    return c, hidden_fields(form), m


def test_stream_starts_with_the_current_count(stack):
    s = open_stream(stack, "live")
    try:
        _, doc = s.wait_count(lambda d: True, 5)
        assert doc["slug"] == "live"
        assert doc["confirmed"] == counts(stack.client(), "live")["confirmed"]
        for k in ("goal", "status", "title", "last_change"):
            assert k in doc, doc
    finally:
        s.close()


def test_confirmation_reaches_every_stream_within_a_second(stack):
    streams = [open_stream(stack, "live") for _ in range(3)]
    other = open_stream(stack, "live-other")
    try:
        before = counts(stack.client(), "live")["confirmed"]
        c, fields, _ = pending_confirmation(stack, "live", "Live One")
        for s in streams:
            s.drain()
        other.drain()
        r = c.post_form("/s/confirm", fields)
        done = time.monotonic()
        assert r.status in (200, 303), r
        for s in streams:
            at, doc = s.wait_count(lambda d: d["confirmed"] == before + 1, 3)
            assert at - done < 1.0, "count arrived %.2fs after the confirmation" % (at - done)
        # Another campaign's stream does not get this campaign's counts.
        time.sleep(0.2)
        while not other.events.empty():
            _, name, data = other.events.get_nowait()
            if name == "count":
                assert json.loads(data)["slug"] == "live-other", data
    finally:
        for s in streams + [other]:
            s.close()


def test_withdrawal_and_bursts_are_streamed(stack):
    s = open_stream(stack, "live")
    try:
        pend = [pending_confirmation(stack, "live", "Burst %d" % i) for i in range(20)]
        base = counts(stack.client(), "live")["confirmed"]
        # Pressed at the same moment, as happens when a campaign goes viral.
        statuses = []
        threads = [threading.Thread(target=lambda c=c, f=f: statuses.append(
            c.post_form("/s/confirm", f).status)) for c, f, _ in pend]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(statuses) == [200] * 5 or all(s in (200, 303) for s in statuses)
        done = time.monotonic()
        at, _ = s.wait_count(lambda d: d["confirmed"] == base + 20, 3)
        assert at - done < 1.0

        c, _, m = pend[0]
        press_button(c, m.link("withdraw"), "withdraw")
        done = time.monotonic()
        at, _ = s.wait_count(lambda d: d["confirmed"] == base + 19, 3)
        assert at - done < 1.0
    finally:
        s.close()


def test_open_streams_do_not_block_shutdown(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "sse", title="SSE")
    server = Server(data).start()
    streams = []
    try:
        for _ in range(5):
            st = EventStream(server.host, server.port, "/c/sse/events")
            assert st.resp.status == 200
            streams.append(st)
        t0 = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(15)
        assert code == 0, server.log()[-2000:]
        assert time.monotonic() - t0 < 10, "shutdown waited on open event streams"
        for st in streams:
            assert st.closed.wait(5), "an event stream stayed open after shutdown"
    finally:
        for st in streams:
            st.close()
        server.kill()
