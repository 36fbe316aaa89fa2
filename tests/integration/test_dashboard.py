"""Where signatures come from, end to end: a visitor who lands on the campaign page from a
newsletter (utm_source, a Referer) or through one of our share links (?s=<channel>) signs, and
the campaign's dashboard (`undersigned dashboard`, the service the console's pages call) counts
them by source; the origin survives the form's error re-render; the API's referrer_data is
kept; the organizers' CSV shows an email only for a signer who asked for updates."""

import csv
import html
import io
import json
import re
import urllib.parse

import pytest

from harness import find_form, form_path, hidden_fields, run_cli, unique_email

CAMPAIGNS = [{"slug": "watched", "title": "A watched letter"}]


@pytest.fixture(scope="module")
def stack(make_stack):
    return make_stack(campaigns=CAMPAIGNS, tokens=["crm"])


def sign_from(client, landing, name, email, referer=None, wants_updates=False, fields=None):
    """GETs the landing URL (as a visitor arriving there), then posts its sign form. Returns
    the response the redirect leads to."""
    headers = {"Referer": referer} if referer else None
    page = client.get(landing, headers=headers)
    assert page.status == 200, page
    form = find_form(page.text, "/c/watched/sign")
    data = hidden_fields(form)
    data.update(name=name, email=email, public_name="on")
    if wants_updates:
        data["wants_updates"] = "on"
    data.update(fields or {})
    return client.post_form(form_path(form["action"], "/c/watched/sign"), data, follow=True), data


def dashboard(stack):
    return json.loads(run_cli("dashboard", "watched", data=stack.data).stdout)


def keys(tally):
    return {row["key"]: row["confirmed"] + row["pending"] for row in tally["top"]}


def share_path(page_text, network):
    """The campaign path (with its ?s=) inside one of the page's share links."""
    for href in re.findall(r'href="([^"]+)"', page_text):
        href = html.unescape(href)
        if network == "x" and href.startswith("https://x.com/intent/tweet?"):
            text = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)["text"][0]
            url = re.search(r"https?://\S+", text).group(0)
            u = urllib.parse.urlsplit(url)
            return u.path + "?" + u.query
    raise AssertionError("no %s share link on the page" % network)


def test_signatures_are_counted_by_where_they_came_from(stack):
    c = stack.client()
    # From a newsletter: utm parameters and the linking page (whose path and query are not kept).
    resp, data = sign_from(c, "/c/watched?utm_source=newsletter&utm_medium=email",
                           "News Reader", unique_email("news"),
                           referer="https://news.example.org/issue/12?subscriber=ada",
                           wants_updates=True)
    assert resp.status == 200, resp
    assert "origin" in data, "the sign form carries no origin field"
    assert "subscriber" not in data["origin"] and "issue" not in data["origin"], data["origin"]

    # Through the page's own share link on X: it names the channel.
    page = c.get("/c/watched")
    path = share_path(page.text, "x")
    assert "s=x" in path, path
    quiet = unique_email("shared")
    resp, _ = sign_from(c, path, "Shared Friend", quiet)
    assert resp.status == 200, resp

    # Through a Mastodon share, with a mistake first: the origin is kept across the re-render.
    resp, _ = sign_from(c, "/c/watched?s=mastodon", "", unique_email("toot"))
    assert resp.status == 422, resp
    form = find_form(resp.text, "/c/watched/sign")
    again = hidden_fields(form)
    assert "s=mastodon" in again.get("origin", ""), again
    again.update(name="Toot Reader", email=unique_email("toot"), public_name="on")
    resp = c.post_form(form_path(form["action"], "/c/watched/sign"), again, follow=True)
    assert resp.status == 200, resp

    d = dashboard(stack)
    assert d["counts"]["pending"] == 3, d["counts"]
    assert keys(d["utm_sources"]).get("newsletter") == 1, d["utm_sources"]
    assert keys(d["referrers"]).get("news.example.org") == 1, d["referrers"]
    channels = keys(d["channels"])
    assert channels.get("x") == 1 and channels.get("mastodon") == 1, d["channels"]
    assert sum(p[1] for p in d["signed_per_hour"]) == 3, d["signed_per_hour"]
    assert d["outbox"]["scope"] == "instance"

    # The organizers' list: sources shown, an email only for the one who asked for updates.
    rows = list(csv.DictReader(io.StringIO(
        run_cli("dashboard", "watched", "--csv", data=stack.data).stdout)))
    assert len(rows) == 3, rows
    by_name = {r["name"]: r for r in rows}
    assert "channel x" in by_name["Shared Friend"]["source"], by_name
    assert by_name["Shared Friend"]["email"] == ""
    assert by_name["News Reader"]["email"].startswith("news"), by_name
    assert quiet not in run_cli("dashboard", "watched", "--csv", data=stack.data).stdout
    only_x = list(csv.DictReader(io.StringIO(
        run_cli("dashboard", "watched", "--csv", "--source", "x", data=stack.data).stdout)))
    assert [r["name"] for r in only_x] == ["Shared Friend"], only_x


def test_the_apis_referrer_data_is_kept(stack):
    c = stack.client()
    token = stack.tokens["crm"]
    r = c.api("GET", "/api/v2/petitions", token=token)
    assert r.status == 200, r
    petition = [p for p in r.json()["_embedded"]["osdi:petitions"]
                if p["title"] == "A watched letter"][0]
    pid = [i for i in petition["identifiers"] if i.startswith("undersigned:")][0].split(":", 1)[1]
    body = {"person": {"given_name": "Crm", "family_name": "Person",
                       "email_addresses": [{"address": unique_email("crm")}]},
            "referrer_data": {"source": "partner-site", "website": "https://partner.example.net/x"}}
    r = c.api("POST", "/api/v2/petitions/%s/signatures" % pid, body, token=token)
    assert r.status in (200, 201), r
    d = dashboard(stack)
    assert keys(d["utm_sources"]).get("partner-site") == 1, d["utm_sources"]
    assert keys(d["referrers"]).get("partner.example.net") == 1, d["referrers"]
    assert keys(d["sources"]).get("api") == 1, d["sources"]
    # Bad referrer_data is refused, saying which field, and nothing is recorded.
    body["person"]["email_addresses"] = [{"address": unique_email("crm")}]
    body["referrer_data"] = {"website": "not a web site"}
    r = c.api("POST", "/api/v2/petitions/%s/signatures" % pid, body, token=token)
    assert r.status == 400, r
    assert "referrer_data.website" in r.text, r.text
    assert dashboard(stack)["counts"] == d["counts"]
