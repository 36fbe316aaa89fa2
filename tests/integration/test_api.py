"""The OSDI API as Action Network speaks it: entry point, petitions, signatures (record
signature helper with and without a token), people, pagination, filters, errors."""

import json
import re
import time
import urllib.parse

import pytest

from harness import counts, press_button, run_cli, signatures_of, unique_email

CAMPAIGNS = [
    {"slug": "api-one", "title": "API petition one", "goal": 500,
     "targets": ["Jane Target|CEO|Big Co|jane_target", "Sam Second|CTO|Big Co|"]},
    {"slug": "api-two", "title": "API petition two"},
    {"slug": "api-draft", "title": "API draft", "status": "draft"},
]

HAL = ("application/hal+json", "application/json")


@pytest.fixture(scope="module")
def stack(make_stack):
    s = make_stack(campaigns=CAMPAIGNS, tokens=["tester", "revoked-later", "flood"])
    plain_client = s.client

    def client():
        # The API limits calls per token (Action Network: 4 a second); these tests make
        # bursts of calls, so they wait as a real client does. test_rate_limit checks the 429.
        c = plain_client()
        c.retry_429 = True
        return c
    s.client = client
    return s


@pytest.fixture(scope="module")
def token(stack):
    return stack.tokens["tester"]


def ok(r, status=200):
    assert r.status == status, r
    assert r.header("content-type", "").split(";")[0].strip() in HAL, r
    return r.json()


def error(r, status):
    assert r.status == status, r
    assert r.header("content-type", "").split(";")[0].strip() in HAL, r
    doc = r.json()
    assert isinstance(doc.get("error"), str) and doc["error"], doc
    return doc


def own_id(resource):
    ids = [i for i in resource.get("identifiers", []) if i.startswith("undersigned:")]
    assert len(ids) == 1, resource.get("identifiers")
    return ids[0].split(":", 1)[1]


def path_of(href):
    u = urllib.parse.urlsplit(href)
    return u.path + ("?" + u.query if u.query else "")


def petitions(stack, token, **params):
    q = ("?" + urllib.parse.urlencode(params)) if params else ""
    return ok(stack.client().api("GET", "/api/v2/petitions" + q, token=token))


def petition_by_slug(stack, token, slug):
    for p in petitions(stack, token, per_page=100)["_embedded"]["osdi:petitions"]:
        if p.get("browser_url", "").rstrip("/").endswith("/c/" + slug):
            return p
    raise AssertionError("petition %s not in the list" % slug)


def test_entry_point(stack):
    doc = ok(stack.client().api("GET", "/api/v2/"))
    for k in ("motd", "vendor_name", "product_name", "osdi_version", "max_pagesize",
              "max_page_size"):
        assert k in doc, "AEP lacks %s: %s" % (k, doc)
    links = doc["_links"]
    for rel in ("self", "osdi:people", "osdi:petitions", "curies"):
        assert rel in links, "AEP lacks link %s: %s" % (rel, links)
    assert links["osdi:petitions"]["href"].endswith("/api/v2/petitions")
    assert links["curies"][0]["name"] == "osdi" and links["curies"][0]["templated"] is True


def test_auth_required(stack, token):
    c = stack.client()
    # Petitions are public (only open and closed ones); everything else needs a token.
    public = ok(c.api("GET", "/api/v2/petitions"))
    assert "api-draft" not in json.dumps(public), "a draft petition is listed without a token"
    assert "api-draft" in json.dumps(ok(c.api("GET", "/api/v2/petitions?per_page=100",
                                               token=token)))
    error(c.api("GET", "/api/v2/petitions", token="not-a-real-token"), 401)
    error(c.api("GET", "/api/v2/people"), 401)
    error(c.api("GET", "/api/v2/people", token=token + "x"), 401)
    error(c.api("POST", "/api/v2/petitions", {"title": "nope"}), 401)
    error(c.api("POST", "/api/v2/petitions", {"title": "nope"}, token="bad"), 401)
    p = ok(c.api("GET", "/api/v2/petitions", token=token))["_embedded"]["osdi:petitions"][0]
    error(c.api("GET", "/api/v2/petitions/%s/signatures" % own_id(p)), 401)
    # The token may also come as a query parameter.
    ok(c.api("GET", "/api/v2/people?osdi-api-token=" + urllib.parse.quote(token)))


def test_revoked_token_is_refused(stack):
    # Never used before revoking, so no cache can hide the revocation.
    run_cli("token", "revoke", "--name", "revoked-later", data=stack.data)
    error(stack.client().api("GET", "/api/v2/petitions", token=stack.tokens["revoked-later"]),
          401)
    bad = run_cli("token", "revoke", "--name", "never-made", data=stack.data, check=False)
    assert bad.returncode != 0


def test_only_token_hash_is_stored(stack, token):
    import harness
    blob = harness.store_bytes(stack.data)
    assert token.encode() not in blob, "the raw API token is stored in the database"


def test_petitions_list_and_get(stack, token):
    doc = petitions(stack, token)
    for k in ("total_pages", "per_page", "page", "total_records"):
        assert k in doc, doc
    items = doc["_embedded"]["osdi:petitions"]
    assert doc["total_records"] >= 2
    titles = {p["title"] for p in items}
    assert {"API petition one", "API petition two"} <= titles, titles
    assert isinstance(doc["_links"]["osdi:petitions"], list)

    p = petition_by_slug(stack, token, "api-one")
    assert {t["name"] for t in p["target"]} == {"Jane Target", "Sam Second"}, p["target"]
    assert p["total_signatures"] == 0
    for k in ("created_date", "modified_date"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", p[k]), p[k]
    pid = own_id(p)
    assert p["_links"]["self"]["href"].endswith("/api/v2/petitions/" + pid)
    assert "osdi:signatures" in p["_links"] and "osdi:record_signature_helper" in p["_links"]

    one = ok(stack.client().api("GET", "/api/v2/petitions/" + pid, token=token))
    assert one["title"] == "API petition one" and own_id(one) == pid

    error(stack.client().api("GET", "/api/v2/petitions/00000000-0000-0000-0000-000000000000",
                             token=token), 404)
    error(stack.client().api("GET", "/api/v2/petitions/not-an-id", token=token), 404)


def test_petition_create_and_update(stack, token):
    c = stack.client()
    body = {"title": "Made through the API", "petition_text": "We ask for **this**.",
            "target": [{"name": "Api Target"}], "identifiers": ["foreign_system:1234"]}
    made = ok(c.api("POST", "/api/v2/petitions", body, token=token))
    assert made["title"] == "Made through the API"
    pid = own_id(made)
    assert [t["name"] for t in made["target"]] == ["Api Target"]

    got = ok(c.api("GET", "/api/v2/petitions/" + pid, token=token))
    assert got["title"] == "Made through the API"

    upd = ok(c.api("PUT", "/api/v2/petitions/" + pid, {"title": "Renamed through the API"},
                   token=token))
    assert upd["title"] == "Renamed through the API"
    assert upd["petition_text"].startswith("We ask for"), "PUT dropped a field it did not name"
    got = ok(c.api("GET", "/api/v2/petitions/" + pid, token=token))
    assert got["title"] == "Renamed through the API"
    assert any(p["title"] == "Renamed through the API"
               for p in petitions(stack, token, per_page=100)["_embedded"]["osdi:petitions"])

    # Invalid input.
    error(c.api("POST", "/api/v2/petitions", raw="{not json", token=token), 400)
    error(c.api("POST", "/api/v2/petitions", {"petition_text": "no title"}, token=token), 400)
    error(c.api("POST", "/api/v2/petitions", {"title": 12}, token=token), 400)
    error(c.api("PUT", "/api/v2/petitions/00000000-0000-0000-0000-000000000000",
                {"title": "x"}, token=token), 404)
    error(c.api("PUT", "/api/v2/petitions/" + pid, {"title": "x"}), 401)


def person_body(addr, given="Api", family="Signer", comment="signed through the API"):
    return {"person": {"given_name": given, "family_name": family,
                       "email_addresses": [{"address": addr}],
                       "postal_addresses": [{"postal_code": "10115"}]},
            "comments": comment, "add_tags": ["api"],
            "triggers": {"autoresponse": {"enabled": True}}}


def test_record_signature_helper(stack, token):
    c = stack.client()
    p = petition_by_slug(stack, token, "api-two")
    pid = own_id(p)
    path = "/api/v2/petitions/%s/signatures" % pid
    before = counts(c, "api-two")["confirmed"]

    # Without a token: accepted like the form, waits for email confirmation.
    public = unique_email("apipublic")
    r = c.api("POST", path, person_body(public, given="Public"))
    assert ok(r) == {}, r
    [m] = stack.wait_for_mail(public)
    assert counts(c, "api-two")["confirmed"] == before
    press_button(c, m.link("confirm"), "confirm")
    assert counts(c, "api-two")["confirmed"] == before + 1

    # With a token: counts at once.
    trusted = unique_email("apitrusted")
    sig = ok(c.api("POST", path, person_body(trusted, given="Trusted"), token=token))
    assert counts(c, "api-two")["confirmed"] == before + 2
    assert "_links" in sig and "osdi:person" in sig["_links"], sig
    assert sig.get("comments") == "signed through the API"

    # Again with the same person: still one signature.
    ok(c.api("POST", path, person_body(trusted.upper(), given="Trusted"), token=token))
    assert counts(c, "api-two")["confirmed"] == before + 2
    rows = [r for r in signatures_of(stack.data, "api-two") if r[0] == trusted]
    assert len(rows) == 1 and rows[0][1] == "confirmed", rows

    # List signatures.
    doc = ok(c.api("GET", path, token=token))
    sigs = doc["_embedded"]["osdi:signatures"]
    assert doc["total_records"] == len(signatures_of(stack.data, "api-two")) == len(sigs)
    for s in sigs:
        assert s["_links"]["osdi:petition"]["href"].endswith("/api/v2/petitions/" + pid)
        assert "action_date" in s or "created_date" in s
    error(c.api("GET", path), 401)

    # Bad bodies.
    error(c.api("POST", path, raw="[1,2", token=token), 400)
    error(c.api("POST", path, {"person": {"given_name": "No Email"}}, token=token), 400)
    error(c.api("POST", path, person_body("not-an-email"), token=token), 400)
    error(c.api("POST", "/api/v2/petitions/00000000-0000-0000-0000-000000000000/signatures",
                person_body(unique_email()), token=token), 404)


def test_people(stack, token):
    c = stack.client()
    p = petition_by_slug(stack, token, "api-one")
    path = "/api/v2/petitions/%s/signatures" % own_id(p)
    addrs = [unique_email("person%d" % i) for i in range(3)]
    for i, a in enumerate(addrs):
        ok(c.api("POST", path, person_body(a, given="Person%d" % i, family="Lovelace"),
                 token=token))

    q = urllib.parse.quote("email_address eq '%s'" % addrs[1])
    doc = ok(c.api("GET", "/api/v2/people?filter=" + q, token=token))
    people = doc["_embedded"]["osdi:people"]
    assert len(people) == 1, people
    person = people[0]
    assert person["given_name"] == "Person1" and person["family_name"] == "Lovelace"
    assert person["email_addresses"][0]["address"] == addrs[1]
    assert person["postal_addresses"][0]["postal_code"] == "10115"
    got = ok(c.api("GET", "/api/v2/people/" + own_id(person), token=token))
    assert got["email_addresses"][0]["address"] == addrs[1]
    assert "osdi:signatures" in got["_links"] or "self" in got["_links"]
    error(c.api("GET", "/api/v2/people/00000000-0000-0000-0000-000000000000", token=token), 404)

    none = ok(c.api("GET", "/api/v2/people?filter=" +
                    urllib.parse.quote("email_address eq 'nobody@example.org'"), token=token))
    assert none.get("_embedded", {}).get("osdi:people", []) == []


def test_pagination(stack, token):
    c = stack.client()
    first = ok(c.api("GET", "/api/v2/people?per_page=1&page=1", token=token))
    total = first["total_records"]
    assert total >= 3 and first["total_pages"] == total and first["per_page"] == 1
    assert len(first["_embedded"]["osdi:people"]) == 1
    assert "next" in first["_links"], first["_links"]
    second = ok(c.api("GET", path_of(first["_links"]["next"]["href"]), token=token))
    assert second["page"] == 2
    assert own_id(second["_embedded"]["osdi:people"][0]) != \
        own_id(first["_embedded"]["osdi:people"][0])
    assert "previous" in second["_links"]

    # Walking every page sees every person once.
    seen, page = [], 1
    while True:
        d = ok(c.api("GET", "/api/v2/people?per_page=2&page=%d" % page, token=token))
        batch = d.get("_embedded", {}).get("osdi:people", [])
        if not batch:
            break
        seen += [own_id(x) for x in batch]
        page += 1
        assert page < 100
    assert len(seen) == len(set(seen)) == total

    past = ok(c.api("GET", "/api/v2/people?page=9999", token=token))
    assert past.get("_embedded", {}).get("osdi:people", []) == []
    past = ok(c.api("GET", "/api/v2/petitions?page=9999", token=token))
    assert past.get("_embedded", {}).get("osdi:petitions", []) == []

    for bad in ("page=0", "page=-1", "page=abc", "per_page=0", "per_page=abc"):
        r = c.api("GET", "/api/v2/people?" + bad, token=token)
        assert r.status in (200, 400), (bad, r)
        if r.status == 400:
            error(r, 400)
    big = ok(c.api("GET", "/api/v2/people?per_page=100000", token=token))
    assert big["per_page"] <= 100, "per_page is not capped: %s" % big["per_page"]


def test_filter_modified_date(stack, token):
    c = stack.client()

    def people(f):
        return c.api("GET", "/api/v2/people?filter=" + urllib.parse.quote(f), token=token)

    everyone = ok(people("modified_date gt '2000-01-01'"))
    assert everyone["total_records"] >= 3
    assert ok(people("modified_date gt '2999-01-01'")).get("_embedded", {}).get(
        "osdi:people", []) == []
    assert ok(people("modified_date lt '2000-01-01'"))["total_records"] == 0

    # A person who signs now moves past a cut-off taken just before.
    cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    addr = unique_email("late")
    p = petition_by_slug(stack, token, "api-one")
    ok(c.api("POST", "/api/v2/petitions/%s/signatures" % own_id(p), person_body(addr),
             token=token))
    recent = ok(people("modified_date gt '%s'" % cut))["_embedded"]["osdi:people"]
    assert addr in [x["email_addresses"][0]["address"] for x in recent]

    for bad in ("modified_date gt", "modified_date between '1' and '2'", "nosuchfield eq 'x'",
                "modified_date gt 'yesterday'", "modified_date gt '2020-01-01' or x eq 'y'"):
        error(people(bad), 400)
    # $filter is accepted too.
    ok(c.api("GET", "/api/v2/people?$filter=" + urllib.parse.quote(
        "modified_date gt '2000-01-01'"), token=token))
    # petitions and signatures take modified_date too.
    ok(c.api("GET", "/api/v2/petitions?filter=" + urllib.parse.quote(
        "modified_date gt '2000-01-01'"), token=token))


def test_injection_in_filters_and_ids_finds_nothing(stack, token):
    c = stack.client()
    for f in ("email_address eq 'x'' OR ''1''=''1'", "email_address eq 'x\' OR 1=1 --'",
              "email_address eq '%' ", "email_address eq '*'"):
        r = c.api("GET", "/api/v2/people?filter=" + urllib.parse.quote(f), token=token)
        assert r.status in (200, 400), (f, r)
        if r.status == 200:
            assert r.json().get("_embedded", {}).get("osdi:people", []) == [], (f, r)
        else:
            error(r, 400)
    for bad in ("x' OR '1'='1", "1 OR 1=1", "%", "../people"):
        r = c.api("GET", "/api/v2/people/" + urllib.parse.quote(bad, safe=""), token=token)
        error(r, 404)
        assert c.get("/c/" + urllib.parse.quote(bad, safe="")).status == 404


def test_unknown_routes_are_json_404(stack, token):
    c = stack.client()
    error(c.api("GET", "/api/v2/nothing-here", token=token), 404)
    error(c.api("GET", "/api/v2/petitions/x/y/z", token=token), 404)


def test_rate_limit_per_token(stack):
    c = stack.client()
    c.retry_429 = False
    tok = stack.tokens["flood"]
    statuses = [c.api("GET", "/api/v2/people", token=tok) for _ in range(80)]
    limited = [r for r in statuses if r.status == 429]
    assert limited, "80 calls at once with one token were never limited"
    assert all(r.status in (200, 429) for r in statuses)
    r = error(limited[0], 429) and limited[0]
    assert int(r.header("retry-after", "0")) >= 1, r.headers


def test_links_resolve_and_subscription_status(stack, token):
    from harness import sign
    c = stack.client()
    sub, nosub = unique_email("Subscriber"), unique_email("nosub")
    assert sign(c, "api-one", name="Sub Scriber", email_addr=sub, wants_updates=True).status \
        == 200
    assert sign(c, "api-one", name="No Sub", email_addr=nosub).status == 200

    def person(addr):
        q = urllib.parse.quote("email_address eq '%s'" % addr.upper())  # any case finds them
        [p] = ok(c.api("GET", "/api/v2/people?filter=" + q, token=token))["_embedded"][
            "osdi:people"]
        return p
    assert person(sub)["email_addresses"][0]["status"] == "subscribed"
    assert person(nosub)["email_addresses"][0]["status"] in ("unsubscribed", "")
    assert person(sub)["given_name"] == "Sub" and person(sub)["family_name"] == "Scriber"

    p = petition_by_slug(stack, token, "api-one")
    sigs = ok(c.api("GET", path_of(p["_links"]["osdi:signatures"]["href"]) + "?per_page=100",
                    token=token))["_embedded"]["osdi:signatures"]
    for s in sigs[:5]:
        assert ok(c.api("GET", path_of(s["_links"]["self"]["href"]), token=token))[
            "identifiers"] == s["identifiers"]
        ok(c.api("GET", path_of(s["_links"]["osdi:person"]["href"]), token=token))
        ok(c.api("GET", path_of(s["_links"]["osdi:petition"]["href"]), token=token))


def test_petition_keeps_foreign_identifiers(stack, token):
    # OSDI: the server adds its own identifier and keeps foreign ones sent on POST/PUT.
    c = stack.client()
    made = ok(c.api("POST", "/api/v2/petitions",
                    {"title": "With a foreign id", "target": [{"name": "T"}],
                     "identifiers": ["foreign_system:1234"]},
                    token=token))
    assert "foreign_system:1234" in made["identifiers"], made["identifiers"]
    pid = own_id(made)
    upd = ok(c.api("PUT", "/api/v2/petitions/" + pid,
                   {"identifiers": ["other_system:99"]}, token=token))
    assert {"foreign_system:1234", "other_system:99"} <= set(upd["identifiers"]), upd
    got = ok(c.api("GET", "/api/v2/petitions/" + pid, token=token))
    assert "foreign_system:1234" in got["identifiers"], got["identifiers"]
