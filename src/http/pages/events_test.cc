// The public event pages through a real Router with the real services over a real SQLite store
// and the real templates: a private place absent, the RSVP form answered "check your email" and
// its mistakes shown with what was typed, the CSRF check, a draft campaign's events absent, the
// event's .ics, a proposal kept for an organizer's approval.
#include "http/pages/events.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sodium.h>

#include "http/pages/test_support.h"
#include "render/templates.h"
#include "service/accounts.h"
#include "service/test_fixture.h"

namespace undersigned::http {
namespace {

using service::Actor;
using test::Contains;
using test::FormEncode;

constexpr const char* kBase = "https://sign.example.org";
const std::map<std::string, std::string> kForm = {
    {"content-type", "application/x-www-form-urlencoded"}};

std::string Hidden(const std::string& html, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  auto p = html.find(marker);
  if (p == std::string::npos) return "";
  p += marker.size();
  return html.substr(p, html.find('"', p) - p);
}

class EventPagesTest : public service::ServiceFixture {
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
    auto templates = render::Templates::Load(render::FindAssetDir("templates"));
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<render::Templates>(std::move(*templates));
    Create(OpenCampaign("bees", "Save the bees"));
    Campaign draft = OpenCampaign("secret", "Not yet");
    draft.status = CampaignStatus::kDraft;
    Create(draft);
    router_ = std::make_unique<Router>();
    RegisterEventPages(*router_, EventPagesDeps{*campaigns_, *events_, *templates_, kBase, "secret",
                                                pages::SiteInfo{"Test", "", "", ""}, &clock_, ""});
  }
  void CloseServices() override {
    router_.reset();
    events_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }

  // A listed protest of the campaign with one time of `capacity` places in Paris; its time.
  std::int64_t Protest(const std::string& campaign, std::int64_t capacity) {
    service::EventInput in;
    in.slug = "march";
    in.title = "March on HQ";
    in.description_markdown = "Bring **signs**.";
    in.venue = "Secret Garage";
    in.address = "12 Hidden Lane";
    in.private_location = true;
    in.accessibility = "Step-free";
    in.host_name = "Hana";
    in.host_email = "hana@example.org";
    auto e = events_->Create(Actor::Operator(), campaign, in, EventStatus::kListed);
    EXPECT_TRUE(e) << e.error().message;
    auto s = events_->AddSlot(Actor::Operator(), e->id,
                              {"2023-11-21T18:00", "2023-11-21T20:00", "Europe/Paris", capacity});
    EXPECT_TRUE(s) << s.error().message;
    return s->id;
  }

  Response Get(const std::string& target) {
    return test::Dispatch(*router_, "GET", target, "", {}, &cookie_);
  }
  Response Post(const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& fields) {
    return test::Dispatch(*router_, "POST", target, FormEncode(fields), kForm, &cookie_);
  }

  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::EventService> events_;
  std::unique_ptr<render::Templates> templates_;
  std::unique_ptr<Router> router_;
  std::string cookie_;
};

TEST_F(EventPagesTest, TheEventPageShowsItsTimesAndHidesAPrivatePlace) {
  Protest("bees", 2);
  Response list = Get("/c/bees/agenda");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(Contains(list.body, "href=\"/c/bees/events/march\""));
  EXPECT_TRUE(Contains(list.body, "/c/bees/propose-event"));
  Response page = Get("/c/bees/events/march");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.body, "<strong>signs</strong>"));  // Markdown
  EXPECT_TRUE(Contains(page.body, "21 November 2023, 18:00 to 20:00 (Europe/Paris)"));
  EXPECT_TRUE(Contains(page.body, "2 places left"));
  EXPECT_TRUE(Contains(page.body, "The address is sent to confirmed attendees."));
  EXPECT_TRUE(Contains(page.body, "Step-free"));
  EXPECT_TRUE(Contains(page.body, "Hosted by Hana."));
  for (const char* hidden : {"Hidden Lane", "Secret Garage", "hana@example.org"}) {
    EXPECT_FALSE(Contains(page.body + list.body, hidden)) << hidden;
  }
  Response ics = Get("/c/bees/events/march/calendar.ics");
  ASSERT_EQ(ics.status, 200);
  EXPECT_TRUE(Contains(ics.body, "DTSTART;TZID=Europe/Paris:20231121T180000"));
  EXPECT_FALSE(Contains(ics.body, "Hidden Lane"));
  EXPECT_EQ(Get("/c/bees/events/nope").status, 404);
}

TEST_F(EventPagesTest, TheRsvpFormKeepsWhatWasTypedAndAnswersCheckYourEmail) {
  const std::int64_t slot = Protest("bees", 2);
  Response page = Get("/c/bees/events/march");
  const std::string csrf = Hidden(page.body, "csrf");
  ASSERT_FALSE(csrf.empty());
  Response bad = Post("/c/bees/events/march/rsvp", {{"csrf", csrf},
                                                    {"slot", std::to_string(slot)},
                                                    {"name", "Zoë <Tester>"},
                                                    {"email", "nope"},
                                                    {"guests", "3"}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_TRUE(Contains(bad.body, "value=\"Zoë &lt;Tester&gt;\""));
  EXPECT_TRUE(Contains(bad.body, "value=\"nope\""));
  EXPECT_TRUE(Contains(bad.body, "value=\"3\""));
  EXPECT_TRUE(Contains(bad.body, "Your email address is not an email address."));
  // Without the form's token nothing is recorded.
  EXPECT_EQ(Post("/c/bees/events/march/rsvp",
                 {{"slot", std::to_string(slot)}, {"name", "Ada"}, {"email", "ada@example.org"}})
                .status,
            403);
  Response ok = Post("/c/bees/events/march/rsvp", {{"csrf", csrf},
                                                   {"slot", std::to_string(slot)},
                                                   {"name", "Ada"},
                                                   {"email", "ada@example.org"},
                                                   {"guests", "0"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(Contains(ok.body, "Check your email"));
  auto rsvps = store_->events().ListRsvps(store_->events().GetSlot(slot)->event_id);
  ASSERT_TRUE(rsvps);
  ASSERT_EQ(rsvps->size(), 1u);
  EXPECT_EQ((*rsvps)[0].status, RsvpStatus::kPending);
  EXPECT_EQ((*rsvps)[0].source, "web");
  // The same address again: 409, the form kept.
  Response again = Post("/c/bees/events/march/rsvp", {{"csrf", csrf},
                                                      {"slot", std::to_string(slot)},
                                                      {"name", "Ada"},
                                                      {"email", "ada@example.org"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_TRUE(Contains(again.body, "already answered"));
}

TEST_F(EventPagesTest, ADraftCampaignsEventsAreAbsent) {
  const std::int64_t slot = Protest("secret", 10);
  EXPECT_EQ(Get("/c/secret/agenda").status, 404);
  EXPECT_EQ(Get("/c/secret/events/march").status, 404);
  EXPECT_EQ(Get("/c/secret/events/march/calendar.ics").status, 404);
  const std::string csrf = Hidden(Get("/c/bees/propose-event").body, "csrf");
  EXPECT_EQ(Post("/c/secret/events/march/rsvp", {{"csrf", csrf},
                                                 {"slot", std::to_string(slot)},
                                                 {"name", "Ada"},
                                                 {"email", "ada@example.org"}})
                .status,
            404);
  EXPECT_EQ(Get("/c/secret/propose-event").status, 404);
}

TEST_F(EventPagesTest, AProposalWaitsForAnOrganizer) {
  Response form = Get("/c/bees/propose-event");
  ASSERT_EQ(form.status, 200) << form.body;
  const std::string csrf = Hidden(form.body, "csrf");
  std::vector<std::pair<std::string, std::string>> fields = {{"csrf", csrf},
                                                             {"title", "Picnic"},
                                                             {"kind", "in_person"},
                                                             {"venue", "The park"},
                                                             {"starts", "2023-11-25T12:00"},
                                                             {"ends", "2023-11-25T14:00"},
                                                             {"time_zone", "Nowhere"},
                                                             {"capacity", "20"},
                                                             {"host_name", "Pia"},
                                                             {"host_email", "pia@example.org"}};
  Response bad = Post("/c/bees/propose-event", fields);
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(Contains(bad.body, "value=\"Picnic\""));
  EXPECT_TRUE(Contains(bad.body, "Give a time zone"));
  fields[6].second = "Europe/Berlin";
  Response ok = Post("/c/bees/propose-event", fields);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(Contains(ok.body, "an organizer will review it"));
  auto all = events_->List(Actor::Operator(), "bees");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].status, EventStatus::kProposed);
  EXPECT_FALSE(Contains(Get("/c/bees/agenda").body, "Picnic"));
}

}  // namespace
}  // namespace undersigned::http
