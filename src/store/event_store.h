// EventStore: a campaign's events (issue 15, part 1): protests, rallies, calls, each with time
// slots, and the RSVPs to those slots. Reached through Store::events(); each backend implements
// it in a class of its own (store/sqlite/events.h, store/postgres/events.h) over the tables of
// SQLite migration 13 and PostgreSQL migration 11. The rules of who may do what, and what a mail
// says, are in service/events.h; this keeps rows and the one rule that must hold under any
// concurrency: a slot's capacity.
//
// Capacity is never exceeded. A slot's accepted seats are the sum of (1 + guests) over its
// accepted RSVPs. Every write that accepts (CreateRsvp with accept_now, ConfirmRsvp, a promotion
// in CancelRsvp or UpdateSlot) counts the seats and accepts or waitlists in ONE transaction that
// holds the slot first: SQLite's single writer, PostgreSQL's row lock (SELECT ... FOR UPDATE on
// the slot), so that two nodes cannot both take the last seat. A slot with capacity 0 has no
// limit. A full slot waitlists (never refuses); the waitlist is ordered by when each RSVP was
// waitlisted.
//
// Cancelling an accepted RSVP frees its seats and, in the same transaction, promotes the first
// waiting RSVPs that fit, in order (stopping at the first that does not), as long as the slot
// starts more than the event's promote_until seconds later; after that the waitlist is only
// notified. Raising a slot's capacity promotes likewise.
//
// Mail: every message about an RSVP is queued in the outbox in the same transaction as the change
// it reports, with an empty recipient and payload {"rsvp_id": id, ...}: the renderer
// (service/events.h) opens the attendee's address at send time, so the outbox never holds it.
// Kinds: "event_rsvp" (made; payload also "confirm_token" while pending), "event_status" (a
// confirmation accepted or waitlisted it), "event_promoted", "event_waitlist_notice" (a seat
// freed too late to promote), "event_reminder" ("slot_id", "offset"), "event_changed" ("what":
// "time" or "place"), "event_cancelled".
//
// Reminders: each event lists offsets in seconds before a slot's start (default 24 h and 2 h).
// QueueDueReminders claims every due (slot, offset) pair of a listed event whose slot has not
// started in a table keyed by the pair, and queues one "event_reminder" per accepted RSVP of the
// slot in the same transaction: a pair is claimed once across restarts and nodes (PostgreSQL:
// the claim's insert conflicts on another node's, which then queues nothing). When several
// offsets of one slot are due at once (an event made late, a server down), only the nearest to
// the start is mailed; the others are claimed silently.
//
// Personal data: an RSVP's name and email are sealed (store/sealed_fields.h) and opened only by
// the reads of this interface (the console, the mail renderer); email_key (a keyed hash made by
// the service) keeps one live RSVP per address per slot. Nothing here is public by itself: the
// service decides what a page shows (a private location only to confirmed attendees).
//
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace undersigned {

enum class EventKind { kInPerson, kOnline };
const char* EventKindName(EventKind k);  // "in_person", "online"
std::optional<EventKind> ParseEventKind(std::string_view s);

// draft: only its organizers see it; proposed: a supporter proposed it and it awaits an
// organizer's approval; listed: public, RSVPs open; cancelled: shown as cancelled, no RSVPs.
enum class EventStatus { kDraft, kProposed, kListed, kCancelled };
const char* EventStatusName(EventStatus s);  // "draft", "proposed", "listed", "cancelled"
std::optional<EventStatus> ParseEventStatus(std::string_view s);

enum class RsvpStatus { kPending, kAccepted, kWaitlisted, kCancelled };
const char* RsvpStatusName(RsvpStatus s);  // "pending", "accepted", "waitlisted", "cancelled"
std::optional<RsvpStatus> ParseRsvpStatus(std::string_view s);

inline constexpr std::int64_t kDefaultPromoteUntil = 3600;  // seconds before a slot starts

struct Event {
  std::int64_t id = 0;
  std::int64_t campaign_id = 0;
  std::string slug;  // unique within the campaign
  std::string title;
  std::string description_markdown;
  EventKind kind = EventKind::kInPerson;
  std::string venue;    // in person: the place's name
  std::string address;  // in person: its address, one line per line
  std::string online_link;
  // The venue and address (in person) or the link (online) are shown only to confirmed
  // attendees (their mail) and in the console.
  bool private_location = false;
  std::string accessibility;
  std::string host_name;
  std::string host_email;
  EventStatus status = EventStatus::kDraft;
  std::vector<std::int64_t> reminder_offsets = {86400, 7200};  // seconds before a slot starts
  std::int64_t promote_until = kDefaultPromoteUntil;
  std::optional<std::int64_t> created_by;  // the organizer's user id; none: a supporter or CLI
  std::string host_token_hash;             // a proposer's link to manage their event (empty: none)
  UnixTime created = 0;
  UnixTime modified = 0;
};

struct EventSlot {
  std::int64_t id = 0;
  std::int64_t event_id = 0;
  UnixTime starts = 0;  // UTC instants
  UnixTime ends = 0;
  std::string time_zone = "UTC";  // IANA name, for showing local times
  std::int64_t capacity = 0;      // seats (RSVPs and their guests); 0: no limit
  // Read only:
  std::int64_t accepted = 0;    // seats taken by accepted RSVPs
  std::int64_t waitlisted = 0;  // RSVPs waiting
  UnixTime created = 0;
  UnixTime modified = 0;
};

struct Rsvp {
  std::int64_t id = 0;
  std::int64_t event_id = 0;
  std::int64_t slot_id = 0;
  std::string name;   // opened from the sealed blob
  std::string email;  // likewise; never public
  std::int64_t guests = 0;
  RsvpStatus status = RsvpStatus::kPending;
  std::optional<std::int64_t> waitlist_position;  // 1-based, while waitlisted
  bool checked_in = false;
  std::string referrer;
  std::string source;  // "web", "api", "console"
  UnixTime created = 0;
  UnixTime modified = 0;
  std::optional<UnixTime> confirmed;  // when it stopped being pending
};

struct NewRsvp {
  std::int64_t slot_id = 0;
  std::string name;
  std::string email;
  std::string email_key;  // keyed hash of the canonical address (one live RSVP per slot)
  std::int64_t guests = 0;
  std::string referrer;
  std::string source = "web";
  // Accept (or waitlist) now: a trusted client, an organizer. Otherwise pending until
  // ConfirmRsvp, and confirm_token goes into the "event_rsvp" mail (its hash is kept).
  bool accept_now = false;
  std::string confirm_token;
  std::string confirm_hash;
  UnixTime now = 0;
};

// What a cancellation did.
struct RsvpCancel {
  Rsvp rsvp;                           // as it is now (cancelled)
  bool changed = false;                // false: it was already cancelled
  std::vector<std::int64_t> promoted;  // RSVPs moved from the waitlist to accepted (mailed)
  std::int64_t notified = 0;           // waiting RSVPs told a seat freed (too late to promote)
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // --- events
  // id, created and modified are assigned. kConflict if the campaign has an event of that slug.
  virtual Result<Event> CreateEvent(const Event& e, UnixTime now) = 0;
  virtual Result<Event> GetEvent(std::int64_t id) = 0;
  virtual Result<Event> FindEvent(std::int64_t campaign_id, const std::string& slug) = 0;
  // Oldest first.
  virtual Result<std::vector<Event>> ListEvents(std::int64_t campaign_id) = 0;
  // Replaces every field but id, campaign_id, status, created_by and created. notify: in the
  // same transaction, queues "event_changed" (what: "place") to every accepted and waitlisted
  // RSVP. kConflict for a slug taken.
  virtual Result<Event> UpdateEvent(const Event& e, UnixTime now, bool notify) = 0;
  // Moves the status. To cancelled: queues "event_cancelled" to every RSVP not cancelled, in the
  // same transaction. kConflict from cancelled to anything.
  virtual Result<Event> SetEventStatus(std::int64_t id, EventStatus status, UnixTime now) = 0;

  // --- slots
  // id, created, modified assigned. kInvalidArgument if ends <= starts or capacity < 0.
  virtual Result<EventSlot> AddSlot(const EventSlot& s, UnixTime now) = 0;
  // Changes starts, ends, time_zone and capacity. notify: queues "event_changed" (what: "time")
  // to the slot's accepted and waitlisted RSVPs. A raised capacity promotes (see the header).
  virtual Result<EventSlot> UpdateSlot(const EventSlot& s, UnixTime now, bool notify) = 0;
  virtual Result<EventSlot> GetSlot(std::int64_t id) = 0;
  // By start.
  virtual Result<std::vector<EventSlot>> ListSlots(std::int64_t event_id) = 0;

  // --- RSVPs
  // kConflict if the address already has an RSVP to the slot that is not cancelled.
  // kNotFound for no such slot. Queues "event_rsvp".
  virtual Result<Rsvp> CreateRsvp(const NewRsvp& r) = 0;
  // pending -> accepted or waitlisted (see the header); queues "event_status". An RSVP already
  // accepted or waitlisted is returned as it is; kConflict for a cancelled one.
  virtual Result<Rsvp> ConfirmRsvp(std::int64_t id, UnixTime now) = 0;
  // -> cancelled, promoting or notifying the waitlist (see the header).
  virtual Result<RsvpCancel> CancelRsvp(std::int64_t id, UnixTime now) = 0;
  virtual Result<Rsvp> CheckIn(std::int64_t id, bool checked_in, UnixTime now) = 0;
  virtual Result<Rsvp> GetRsvp(std::int64_t id) = 0;
  // By the hash of its confirmation token (while pending). kNotFound otherwise.
  virtual Result<Rsvp> FindRsvpByConfirm(const std::string& confirm_hash) = 0;
  // Every RSVP of the event, oldest first.
  virtual Result<std::vector<Rsvp>> ListRsvps(std::int64_t event_id) = 0;

  // --- reminders
  // Claims and queues every due reminder (see the header); returns how many mails it queued.
  virtual Result<std::int64_t> QueueDueReminders(UnixTime now) = 0;
  // The earliest time an unclaimed reminder of a slot that has not started falls due.
  virtual Result<std::optional<UnixTime>> NextReminderAt(UnixTime now) = 0;
};

namespace store {
// Reminder offsets as stored (a JSON array of integers), both ways.
std::string OffsetsJson(const std::vector<std::int64_t>& offsets);
std::vector<std::int64_t> ParseOffsets(std::string_view text);
}  // namespace store

}  // namespace undersigned
