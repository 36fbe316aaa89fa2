// Store conformance: events, slots and RSVPs (store/event_store.h) on every backend: the fields
// kept, the capacity that is never exceeded (64 concurrent RSVPs for 50 places; on PostgreSQL
// also from two nodes), the waitlist and its promotion, the mail queued in the same transaction
// as each change, and reminders claimed once across restarts.
#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

constexpr UnixTime kStart = kT0 + 7 * 86400;  // a week after kT0

Event SampleEvent(std::int64_t campaign_id, const std::string& slug) {
  Event e;
  e.campaign_id = campaign_id;
  e.slug = slug;
  e.title = "Protest at " + slug;
  e.description_markdown = "Bring *signs*.";
  e.kind = EventKind::kInPerson;
  e.venue = "Moscone Center";
  e.address = "747 Howard St\nSan Francisco";
  e.private_location = true;
  e.accessibility = "Step-free entrance on 4th St";
  e.host_name = "Hana Host";
  e.host_email = "host@example.org";
  e.status = EventStatus::kListed;
  e.reminder_offsets = {86400, 7200};
  e.promote_until = 3600;
  return e;
}

NewRsvp SampleRsvp(std::int64_t slot_id, const std::string& email, bool accept_now,
                   std::int64_t guests = 0) {
  NewRsvp r;
  r.slot_id = slot_id;
  r.name = "Name of " + email;
  r.email = email;
  r.email_key = "key:" + email;
  r.guests = guests;
  r.referrer = "https://news.example/";
  r.accept_now = accept_now;
  r.confirm_token = "tok-" + email.substr(0, email.find('@'));
  r.confirm_hash = HashOf(r.confirm_token);
  r.now = kT0;
  return r;
}

// Outbox messages of a kind (about one RSVP).
std::int64_t Mails(TestBackend& b, const std::string& kind) {
  return b.QueryInt("SELECT count(*) FROM outbox WHERE kind = '" + kind + "'");
}
std::int64_t MailsAbout(TestBackend& b, const std::string& kind, std::int64_t rsvp_id) {
  const std::string id = "%\"rsvp_id\":" + std::to_string(rsvp_id);
  return b.QueryInt("SELECT count(*) FROM outbox WHERE kind = '" + kind + "' AND (payload LIKE '" +
                    id + "}%' OR payload LIKE '" + id + ",%')");
}

TEST_P(StoreTest, EventsKeepEveryFieldAndTheirSlots) {
  Campaign c = MustCreate("events");
  EventStore& ev = store_->events();
  Event in = SampleEvent(c.id, "march");
  in.created_by = std::nullopt;
  auto e = ev.CreateEvent(in, kT0);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_GT(e->id, 0);
  EXPECT_EQ(e->slug, "march");
  EXPECT_EQ(e->address, "747 Howard St\nSan Francisco");
  EXPECT_TRUE(e->private_location);
  EXPECT_EQ(e->kind, EventKind::kInPerson);
  EXPECT_EQ(e->status, EventStatus::kListed);
  EXPECT_EQ(e->reminder_offsets, (std::vector<std::int64_t>{86400, 7200}));
  EXPECT_EQ(e->accessibility, "Step-free entrance on 4th St");
  EXPECT_EQ(e->host_email, "host@example.org");
  EXPECT_EQ(e->created, kT0);
  EXPECT_EQ(ev.CreateEvent(in, kT0).error().code, Code::kConflict);  // same slug

  auto found = ev.FindEvent(c.id, "march");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, e->id);
  EXPECT_EQ(ev.FindEvent(c.id, "nope").error().code, Code::kNotFound);
  EXPECT_EQ(ev.GetEvent(e->id + 1000).error().code, Code::kNotFound);

  Event online = SampleEvent(c.id, "call");
  online.kind = EventKind::kOnline;
  online.online_link = "https://meet.example/abc";
  online.status = EventStatus::kProposed;
  ASSERT_TRUE(ev.CreateEvent(online, kT0 + 1));
  auto list = ev.ListEvents(c.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].online_link, "https://meet.example/abc");
  EXPECT_EQ((*list)[1].kind, EventKind::kOnline);

  Event edit = *e;
  edit.title = "The march";
  edit.reminder_offsets = {3600};
  edit.private_location = false;
  auto edited = ev.UpdateEvent(edit, kT0 + 5, false);
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->title, "The march");
  EXPECT_EQ(edited->reminder_offsets, (std::vector<std::int64_t>{3600}));
  EXPECT_FALSE(edited->private_location);
  EXPECT_EQ(edited->modified, kT0 + 5);
  edit.slug = "call";
  EXPECT_EQ(ev.UpdateEvent(edit, kT0 + 6, false).error().code, Code::kConflict);

  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.time_zone = "Europe/Paris";
  s.capacity = 20;
  auto slot = ev.AddSlot(s, kT0);
  ASSERT_TRUE(slot) << slot.error().message;
  EXPECT_EQ(slot->time_zone, "Europe/Paris");
  EXPECT_EQ(slot->capacity, 20);
  EXPECT_EQ(slot->accepted, 0);
  s.starts = kStart - 86400;
  ASSERT_TRUE(ev.AddSlot(s, kT0));
  s.ends = s.starts;
  EXPECT_EQ(ev.AddSlot(s, kT0).error().code, Code::kInvalidArgument);
  auto slots = ev.ListSlots(e->id);
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 2u);
  EXPECT_LT((*slots)[0].starts, (*slots)[1].starts);  // by start

  // Cancelled is final.
  ASSERT_TRUE(ev.SetEventStatus(e->id, EventStatus::kCancelled, kT0 + 9));
  EXPECT_EQ(ev.SetEventStatus(e->id, EventStatus::kListed, kT0 + 9).error().code, Code::kConflict);
}

TEST_P(StoreTest, RsvpsAreSealedPendingUntilConfirmedAndOncePerAddress) {
  Campaign c = MustCreate("rsvp");
  EventStore& ev = store_->events();
  auto e = ev.CreateEvent(SampleEvent(c.id, "rally"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.capacity = 2;
  auto slot = ev.AddSlot(s, kT0);
  ASSERT_TRUE(slot);

  auto a = ev.CreateRsvp(SampleRsvp(slot->id, "ann@example.org", false, 1));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->status, RsvpStatus::kPending);
  EXPECT_EQ(a->name, "Name of ann@example.org");
  EXPECT_EQ(a->email, "ann@example.org");
  EXPECT_EQ(a->guests, 1);
  EXPECT_EQ(a->event_id, e->id);
  EXPECT_EQ(a->referrer, "https://news.example/");
  EXPECT_FALSE(a->confirmed);
  // The address is kept sealed: no column and no mail holds it in clear.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM rsvps WHERE CAST(sealed AS TEXT) LIKE '%ann@%'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE payload LIKE '%ann@%' OR recipient "
                     "LIKE '%ann@%'"),
            0);
  EXPECT_EQ(MailsAbout(*backend_, "event_rsvp", a->id), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE payload LIKE '%tok-ann%'"), 1);
  // Once per address and slot while not cancelled.
  EXPECT_EQ(ev.CreateRsvp(SampleRsvp(slot->id, "ann@example.org", false)).error().code,
            Code::kConflict);
  EXPECT_EQ(ev.GetSlot(slot->id)->accepted, 0);  // pending takes no seat

  auto by_token = ev.FindRsvpByConfirm(HashOf("tok-ann"));
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->id, a->id);
  auto confirmed = ev.ConfirmRsvp(a->id, kT0 + 10);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  EXPECT_EQ(confirmed->status, RsvpStatus::kAccepted);
  EXPECT_EQ(confirmed->confirmed, kT0 + 10);
  EXPECT_EQ(MailsAbout(*backend_, "event_status", a->id), 1);
  EXPECT_EQ(ev.GetSlot(slot->id)->accepted, 2);  // herself and her guest
  // The token is spent; confirming again changes nothing.
  EXPECT_EQ(ev.FindRsvpByConfirm(HashOf("tok-ann")).error().code, Code::kNotFound);
  ASSERT_TRUE(ev.ConfirmRsvp(a->id, kT0 + 11));
  EXPECT_EQ(MailsAbout(*backend_, "event_status", a->id), 1);

  // The slot is full: a trusted RSVP is waitlisted at once, never refused.
  auto b = ev.CreateRsvp(SampleRsvp(slot->id, "bob@example.org", true));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->status, RsvpStatus::kWaitlisted);
  EXPECT_EQ(b->waitlist_position, 1);

  auto checked = ev.CheckIn(a->id, true, kT0 + 20);
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->checked_in);
  EXPECT_EQ(ev.CheckIn(b->id + 999, true, kT0).error().code, Code::kNotFound);

  auto all = ev.ListRsvps(e->id);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].email, "bob@example.org");

  // A cancelled RSVP frees the address for a new answer, and cannot be confirmed.
  auto cancelled = ev.CancelRsvp(a->id, kT0 + 30);
  ASSERT_TRUE(cancelled);
  EXPECT_TRUE(cancelled->changed);
  EXPECT_EQ(cancelled->rsvp.status, RsvpStatus::kCancelled);
  EXPECT_EQ(ev.ConfirmRsvp(a->id, kT0 + 31).error().code, Code::kConflict);
  EXPECT_FALSE(ev.CancelRsvp(a->id, kT0 + 32)->changed);
  EXPECT_TRUE(ev.CreateRsvp(SampleRsvp(slot->id, "ann@example.org", false)));
}

// 64 concurrent RSVPs for 50 places: exactly 50 accepted and 14 waitlisted, in one order.
void RaceForSeats(Store& a, Store& b, std::int64_t slot_id) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      Store& store = (i % 2 == 0) ? a : b;
      auto r = store.events().CreateRsvp(
          SampleRsvp(slot_id, "p" + std::to_string(i) + "@example.org", true));
      if (!r) {
        ADD_FAILURE() << r.error().message;
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
}

void ExpectFiftyAndFourteen(EventStore& ev, std::int64_t event_id, std::int64_t slot_id) {
  auto slot = ev.GetSlot(slot_id);
  ASSERT_TRUE(slot);
  EXPECT_EQ(slot->accepted, 50);
  EXPECT_EQ(slot->waitlisted, 14);
  auto all = ev.ListRsvps(event_id);
  ASSERT_TRUE(all);
  int accepted = 0;
  std::set<std::int64_t> positions;
  for (const Rsvp& r : *all) {
    if (r.status == RsvpStatus::kAccepted) ++accepted;
    if (r.status == RsvpStatus::kWaitlisted) positions.insert(r.waitlist_position.value_or(0));
  }
  EXPECT_EQ(accepted, 50);
  ASSERT_EQ(positions.size(), 14u);
  EXPECT_EQ(*positions.begin(), 1);
  EXPECT_EQ(*positions.rbegin(), 14);
}

TEST_P(StoreTest, SixtyFourConcurrentRsvpsForFiftyPlacesAcceptExactlyFifty) {
  Campaign c = MustCreate("race");
  auto e = store_->events().CreateEvent(SampleEvent(c.id, "race"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.capacity = 50;
  auto slot = store_->events().AddSlot(s, kT0);
  ASSERT_TRUE(slot);
  RaceForSeats(*store_, *store_, slot->id);
  ExpectFiftyAndFourteen(store_->events(), e->id, slot->id);
}

TEST_P(StoreTest, TwoNodesNeverBothTakeTheLastSeat) {
  auto other = backend_->OpenAnotherNode();
  if (!other) GTEST_SKIP() << other.error().message;
  Campaign c = MustCreate("two-nodes");
  auto e = store_->events().CreateEvent(SampleEvent(c.id, "race"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.capacity = 50;
  auto slot = store_->events().AddSlot(s, kT0);
  ASSERT_TRUE(slot);
  RaceForSeats(*store_, **other, slot->id);
  ExpectFiftyAndFourteen(store_->events(), e->id, slot->id);
  ExpectFiftyAndFourteen((*other)->events(), e->id, slot->id);
  (*other)->Close();
}

TEST_P(StoreTest, ACancellationPromotesTheFirstWaitingRsvpAndMailsThem) {
  Campaign c = MustCreate("promote");
  EventStore& ev = store_->events();
  auto e = ev.CreateEvent(SampleEvent(c.id, "promote"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.capacity = 3;
  auto slot = ev.AddSlot(s, kT0);
  ASSERT_TRUE(slot);
  auto a = ev.CreateRsvp(SampleRsvp(slot->id, "a@example.org", true, 1));  // 2 seats
  auto b = ev.CreateRsvp(SampleRsvp(slot->id, "b@example.org", true));     // 1 seat: full
  auto w1 = ev.CreateRsvp(SampleRsvp(slot->id, "w1@example.org", true, 1));
  auto w2 = ev.CreateRsvp(SampleRsvp(slot->id, "w2@example.org", true));
  auto w3 = ev.CreateRsvp(SampleRsvp(slot->id, "w3@example.org", true));
  ASSERT_TRUE(a && b && w1 && w2 && w3);
  EXPECT_EQ(a->status, RsvpStatus::kAccepted);
  EXPECT_EQ(b->status, RsvpStatus::kAccepted);
  EXPECT_EQ(w1->status, RsvpStatus::kWaitlisted);
  EXPECT_EQ(w3->waitlist_position, 3);

  // b frees one seat: w1 needs two, so nobody moves (first in line stays first).
  auto cb = ev.CancelRsvp(b->id, kT0 + 1);
  ASSERT_TRUE(cb) << cb.error().message;
  EXPECT_TRUE(cb->promoted.empty());
  // a frees two more: w1 (two seats) then w2 (one) move up; w3 waits, now first.
  auto ca = ev.CancelRsvp(a->id, kT0 + 2);
  ASSERT_TRUE(ca);
  EXPECT_EQ(ca->promoted, (std::vector<std::int64_t>{w1->id, w2->id}));
  EXPECT_EQ(ev.GetRsvp(w1->id)->status, RsvpStatus::kAccepted);
  EXPECT_EQ(ev.GetRsvp(w2->id)->status, RsvpStatus::kAccepted);
  EXPECT_EQ(ev.GetRsvp(w3->id)->waitlist_position, 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_promoted", w1->id), 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_promoted", w2->id), 1);
  EXPECT_EQ(Mails(*backend_, "event_promoted"), 2);
  EXPECT_EQ(ev.GetSlot(slot->id)->accepted, 3);

  // Raising the capacity promotes too.
  EventSlot bigger = *ev.GetSlot(slot->id);
  bigger.capacity = 4;
  auto raised = ev.UpdateSlot(bigger, kT0 + 3, false);
  ASSERT_TRUE(raised) << raised.error().message;
  EXPECT_EQ(raised->accepted, 4);
  EXPECT_EQ(raised->waitlisted, 0);
  EXPECT_EQ(MailsAbout(*backend_, "event_promoted", w3->id), 1);

  // Within promote_until of the start the waitlist is only told.
  auto late = ev.CreateRsvp(SampleRsvp(slot->id, "late@example.org", true));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, RsvpStatus::kWaitlisted);
  auto cw = ev.CancelRsvp(w1->id, kStart - 1800);
  ASSERT_TRUE(cw);
  EXPECT_TRUE(cw->promoted.empty());
  EXPECT_EQ(cw->notified, 1);
  EXPECT_EQ(ev.GetRsvp(late->id)->status, RsvpStatus::kWaitlisted);
  EXPECT_EQ(MailsAbout(*backend_, "event_waitlist_notice", late->id), 1);
}

TEST_P(StoreTest, ChangesAndCancellationMailEveryAttendee) {
  Campaign c = MustCreate("changes");
  EventStore& ev = store_->events();
  auto e = ev.CreateEvent(SampleEvent(c.id, "changes"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.capacity = 1;
  auto slot = ev.AddSlot(s, kT0);
  ASSERT_TRUE(slot);
  auto in = ev.CreateRsvp(SampleRsvp(slot->id, "in@example.org", true));
  auto wait = ev.CreateRsvp(SampleRsvp(slot->id, "wait@example.org", true));
  auto pending = ev.CreateRsvp(SampleRsvp(slot->id, "pending@example.org", false));
  ASSERT_TRUE(in && wait && pending);

  Event moved = *e;
  moved.venue = "Union Square";
  ASSERT_TRUE(ev.UpdateEvent(moved, kT0 + 1, /*notify=*/true));
  EXPECT_EQ(MailsAbout(*backend_, "event_changed", in->id), 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_changed", wait->id), 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_changed", pending->id), 0);
  EventSlot later = *slot;
  later.starts += 3600;
  later.ends += 3600;
  ASSERT_TRUE(ev.UpdateSlot(later, kT0 + 2, /*notify=*/true));
  EXPECT_EQ(Mails(*backend_, "event_changed"), 4);
  EXPECT_EQ(ev.GetSlot(slot->id)->starts, kStart + 3600);

  ASSERT_TRUE(ev.SetEventStatus(e->id, EventStatus::kCancelled, kT0 + 3));
  EXPECT_EQ(MailsAbout(*backend_, "event_cancelled", in->id), 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_cancelled", wait->id), 1);
  EXPECT_EQ(Mails(*backend_, "event_cancelled"), 2);
  // Cancelling again mails nobody again.
  ASSERT_TRUE(ev.SetEventStatus(e->id, EventStatus::kCancelled, kT0 + 4));
  EXPECT_EQ(Mails(*backend_, "event_cancelled"), 2);
}

TEST_P(StoreTest, RemindersGoOutOnceOnTimeAcrossRestarts) {
  Campaign c = MustCreate("remind");
  auto e = store_->events().CreateEvent(SampleEvent(c.id, "remind"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  s.capacity = 10;
  auto slot = store_->events().AddSlot(s, kT0);
  ASSERT_TRUE(slot);
  auto in = store_->events().CreateRsvp(SampleRsvp(slot->id, "in@example.org", true));
  auto out = store_->events().CreateRsvp(SampleRsvp(slot->id, "out@example.org", false));
  ASSERT_TRUE(in && out);
  // A draft event gets no reminders.
  auto draft = SampleEvent(c.id, "draft");
  draft.status = EventStatus::kDraft;
  auto d = store_->events().CreateEvent(draft, kT0);
  ASSERT_TRUE(d);
  s.event_id = d->id;
  auto dslot = store_->events().AddSlot(s, kT0);
  ASSERT_TRUE(dslot);
  ASSERT_TRUE(store_->events().CreateRsvp(SampleRsvp(dslot->id, "d@example.org", true)));

  EXPECT_EQ(store_->events().NextReminderAt(kT0).value(), kStart - 86400);
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 86400 - 1).value(), 0);
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 86400).value(), 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_reminder", in->id), 1);
  EXPECT_EQ(MailsAbout(*backend_, "event_reminder", out->id), 0);  // pending: not an attendee yet
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 86400 + 60).value(), 0);
  EXPECT_EQ(store_->events().NextReminderAt(kStart - 86000).value(), kStart - 7200);

  Open();  // a restart: what was claimed stays claimed
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 86400 + 120).value(), 0);
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 7200).value(), 1);
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 7000).value(), 0);
  EXPECT_EQ(Mails(*backend_, "event_reminder"), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'event_reminder' AND payload "
                     "LIKE '%\"offset\":7200%'"),
            1);
  EXPECT_FALSE(store_->events().NextReminderAt(kStart - 7000).value());
  // Once started, nothing more.
  EXPECT_EQ(store_->events().QueueDueReminders(kStart + 1).value(), 0);
}

TEST_P(StoreTest, RemindersDueTogetherMailOnlyTheNearest) {
  Campaign c = MustCreate("late");
  auto e = store_->events().CreateEvent(SampleEvent(c.id, "late"), kT0);
  ASSERT_TRUE(e);
  EventSlot s;
  s.event_id = e->id;
  s.starts = kStart;
  s.ends = kStart + 3600;
  auto slot = store_->events().AddSlot(s, kT0);
  ASSERT_TRUE(slot);
  auto in = store_->events().CreateRsvp(SampleRsvp(slot->id, "in@example.org", true));
  ASSERT_TRUE(in);
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 3600).value(), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'event_reminder' AND payload "
                     "LIKE '%\"offset\":7200%'"),
            1);
  EXPECT_EQ(store_->events().QueueDueReminders(kStart - 60).value(), 0);
}

}  // namespace
}  // namespace undersigned::store::conformance
