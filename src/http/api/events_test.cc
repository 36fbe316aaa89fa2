// Handler-level tests of the OSDI events API: real services over a real SQLite store, requests
// dispatched through a real Router filled by RegisterEventsApi. One OSDI event per time; a
// private place absent without a token; the helper's RSVP with no status is a yes, a token's is
// placed at once, a full time waitlists and answers 200; declining cancels and promotes.
#include "http/api/events.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "http/router.h"
#include "http/url.h"
#include "service/accounts.h"
#include "service/test_fixture.h"

namespace undersigned::http {
namespace {

using nlohmann::json;
using service::Actor;

constexpr const char* kBase = "https://sign.example.org";

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

class EventsApiTest : public service::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    service::AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<service::AccountService>(*store_, clock_, o);
    auto links = service::EventLinks::Open(*store_);
    ASSERT_TRUE(links);
    events_ = std::make_unique<service::EventService>(*store_, *accounts_, clock_, *links);
    tokens_ = std::make_unique<service::ApiTokenService>(*store_, clock_);
    auto t = tokens_->Create("crm");
    ASSERT_TRUE(t);
    token_ = *t;
    Create(OpenCampaign("bees", "Save the bees"));
    router_ = std::make_unique<Router>();
    RegisterEventsApi(*router_, EventsApiDeps{*events_, *campaigns_, *tokens_, *store_, clock_,
                                              kBase, RateLimit{1000, 1000, true}});
  }
  void CloseServices() override {
    router_.reset();
    tokens_.reset();
    events_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }

  // A protest with one time of `capacity` places a week from the fixture's clock, in Paris.
  std::int64_t Protest(std::int64_t capacity, bool private_place, EventStatus status,
                       const std::string& slug = "march") {
    service::EventInput in;
    in.slug = slug;
    in.title = "March on HQ";
    in.description_markdown = "Bring *signs*.";
    in.venue = "Secret Garage";
    in.address = "12 Hidden Lane\nSpringfield";
    in.private_location = private_place;
    in.accessibility = "Step-free";
    in.host_name = "Hana";
    in.host_email = "hana@example.org";
    auto e = events_->Create(Actor::Operator(), "bees", in, EventStatus::kDraft);
    EXPECT_TRUE(e) << e.error().message;
    auto s = events_->AddSlot(Actor::Operator(), e->id,
                              {"2023-11-21T18:00", "2023-11-21T20:00", "Europe/Paris", capacity});
    EXPECT_TRUE(s) << s.error().message;
    if (status != EventStatus::kDraft) {
      auto st = events_->SetStatus(Actor::Operator(), e->id, status);
      EXPECT_TRUE(st) << st.error().message;
    }
    return s->id;
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& token = "") {
    Request req;
    req.method = method;
    req.target = target;
    std::size_t q = target.find('?');
    EXPECT_TRUE(PercentDecode(target.substr(0, q), false, &req.path));
    if (!token.empty()) req.headers["osdi-api-token"] = token;
    if (!body.empty()) req.headers["content-type"] = "application/json";
    req.body = body;
    req.remote_address = "192.0.2.1";
    std::vector<std::string_view> segs;
    SplitPath(req.path, &segs);
    auto match = router_->Find(method, segs, &req.params);
    Reply r;
    if (!match.route) {
      r.status = 404;
      return r;
    }
    Response raw = match.route->handler(req);
    r.status = raw.status;
    r.raw = raw.body;
    EXPECT_EQ(raw.content_type.rfind("application/hal+json", 0), 0u) << target;
    r.body = json::parse(raw.body, nullptr, false);
    EXPECT_FALSE(r.body.is_discarded()) << raw.body;
    if (r.status >= 400) {
      EXPECT_TRUE(r.body.contains("error")) << raw.body;
    }
    return r;
  }

  static std::string Rsvp(const std::string& email, const std::string& status = "") {
    json b = {{"person",
               {{"given_name", "Ada"},
                {"family_name", "Lovelace"},
                {"email_addresses", {{{"address", email}}}}}},
              {"referrer_data", {{"referrer", "newsletter"}}}};
    if (!status.empty()) b["status"] = status;
    return b.dump();
  }
  std::string Helper(std::int64_t slot) const {
    return "/api/v2/events/" + std::to_string(slot) + "/record_attendance_helper";
  }

  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::EventService> events_;
  std::unique_ptr<service::ApiTokenService> tokens_;
  std::unique_ptr<Router> router_;
  std::string token_;
};

TEST_F(EventsApiTest, AnEventTimeIsAnOsdiEventWithItsFields) {
  const std::int64_t slot = Protest(50, false, EventStatus::kListed);
  Reply r = Call("GET", "/api/v2/events/" + std::to_string(slot));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["title"], "March on HQ");
  EXPECT_EQ(r.body["description"], "Bring *signs*.");
  EXPECT_EQ(r.body["start_date"], "2023-11-21T17:00:00Z");  // 18:00 in Paris (UTC+1)
  EXPECT_EQ(r.body["end_date"], "2023-11-21T19:00:00Z");
  EXPECT_EQ(r.body["timezone_identifier"], "Europe/Paris");
  EXPECT_EQ(r.body["capacity"], 50);
  EXPECT_EQ(r.body["total_accepted"], 0);
  EXPECT_EQ(r.body["status"], "confirmed");
  EXPECT_EQ(r.body["visibility"], "public");
  EXPECT_EQ(r.body["instructions"], "Step-free");
  EXPECT_EQ(r.body["location"]["public"], true);
  EXPECT_EQ(r.body["location"]["venue"], "Secret Garage");
  EXPECT_EQ(r.body["location"]["address_lines"], json::array({"12 Hidden Lane", "Springfield"}));
  EXPECT_EQ(r.body["browser_url"], std::string(kBase) + "/c/bees/events/march");
  EXPECT_EQ(r.body["undersigned:event"]["times"], 1);
  EXPECT_EQ(r.body["_links"]["osdi:record_attendance_helper"]["href"],
            std::string(kBase) + Helper(slot));

  Reply list = Call("GET", "/api/v2/events");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["_embedded"]["osdi:events"].size(), 1u);
  EXPECT_EQ(list.body["_embedded"]["osdi:events"][0]["identifiers"][0],
            "undersigned:" + std::to_string(slot));
}

TEST_F(EventsApiTest, APrivatePlaceIsAbsentWithoutATokenAndPresentWithOne) {
  const std::int64_t slot = Protest(50, true, EventStatus::kListed);
  for (const std::string& target :
       {"/api/v2/events/" + std::to_string(slot), std::string("/api/v2/events")}) {
    Reply r = Call("GET", target);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.raw.find("Hidden Lane"), std::string::npos) << r.raw;
    EXPECT_EQ(r.raw.find("Secret Garage"), std::string::npos) << r.raw;
    EXPECT_EQ(r.raw.find("hana@example.org"), std::string::npos) << r.raw;
  }
  Reply open = Call("GET", "/api/v2/events/" + std::to_string(slot));
  EXPECT_EQ(open.body["location"], json({{"public", false}}));
  Reply with = Call("GET", "/api/v2/events/" + std::to_string(slot), "", token_);
  ASSERT_EQ(with.status, 200);
  EXPECT_EQ(with.body["location"]["venue"], "Secret Garage");
  EXPECT_EQ(with.body["location"]["public"], false);
}

TEST_F(EventsApiTest, DraftsAreSeenOnlyWithAToken) {
  const std::int64_t slot = Protest(10, false, EventStatus::kDraft);
  EXPECT_EQ(Call("GET", "/api/v2/events/" + std::to_string(slot)).status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/events").body["total_records"], 0);
  Reply r = Call("GET", "/api/v2/events/" + std::to_string(slot), "", token_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["visibility"], "private");
  EXPECT_EQ(r.body["status"], "tentative");
  EXPECT_EQ(Call("GET", "/api/v2/events/99999", "", token_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/events/nope", "", token_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/events", "", "wrong-token").status, 401);
}

TEST_F(EventsApiTest, ATokensRsvpWithNoStatusIsAcceptedAndAFullTimeWaitlistsWithSuccess) {
  const std::int64_t slot = Protest(2, true, EventStatus::kListed);
  Reply a = Call("POST", Helper(slot), Rsvp("ada@example.org"), token_);
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["status"], "accepted");
  EXPECT_EQ(a.body["undersigned:status"], "accepted");
  EXPECT_EQ(a.body["referrer_data"]["referrer"], "newsletter");
  EXPECT_EQ(a.body["attended"], false);
  Reply b = Call("POST", Helper(slot), Rsvp("bob@example.org", "accepted"), token_);
  ASSERT_EQ(b.status, 200) << b.raw;
  EXPECT_EQ(b.body["status"], "accepted");
  Reply c = Call("POST", "/api/v2/events/" + std::to_string(slot) + "/attendances",
                 Rsvp("cy@example.org"), token_);
  ASSERT_EQ(c.status, 200) << c.raw;
  EXPECT_EQ(c.body["status"], "tentative");
  EXPECT_EQ(c.body["undersigned:status"], "waitlisted");
  EXPECT_EQ(c.body["undersigned:waitlist_position"], 1);

  Reply ev = Call("GET", "/api/v2/events/" + std::to_string(slot));
  EXPECT_EQ(ev.body["total_accepted"], 2);
  EXPECT_EQ(ev.body["undersigned:waitlisted"], 1);

  Reply list = Call("GET", "/api/v2/events/" + std::to_string(slot) + "/attendances", "", token_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["_embedded"]["osdi:attendances"].size(), 3u);
  EXPECT_EQ(
      list.body["_embedded"]["osdi:attendances"][0]["person"]["email_addresses"][0]["address"],
      "ada@example.org");
  EXPECT_EQ(Call("GET", "/api/v2/events/" + std::to_string(slot) + "/attendances").status, 401);

  // Declining Ada's answer frees her place: Cy, first on the waitlist, is promoted.
  Reply d = Call("POST", Helper(slot), Rsvp("Ada@Example.org", "declined"), token_);
  ASSERT_EQ(d.status, 200) << d.raw;
  EXPECT_EQ(d.body["status"], "cancelled");
  const std::string cy =
      c.body["_links"]["self"]["href"].get<std::string>().substr(std::string(kBase).size());
  Reply cy_now = Call("GET", cy, "", token_);
  ASSERT_EQ(cy_now.status, 200) << cy;
  EXPECT_EQ(cy_now.body["status"], "accepted");
  EXPECT_EQ(Call("POST", Helper(slot), Rsvp("nobody@example.org", "declined"), token_).status, 404);
}

TEST_F(EventsApiTest, WithoutATokenTheRsvpIsPendingAndAnswersNothing) {
  const std::int64_t slot = Protest(2, false, EventStatus::kListed);
  Reply r = Call("POST", Helper(slot), Rsvp("ada@example.org"));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, json::object());
  // The same address again: the same answer (it tells nothing).
  EXPECT_EQ(Call("POST", Helper(slot), Rsvp("ada@example.org")).body, json::object());
  Reply list = Call("GET", "/api/v2/events/" + std::to_string(slot) + "/attendances", "", token_);
  ASSERT_EQ(list.body["_embedded"]["osdi:attendances"].size(), 1u);
  EXPECT_EQ(list.body["_embedded"]["osdi:attendances"][0]["status"], "needs action");
  EXPECT_EQ(Call("GET", "/api/v2/events/" + std::to_string(slot)).body["total_accepted"], 0);
  // Declining needs a token.
  EXPECT_EQ(Call("POST", Helper(slot), Rsvp("ada@example.org", "declined")).status, 401);
}

TEST_F(EventsApiTest, BadInputIsA400NamingTheField) {
  const std::int64_t slot = Protest(2, false, EventStatus::kListed);
  Reply r = Call("POST", Helper(slot), R"({"person":{"given_name":"Ada"}})", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["fields"].contains("person.email_addresses[0].address")) << r.raw;
  r = Call("POST", Helper(slot), "not json", token_);
  EXPECT_EQ(r.status, 400);
  r = Call("POST", Helper(slot), Rsvp("ada@example.org", "maybe"), token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["fields"].contains("status"));
  json many = json::parse(Rsvp("ada@example.org"));
  many["undersigned:guests"] = 11;
  r = Call("POST", Helper(slot), many.dump(), token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["fields"].contains("undersigned:guests")) << r.raw;
  // Nothing was stored.
  Reply list = Call("GET", "/api/v2/events/" + std::to_string(slot) + "/attendances", "", token_);
  EXPECT_EQ(list.body["total_records"], 0);
}

TEST_F(EventsApiTest, ACancelledEventRefusesRsvpsWithAConflict) {
  const std::int64_t slot = Protest(2, false, EventStatus::kListed);
  auto slot_row = store_->events().GetSlot(slot);
  ASSERT_TRUE(slot_row);
  ASSERT_TRUE(events_->SetStatus(Actor::Operator(), slot_row->event_id, EventStatus::kCancelled));
  Reply r = Call("POST", Helper(slot), Rsvp("ada@example.org"), token_);
  EXPECT_EQ(r.status, 409) << r.raw;
  EXPECT_EQ(Call("GET", "/api/v2/events/" + std::to_string(slot)).body["status"], "cancelled");
}

}  // namespace
}  // namespace undersigned::http
