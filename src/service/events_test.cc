// EventService, EventLinks, EventMailRenderer and EventReminderScheduler over a real SQLite
// store: organizer roles, validation, the confirm and cancel links, a private location kept out
// of everything public and in the accepted attendee's mail, the waitlist promoted and mailed,
// reminders on a moved clock, proposals approved before they are listed, calendars.
#include <string>

#include <gtest/gtest.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "service/accounts.h"
#include "service/events.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class EventsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    MakeEventServices();
    Create(OpenCampaign("bees", "Save the bees"));
    bees_ = campaigns_->GetBySlug("bees")->id;
  }
  // The services under test, over the store open now (again after a restart).
  void MakeEventServices() {
    if (!accounts_) {
      AccountOptions o;
      o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
      o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
      accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    }
    auto links = EventLinks::Open(*store_);
    ASSERT_TRUE(links);
    events_ =
        std::make_unique<EventService>(*store_, *accounts_, clock_, *links, [this] { ++pokes_; });
    renderer_ =
        std::make_unique<EventMailRenderer>(*store_, events_->links(), "https://site.example");
  }
  void CloseServices() override {
    renderer_.reset();
    events_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }

  EventInput Protest() {
    EventInput in;
    in.slug = "march";
    in.title = "March on HQ";
    in.description_markdown = "Bring *signs*.";
    in.venue = "Secret Garage";
    in.address = "12 Hidden Lane";
    in.private_location = true;
    in.accessibility = "Step-free";
    in.host_name = "Hana";
    in.host_email = "hana@example.org";
    return in;
  }
  // A listed private protest with one slot of `capacity` a week from now, in Paris.
  Event Listed(std::int64_t capacity) {
    auto e = events_->Create(Actor::Operator(), "bees", Protest(), EventStatus::kDraft);
    EXPECT_TRUE(e) << e.error().message;
    SlotInput s{"2023-11-21T18:00", "2023-11-21T20:00", "Europe/Paris", capacity};
    auto slot = events_->AddSlot(Actor::Operator(), e->id, s);
    EXPECT_TRUE(slot) << slot.error().message;
    slot_ = slot->id;
    auto listed = events_->SetStatus(Actor::Operator(), e->id, EventStatus::kListed);
    EXPECT_TRUE(listed) << listed.error().message;
    return *listed;
  }
  // Unsent mails of a kind, rendered.
  std::vector<OutreachMail> Rendered(const std::string& kind) {
    std::vector<OutreachMail> out;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    EXPECT_TRUE(due);
    for (auto& m : *due) {
      if (m.kind != kind) continue;
      auto r = renderer_->Render(m);
      EXPECT_TRUE(r) << r.error().message;
      if (r) out.push_back(*r);
    }
    return out;
  }
  static std::string After(const std::string& text, const std::string& marker) {
    auto p = text.find(marker);
    if (p == std::string::npos) return "";
    auto end = text.find_first_of("\n ", p + marker.size());
    return text.substr(p + marker.size(), end - p - marker.size());
  }

  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<EventService> events_;
  std::unique_ptr<EventMailRenderer> renderer_;
  std::int64_t bees_ = 0;
  std::int64_t slot_ = 0;
  int pokes_ = 0;
};

TEST_F(EventsTest, InputIsValidatedFieldByField) {
  EventInput in = Protest();
  in.slug = "Bad Slug";
  in.title = "";
  in.kind = "online";
  in.online_link = "javascript:alert(1)";
  in.reminder_offsets = {0};
  auto bad = events_->Create(Actor::Operator(), "bees", in, EventStatus::kListed);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  for (const char* f : {"slug", "title", "online_link", "reminders"}) {
    EXPECT_TRUE(bad.error().field_errors.count(f)) << f;
  }
  auto slot = SlotFromInput({"2023-11-21T18:00", "2023-11-21T17:00", "Mars/Olympus", -1});
  ASSERT_FALSE(slot);
  EXPECT_TRUE(slot.error().field_errors.count("time_zone"));
  EXPECT_TRUE(slot.error().field_errors.count("capacity"));
  auto backwards = SlotFromInput({"2023-11-21T18:00", "2023-11-21T17:00", "Europe/Paris", 5});
  ASSERT_FALSE(backwards);
  EXPECT_TRUE(backwards.error().field_errors.count("ends"));
  auto ok = SlotFromInput({"2023-11-21T18:00", "2023-11-21T20:00", "Europe/Paris", 5});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->starts, 1700586000);  // 17:00 UTC: Paris is at +01:00 in November
}

TEST_F(EventsTest, OrganizerRolesDecideWhoMayManageEvents) {
  auto viewer = accounts_->CreateUser(Actor::Operator(), "v@example.org", "", false);
  ASSERT_TRUE(viewer);
  ASSERT_TRUE(
      store_->accounts().AddMembership(viewer->id, bees_, CampaignRole::kViewer, clock_.Now()));
  auto stranger = accounts_->CreateUser(Actor::Operator(), "s@example.org", "", false);
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(events_->Create(Actor::Of(*viewer), "bees", Protest(), EventStatus::kListed));
  EXPECT_FALSE(events_->Create(Actor::Of(*stranger), "bees", Protest(), EventStatus::kListed));
  const Event e = Listed(10);
  EXPECT_FALSE(events_->Attendees(Actor::Of(*stranger), e.id));
  EXPECT_TRUE(events_->List(Actor::Of(*viewer), "bees"));
  // An event without a time cannot be listed.
  EventInput other = Protest();
  other.slug = "other";
  auto empty = events_->Create(Actor::Operator(), "bees", other, EventStatus::kDraft);
  ASSERT_TRUE(empty);
  EXPECT_EQ(events_->SetStatus(Actor::Operator(), empty->id, EventStatus::kListed).error().code,
            Code::kInvalidArgument);
}

TEST_F(EventsTest, ARsvpIsConfirmedByAButtonAndThePrivatePlaceReachesOnlyTheAttendee) {
  const Event e = Listed(10);
  // Nothing public shows the private place.
  auto shown = events_->Show("bees", "march");
  ASSERT_TRUE(shown);
  EXPECT_TRUE(shown->location_hidden);
  EXPECT_EQ(shown->event.venue, "");
  EXPECT_EQ(shown->event.address, "");
  auto listed = events_->Listed("bees");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].event.address, "");
  auto feed = events_->CampaignCalendar("bees", "site.example");
  ASSERT_TRUE(feed);
  EXPECT_EQ(feed->find("Hidden Lane"), std::string::npos);
  EXPECT_EQ(feed->find("Secret Garage"), std::string::npos);
  EXPECT_NE(feed->find("SUMMARY:March on HQ"), std::string::npos);

  auto r = events_->Answer("bees", "march", {slot_, "Ann", "ann@example.org", 1, ""}, false, "web");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, RsvpStatus::kPending);
  EXPECT_EQ(events_->Answer("bees", "march", {slot_, "Ann", "ANN@example.org", 0, ""}, false, "web")
                .error()
                .code,
            Code::kConflict);  // the same address, differently written

  auto mails = Rendered("event_rsvp");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to, "ann@example.org");
  EXPECT_EQ(mails[0].text.find("Hidden Lane"), std::string::npos);  // not confirmed yet
  EXPECT_TRUE(mails[0].attachments.empty());
  const std::string token = After(mails[0].text, "/confirm?t=");
  ASSERT_FALSE(token.empty());

  // The link's page changes nothing; its button does.
  auto view = events_->ForConfirm(token);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->rsvp.status, RsvpStatus::kPending);
  EXPECT_EQ(view->event.address, "");
  auto confirmed = events_->Confirm(token);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  EXPECT_EQ(confirmed->rsvp.status, RsvpStatus::kAccepted);
  EXPECT_EQ(confirmed->event.address, "12 Hidden Lane");
  EXPECT_EQ(events_->Confirm(token).error().code, Code::kNotFound);  // spent
  auto status = Rendered("event_status");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_NE(status[0].text.find("12 Hidden Lane"), std::string::npos);
  ASSERT_EQ(status[0].attachments.size(), 1u);
  EXPECT_NE(status[0].attachments[0].data.find("LOCATION:Secret Garage\\, 12 Hidden Lane"),
            std::string::npos);
  EXPECT_NE(status[0].attachments[0].data.find("DTSTART;TZID=Europe/Paris:20231121T180000"),
            std::string::npos);
  EXPECT_EQ(store_->events().GetSlot(slot_)->accepted, 2);

  // Cancel from the mail's link.
  const std::string cancel = After(status[0].text, "/cancel?t=");
  ASSERT_FALSE(cancel.empty());
  EXPECT_EQ(events_->ForCancel(cancel + "0").error().code, Code::kNotFound);
  EXPECT_EQ(events_->ForCancel("1.00000000000000000000000000000000").error().code, Code::kNotFound);
  auto gone = events_->Cancel(cancel);
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_EQ(gone->rsvp.status, RsvpStatus::kCancelled);
  EXPECT_EQ(gone->event.address, "");
  EXPECT_EQ(store_->events().GetSlot(slot_)->accepted, 0);
}

TEST_F(EventsTest, AFullSlotWaitlistsTrustedRsvpsAndACancellationPromotesAndMails) {
  Listed(2);
  auto a = events_->Answer("bees", "march", {slot_, "A", "a@example.org", 0, ""}, true, "api");
  auto b = events_->Answer("bees", "march", {slot_, "B", "b@example.org", 0, ""}, true, "api");
  auto c = events_->Answer("bees", "march", {slot_, "C", "c@example.org", 0, ""}, true, "api");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->status, RsvpStatus::kAccepted);
  EXPECT_EQ(c->status, RsvpStatus::kWaitlisted);
  auto waiting = Rendered("event_rsvp");
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_NE(waiting[2].text.find("number 1 on the waitlist"), std::string::npos);
  EXPECT_EQ(waiting[2].text.find("Hidden Lane"), std::string::npos);

  auto done = events_->Cancel(events_->links().CancelToken(a->id));
  ASSERT_TRUE(done);
  EXPECT_EQ(store_->events().GetRsvp(c->id)->status, RsvpStatus::kAccepted);
  auto promoted = Rendered("event_promoted");
  ASSERT_EQ(promoted.size(), 1u);
  EXPECT_EQ(promoted[0].to, "c@example.org");
  EXPECT_NE(promoted[0].text.find("12 Hidden Lane"), std::string::npos);
  EXPECT_EQ(promoted[0].attachments.size(), 1u);
}

TEST_F(EventsTest, RemindersGoOutOnceOnTheMovedClockWithNobodyVisiting) {
  const Event e = Listed(10);
  auto a = events_->Answer("bees", "march", {slot_, "A", "a@example.org", 0, ""}, true, "api");
  ASSERT_TRUE(a);
  int wakes = 0;
  EventReminderScheduler scheduler(*store_, clock_, [&] { ++wakes; });
  EXPECT_EQ(scheduler.RunOnce().value(), 0);
  const UnixTime starts = store_->events().GetSlot(slot_)->starts;
  clock_.Advance(starts - 86400 - clock_.Now());
  EXPECT_EQ(scheduler.RunOnce().value(), 1);
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(scheduler.RunOnce().value(), 0);
  auto reminders = Rendered("event_reminder");
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].to, "a@example.org");
  EXPECT_NE(reminders[0].text.find("12 Hidden Lane"), std::string::npos);
  EXPECT_NE(reminders[0].text.find("/cancel?t=" + events_->links().CancelToken(a->id)),
            std::string::npos);
  ASSERT_EQ(reminders[0].attachments.size(), 1u);

  // A restart: the claimed reminder stays sent; the next goes out at its time.
  CloseServices();
  OpenServices();
  MakeEventServices();
  EventReminderScheduler again(*store_, clock_, {});
  EXPECT_EQ(again.RunOnce().value(), 0);
  clock_.Advance(86400 - 7200);
  EXPECT_EQ(again.RunOnce().value(), 1);
  (void)e;
}

TEST_F(EventsTest, APlaceChangeAndACancellationMailEveryAttendee) {
  Event e = Listed(10);
  auto a = events_->Answer("bees", "march", {slot_, "A", "a@example.org", 0, ""}, true, "api");
  ASSERT_TRUE(a);
  EventInput moved = Protest();
  moved.venue = "Town Hall";
  ASSERT_TRUE(events_->Edit(Actor::Operator(), e.id, moved));
  auto changed = Rendered("event_changed");
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].text.find("Town Hall"), std::string::npos);
  // An edit that leaves the place alone mails nobody.
  moved.title = "March on HQ!";
  ASSERT_TRUE(events_->Edit(Actor::Operator(), e.id, moved));
  EXPECT_EQ(Rendered("event_changed").size(), 1u);
  ASSERT_TRUE(events_->SetStatus(Actor::Operator(), e.id, EventStatus::kCancelled));
  auto cancelled = Rendered("event_cancelled");
  ASSERT_EQ(cancelled.size(), 1u);
  ASSERT_EQ(cancelled[0].attachments.size(), 1u);
  EXPECT_NE(cancelled[0].attachments[0].data.find("STATUS:CANCELLED"), std::string::npos);
  EXPECT_EQ(events_->Answer("bees", "march", {slot_, "Z", "z@example.org", 0, ""}, true, "api")
                .error()
                .code,
            Code::kConflict);
}

TEST_F(EventsTest, AProposalIsListedOnlyOnceApprovedAndItsHostSeesTheirRsvps) {
  EventInput in = Protest();
  in.slug = "picnic";
  SlotInput s{"2023-11-25T12:00", "2023-11-25T14:00", "Europe/Paris", 0};
  auto p = events_->Propose("bees", in, s);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->event.status, EventStatus::kProposed);
  EXPECT_EQ(events_->Show("bees", "picnic").error().code, Code::kNotFound);
  EXPECT_TRUE(events_->Listed("bees")->empty());
  auto approved = events_->SetStatus(Actor::Operator(), p->event.id, EventStatus::kListed);
  ASSERT_TRUE(approved) << approved.error().message;
  ASSERT_TRUE(events_->Show("bees", "picnic"));
  auto slots = store_->events().ListSlots(p->event.id);
  ASSERT_TRUE(slots && slots->size() == 1u);
  ASSERT_TRUE(events_->Answer("bees", "picnic", {(*slots)[0].id, "G", "g@example.org", 0, ""}, true,
                              "web"));
  auto mine = events_->HostAttendees(p->event.id, p->host_token);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].name, "G");
  EXPECT_EQ(events_->HostAttendees(p->event.id, "forged").error().code, Code::kNotFound);
}

}  // namespace
}  // namespace undersigned::service
