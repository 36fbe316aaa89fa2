// SqliteOutreach: the SQLite backend's OutreachStore (store/outreach_store.h: updates to signers,
// unsubscribes, deliveries to targets), reached through SqliteStore::outreach(). Reads use the
// store's read pool; writes run through the store's writer (group commit, durable before they
// return), so a batch of an update's mail is one transaction with the cursor it moves. Its SQL
// is in outreach.cc, beside it; the schema in migrations.cc (version 8).
//
// Thread-safe. Owned by its SqliteStore, which it must not outlive.
#pragma once

#include "store/outreach_store.h"

namespace undersigned::store {

class SqliteStore;

class SqliteOutreach final : public OutreachStore {
 public:
  explicit SqliteOutreach(SqliteStore& store) : store_(store) {}

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
  // An update changed by one UPDATE ... RETURNING; kNotFound or kConflict (state) if none.
  Result<Update> ChangeUpdate(const char* sql, auto bind);
  SqliteStore& store_;
};

}  // namespace undersigned::store
