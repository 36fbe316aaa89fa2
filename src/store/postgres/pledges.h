// PgPledges: the PostgreSQL backend's PledgeStore (store/pledge_store.h: pledge campaigns,
// pledges, and the claims that charge, release and tell each once), reached through the
// store's pledges(). Reads borrow a connection of the store's read pool and run one statement.
// A pledge's change runs as one transaction on one borrowed connection (BEGIN ... COMMIT, READ
// COMMITTED, synchronous_commit on: durable when it returns): the pledge's row locked (SELECT
// ... FOR UPDATE), the shared transition (store/pledge_store.h) applied, the row written back
// and its mail queued, so two nodes never both make the same change: the second waits for the
// lock and reads the first one's result. Deciding a campaign is one UPDATE ... WHERE status =
// 'open'. ClaimWork leases with one UPDATE over rows picked FOR UPDATE SKIP LOCKED (another
// node's claim is skipped, and a row it just leased fails the re-checked lease condition).
// Its SQL is in pledges.cc; the schema in migrations.cc (version 14).
//
// Thread-safe. Owned by its store, which it must not outlive.
#pragma once

#include <functional>

#include "store/pledge_store.h"
#include "store/postgres/pg_conn.h"
#include "store/sealed_fields.h"

namespace undersigned::store::pg {

class PgPledges final : public PledgeStore {
 public:
  // with_conn(fn) runs fn on a pooled connection; writable() fails once the store is closing;
  // sealer seals and opens a pledger's name and address.
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  PgPledges(WithConn with_conn, std::function<Result<void>()> writable, const FieldSealer& sealer)
      : with_conn_(std::move(with_conn)), writable_(std::move(writable)), sealer_(sealer) {}

  Result<PledgeCampaign> CreatePledgeCampaign(const PledgeCampaign& c) override;
  Result<PledgeCampaign> GetPledgeCampaign(std::int64_t id) override;
  Result<PledgeCampaign> GetPledgeCampaignBySlug(const std::string& slug) override;
  Result<std::vector<PledgeCampaign>> ListPledgeCampaigns() override;
  Result<std::vector<PledgeCampaign>> DueForDecision(UnixTime now) override;
  Result<std::optional<UnixTime>> NextDeadline() override;
  Result<bool> Decide(std::int64_t id, PledgeCampaignStatus to, const std::string& evidence_url,
                      UnixTime now) override;
  Result<PledgeTotals> GetPledgeTotals(std::int64_t pledge_campaign_id) override;

  Result<Pledge> CreatePledge(const NewPledge& n) override;
  Result<Pledge> GetPledge(std::int64_t id) override;
  Result<Pledge> GetPledgeByUuid(const std::string& uuid) override;
  Result<Paged<Pledge>> ListPledges(std::int64_t pledge_campaign_id, Page page) override;
  Result<Pledge> SetPledgeCheckout(std::int64_t id, const std::string& session,
                                   UnixTime now) override;
  Result<Pledge> SaveCard(std::int64_t id, const std::string& customer,
                          const std::string& payment_method, UnixTime now) override;
  Result<Pledge> WithdrawPledge(std::int64_t id, UnixTime now) override;

  Result<std::vector<ClaimedPledge>> ClaimWork(UnixTime now, std::int64_t lease_seconds,
                                               int limit) override;
  Result<std::pair<Pledge, bool>> RecordCharge(const PledgeChargeResult& r) override;
  Result<bool> RecordReleased(std::int64_t pledge_id, UnixTime now) override;
  Result<bool> RecordDue(std::int64_t pledge_id, UnixTime now) override;
  Result<bool> CompleteNeedsAction(std::int64_t pledge_id, const std::string& payment_intent,
                                   UnixTime now) override;
  Result<std::int64_t> RunNeedsAction(UnixTime now) override;
  Result<std::optional<UnixTime>> NextPledgeWorkAt(UnixTime now) override;

 private:
  using Change = std::function<Result<PledgeTransition>(Pledge& p, const PledgeCampaign& c)>;
  // Locks pledge id, reads its campaign, applies fn and writes the pledge back (queueing its
  // mail) if fn changed it, in one transaction on conn. The pledge after, and whether it changed.
  Result<std::pair<Pledge, bool>> MutateOn(PgConn& conn, std::int64_t id, const Change& fn);
  Result<std::pair<Pledge, bool>> Mutate(std::int64_t id, const Change& fn);
  Result<PgResult> Run(const char* sql, const PgParams& params, std::string_view what, bool write);
  template <typename T, typename F>
  Result<T> InTransaction(F&& fn);
  Result<PledgeCampaign> OneCampaign(const char* sql, const PgParams& params);
  Result<std::vector<PledgeCampaign>> Campaigns(const char* sql, const PgParams& params);
  Result<Pledge> OnePledge(const char* sql, const PgParams& params, bool write);

  WithConn with_conn_;
  std::function<Result<void>()> writable_;
  const FieldSealer& sealer_;
};

}  // namespace undersigned::store::pg
