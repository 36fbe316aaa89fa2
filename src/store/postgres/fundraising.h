// PgFundraising: the PostgreSQL backend's FundraisingStore (store/fundraising_store.h:
// fundraisers, donations, their totals and the payment events handled), reached through the
// store's fundraising(). Each call borrows a connection of the store's read pool; a read or a
// plain write is one statement, committed on its own (synchronous_commit on: durable when it
// returns). A donation's change runs in one transaction on that connection: the event id first
// (a second node delivering the same event waits on its unique key, then finds it), the
// donation's row locked FOR UPDATE, its new status, and the totals' rows moved by upserts of
// increments. Its SQL is in fundraising.cc; the schema in migrations.cc (version 10).
//
// Thread-safe. Owned by its store, which it must not outlive.
#pragma once

#include <functional>

#include "store/fundraising_store.h"
#include "store/postgres/pg_conn.h"

namespace undersigned::store::pg {

class PgFundraising final : public FundraisingStore {
 public:
  // with_conn(fn) runs fn on a pooled connection; writable() fails once the store is closing.
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  PgFundraising(WithConn with_conn, std::function<Result<void>()> writable)
      : with_conn_(std::move(with_conn)), writable_(std::move(writable)) {}

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
  // Runs one statement on a pooled connection (a write only while the store is writable).
  Result<PgResult> Run(const char* sql, const PgParams& params, std::string_view what, bool write);
  // Runs fn(conn) inside BEGIN ... COMMIT on a pooled connection, while writable.
  template <typename T, typename F>
  Result<T> InTransaction(F&& fn);
  Result<Fundraiser> OneFundraiser(const char* sql, const PgParams& params, bool write);
  Result<Donation> OneDonation(const char* sql, const PgParams& params, bool write);

  WithConn with_conn_;
  std::function<Result<void>()> writable_;
};

}  // namespace undersigned::store::pg
