// PgDashboard: the PostgreSQL backend's DashboardStore (store/dashboard_store.h), reached
// through the store's dashboard(). Each call borrows a connection of the store's read pool.
// Its SQL is in queries.h ("the dashboard"); the hourly counts' table and the origin columns
// are migration 7, the tallies' rollup migration 8. Hourly counts and tallies are kept per node
// (as campaign_counts): reads sum them.
//
// Thread-safe. Owned by its store, which it must not outlive.
#pragma once

#include <functional>

#include "store/dashboard_store.h"
#include "store/postgres/pg_conn.h"
#include "store/tally_rollup.h"

namespace undersigned::store::pg {

class PgDashboard final : public DashboardStore, public TallyRecount {
 public:
  // with_conn(fn) runs fn on a pooled connection.
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  explicit PgDashboard(WithConn with_conn) : with_conn_(std::move(with_conn)) {}

  Result<CampaignCounts> Counts(std::int64_t campaign_id) override;
  Result<std::vector<HourCounts>> SignatureHours(std::int64_t campaign_id, UnixTime from,
                                                 UnixTime to) override;
  Result<SignatureTallies> Tallies(std::int64_t campaign_id) override;
  Result<SignatureTallies> RecountTallies(std::int64_t campaign_id) override;
  Result<OutboxCounts> CountOutbox() override;
  Result<Paged<Signature>> SearchSignatures(std::int64_t campaign_id, const SignatureSearch& search,
                                            Page page) override;

 private:
  WithConn with_conn_;
};

}  // namespace undersigned::store::pg
