"""The calls Parsons' Action Network connector (move-coop/parsons, parsons/action_network) makes
for petitions, signatures and people, replayed byte for byte as its HTTP library sends them,
and their answers read the way Parsons reads them.

What Parsons sends (facts of its code, written out here by hand):
- every call: headers Content-Type: application/json and OSDI-API-Token; paths under
  /api/v2/ (lists with ?page=N&per_page=25, paging until the embedded list is empty);
- upsert_person, update_person, create_petition, update_petition: a JSON body (json.dumps);
- update_signature: the dict as `data=`, which its HTTP library form-encodes, still labelled
  application/json;
- create_signature: the dict as query parameters with an empty body, so a nested
  `_links.osdi:person` arrives as `_links=osdi:person` and loses its href; flat fields (for
  instance person_id) arrive whole.
"""

import json
import time
import urllib.parse

import pytest

from harness import create_campaign, unique_email

CAMPAIGNS = [
    {"slug": "parsons-seed", "title": "A petition made with the CLI"},
    {"slug": "parsons-staff", "title": "Staff letter",
     "extra": ["--group", "kind=employees; key=staff; name=Acme staff; organization=Acme; "
                          "domains=acme.example; seal=5"]},
]


@pytest.fixture(scope="module")
def stack(make_stack):
    s = make_stack(campaigns=CAMPAIGNS, tokens=["parsons"])
    return s


class Parsons:
    """The requests Parsons' ActionNetwork class makes, as they reach the server."""

    def __init__(self, stack):
        self.stack = stack
        self.headers = {"Content-Type": "application/json",
                        "OSDI-API-Token": stack.tokens["parsons"]}

    def call(self, method, path, params=None, data=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        # The token's rate limit (4 calls a second, as Action Network's) is not what is tested
        # here: wait as the 429 says, as a polite client does.
        for _ in range(10):
            r = self.stack.client().request(method, "/api/v2/" + path, body=data,
                                            headers=dict(self.headers))
            if r.status != 429:
                return r
            time.sleep(min(5, int(r.header("retry-after", "1"))))
        return r

    def ok(self, r):
        # Parsons raises on any status >= 400 and otherwise reads the JSON.
        assert r.status in (200, 201, 204), r
        return r.json()

    def get(self, path, params=None):
        return self.ok(self.call("GET", path, params=params))

    def entry_list(self, path):
        """_get_entry_list: pages of 25 until an empty one; the first embedded key."""
        out, page = [], 1
        while True:
            doc = self.get(path, {"page": page, "per_page": 25})
            page += 1
            items = doc["_embedded"][list(doc["_embedded"])[0]]
            if not items:
                return out
            out.extend(items)
            assert page < 50, "paging never ends"

    # json.dumps bodies
    def send_json(self, method, path, payload):
        return self.call(method, path, data=json.dumps(payload))


def an_id(resource):
    """How Parsons takes an id from a response: the identifier with the action_network: prefix."""
    ids = [i.split(":")[1] for i in resource["identifiers"] if "action_network:" in i]
    assert ids, resource["identifiers"]
    return ids[0]


@pytest.fixture(scope="module")
def parsons(stack):
    return Parsons(stack)


@pytest.fixture(scope="module")
def petition(parsons):
    """create_petition(title, description, petition_text, target)."""
    r = parsons.send_json("POST", "petitions", {
        "title": "Fund the library",
        "description": "Why the library matters to us.",
        "petition_text": "Dear Council, keep the library open.",
        "target": [{"name": "City Council"}],
    })
    return parsons.ok(r)


def test_create_petition_keeps_description_apart_from_text(parsons, petition):
    assert petition["description"] == "Why the library matters to us."
    assert petition["petition_text"] == "Dear Council, keep the library open."
    got = parsons.get("petitions/%s" % an_id(petition))
    assert got["description"] == "Why the library matters to us."
    assert got["petition_text"] == "Dear Council, keep the library open."


def test_update_petition(parsons, petition):
    pid = an_id(petition)
    r = parsons.send_json("PUT", "petitions/%s" % pid, {
        "title": "Fund the library now",
        "description": "A new introduction.",
        "petition_text": "Dear Council, fund the library.",
        "target": [{"name": "City Council"}, {"name": "Mayor"}],
    })
    doc = parsons.ok(r)
    assert doc["title"] == "Fund the library now"
    assert doc["description"] == "A new introduction."
    assert doc["petition_text"] == "Dear Council, fund the library."
    assert [t["name"] for t in doc["target"]] == ["City Council", "Mayor"]


def test_get_petitions_pages_until_empty(parsons, petition):
    items = parsons.entry_list("petitions")
    assert an_id(petition) in [an_id(p) for p in items]


@pytest.fixture(scope="module")
def person(parsons):
    """upsert_person(email_address=..., given_name=..., family_name=..., tags=[...])."""
    email = unique_email("parsons")
    r = parsons.call("POST", "people", data=json.dumps({
        "person": {"email_addresses": [{"address": email}], "given_name": "Ada",
                   "family_name": "Lovelace",
                   "postal_addresses": [{"postal_code": "N1 9GU", "country": "GB"}],
                   "custom_fields": {}},
        "add_tags": ["volunteer"],
    }))
    doc = parsons.ok(r)
    doc["_email"] = email
    return doc


def test_upsert_person_creates_then_matches_by_email(parsons, person):
    assert person["created_date"] == person["modified_date"]  # Parsons: "added"
    assert person["given_name"] == "Ada"
    assert person["email_addresses"][0]["address"] == person["_email"]
    assert person["postal_addresses"][0]["postal_code"] == "N1 9GU"
    # The same address again (another case, as typed elsewhere) is the same person.
    r = parsons.call("POST", "people", data=json.dumps({
        "person": {"email_addresses": [{"address": person["_email"].upper()}],
                   "family_name": "King", "custom_fields": {}},
        "add_tags": [],
    }))
    again = parsons.ok(r)
    assert an_id(again) == an_id(person)
    assert again["given_name"] == "Ada"  # absent fields stay
    assert again["family_name"] == "King"
    # Without an address there is nobody to match: a clear 400.
    r = parsons.call("POST", "people", data=json.dumps({"person": {"given_name": "X"}}))
    assert r.status == 400, r
    assert "email_addresses" in r.json()["error"]


def test_update_person(parsons, person):
    pid = an_id(person)
    r = parsons.call("PUT", "people/%s" % pid, data=json.dumps({"given_name": "Augusta"}))
    doc = parsons.ok(r)
    assert doc["given_name"] == "Augusta"
    assert parsons.get("people/%s" % pid)["given_name"] == "Augusta"
    # An address names who someone is: it cannot be moved to another one.
    r = parsons.call("PUT", "people/%s" % pid,
                     data=json.dumps({"email_address": unique_email("other")}))
    assert r.status == 400, r
    assert "cannot be changed" in r.json()["error"]
    r = parsons.call("PUT", "people/00000000-0000-4000-8000-000000000000",
                     data=json.dumps({"given_name": "Nobody"}))
    assert r.status == 404, r


def test_get_people_lists_the_person(parsons, person):
    assert an_id(person) in [an_id(p) for p in parsons.entry_list("people")]


@pytest.fixture(scope="module")
def signature(parsons, petition, person):
    """create_signature(petition_id, {"comments": ..., "person_id": ...}): the data goes out as
    query parameters with an empty body; flat fields survive that."""
    r = parsons.call("POST", "petitions/%s/signatures" % an_id(petition),
                     params={"comments": "Count me in", "person_id": an_id(person)})
    return parsons.ok(r)


def test_create_signature_from_query_parameters(signature, petition, person):
    assert signature["comments"] == "Count me in"
    assert signature["action_network:person_id"] == an_id(person)
    assert signature["action_network:petition_id"] == an_id(petition)


def test_create_signature_with_a_nested_link_in_the_query_says_what_was_lost(parsons, petition):
    # Parsons' documented payload {"comments", "_links": {"osdi:person": {"href": ...}}} as
    # query parameters: the href is gone before it leaves the client.
    r = parsons.call("POST", "petitions/%s/signatures" % an_id(petition),
                     params={"comments": "Stop doing the thing", "_links": "osdi:person"})
    assert r.status == 400, r
    err = r.json()["error"]
    assert "_links" in err and "person_id" in err, err


def test_signatures_carry_person_and_petition_ids(parsons, petition, person, signature):
    rows = parsons.entry_list("petitions/%s/signatures" % an_id(petition))
    row = [s for s in rows if an_id(s) == an_id(signature)]
    assert row, rows
    assert row[0]["action_network:person_id"] == an_id(person)
    assert row[0]["action_network:petition_id"] == an_id(petition)
    one = parsons.get("petitions/%s/signatures/%s" % (an_id(petition), an_id(signature)))
    assert one["action_network:person_id"] == an_id(person)


def test_person_signatures(parsons, petition, person, signature):
    rows = parsons.entry_list("people/%s/signatures" % an_id(person))
    assert [an_id(s) for s in rows] == [an_id(signature)]
    assert rows[0]["action_network:petition_id"] == an_id(petition)
    one = parsons.get("people/%s/signatures/%s" % (an_id(person), an_id(signature)))
    assert one["comments"] == "Count me in"
    # Another person's signature is not found under this one.
    other = parsons.ok(parsons.call("POST", "people", data=json.dumps(
        {"person": {"email_addresses": [{"address": unique_email("other")}]}})))
    r = parsons.call("GET", "people/%s/signatures/%s" % (an_id(other), an_id(signature)))
    assert r.status == 404, r
    assert parsons.entry_list("people/%s/signatures" % an_id(other)) == []


def test_update_signature_with_a_form_body_labelled_json(parsons, petition, signature):
    # update_signature(petition_id, signature_id, {"comments": ...}): form-encoded body.
    path = "petitions/%s/signatures/%s" % (an_id(petition), an_id(signature))
    r = parsons.call("PUT", path, data=urllib.parse.urlencode({"comments": "Some new comments"}))
    doc = parsons.ok(r)
    assert doc["comments"] == "Some new comments"
    assert parsons.get(path)["comments"] == "Some new comments"
    # The same as JSON works too.
    doc = parsons.ok(parsons.send_json("PUT", path, {"comments": "Newer"}))
    assert doc["comments"] == "Newer"


def test_update_signature_cannot_change_who_signed_or_how_they_show(parsons, petition,
                                                                     signature):
    path = "petitions/%s/signatures/%s" % (an_id(petition), an_id(signature))
    assert parsons.get(path)["undersigned:visibility"] == "private"  # the API's default
    for body in ({"comments": "x", "undersigned:visibility": "public"},
                 {"comments": "x", "undersigned:public_name": True},
                 {"comments": "x", "person": {"given_name": "Someone Else"}},
                 {"comments": "x", "_links": {"osdi:person": {
                     "href": "/api/v2/people/00000000-0000-4000-8000-000000000000"}}}):
        r = parsons.send_json("PUT", path, body)
        assert r.status == 403, (body, r)
        assert "only comments" in r.json()["error"]
    # A round trip of the resource itself, with new comments, is fine.
    doc = parsons.get(path)
    doc["comments"] = "Round trip"
    assert parsons.ok(parsons.send_json("PUT", path, doc))["comments"] == "Round trip"


def test_sealed_signature_is_never_tied_to_its_signer(parsons, stack):
    staff = [p for p in parsons.entry_list("petitions")
             if p["browser_url"].endswith("/c/parsons-staff")][0]
    r = parsons.send_json("POST", "petitions/%s/signatures" % an_id(staff), {
        "person": {"given_name": "Sam", "family_name": "Sealed",
                   "email_addresses": [{"address": unique_email("sealed")}]},
        "undersigned:group": "staff", "undersigned:work_email": "sam@acme.example",
        "undersigned:visibility": "sealed", "undersigned:seal_threshold": 5,
        "comments": "Mine",
    })
    sealed = parsons.ok(r)
    assert "action_network:person_id" not in sealed
    assert "osdi:person" not in sealed["_links"]
    path = "petitions/%s/signatures/%s" % (an_id(staff), an_id(sealed))
    before = parsons.get(path)
    assert "action_network:person_id" not in before
    r = parsons.send_json("PUT", path, {"comments": "Changed by the API"})
    assert r.status == 403, r
    assert "sealed or anonymous" in r.json()["error"]
    assert parsons.get(path)["comments"] == before["comments"]
