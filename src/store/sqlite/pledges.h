// SqlitePledges: the SQLite backend's PledgeStore (store/pledge_store.h: pledge campaigns,
// pledges, and the claims that charge, release and tell each once), reached through
// SqliteStore::pledges(). Reads use the store's read pool; writes run through the store's
// writer (one writer, group commit, durable before they return), so a read-modify-write of a
// pledge, its mail and its lease are one transaction no other write interleaves with. Its SQL
// is in pledges.cc; the schema in migrations.cc (version 16).
//
// Thread-safe. Owned by its SqliteStore, which it must not outlive.
#pragma once

#include <functional>

#include "store/pledge_store.h"

namespace undersigned::store {

class SqliteStore;

class SqlitePledges final : public PledgeStore {
 public:
  explicit SqlitePledges(SqliteStore& store) : store_(store) {}

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
  // Reads pledge id and its campaign in one write transaction, applies fn to the pledge, and
  // writes it back (and queues its mail) if fn changed it. Returns the pledge after and
  // whether it changed.
  using Change = std::function<Result<PledgeTransition>(Pledge& p, const PledgeCampaign& c)>;
  Result<std::pair<Pledge, bool>> Mutate(std::int64_t id, const Change& fn);
  Result<PledgeCampaign> ReadCampaign(const char* sql, auto bind);
  Result<Pledge> ReadPledge(const char* sql, auto bind);
  Result<std::vector<PledgeCampaign>> ReadCampaigns(const char* sql, auto bind);
  SqliteStore& store_;
};

}  // namespace undersigned::store
