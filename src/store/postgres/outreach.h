// PgOutreach: the PostgreSQL backend's OutreachStore (store/outreach_store.h: updates to signers,
// unsubscribes, deliveries to targets), reached through the store's outreach(). Each call
// borrows a connection of the store's read pool and runs one statement, committed on its own
// (synchronous_commit on: durable when it returns). A batch of an update's mail is one
// statement that locks the update's row first (FOR UPDATE), queues the next recipients after
// its cursor and moves the cursor: a second node's batch waits for the lock, then reads the
// moved cursor, so two nodes never queue the same signer. Its SQL is in outreach.cc; the
// schema in migrations.cc (version 6).
//
// Thread-safe. Owned by its store, which it must not outlive.
#pragma once

#include <functional>

#include "store/outreach_store.h"
#include "store/postgres/pg_conn.h"
#include "store/sealed_fields.h"

namespace undersigned::store::pg {

class PgOutreach final : public OutreachStore {
 public:
  // with_conn(fn) runs fn on a pooled connection; writable() fails once the store is closing;
  // sealer opens a sealed signer's address for its mail.
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  PgOutreach(WithConn with_conn, std::function<Result<void>()> writable, const FieldSealer& sealer)
      : with_conn_(std::move(with_conn)), writable_(std::move(writable)), sealer_(sealer) {}

  Result<Update> CreateUpdate(const NewUpdate& u) override;
  Result<Update> GetUpdate(std::int64_t id) override;
  Result<std::vector<Update>> ListUpdates(std::int64_t campaign_id) override;
  Result<Update> EditUpdate(std::int64_t id, const std::string& subject,
                            const std::string& body_markdown, UnixTime now) override;
  Result<Update> ScheduleUpdate(std::int64_t id, UnixTime send_at, UnixTime now) override;
  Result<Update> UnscheduleUpdate(std::int64_t id, UnixTime now) override;
  Result<std::vector<std::int64_t>> DueUpdates(UnixTime now) override;
  Result<std::optional<UnixTime>> NextUpdateAt() override;
  Result<UpdateBatch> EnqueueUpdateBatch(std::int64_t id, UnixTime now, int limit) override;
  Result<UpdateCounts> GetUpdateCounts(std::int64_t id) override;
  Result<std::int64_t> CountUpdateRecipients(std::int64_t campaign_id) override;
  Result<UpdateAddress> GetUpdateAddress(std::int64_t signature_id) override;

  Result<bool> Unsubscribe(std::int64_t campaign_id, std::int64_t person_id,
                           std::optional<std::int64_t> update_id, UnixTime now) override;
  Result<bool> IsUnsubscribed(std::int64_t campaign_id, std::int64_t person_id) override;

  Result<DeliveryRecord> RecordDelivery(const NewDelivery& d) override;
  Result<DeliveryRecord> GetDelivery(std::int64_t id) override;
  Result<std::vector<DeliveryRecord>> ListDeliveries(std::int64_t campaign_id) override;

 private:
  // Runs one statement on a pooled connection (a write only while the store is writable).
  Result<PgResult> Run(const char* sql, const PgParams& params, std::string_view what, bool write);
  Result<Update> ChangeUpdate(const char* sql, const PgParams& params, std::int64_t id);

  WithConn with_conn_;
  std::function<Result<void>()> writable_;
  const FieldSealer& sealer_;
};

}  // namespace undersigned::store::pg
