// SqliteDashboard: the SQLite backend's DashboardStore (store/dashboard_store.h), reached
// through SqliteStore::dashboard(). Reads only, on the store's read pool (WAL: never in the
// writer's way). Its SQL is in queries.h ("the dashboard"); the hourly counts' table and the
// origin columns are migration 9, the tallies' rollup migration 10.
//
// Thread-safe. Owned by its SqliteStore, which it must not outlive.
#pragma once

#include "store/dashboard_store.h"
#include "store/tally_rollup.h"

namespace undersigned::store {

class SqliteStore;

class SqliteDashboard final : public DashboardStore, public TallyRecount {
 public:
  explicit SqliteDashboard(SqliteStore& store) : store_(store) {}

  Result<CampaignCounts> Counts(std::int64_t campaign_id) override;
  Result<std::vector<HourCounts>> SignatureHours(std::int64_t campaign_id, UnixTime from,
                                                 UnixTime to) override;
  Result<SignatureTallies> Tallies(std::int64_t campaign_id) override;
  Result<SignatureTallies> RecountTallies(std::int64_t campaign_id) override;
  Result<OutboxCounts> CountOutbox() override;
  Result<Paged<Signature>> SearchSignatures(std::int64_t campaign_id, const SignatureSearch& search,
                                            Page page) override;

 private:
  SqliteStore& store_;
};

}  // namespace undersigned::store
