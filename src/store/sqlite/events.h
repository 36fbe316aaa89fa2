// SqliteEvents: the SQLite backend's EventStore (store/event_store.h: events, slots, RSVPs,
// reminders), reached through SqliteStore::events(). Reads use the store's read pool; writes run
// through the store's single writer (group commit, durable before they return), which is what
// makes a slot's capacity hold: counting its seats and accepting or waitlisting are one write
// transaction, and no other write runs beside it. Its SQL is in events.cc; the schema in
// migrations.cc (version 13).
//
// Thread-safe. Owned by its SqliteStore, which it must not outlive.
#pragma once

#include "store/event_store.h"

namespace undersigned::store {

class SqliteStore;

class SqliteEvents final : public EventStore {
 public:
  explicit SqliteEvents(SqliteStore& store) : store_(store) {}

  Result<Event> CreateEvent(const Event& e, UnixTime now) override;
  Result<Event> GetEvent(std::int64_t id) override;
  Result<Event> FindEvent(std::int64_t campaign_id, const std::string& slug) override;
  Result<std::vector<Event>> ListEvents(std::int64_t campaign_id) override;
  Result<Event> UpdateEvent(const Event& e, UnixTime now, bool notify) override;
  Result<Event> SetEventStatus(std::int64_t id, EventStatus status, UnixTime now) override;

  Result<EventSlot> AddSlot(const EventSlot& s, UnixTime now) override;
  Result<EventSlot> UpdateSlot(const EventSlot& s, UnixTime now, bool notify) override;
  Result<EventSlot> GetSlot(std::int64_t id) override;
  Result<std::vector<EventSlot>> ListSlots(std::int64_t event_id) override;

  Result<Rsvp> CreateRsvp(const NewRsvp& r) override;
  Result<Rsvp> ConfirmRsvp(std::int64_t id, UnixTime now) override;
  Result<RsvpCancel> CancelRsvp(std::int64_t id, UnixTime now) override;
  Result<Rsvp> CheckIn(std::int64_t id, bool checked_in, UnixTime now) override;
  Result<Rsvp> GetRsvp(std::int64_t id) override;
  Result<Rsvp> FindRsvpByConfirm(const std::string& confirm_hash) override;
  Result<std::vector<Rsvp>> ListRsvps(std::int64_t event_id) override;

  Result<std::int64_t> QueueDueReminders(UnixTime now) override;
  Result<std::optional<UnixTime>> NextReminderAt(UnixTime now) override;

 private:
  SqliteStore& store_;
};

}  // namespace undersigned::store
