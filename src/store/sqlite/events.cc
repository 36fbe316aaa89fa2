// SqliteEvents (events.h): events, slots, RSVPs and reminders on SQLite, and their SQL.
#include "store/sqlite/events.h"

#include <sqlite3.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/event_sql.h"
#include "store/sealed_fields.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"
#include "store/sqlite/tx_reads.h"

namespace undersigned::store {
namespace {

// Every statement a constant (Db::Prepare caches by address); values only as parameters.
constexpr char kInsertEvent[] =
    "INSERT INTO events (campaign_id, slug, title, description, kind, venue, address, "
    "online_link, private_location, accessibility, host_name, host_email, status, reminders, "
    "promote_until, created_by, host_token_hash, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18) RETURNING " US_EVENT_COLS;
constexpr char kGetEvent[] = "SELECT " US_EVENT_COLS " FROM events WHERE id = ?1";
constexpr char kFindEvent[] =
    "SELECT " US_EVENT_COLS " FROM events WHERE campaign_id = ?1 AND slug = ?2";
constexpr char kListEvents[] =
    "SELECT " US_EVENT_COLS " FROM events WHERE campaign_id = ?1 ORDER BY id";
constexpr char kUpdateEvent[] =
    "UPDATE events SET slug = ?2, title = ?3, description = ?4, kind = ?5, venue = ?6, "
    "address = ?7, online_link = ?8, private_location = ?9, accessibility = ?10, host_name = "
    "?11, host_email = ?12, reminders = ?13, promote_until = ?14, host_token_hash = ?15, "
    "modified = ?16 WHERE id = ?1 RETURNING " US_EVENT_COLS;
constexpr char kSetEventStatus[] =
    "UPDATE events SET status = ?2, modified = ?3 WHERE id = ?1 RETURNING " US_EVENT_COLS;

constexpr char kInsertSlot[] =
    "INSERT INTO event_slots (event_id, starts, ends, time_zone, capacity, created, modified) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id";
constexpr char kGetSlot[] = "SELECT " US_SLOT_COLS " FROM event_slots s WHERE s.id = ?1";
constexpr char kListSlots[] =
    "SELECT " US_SLOT_COLS " FROM event_slots s WHERE s.event_id = ?1 ORDER BY s.starts, s.id";
constexpr char kUpdateSlot[] =
    "UPDATE event_slots SET starts = ?2, ends = ?3, time_zone = ?4, capacity = ?5, modified = "
    "?6 WHERE id = ?1";
// The slot's capacity, start and its event's promote_until.
constexpr char kSlotRule[] =
    "SELECT s.capacity, s.starts, e.promote_until, s.event_id FROM event_slots s JOIN events e "
    "ON e.id = s.event_id WHERE s.id = ?1";
constexpr char kSeats[] =
    "SELECT coalesce(sum(1 + guests), 0) FROM rsvps WHERE slot_id = ?1 AND status = 'accepted'";
constexpr char kFirstWaiting[] =
    "SELECT id, guests FROM rsvps WHERE slot_id = ?1 AND status = 'waitlisted' ORDER BY "
    "wait_seq, id LIMIT 1";
constexpr char kWaiting[] =
    "SELECT id FROM rsvps WHERE slot_id = ?1 AND status = 'waitlisted' ORDER BY wait_seq, id";
constexpr char kAccept[] =
    "UPDATE rsvps SET status = 'accepted', wait_seq = NULL, confirm_hash = NULL, confirmed = "
    "coalesce(confirmed, ?2), modified = ?2 WHERE id = ?1";
constexpr char kWaitlist[] =
    "UPDATE rsvps SET status = 'waitlisted', wait_seq = (SELECT coalesce(max(wait_seq), 0) + 1 "
    "FROM rsvps WHERE slot_id = ?3), confirm_hash = NULL, confirmed = coalesce(confirmed, ?2), "
    "modified = ?2 WHERE id = ?1";
constexpr char kCancel[] =
    "UPDATE rsvps SET status = 'cancelled', wait_seq = NULL, confirm_hash = NULL, modified = ?2 "
    "WHERE id = ?1";
constexpr char kRsvpState[] = "SELECT status, slot_id, guests FROM rsvps WHERE id = ?1";

constexpr char kInsertRsvp[] =
    "INSERT INTO rsvps (event_id, slot_id, sealed, email_key, guests, status, confirm_hash, "
    "referrer, source, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?9, "
    "?9) RETURNING id";
constexpr char kGetRsvp[] = "SELECT " US_RSVP_COLS " FROM rsvps r WHERE r.id = ?1";
constexpr char kFindRsvpByConfirm[] =
    "SELECT " US_RSVP_COLS " FROM rsvps r WHERE r.confirm_hash = ?1 AND r.status = 'pending'";
constexpr char kListRsvps[] =
    "SELECT " US_RSVP_COLS " FROM rsvps r WHERE r.event_id = ?1 ORDER BY r.id";
constexpr char kCheckIn[] = "UPDATE rsvps SET checked_in = ?2, modified = ?3 WHERE id = ?1";

// Attendees to tell of a change: the event's (or one slot's) accepted and waitlisted RSVPs.
constexpr char kEventAttendees[] =
    "SELECT id FROM rsvps WHERE event_id = ?1 AND status IN ('accepted', 'waitlisted') ORDER BY "
    "id";
constexpr char kSlotAttendees[] =
    "SELECT id FROM rsvps WHERE slot_id = ?1 AND status IN ('accepted', 'waitlisted') ORDER BY "
    "id";
constexpr char kSlotAccepted[] =
    "SELECT id FROM rsvps WHERE slot_id = ?1 AND status = 'accepted' ORDER BY id";
constexpr char kQueueMail[] =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES (?1, '', ?2, "
    "?3, ?3)";

// Reminders due at ?1: (slot, offset) pairs of listed events' slots not started, unclaimed.
constexpr char kDueReminders[] =
    "SELECT s.id, o.value FROM event_slots s JOIN events e ON e.id = s.event_id, "
    "json_each(e.reminders) o WHERE e.status = 'listed' AND s.starts > ?1 AND s.starts - "
    "o.value <= ?1 AND NOT EXISTS (SELECT 1 FROM event_reminders x WHERE x.slot_id = s.id AND "
    "x.offset_s = o.value) ORDER BY s.id, o.value";
constexpr char kClaimReminder[] =
    "INSERT INTO event_reminders (slot_id, offset_s, claimed) VALUES (?1, ?2, ?3) ON CONFLICT "
    "DO NOTHING";
constexpr char kNextReminder[] =
    "SELECT min(s.starts - o.value) FROM event_slots s JOIN events e ON e.id = s.event_id, "
    "json_each(e.reminders) o WHERE e.status = 'listed' AND s.starts > ?1 AND NOT EXISTS "
    "(SELECT 1 FROM event_reminders x WHERE x.slot_id = s.id AND x.offset_s = o.value)";

Result<Event> EventFromRow(const Stmt& s) {
  Event e;
  e.id = s.Int(0);
  e.campaign_id = s.Int(1);
  e.slug = s.Text(2);
  e.title = s.Text(3);
  e.description_markdown = s.Text(4);
  auto kind = ParseEventKind(s.View(5));
  if (!kind) return Fail(Code::kInternal, "an event has an unknown kind");
  e.kind = *kind;
  e.venue = s.Text(6);
  e.address = s.Text(7);
  e.online_link = s.Text(8);
  e.private_location = s.Bool(9);
  e.accessibility = s.Text(10);
  e.host_name = s.Text(11);
  e.host_email = s.Text(12);
  auto status = ParseEventStatus(s.View(13));
  if (!status) return Fail(Code::kInternal, "an event has an unknown status");
  e.status = *status;
  e.reminder_offsets = ParseOffsets(s.View(14));
  e.promote_until = s.Int(15);
  e.created_by = s.OptInt(16);
  e.host_token_hash = s.Text(17);
  e.created = s.Int(18);
  e.modified = s.Int(19);
  return e;
}

EventSlot SlotFromRow(const Stmt& s) {
  EventSlot o;
  o.id = s.Int(0);
  o.event_id = s.Int(1);
  o.starts = s.Int(2);
  o.ends = s.Int(3);
  o.time_zone = s.Text(4);
  o.capacity = s.Int(5);
  o.accepted = s.Int(6);
  o.waitlisted = s.Int(7);
  o.created = s.Int(8);
  o.modified = s.Int(9);
  return o;
}

Result<Rsvp> RsvpFromRow(const Stmt& s, const FieldSealer& sealer) {
  Rsvp r;
  r.id = s.Int(0);
  r.event_id = s.Int(1);
  r.slot_id = s.Int(2);
  auto fields = sealer.Open(s.View(3));
  if (!fields) return Fail(fields.error());
  r.name = std::move(fields->name);
  r.email = std::move(fields->email);
  r.guests = s.Int(4);
  auto status = ParseRsvpStatus(s.View(5));
  if (!status) return Fail(Code::kInternal, "an RSVP has an unknown status");
  r.status = *status;
  r.waitlist_position = s.OptInt(6);
  r.checked_in = s.Bool(7);
  r.referrer = s.Text(8);
  r.source = s.Text(9);
  r.created = s.Int(10);
  r.modified = s.Int(11);
  r.confirmed = s.OptInt(12);
  return r;
}

using sqlite_reads::DbOf;
using sqlite_reads::Prep;
using sqlite_reads::ReadAll;

Result<std::vector<std::int64_t>> Ids(Db& db, const char* sql, std::int64_t key) {
  return ReadAll<std::int64_t>(db, sql, key,
                               [](Stmt& s) -> Result<std::int64_t> { return s.Int(0); });
}

// One integer of a one-row query with one integer parameter.
Result<std::int64_t> OneInt(Db& db, const char* sql, std::int64_t key) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  st->Bind(1, key);
  int rc = st->Step();
  if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such row");
  if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading"));
  return st->Int(0);
}

// Queues one event mail about rsvp_id (the header's kinds), with extra payload fields.
Result<void> QueueMail(Db& db, const char* kind, std::int64_t rsvp_id, UnixTime now,
                       nlohmann::json extra = nlohmann::json::object()) {
  extra["rsvp_id"] = rsvp_id;
  const std::string payload = extra.dump();
  auto st = db.Prepare(kQueueMail);
  if (!st) return Fail(st.error());
  st->Bind(1, kind).Bind(2, payload).Bind(3, now);
  return StepDone(db, *st, "queueing an event mail");
}

Result<void> QueueAll(Db& db, const char* sql, std::int64_t key, const char* kind, UnixTime now,
                      const nlohmann::json& extra) {
  auto ids = Ids(db, sql, key);
  if (!ids) return Fail(ids.error());
  for (std::int64_t id : *ids) {
    if (auto r = QueueMail(db, kind, id, now, extra); !r) return r;
  }
  return {};
}

Result<void> Exec2(Db& db, const char* sql, std::int64_t a, std::int64_t b, std::string_view what) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  st->Bind(1, a).Bind(2, b);
  return StepDone(db, *st, what);
}

struct SlotRule {
  std::int64_t capacity = 0;
  UnixTime starts = 0;
  std::int64_t promote_until = 0;
  std::int64_t event_id = 0;
};

Result<SlotRule> ReadSlotRule(Db& db, std::int64_t slot_id) {
  auto st = db.Prepare(kSlotRule);
  if (!st) return Fail(st.error());
  st->Bind(1, slot_id);
  int rc = st->Step();
  if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such slot");
  if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the slot"));
  return SlotRule{st->Int(0), st->Int(1), st->Int(2), st->Int(3)};
}

bool Fits(std::int64_t capacity, std::int64_t seats, std::int64_t guests) {
  return capacity == 0 || seats + 1 + guests <= capacity;
}

// Accepts rsvp_id if its seats fit in the slot, else waitlists it (inside the write: nothing
// else writes between the count and the change).
Result<RsvpStatus> Place(Db& db, std::int64_t slot_id, std::int64_t rsvp_id, std::int64_t guests,
                         UnixTime now) {
  auto rule = ReadSlotRule(db, slot_id);
  if (!rule) return Fail(rule.error());
  auto seats = OneInt(db, kSeats, slot_id);
  if (!seats) return Fail(seats.error());
  if (Fits(rule->capacity, *seats, guests)) {
    if (auto r = Exec2(db, kAccept, rsvp_id, now, "accepting the RSVP"); !r) return Fail(r.error());
    return RsvpStatus::kAccepted;
  }
  auto st = db.Prepare(kWaitlist);
  if (!st) return Fail(st.error());
  st->Bind(1, rsvp_id).Bind(2, now).Bind(3, slot_id);
  if (auto r = StepDone(db, *st, "waitlisting the RSVP"); !r) return Fail(r.error());
  return RsvpStatus::kWaitlisted;
}

// Promotes the first waiting RSVPs that fit, in order, while the slot is before its cutoff;
// after it, tells each waiting RSVP that a seat freed (only when one did: freed).
Result<void> Promote(Db& db, std::int64_t slot_id, UnixTime now, bool freed, RsvpCancel* out) {
  auto rule = ReadSlotRule(db, slot_id);
  if (!rule) return Fail(rule.error());
  if (now >= rule->starts - rule->promote_until) {
    if (!freed) return {};
    auto waiting = Ids(db, kWaiting, slot_id);
    if (!waiting) return Fail(waiting.error());
    for (std::int64_t id : *waiting) {
      if (auto r = QueueMail(db, "event_waitlist_notice", id, now, {{"slot_id", slot_id}}); !r) {
        return r;
      }
    }
    if (out != nullptr) out->notified = static_cast<std::int64_t>(waiting->size());
    return {};
  }
  for (;;) {
    auto seats = OneInt(db, kSeats, slot_id);
    if (!seats) return Fail(seats.error());
    auto first = db.Prepare(kFirstWaiting);
    if (!first) return Fail(first.error());
    first->Bind(1, slot_id);
    int rc = first->Step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the waitlist"));
    const std::int64_t id = first->Int(0), guests = first->Int(1);
    first->Reset();
    if (!Fits(rule->capacity, *seats, guests)) return {};
    if (auto r = Exec2(db, kAccept, id, now, "promoting the RSVP"); !r) return r;
    if (auto r = QueueMail(db, "event_promoted", id, now); !r) return r;
    if (out != nullptr) out->promoted.push_back(id);
  }
}

Result<Rsvp> ReadRsvp(Db& db, const FieldSealer& sealer, const char* sql, auto bind) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(db, *st, "no such RSVP", [&](Stmt& s) { return RsvpFromRow(s, sealer); });
}

Result<EventSlot> ReadSlot(Db& db, std::int64_t id) {
  auto st = db.Prepare(kGetSlot);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  return QueryOne(db, *st, "no such slot", [](Stmt& s) { return Wrap(SlotFromRow(s)); });
}

Result<Event> ReadEvent(Db& db, std::int64_t id) {
  auto st = db.Prepare(kGetEvent);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  return QueryOne(db, *st, "no such event", [](Stmt& s) { return EventFromRow(s); });
}

}  // namespace

// --- events

Result<Event> SqliteEvents::CreateEvent(const Event& e, UnixTime now) {
  const std::string reminders = OffsetsJson(e.reminder_offsets);
  return RunWrite<Event>(store_, [&](WriteTx& tx) -> Result<Event> {
    auto st = Prep(tx, kInsertEvent);
    if (!st) return Fail(st.error());
    st->Bind(1, e.campaign_id).Bind(2, e.slug).Bind(3, e.title).Bind(4, e.description_markdown);
    st->Bind(5, EventKindName(e.kind)).Bind(6, e.venue).Bind(7, e.address).Bind(8, e.online_link);
    st->Bind(9, e.private_location).Bind(10, e.accessibility).Bind(11, e.host_name);
    st->Bind(12, e.host_email).Bind(13, EventStatusName(e.status)).Bind(14, reminders);
    st->Bind(15, e.promote_until).Bind(16, e.created_by).Bind(17, e.host_token_hash);
    st->Bind(18, now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(DbOf(tx).ErrorFor(rc, "creating the event"));
    return EventFromRow(*st);
  });
}

Result<Event> SqliteEvents::GetEvent(std::int64_t id) {
  auto r = store_.Reader();
  return ReadEvent(*r, id);
}

Result<Event> SqliteEvents::FindEvent(std::int64_t campaign_id, const std::string& slug) {
  auto r = store_.Reader();
  auto st = r->Prepare(kFindEvent);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, slug);
  return QueryOne(*r, *st, "no such event", [](Stmt& s) { return EventFromRow(s); });
}

Result<std::vector<Event>> SqliteEvents::ListEvents(std::int64_t campaign_id) {
  auto r = store_.Reader();
  return ReadAll<Event>(*r, kListEvents, campaign_id, [](Stmt& s) { return EventFromRow(s); });
}

Result<Event> SqliteEvents::UpdateEvent(const Event& e, UnixTime now, bool notify) {
  const std::string reminders = OffsetsJson(e.reminder_offsets);
  return RunWrite<Event>(store_, [&](WriteTx& tx) -> Result<Event> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kUpdateEvent);
    if (!st) return Fail(st.error());
    st->Bind(1, e.id).Bind(2, e.slug).Bind(3, e.title).Bind(4, e.description_markdown);
    st->Bind(5, EventKindName(e.kind)).Bind(6, e.venue).Bind(7, e.address).Bind(8, e.online_link);
    st->Bind(9, e.private_location).Bind(10, e.accessibility).Bind(11, e.host_name);
    st->Bind(12, e.host_email).Bind(13, reminders).Bind(14, e.promote_until);
    st->Bind(15, e.host_token_hash).Bind(16, now);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such event");
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "changing the event"));
    auto out = EventFromRow(*st);
    st->Reset();
    if (!out) return out;
    if (notify) {
      if (auto r = QueueAll(db, kEventAttendees, e.id, "event_changed", now, {{"what", "place"}});
          !r) {
        return Fail(r.error());
      }
    }
    return out;
  });
}

Result<Event> SqliteEvents::SetEventStatus(std::int64_t id, EventStatus status, UnixTime now) {
  return RunWrite<Event>(store_, [&](WriteTx& tx) -> Result<Event> {
    Db& db = DbOf(tx);
    auto before = ReadEvent(db, id);
    if (!before) return before;
    if (before->status == status) return before;
    if (before->status == EventStatus::kCancelled) {
      return Fail(Code::kConflict, "the event was cancelled; make a new one instead");
    }
    auto st = db.Prepare(kSetEventStatus);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, EventStatusName(status)).Bind(3, now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "changing the event's status"));
    auto out = EventFromRow(*st);
    st->Reset();
    if (!out) return out;
    if (status == EventStatus::kCancelled) {
      if (auto r =
              QueueAll(db, kEventAttendees, id, "event_cancelled", now, nlohmann::json::object());
          !r) {
        return Fail(r.error());
      }
    }
    return out;
  });
}

// --- slots

Result<EventSlot> SqliteEvents::AddSlot(const EventSlot& s, UnixTime now) {
  if (s.ends <= s.starts) return Fail(Code::kInvalidArgument, "a slot must end after it starts");
  if (s.capacity < 0) return Fail(Code::kInvalidArgument, "a slot's capacity cannot be negative");
  return RunWrite<EventSlot>(store_, [&](WriteTx& tx) -> Result<EventSlot> {
    Db& db = DbOf(tx);
    if (auto e = ReadEvent(db, s.event_id); !e) return Fail(e.error());
    auto st = db.Prepare(kInsertSlot);
    if (!st) return Fail(st.error());
    st->Bind(1, s.event_id).Bind(2, s.starts).Bind(3, s.ends).Bind(4, s.time_zone);
    st->Bind(5, s.capacity).Bind(6, now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "adding the slot"));
    const std::int64_t id = st->Int(0);
    st->Reset();
    return ReadSlot(db, id);
  });
}

Result<EventSlot> SqliteEvents::UpdateSlot(const EventSlot& s, UnixTime now, bool notify) {
  if (s.ends <= s.starts) return Fail(Code::kInvalidArgument, "a slot must end after it starts");
  if (s.capacity < 0) return Fail(Code::kInvalidArgument, "a slot's capacity cannot be negative");
  return RunWrite<EventSlot>(store_, [&](WriteTx& tx) -> Result<EventSlot> {
    Db& db = DbOf(tx);
    auto before = ReadSlot(db, s.id);
    if (!before) return before;
    auto st = db.Prepare(kUpdateSlot);
    if (!st) return Fail(st.error());
    st->Bind(1, s.id).Bind(2, s.starts).Bind(3, s.ends).Bind(4, s.time_zone);
    st->Bind(5, s.capacity).Bind(6, now);
    if (auto r = StepDone(db, *st, "changing the slot"); !r) return Fail(r.error());
    if (s.capacity == 0 || s.capacity > before->capacity) {
      if (auto r = Promote(db, s.id, now, /*freed=*/false, nullptr); !r) return Fail(r.error());
    }
    if (notify) {
      if (auto r = QueueAll(db, kSlotAttendees, s.id, "event_changed", now, {{"what", "time"}});
          !r) {
        return Fail(r.error());
      }
    }
    return ReadSlot(db, s.id);
  });
}

Result<EventSlot> SqliteEvents::GetSlot(std::int64_t id) {
  auto r = store_.Reader();
  return ReadSlot(*r, id);
}

Result<std::vector<EventSlot>> SqliteEvents::ListSlots(std::int64_t event_id) {
  auto r = store_.Reader();
  return ReadAll<EventSlot>(*r, kListSlots, event_id, [](Stmt& s) { return Wrap(SlotFromRow(s)); });
}

// --- RSVPs

Result<Rsvp> SqliteEvents::CreateRsvp(const NewRsvp& n) {
  SignatureForm form;
  form.name = n.name;
  form.email = n.email;
  const std::string sealed = store_.sealer().Seal(form);
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<Rsvp>(store_, [&](WriteTx& tx) -> Result<Rsvp> {
    Db& db = DbOf(tx);
    auto rule = ReadSlotRule(db, n.slot_id);
    if (!rule) return Fail(rule.error());
    auto st = db.Prepare(kInsertRsvp);
    if (!st) return Fail(st.error());
    st->Bind(1, rule->event_id).Bind(2, n.slot_id).BindBlob(3, sealed).Bind(4, n.email_key);
    st->Bind(5, n.guests);
    if (n.accept_now || n.confirm_hash.empty()) {
      st->BindNull(6);
    } else {
      st->Bind(6, n.confirm_hash);
    }
    st->Bind(7, n.referrer).Bind(8, n.source).Bind(9, n.now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) {
      Error e = db.ErrorFor(rc, "recording the RSVP");
      if (e.code == Code::kConflict) e.message = "this address has already answered for this time";
      return Fail(std::move(e));
    }
    const std::int64_t id = st->Int(0);
    st->Reset();
    nlohmann::json extra = nlohmann::json::object();
    if (n.accept_now) {
      if (auto p = Place(db, n.slot_id, id, n.guests, n.now); !p) return Fail(p.error());
    } else {
      extra["confirm_token"] = n.confirm_token;
    }
    if (auto r = QueueMail(db, "event_rsvp", id, n.now, extra); !r) return Fail(r.error());
    return ReadRsvp(db, sealer, kGetRsvp, [&](Stmt& s) { s.Bind(1, id); });
  });
}

Result<Rsvp> SqliteEvents::ConfirmRsvp(std::int64_t id, UnixTime now) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<Rsvp>(store_, [&](WriteTx& tx) -> Result<Rsvp> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kRsvpState);
    if (!st) return Fail(st.error());
    st->Bind(1, id);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such RSVP");
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the RSVP"));
    const auto status = ParseRsvpStatus(st->View(0));
    const std::int64_t slot_id = st->Int(1), guests = st->Int(2);
    st->Reset();
    if (status == RsvpStatus::kCancelled) {
      return Fail(Code::kConflict, "this RSVP was cancelled; answer again to come");
    }
    if (status == RsvpStatus::kPending) {
      if (auto p = Place(db, slot_id, id, guests, now); !p) return Fail(p.error());
      if (auto r = QueueMail(db, "event_status", id, now); !r) return Fail(r.error());
    }
    return ReadRsvp(db, sealer, kGetRsvp, [&](Stmt& s) { s.Bind(1, id); });
  });
}

Result<RsvpCancel> SqliteEvents::CancelRsvp(std::int64_t id, UnixTime now) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<RsvpCancel>(store_, [&](WriteTx& tx) -> Result<RsvpCancel> {
    Db& db = DbOf(tx);
    RsvpCancel out;
    auto st = db.Prepare(kRsvpState);
    if (!st) return Fail(st.error());
    st->Bind(1, id);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such RSVP");
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the RSVP"));
    const auto status = ParseRsvpStatus(st->View(0));
    const std::int64_t slot_id = st->Int(1);
    st->Reset();
    if (status != RsvpStatus::kCancelled) {
      out.changed = true;
      if (auto r = Exec2(db, kCancel, id, now, "cancelling the RSVP"); !r) return Fail(r.error());
      if (status == RsvpStatus::kAccepted) {
        if (auto r = Promote(db, slot_id, now, /*freed=*/true, &out); !r) return Fail(r.error());
      }
    }
    auto r = ReadRsvp(db, sealer, kGetRsvp, [&](Stmt& s) { s.Bind(1, id); });
    if (!r) return Fail(r.error());
    out.rsvp = std::move(*r);
    return out;
  });
}

Result<Rsvp> SqliteEvents::CheckIn(std::int64_t id, bool checked_in, UnixTime now) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<Rsvp>(store_, [&](WriteTx& tx) -> Result<Rsvp> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kCheckIn);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, checked_in).Bind(3, now);
    if (auto r = StepDone(db, *st, "checking in"); !r) return Fail(r.error());
    if (db.Changes() == 0) return Fail(Code::kNotFound, "no such RSVP");
    return ReadRsvp(db, sealer, kGetRsvp, [&](Stmt& s) { s.Bind(1, id); });
  });
}

Result<Rsvp> SqliteEvents::GetRsvp(std::int64_t id) {
  auto r = store_.Reader();
  return ReadRsvp(*r, store_.sealer(), kGetRsvp, [&](Stmt& s) { s.Bind(1, id); });
}

Result<Rsvp> SqliteEvents::FindRsvpByConfirm(const std::string& confirm_hash) {
  auto r = store_.Reader();
  return ReadRsvp(*r, store_.sealer(), kFindRsvpByConfirm,
                  [&](Stmt& s) { s.Bind(1, confirm_hash); });
}

Result<std::vector<Rsvp>> SqliteEvents::ListRsvps(std::int64_t event_id) {
  auto r = store_.Reader();
  const FieldSealer& sealer = store_.sealer();
  return ReadAll<Rsvp>(*r, kListRsvps, event_id, [&](Stmt& s) { return RsvpFromRow(s, sealer); });
}

// --- reminders

Result<std::int64_t> SqliteEvents::QueueDueReminders(UnixTime now) {
  return RunWrite<std::int64_t>(store_, [&](WriteTx& tx) -> Result<std::int64_t> {
    Db& db = DbOf(tx);
    auto due = db.Prepare(kDueReminders);
    if (!due) return Fail(due.error());
    due->Bind(1, now);
    std::map<std::int64_t, std::vector<std::int64_t>> by_slot;  // offsets ascending
    int rc;
    while ((rc = due->Step()) == SQLITE_ROW) by_slot[due->Int(0)].push_back(due->Int(1));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading due reminders"));
    due->Reset();
    std::int64_t queued = 0;
    for (const auto& [slot_id, offsets] : by_slot) {
      for (std::int64_t offset : offsets) {
        auto claim = db.Prepare(kClaimReminder);
        if (!claim) return Fail(claim.error());
        claim->Bind(1, slot_id).Bind(2, offset).Bind(3, now);
        if (auto r = StepDone(db, *claim, "claiming the reminder"); !r) return Fail(r.error());
      }
      // The nearest to the start only (the header).
      const std::int64_t offset = offsets.front();
      auto ids = Ids(db, kSlotAccepted, slot_id);
      if (!ids) return Fail(ids.error());
      for (std::int64_t id : *ids) {
        if (auto r = QueueMail(db, "event_reminder", id, now,
                               {{"slot_id", slot_id}, {"offset", offset}});
            !r) {
          return Fail(r.error());
        }
        ++queued;
      }
    }
    return queued;
  });
}

Result<std::optional<UnixTime>> SqliteEvents::NextReminderAt(UnixTime now) {
  auto r = store_.Reader();
  auto st = r->Prepare(kNextReminder);
  if (!st) return Fail(st.error());
  st->Bind(1, now);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "reading the next reminder"));
  return st->OptInt(0);
}

}  // namespace undersigned::store
