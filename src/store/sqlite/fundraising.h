// SqliteFundraising: the SQLite backend's FundraisingStore (store/fundraising_store.h:
// fundraisers, donations, their totals and the payment events handled), reached through
// SqliteStore::fundraising(). Reads use the store's read pool; writes run through the store's
// writer (group commit, durable before they return), so a donation's change, its totals and the
// event id are one transaction. Its SQL is in fundraising.cc; the schema in migrations.cc
// (version 12).
//
// Thread-safe. Owned by its SqliteStore, which it must not outlive.
#pragma once

#include "store/fundraising_store.h"

namespace undersigned::store {

class SqliteStore;

class SqliteFundraising final : public FundraisingStore {
 public:
  explicit SqliteFundraising(SqliteStore& store) : store_(store) {}

  Result<Fundraiser> CreateFundraiser(const Fundraiser& f) override;
  Result<Fundraiser> UpdateFundraiser(const Fundraiser& f) override;
  Result<Fundraiser> GetFundraiser(std::int64_t id) override;
  Result<Fundraiser> GetFundraiserBySlug(const std::string& slug) override;
  Result<Fundraiser> GetFundraiserByUuid(const std::string& uuid) override;
  Result<std::vector<Fundraiser>> ListFundraisers(std::optional<std::int64_t> campaign_id) override;

  Result<Donation> CreateDonation(const Donation& d) override;
  Result<Donation> SetCheckoutSession(std::int64_t id, const std::string& session,
                                      UnixTime now) override;
  Result<Donation> GetDonation(std::int64_t id) override;
  Result<Donation> GetDonationByUuid(const std::string& uuid) override;
  Result<Paged<Donation>> ListDonations(std::int64_t fundraiser_id, Page page) override;
  Result<std::vector<NamedDonor>> NamedDonors(std::int64_t fundraiser_id, int limit) override;
  Result<FundraiserTotals> GetTotals(std::int64_t fundraiser_id) override;
  Result<DonationChangeResult> ApplyDonationChange(const DonationChange& c) override;

 private:
  Result<Fundraiser> ReadFundraiser(const char* sql, auto bind);
  Result<Donation> ReadDonation(const char* sql, auto bind);
  SqliteStore& store_;
};

}  // namespace undersigned::store
