// PgEvents (events.h): events, slots, RSVPs and reminders on PostgreSQL, and their SQL.
#include "store/postgres/events.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/event_sql.h"

namespace undersigned::store::pg {
namespace {

constexpr const char* kInsertEvent =
    "INSERT INTO events (campaign_id, slug, title, description, kind, venue, address, "
    "online_link, private_location, accessibility, host_name, host_email, status, reminders, "
    "promote_until, created_by, host_token_hash, created, modified) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING " US_EVENT_COLS;
constexpr const char* kGetEvent = "SELECT " US_EVENT_COLS " FROM events WHERE id = $1";
constexpr const char* kFindEvent =
    "SELECT " US_EVENT_COLS " FROM events WHERE campaign_id = $1 AND slug = $2";
constexpr const char* kListEvents =
    "SELECT " US_EVENT_COLS " FROM events WHERE campaign_id = $1 ORDER BY id";
constexpr const char* kUpdateEvent =
    "UPDATE events SET slug = $2, title = $3, description = $4, kind = $5, venue = $6, "
    "address = $7, online_link = $8, private_location = $9, accessibility = $10, host_name = "
    "$11, host_email = $12, reminders = $13, promote_until = $14, host_token_hash = $15, "
    "modified = $16 WHERE id = $1 RETURNING " US_EVENT_COLS;
constexpr const char* kLockEvent = "SELECT " US_EVENT_COLS " FROM events WHERE id = $1 FOR UPDATE";
constexpr const char* kSetEventStatus =
    "UPDATE events SET status = $2, modified = $3 WHERE id = $1 RETURNING " US_EVENT_COLS;

constexpr const char* kInsertSlot =
    "INSERT INTO event_slots (event_id, starts, ends, time_zone, capacity, created, modified) "
    "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
constexpr const char* kGetSlot = "SELECT " US_SLOT_COLS " FROM event_slots s WHERE s.id = $1";
constexpr const char* kListSlots =
    "SELECT " US_SLOT_COLS " FROM event_slots s WHERE s.event_id = $1 ORDER BY s.starts, s.id";
constexpr const char* kUpdateSlot =
    "UPDATE event_slots SET starts = $2, ends = $3, time_zone = $4, capacity = $5, modified = "
    "$6 WHERE id = $1";
// Locks the slot (the rule of capacity: events.h) and reads what the rules need.
constexpr const char* kLockSlot =
    "SELECT s.capacity, s.starts, e.promote_until, s.event_id FROM event_slots s JOIN events e "
    "ON e.id = s.event_id WHERE s.id = $1 FOR UPDATE OF s";
constexpr const char* kSeats =
    "SELECT coalesce(sum(1 + guests), 0)::bigint FROM rsvps WHERE slot_id = $1 AND status = "
    "'accepted'";
constexpr const char* kFirstWaiting =
    "SELECT id, guests FROM rsvps WHERE slot_id = $1 AND status = 'waitlisted' ORDER BY "
    "wait_seq, id LIMIT 1";
constexpr const char* kWaiting =
    "SELECT id FROM rsvps WHERE slot_id = $1 AND status = 'waitlisted' ORDER BY wait_seq, id";
constexpr const char* kAccept =
    "UPDATE rsvps SET status = 'accepted', wait_seq = NULL, confirm_hash = NULL, confirmed = "
    "coalesce(confirmed, $2), modified = $2 WHERE id = $1";
constexpr const char* kWaitlist =
    "UPDATE rsvps SET status = 'waitlisted', wait_seq = (SELECT coalesce(max(wait_seq), 0) + 1 "
    "FROM rsvps WHERE slot_id = $3), confirm_hash = NULL, confirmed = coalesce(confirmed, $2), "
    "modified = $2 WHERE id = $1";
constexpr const char* kCancel =
    "UPDATE rsvps SET status = 'cancelled', wait_seq = NULL, confirm_hash = NULL, modified = $2 "
    "WHERE id = $1";
constexpr const char* kRsvpSlot = "SELECT slot_id FROM rsvps WHERE id = $1";
constexpr const char* kRsvpState = "SELECT status, slot_id, guests FROM rsvps WHERE id = $1";

constexpr const char* kInsertRsvp =
    "INSERT INTO rsvps (event_id, slot_id, sealed, email_key, guests, status, confirm_hash, "
    "referrer, source, created, modified) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, "
    "$9) RETURNING id";
constexpr const char* kGetRsvp = "SELECT " US_RSVP_COLS " FROM rsvps r WHERE r.id = $1";
constexpr const char* kFindRsvpByConfirm =
    "SELECT " US_RSVP_COLS " FROM rsvps r WHERE r.confirm_hash = $1 AND r.status = 'pending'";
constexpr const char* kListRsvps =
    "SELECT " US_RSVP_COLS " FROM rsvps r WHERE r.event_id = $1 ORDER BY r.id";
constexpr const char* kCheckIn =
    "UPDATE rsvps SET checked_in = $2, modified = $3 WHERE id = $1 RETURNING id";

constexpr const char* kEventAttendees =
    "SELECT id FROM rsvps WHERE event_id = $1 AND status IN ('accepted', 'waitlisted') ORDER BY "
    "id";
constexpr const char* kSlotAttendees =
    "SELECT id FROM rsvps WHERE slot_id = $1 AND status IN ('accepted', 'waitlisted') ORDER BY "
    "id";
constexpr const char* kSlotAccepted =
    "SELECT id FROM rsvps WHERE slot_id = $1 AND status = 'accepted' ORDER BY id";
constexpr const char* kQueueMail =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES ($1, '', $2, "
    "$3, $3)";

constexpr const char* kDueReminders =
    "SELECT s.id, o.value::bigint FROM event_slots s JOIN events e ON e.id = s.event_id CROSS "
    "JOIN LATERAL jsonb_array_elements_text(e.reminders::jsonb) AS o (value) WHERE e.status = "
    "'listed' AND s.starts > $1 AND s.starts - o.value::bigint <= $1 AND NOT EXISTS (SELECT 1 "
    "FROM event_reminders x WHERE x.slot_id = s.id AND x.offset_s = o.value::bigint) ORDER BY "
    "s.id, o.value::bigint";
constexpr const char* kClaimReminder =
    "INSERT INTO event_reminders (slot_id, offset_s, claimed) VALUES ($1, $2, $3) ON CONFLICT "
    "DO NOTHING RETURNING 1";
constexpr const char* kNextReminder =
    "SELECT min(s.starts - o.value::bigint) FROM event_slots s JOIN events e ON e.id = "
    "s.event_id CROSS JOIN LATERAL jsonb_array_elements_text(e.reminders::jsonb) AS o (value) "
    "WHERE e.status = 'listed' AND s.starts > $1 AND NOT EXISTS (SELECT 1 FROM event_reminders "
    "x WHERE x.slot_id = s.id AND x.offset_s = o.value::bigint)";

Result<Event> EventFrom(const PgResult& r, int row) {
  Event e;
  e.id = r.Int(row, 0);
  e.campaign_id = r.Int(row, 1);
  e.slug = r.Text(row, 2);
  e.title = r.Text(row, 3);
  e.description_markdown = r.Text(row, 4);
  auto kind = ParseEventKind(r.View(row, 5));
  if (!kind) return Fail(Code::kInternal, "an event has an unknown kind");
  e.kind = *kind;
  e.venue = r.Text(row, 6);
  e.address = r.Text(row, 7);
  e.online_link = r.Text(row, 8);
  e.private_location = r.Bool(row, 9);
  e.accessibility = r.Text(row, 10);
  e.host_name = r.Text(row, 11);
  e.host_email = r.Text(row, 12);
  auto status = ParseEventStatus(r.View(row, 13));
  if (!status) return Fail(Code::kInternal, "an event has an unknown status");
  e.status = *status;
  e.reminder_offsets = ParseOffsets(r.View(row, 14));
  e.promote_until = r.Int(row, 15);
  e.created_by = r.OptInt(row, 16);
  e.host_token_hash = r.Text(row, 17);
  e.created = r.Int(row, 18);
  e.modified = r.Int(row, 19);
  return e;
}

EventSlot SlotFrom(const PgResult& r, int row) {
  EventSlot s;
  s.id = r.Int(row, 0);
  s.event_id = r.Int(row, 1);
  s.starts = r.Int(row, 2);
  s.ends = r.Int(row, 3);
  s.time_zone = r.Text(row, 4);
  s.capacity = r.Int(row, 5);
  s.accepted = r.Int(row, 6);
  s.waitlisted = r.Int(row, 7);
  s.created = r.Int(row, 8);
  s.modified = r.Int(row, 9);
  return s;
}

Result<Rsvp> RsvpFrom(const PgResult& r, int row, const FieldSealer& sealer) {
  Rsvp o;
  o.id = r.Int(row, 0);
  o.event_id = r.Int(row, 1);
  o.slot_id = r.Int(row, 2);
  auto fields = sealer.Open(r.Bytes(row, 3));
  if (!fields) return Fail(fields.error());
  o.name = std::move(fields->name);
  o.email = std::move(fields->email);
  o.guests = r.Int(row, 4);
  auto status = ParseRsvpStatus(r.View(row, 5));
  if (!status) return Fail(Code::kInternal, "an RSVP has an unknown status");
  o.status = *status;
  o.waitlist_position = r.OptInt(row, 6);
  o.checked_in = r.Bool(row, 7);
  o.referrer = r.Text(row, 8);
  o.source = r.Text(row, 9);
  o.created = r.Int(row, 10);
  o.modified = r.Int(row, 11);
  o.confirmed = r.OptInt(row, 12);
  return o;
}

template <typename T, typename F>
Result<std::vector<T>> All(const PgResult& r, F&& fn) {
  std::vector<T> out;
  for (int i = 0; i < r.rows(); ++i) {
    Result<T> v = fn(r, i);
    if (!v) return Fail(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::vector<std::int64_t>> Ids(PgConn& c, const char* sql, std::int64_t key) {
  auto r = c.Run(sql, PgParams().Int(key), "reading RSVPs");
  if (!r) return Fail(r.error());
  std::vector<std::int64_t> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->Int(i, 0));
  return out;
}

Result<void> QueueMail(PgConn& c, const char* kind, std::int64_t rsvp_id, UnixTime now,
                       nlohmann::json extra = nlohmann::json::object()) {
  extra["rsvp_id"] = rsvp_id;
  auto r = c.Run(kQueueMail, PgParams().Text(kind).Text(extra.dump()).Int(now),
                 "queueing an event mail");
  if (!r) return Fail(r.error());
  return {};
}

Result<void> QueueAll(PgConn& c, const char* sql, std::int64_t key, const char* kind, UnixTime now,
                      const nlohmann::json& extra) {
  auto ids = Ids(c, sql, key);
  if (!ids) return Fail(ids.error());
  for (std::int64_t id : *ids) {
    if (auto r = QueueMail(c, kind, id, now, extra); !r) return r;
  }
  return {};
}

Result<void> Exec2(PgConn& c, const char* sql, std::int64_t a, std::int64_t b,
                   std::string_view what) {
  auto r = c.Run(sql, PgParams().Int(a).Int(b), what);
  if (!r) return Fail(r.error());
  return {};
}

struct SlotRule {
  std::int64_t capacity = 0;
  UnixTime starts = 0;
  std::int64_t promote_until = 0;
  std::int64_t event_id = 0;
};

// Locks the slot's row until the transaction ends.
Result<SlotRule> LockSlot(PgConn& c, std::int64_t slot_id) {
  auto r = c.Run(kLockSlot, PgParams().Int(slot_id), "locking the slot");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such slot");
  return SlotRule{r->Int(0, 0), r->Int(0, 1), r->Int(0, 2), r->Int(0, 3)};
}

Result<std::int64_t> Seats(PgConn& c, std::int64_t slot_id) {
  auto r = c.Run(kSeats, PgParams().Int(slot_id), "counting seats");
  if (!r) return Fail(r.error());
  return r->Int(0, 0);
}

bool Fits(std::int64_t capacity, std::int64_t seats, std::int64_t guests) {
  return capacity == 0 || seats + 1 + guests <= capacity;
}

// REQUIRES: the slot is locked (rule from LockSlot).
Result<RsvpStatus> Place(PgConn& c, const SlotRule& rule, std::int64_t slot_id,
                         std::int64_t rsvp_id, std::int64_t guests, UnixTime now) {
  auto seats = Seats(c, slot_id);
  if (!seats) return Fail(seats.error());
  if (Fits(rule.capacity, *seats, guests)) {
    if (auto r = Exec2(c, kAccept, rsvp_id, now, "accepting the RSVP"); !r) return Fail(r.error());
    return RsvpStatus::kAccepted;
  }
  auto r = c.Run(kWaitlist, PgParams().Int(rsvp_id).Int(now).Int(slot_id), "waitlisting the RSVP");
  if (!r) return Fail(r.error());
  return RsvpStatus::kWaitlisted;
}

// REQUIRES: the slot is locked. As SQLite's Promote (sqlite/events.cc).
Result<void> Promote(PgConn& c, const SlotRule& rule, std::int64_t slot_id, UnixTime now,
                     bool freed, RsvpCancel* out) {
  if (now >= rule.starts - rule.promote_until) {
    if (!freed) return {};
    auto waiting = Ids(c, kWaiting, slot_id);
    if (!waiting) return Fail(waiting.error());
    for (std::int64_t id : *waiting) {
      if (auto r = QueueMail(c, "event_waitlist_notice", id, now, {{"slot_id", slot_id}}); !r) {
        return r;
      }
    }
    if (out != nullptr) out->notified = static_cast<std::int64_t>(waiting->size());
    return {};
  }
  for (;;) {
    auto seats = Seats(c, slot_id);
    if (!seats) return Fail(seats.error());
    auto first = c.Run(kFirstWaiting, PgParams().Int(slot_id), "reading the waitlist");
    if (!first) return Fail(first.error());
    if (first->rows() == 0) return {};
    const std::int64_t id = first->Int(0, 0), guests = first->Int(0, 1);
    if (!Fits(rule.capacity, *seats, guests)) return {};
    if (auto r = Exec2(c, kAccept, id, now, "promoting the RSVP"); !r) return r;
    if (auto r = QueueMail(c, "event_promoted", id, now); !r) return r;
    if (out != nullptr) out->promoted.push_back(id);
  }
}

Result<Rsvp> ReadRsvp(PgConn& c, const FieldSealer& sealer, std::int64_t id) {
  auto r = c.Run(kGetRsvp, PgParams().Int(id), "reading the RSVP");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such RSVP");
  return RsvpFrom(*r, 0, sealer);
}

Result<EventSlot> ReadSlot(PgConn& c, std::int64_t id) {
  auto r = c.Run(kGetSlot, PgParams().Int(id), "reading the slot");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such slot");
  return SlotFrom(*r, 0);
}

PgParams EventParams(const Event& e) {
  PgParams p;
  p.Text(e.slug).Text(e.title).Text(e.description_markdown).Text(EventKindName(e.kind));
  p.Text(e.venue).Text(e.address).Text(e.online_link).Bool(e.private_location);
  p.Text(e.accessibility).Text(e.host_name).Text(e.host_email);
  return p;
}

}  // namespace

Result<PgResult> PgEvents::Read(const char* sql, const PgParams& params, std::string_view what) {
  Result<PgResult> out = Fail(Code::kInternal, "not run");
  with_conn_([&](PgConn& conn) { out = conn.Run(sql, params, what); });
  return out;
}

template <typename T, typename F>
Result<T> PgEvents::Tx(std::string_view what, F&& fn) {
  Result<T> out = Fail(Code::kInternal, "not run");
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (auto w = writable_(); !w) return Fail(w.error());
    with_conn_([&](PgConn& conn) {
      if (auto b = conn.Exec("BEGIN", what); !b) {
        out = Fail(b.error());
        return;
      }
      out = fn(conn);
      if (!out) {
        if (conn.ok()) (void)conn.Exec("ROLLBACK", "rolling back");
        return;
      }
      if (auto c = conn.Exec("COMMIT", what); !c) out = Fail(c.error());
    });
    if (out || out.error().code != Code::kUnavailable) break;
  }
  return out;
}

// --- events

Result<Event> PgEvents::CreateEvent(const Event& e, UnixTime now) {
  if (auto w = writable_(); !w) return Fail(w.error());
  PgParams p;
  p.Int(e.campaign_id).Text(e.slug).Text(e.title).Text(e.description_markdown);
  p.Text(EventKindName(e.kind)).Text(e.venue).Text(e.address).Text(e.online_link);
  p.Bool(e.private_location).Text(e.accessibility).Text(e.host_name).Text(e.host_email);
  p.Text(EventStatusName(e.status)).Text(OffsetsJson(e.reminder_offsets)).Int(e.promote_until);
  p.Int(e.created_by).Text(e.host_token_hash).Int(now);
  auto r = Read(kInsertEvent, p, "creating the event");
  if (!r) return Fail(r.error());
  return EventFrom(*r, 0);
}

Result<Event> PgEvents::GetEvent(std::int64_t id) {
  auto r = Read(kGetEvent, PgParams().Int(id), "reading the event");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such event");
  return EventFrom(*r, 0);
}

Result<Event> PgEvents::FindEvent(std::int64_t campaign_id, const std::string& slug) {
  auto r = Read(kFindEvent, PgParams().Int(campaign_id).Text(slug), "reading the event");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such event");
  return EventFrom(*r, 0);
}

Result<std::vector<Event>> PgEvents::ListEvents(std::int64_t campaign_id) {
  auto r = Read(kListEvents, PgParams().Int(campaign_id), "listing events");
  if (!r) return Fail(r.error());
  return All<Event>(*r, EventFrom);
}

Result<Event> PgEvents::UpdateEvent(const Event& e, UnixTime now, bool notify) {
  return Tx<Event>("changing the event", [&](PgConn& c) -> Result<Event> {
    PgParams p;
    p.Int(e.id).Text(e.slug).Text(e.title).Text(e.description_markdown);
    p.Text(EventKindName(e.kind)).Text(e.venue).Text(e.address).Text(e.online_link);
    p.Bool(e.private_location).Text(e.accessibility).Text(e.host_name).Text(e.host_email);
    p.Text(OffsetsJson(e.reminder_offsets)).Int(e.promote_until).Text(e.host_token_hash).Int(now);
    auto r = c.Run(kUpdateEvent, p, "changing the event");
    if (!r) return Fail(r.error());
    if (r->rows() == 0) return Fail(Code::kNotFound, "no such event");
    auto out = EventFrom(*r, 0);
    if (out && notify) {
      if (auto q = QueueAll(c, kEventAttendees, e.id, "event_changed", now, {{"what", "place"}});
          !q) {
        return Fail(q.error());
      }
    }
    return out;
  });
}

Result<Event> PgEvents::SetEventStatus(std::int64_t id, EventStatus status, UnixTime now) {
  return Tx<Event>("changing the event's status", [&](PgConn& c) -> Result<Event> {
    auto b = c.Run(kLockEvent, PgParams().Int(id), "reading the event");
    if (!b) return Fail(b.error());
    if (b->rows() == 0) return Fail(Code::kNotFound, "no such event");
    auto before = EventFrom(*b, 0);
    if (!before || before->status == status) return before;
    if (before->status == EventStatus::kCancelled) {
      return Fail(Code::kConflict, "the event was cancelled; make a new one instead");
    }
    auto r = c.Run(kSetEventStatus, PgParams().Int(id).Text(EventStatusName(status)).Int(now),
                   "changing the event's status");
    if (!r) return Fail(r.error());
    auto out = EventFrom(*r, 0);
    if (out && status == EventStatus::kCancelled) {
      if (auto q =
              QueueAll(c, kEventAttendees, id, "event_cancelled", now, nlohmann::json::object());
          !q) {
        return Fail(q.error());
      }
    }
    return out;
  });
}

// --- slots

Result<EventSlot> PgEvents::AddSlot(const EventSlot& s, UnixTime now) {
  if (s.ends <= s.starts) return Fail(Code::kInvalidArgument, "a slot must end after it starts");
  if (s.capacity < 0) return Fail(Code::kInvalidArgument, "a slot's capacity cannot be negative");
  return Tx<EventSlot>("adding the slot", [&](PgConn& c) -> Result<EventSlot> {
    auto e = c.Run(kGetEvent, PgParams().Int(s.event_id), "reading the event");
    if (!e) return Fail(e.error());
    if (e->rows() == 0) return Fail(Code::kNotFound, "no such event");
    auto r = c.Run(kInsertSlot,
                   PgParams()
                       .Int(s.event_id)
                       .Int(s.starts)
                       .Int(s.ends)
                       .Text(s.time_zone)
                       .Int(s.capacity)
                       .Int(now),
                   "adding the slot");
    if (!r) return Fail(r.error());
    return ReadSlot(c, r->Int(0, 0));
  });
}

Result<EventSlot> PgEvents::UpdateSlot(const EventSlot& s, UnixTime now, bool notify) {
  if (s.ends <= s.starts) return Fail(Code::kInvalidArgument, "a slot must end after it starts");
  if (s.capacity < 0) return Fail(Code::kInvalidArgument, "a slot's capacity cannot be negative");
  return Tx<EventSlot>("changing the slot", [&](PgConn& c) -> Result<EventSlot> {
    auto before = LockSlot(c, s.id);
    if (!before) return Fail(before.error());
    auto r = c.Run(
        kUpdateSlot,
        PgParams().Int(s.id).Int(s.starts).Int(s.ends).Text(s.time_zone).Int(s.capacity).Int(now),
        "changing the slot");
    if (!r) return Fail(r.error());
    if (s.capacity == 0 || s.capacity > before->capacity) {
      SlotRule rule = *before;
      rule.capacity = s.capacity;
      rule.starts = s.starts;
      if (auto p = Promote(c, rule, s.id, now, /*freed=*/false, nullptr); !p) {
        return Fail(p.error());
      }
    }
    if (notify) {
      if (auto q = QueueAll(c, kSlotAttendees, s.id, "event_changed", now, {{"what", "time"}});
          !q) {
        return Fail(q.error());
      }
    }
    return ReadSlot(c, s.id);
  });
}

Result<EventSlot> PgEvents::GetSlot(std::int64_t id) {
  auto r = Read(kGetSlot, PgParams().Int(id), "reading the slot");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such slot");
  return SlotFrom(*r, 0);
}

Result<std::vector<EventSlot>> PgEvents::ListSlots(std::int64_t event_id) {
  auto r = Read(kListSlots, PgParams().Int(event_id), "listing slots");
  if (!r) return Fail(r.error());
  return All<EventSlot>(*r,
                        [](const PgResult& x, int i) { return Result<EventSlot>(SlotFrom(x, i)); });
}

// --- RSVPs

Result<Rsvp> PgEvents::CreateRsvp(const NewRsvp& n) {
  SignatureForm form;
  form.name = n.name;
  form.email = n.email;
  const std::string sealed = sealer_.Seal(form);
  return Tx<Rsvp>("recording the RSVP", [&](PgConn& c) -> Result<Rsvp> {
    auto rule = LockSlot(c, n.slot_id);
    if (!rule) return Fail(rule.error());
    PgParams p;
    p.Int(rule->event_id).Int(n.slot_id).Bytes(sealed).Text(n.email_key).Int(n.guests);
    if (n.accept_now || n.confirm_hash.empty()) {
      p.Null();
    } else {
      p.Text(n.confirm_hash);
    }
    p.Text(n.referrer).Text(n.source).Int(n.now);
    auto r = c.Run(kInsertRsvp, p, "recording the RSVP");
    if (!r) {
      Error e = r.error();
      if (e.code == Code::kConflict) e.message = "this address has already answered for this time";
      return Fail(std::move(e));
    }
    const std::int64_t id = r->Int(0, 0);
    nlohmann::json extra = nlohmann::json::object();
    if (n.accept_now) {
      if (auto pl = Place(c, *rule, n.slot_id, id, n.guests, n.now); !pl) return Fail(pl.error());
    } else {
      extra["confirm_token"] = n.confirm_token;
    }
    if (auto q = QueueMail(c, "event_rsvp", id, n.now, extra); !q) return Fail(q.error());
    return ReadRsvp(c, sealer_, id);
  });
}

Result<Rsvp> PgEvents::ConfirmRsvp(std::int64_t id, UnixTime now) {
  auto slot = Read(kRsvpSlot, PgParams().Int(id), "reading the RSVP");
  if (!slot) return Fail(slot.error());
  if (slot->rows() == 0) return Fail(Code::kNotFound, "no such RSVP");
  const std::int64_t slot_id = slot->Int(0, 0);
  return Tx<Rsvp>("confirming the RSVP", [&](PgConn& c) -> Result<Rsvp> {
    auto rule = LockSlot(c, slot_id);
    if (!rule) return Fail(rule.error());
    auto st = c.Run(kRsvpState, PgParams().Int(id), "reading the RSVP");
    if (!st) return Fail(st.error());
    const auto status = ParseRsvpStatus(st->View(0, 0));
    const std::int64_t guests = st->Int(0, 2);
    if (status == RsvpStatus::kCancelled) {
      return Fail(Code::kConflict, "this RSVP was cancelled; answer again to come");
    }
    if (status == RsvpStatus::kPending) {
      if (auto pl = Place(c, *rule, slot_id, id, guests, now); !pl) return Fail(pl.error());
      if (auto q = QueueMail(c, "event_status", id, now); !q) return Fail(q.error());
    }
    return ReadRsvp(c, sealer_, id);
  });
}

Result<RsvpCancel> PgEvents::CancelRsvp(std::int64_t id, UnixTime now) {
  auto slot = Read(kRsvpSlot, PgParams().Int(id), "reading the RSVP");
  if (!slot) return Fail(slot.error());
  if (slot->rows() == 0) return Fail(Code::kNotFound, "no such RSVP");
  const std::int64_t slot_id = slot->Int(0, 0);
  return Tx<RsvpCancel>("cancelling the RSVP", [&](PgConn& c) -> Result<RsvpCancel> {
    RsvpCancel out;
    auto rule = LockSlot(c, slot_id);
    if (!rule) return Fail(rule.error());
    auto st = c.Run(kRsvpState, PgParams().Int(id), "reading the RSVP");
    if (!st) return Fail(st.error());
    const auto status = ParseRsvpStatus(st->View(0, 0));
    if (status != RsvpStatus::kCancelled) {
      out.changed = true;
      if (auto r = Exec2(c, kCancel, id, now, "cancelling the RSVP"); !r) return Fail(r.error());
      if (status == RsvpStatus::kAccepted) {
        if (auto p = Promote(c, *rule, slot_id, now, /*freed=*/true, &out); !p) {
          return Fail(p.error());
        }
      }
    }
    auto r = ReadRsvp(c, sealer_, id);
    if (!r) return Fail(r.error());
    out.rsvp = std::move(*r);
    return out;
  });
}

Result<Rsvp> PgEvents::CheckIn(std::int64_t id, bool checked_in, UnixTime now) {
  return Tx<Rsvp>("checking in", [&](PgConn& c) -> Result<Rsvp> {
    auto r = c.Run(kCheckIn, PgParams().Int(id).Bool(checked_in).Int(now), "checking in");
    if (!r) return Fail(r.error());
    if (r->rows() == 0) return Fail(Code::kNotFound, "no such RSVP");
    return ReadRsvp(c, sealer_, id);
  });
}

Result<Rsvp> PgEvents::GetRsvp(std::int64_t id) {
  auto r = Read(kGetRsvp, PgParams().Int(id), "reading the RSVP");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such RSVP");
  return RsvpFrom(*r, 0, sealer_);
}

Result<Rsvp> PgEvents::FindRsvpByConfirm(const std::string& confirm_hash) {
  auto r = Read(kFindRsvpByConfirm, PgParams().Text(confirm_hash), "reading the RSVP");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such RSVP");
  return RsvpFrom(*r, 0, sealer_);
}

Result<std::vector<Rsvp>> PgEvents::ListRsvps(std::int64_t event_id) {
  auto r = Read(kListRsvps, PgParams().Int(event_id), "listing RSVPs");
  if (!r) return Fail(r.error());
  return All<Rsvp>(*r, [&](const PgResult& x, int i) { return RsvpFrom(x, i, sealer_); });
}

// --- reminders

Result<std::int64_t> PgEvents::QueueDueReminders(UnixTime now) {
  return Tx<std::int64_t>("queueing reminders", [&](PgConn& c) -> Result<std::int64_t> {
    auto due = c.Run(kDueReminders, PgParams().Int(now), "reading due reminders");
    if (!due) return Fail(due.error());
    std::map<std::int64_t, std::vector<std::int64_t>> by_slot;  // offsets ascending
    for (int i = 0; i < due->rows(); ++i) by_slot[due->Int(i, 0)].push_back(due->Int(i, 1));
    std::int64_t queued = 0;
    for (const auto& [slot_id, offsets] : by_slot) {
      bool nearest_won = false;
      for (std::size_t k = 0; k < offsets.size(); ++k) {
        auto claim = c.Run(kClaimReminder, PgParams().Int(slot_id).Int(offsets[k]).Int(now),
                           "claiming the reminder");
        if (!claim) return Fail(claim.error());
        if (k == 0) nearest_won = claim->rows() > 0;  // another node may have claimed it
      }
      if (!nearest_won) continue;
      auto ids = Ids(c, kSlotAccepted, slot_id);
      if (!ids) return Fail(ids.error());
      for (std::int64_t id : *ids) {
        if (auto q = QueueMail(c, "event_reminder", id, now,
                               {{"slot_id", slot_id}, {"offset", offsets.front()}});
            !q) {
          return Fail(q.error());
        }
        ++queued;
      }
    }
    return queued;
  });
}

Result<std::optional<UnixTime>> PgEvents::NextReminderAt(UnixTime now) {
  auto r = Read(kNextReminder, PgParams().Int(now), "reading the next reminder");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return std::optional<UnixTime>();
  return r->OptInt(0, 0);
}

}  // namespace undersigned::store::pg
