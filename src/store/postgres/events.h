// PgEvents: the PostgreSQL backend's EventStore (store/event_store.h: events, slots, RSVPs,
// reminders), reached through the store's events(). Reads borrow a connection of the store's
// read pool and run one statement. A write that carries a rule runs as one transaction on one
// borrowed connection (BEGIN ... COMMIT, READ COMMITTED, synchronous_commit on: durable when it
// returns): whatever accepts, waitlists or promotes first locks the slot's row (SELECT ... FOR
// UPDATE), then counts its seats, so two connections, or two nodes, never both take the last
// seat: the second waits for the lock, and its count (a new statement, a new snapshot) sees the
// first one's seat. A reminder is claimed by inserting its (slot, offset) row: another node's
// insert conflicts (ON CONFLICT DO NOTHING), and only the winner queues the mail. A transaction
// that deadlocks or loses its connection is run again (up to three times). Its SQL is in
// events.cc; the schema in migrations.cc (version 11).
//
// Thread-safe. Owned by its store, which it must not outlive.
#pragma once

#include <functional>

#include "store/event_store.h"
#include "store/postgres/pg_conn.h"
#include "store/sealed_fields.h"

namespace undersigned::store::pg {

class PgEvents final : public EventStore {
 public:
  // with_conn(fn) runs fn on a pooled connection; writable() fails once the store is closing;
  // sealer seals and opens an RSVP's name and address.
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  PgEvents(WithConn with_conn, std::function<Result<void>()> writable, const FieldSealer& sealer)
      : with_conn_(std::move(with_conn)), writable_(std::move(writable)), sealer_(sealer) {}

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
  // Runs one read statement on a pooled connection.
  Result<PgResult> Read(const char* sql, const PgParams& params, std::string_view what);
  // Runs fn(conn) -> Result<T> as one transaction on a pooled connection (see the header).
  template <typename T, typename F>
  Result<T> Tx(std::string_view what, F&& fn);

  WithConn with_conn_;
  std::function<Result<void>()> writable_;
  const FieldSealer& sealer_;
};

}  // namespace undersigned::store::pg
