// SqliteStore, the SQLite implementation of Store (sqlite_store.h says how it works). Internal
// to store/sqlite/: the class is declared here and defined by subject, one file each:
//
//   sqlite_store.cc   opening (files, pragmas, migrations, the log's range), assembly, Submit,
//                     the read connection pool, Backup, Close
//   campaigns.cc      CampaignStore       signatures.cc     SignatureStore
//   people.cc         PeopleStore         organizations.cc  OrganizationStore
//   api_tokens.cc     ApiTokenStore       outbox.cc         OutboxStore
//   log.cc            LogStore            instance.cc       InstanceStore
//   accounts.cc       AccountStore (a class of its own, SqliteAccounts: accounts.h)
//   outreach.cc       OutreachStore (a class of its own, SqliteOutreach: outreach.h)
//   events.cc         EventStore (a class of its own, SqliteEvents: events.h)
//   fundraising.cc    FundraisingStore (a class of its own, SqliteFundraising: fundraising.h)
//   pledges.cc        PledgeStore (a class of its own, SqlitePledges: pledges.h)
//
// Writes that carry rules are not here: they are the transaction scripts of service/tx/, which
// reach this store through Submit and SqliteTx (sqlite_tx.h). The store's own plain writes
// (creating a campaign, an API token, marking mail sent...) run through the same writer with
// Write(). The SQL of all of them is in queries.h.
//
// Ownership: the store owns its read connections, the Writer (writer.h: the write connection
// and the threads) and the keys made from instance secrets (StoreKeys), set once at open before
// the store is handed out.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/accounts.h"
#include "store/sqlite/dashboard.h"
#include "store/sqlite/events.h"
#include "store/sqlite/fundraising.h"
#include "store/sqlite/outreach.h"
#include "store/sqlite/pledges.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_tx.h"
#include "store/sqlite/writer.h"
#include "store/store.h"
#include "store/write.h"

namespace undersigned::store {

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteOptions options, std::unique_ptr<Db> writer,
              std::vector<std::unique_ptr<Db>> readers, std::unique_ptr<Db> checkpointer,
              int wal_fd, log::CompactRange log_range);
  ~SqliteStore() override;

  // Called once by OpenSqliteStore, before the store is handed out: the keys made from
  // instance secrets (sealed fields, public ids).
  Result<void> LoadKeys();
  SqliteStats Stats() const { return writer_->Stats(); }

  // --- CampaignStore (campaigns.cc)
  Result<Campaign> CreateCampaign(const Campaign& c) override;
  Result<Campaign> UpdateCampaign(const Campaign& c) override;
  Result<Campaign> SetCampaignImage(std::int64_t campaign_id, const CampaignImage& image,
                                    std::string_view jpeg) override;
  Result<Campaign> RemoveCampaignImage(std::int64_t campaign_id) override;
  Result<std::string> CampaignImageJpeg(std::int64_t campaign_id) override;
  Result<Campaign> GetCampaignBySlug(const std::string& slug) override;
  Result<Campaign> GetCampaignByUuid(const std::string& uuid) override;
  Result<Campaign> GetCampaignById(std::int64_t id) override;
  Result<std::vector<CampaignText>> CampaignTexts(std::int64_t campaign_id) override;
  Result<Paged<Campaign>> ListCampaigns(std::optional<CampaignStatus> status,
                                        const TimeFilter& filter, Page page) override;
  Result<Paged<Campaign>> ListCampaignsByIdentifier(const std::string& identifier,
                                                    std::optional<CampaignStatus> status,
                                                    const TimeFilter& filter, Page page) override;
  Result<std::optional<UnixTime>> NextOutcomeDeadline() override;
  Result<std::map<std::int64_t, CampaignCounts>> LoadAllCounts() override;

  // --- SignatureStore (signatures.cc)
  Result<TokenOutcome> FindByConfirmToken(const std::string& hash) override;
  Result<TokenOutcome> FindByWithdrawToken(const std::string& hash) override;
  Result<std::vector<PublicSigner>> RecentPublicSigners(std::int64_t campaign_id,
                                                        int limit) override;
  Result<Paged<Signature>> ListSignatures(std::int64_t campaign_id, const TimeFilter& filter,
                                          Page page) override;
  Result<Paged<Signature>> ListSignaturesInGroup(std::int64_t campaign_id,
                                                 const std::string& group_key,
                                                 const TimeFilter& filter, Page page) override;
  Result<Signature> GetSignatureByUuid(const std::string& uuid) override;
  Result<std::int64_t> CountReferred(std::int64_t campaign_id, const std::string& code) override;
  Result<void> ForEachConfirmed(std::int64_t campaign_id,
                                const std::function<bool(const Signature&)>& fn) override;

  // --- PeopleStore (people.cc)
  Result<Paged<Person>> ListPeople(const std::optional<std::string>& canonical_email,
                                   const TimeFilter& filter, Page page) override;
  Result<Person> GetPersonByUuid(const std::string& uuid) override;
  Result<Person> UpsertPerson(const std::string& email, const std::string& canonical_email,
                              const PersonChange& change, UnixTime now) override;
  Result<Person> UpdatePerson(const std::string& uuid, const PersonChange& change,
                              UnixTime now) override;
  Result<Paged<Signature>> ListPersonSignatures(std::int64_t person_id, const TimeFilter& filter,
                                                Page page) override;
  Result<Signature> SetSignatureComment(const std::string& uuid, const std::string& comment,
                                        UnixTime now) override;

  // --- OrganizationStore (organizations.cc)
  Result<OrganizationOutcome> FindOrganizationByConfirmToken(const std::string& hash) override;
  Result<OrganizationOutcome> FindOrganizationByReviewToken(const std::string& hash) override;
  Result<std::vector<Organization>> ListOrganizations(
      std::int64_t campaign_id, std::optional<OrganizationState> state) override;
  Result<std::string> OrganizationLogo(const std::string& uuid, bool any_state) override;

  // --- ApiTokenStore (api_tokens.cc)
  Result<ApiToken> CreateApiToken(const std::string& name, const std::string& hash,
                                  UnixTime now) override;
  Result<int> RevokeApiToken(const std::string& name, UnixTime now) override;
  Result<ApiToken> FindApiToken(const std::string& hash) override;

  // --- OutboxStore (outbox.cc)
  Result<std::vector<OutboxMessage>> DueOutbox(UnixTime now, int limit) override;
  Result<void> MarkOutboxSent(std::int64_t id, UnixTime now) override;
  Result<void> MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                const std::string& error) override;
  Result<std::int64_t> OutboxDepth() override;
  Result<std::optional<UnixTime>> NextOutboxAttempt() override;

  // --- LogStore (log.cc)
  Result<LogHead> GetLogHead() override;
  Result<std::vector<log::Hash>> LogNodes(std::uint8_t level, std::uint64_t first,
                                          std::uint64_t count) override;
  Result<std::vector<std::string>> LogEntries(std::uint64_t first, std::uint64_t count) override;
  Result<void> ForEachLogLeaf(
      const std::function<bool(std::uint64_t, std::string_view, std::string_view)>& fn) override;
  Result<void> SaveCheckpoint(const StoredCheckpoint& checkpoint) override;
  Result<std::optional<StoredCheckpoint>> LatestCheckpoint() override;
  Result<LogReceiptInfo> LogReceipt(const std::string& token_hash) override;

  // --- InstanceStore (instance.cc)
  Result<std::string> InstanceSecret(const std::string& name) override;
  Result<std::string> InstanceValue(const std::string& name, const std::string& initial) override;
  Result<std::optional<std::string>> FindInstanceValue(const std::string& name) override;
  Result<void> SetInstanceValue(const std::string& name, const std::string& value) override;

  // --- Store (sqlite_store.cc)
  void Submit(WriteJob* job) override { writer_->Submit(job); }
  const FieldSealer& sealer() const override { return *keys_.sealer; }
  AccountStore& accounts() override { return accounts_; }
  DashboardStore& dashboard() override { return dashboard_; }
  OutreachStore& outreach() override { return outreach_; }
  EventStore& events() override { return events_; }
  FundraisingStore& fundraising() override { return fundraising_; }
  PledgeStore& pledges() override { return pledges_; }
  Result<void> Backup(const std::string& path) override;
  void Close() override;

 private:
  friend class SqliteAccounts;  // reads through Reader()
  friend class SqliteDashboard;
  friend class SqliteOutreach;  // likewise
  friend class SqliteEvents;
  friend class SqliteFundraising;
  friend class SqlitePledges;
  // A read connection leased from the pool for the lifetime of this object.
  class ReadLease {
   public:
    ReadLease(SqliteStore& s, Db* db) : s_(s), db_(db) {}
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;
    ~ReadLease() { s_.ReturnReader(db_); }
    Db& operator*() const { return *db_; }
    Db* operator->() const { return db_; }

   private:
    SqliteStore& s_;
    Db* db_;
  };
  ReadLease Reader();
  void ReturnReader(Db* db);

  // Runs fn(SqliteTx&) -> Result<T> in the writer's next batch, inside its own savepoint when
  // needed, and blocks until the batch is durable (store/write.h's RunWrite).
  template <typename T, typename F>
  Result<T> Write(F&& fn) {
    return RunWrite<T>(*this, [&](WriteTx& tx) { return fn(static_cast<SqliteTx&>(tx)); });
  }

  // campaigns.cc
  static Result<void> KeepText(Db& db, const Campaign& c, UnixTime when);
  // Sets (image non-null) or removes the campaign's picture.
  Result<Campaign> WriteImage(std::int64_t campaign_id, const CampaignImage* image,
                              std::string_view jpeg);
  Result<Paged<Campaign>> ListCampaignsWhere(const std::string* identifier,
                                             std::optional<CampaignStatus> status,
                                             const TimeFilter& filter, Page page);
  // signatures.cc
  Result<Paged<Signature>> ListSignaturesWhere(std::int64_t campaign_id, const std::string* group,
                                               const TimeFilter& filter, Page page);
  Result<TokenOutcome> FindByToken(const char* sql, const std::string& hash);
  // organizations.cc
  static Result<OrganizationOutcome> ReadOrganization(Db& db, const char* sql,
                                                      const std::string& key, bool blob);
  // outbox.cc
  static Result<void> AdvanceFreshOutbox(Db& db);
  // The one value (perhaps NULL) of a one-row query without parameters, on a reader.
  Result<std::optional<std::int64_t>> ReadOptInt(const char* sql, std::string_view what);

  const SqliteOptions options_;
  StoreKeys keys_;  // set once by LoadKeys, before any use
  std::vector<std::unique_ptr<Db>> readers_;
  std::unique_ptr<Writer> writer_;

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<Db*> free_readers_;
  SqliteAccounts accounts_{*this};
  SqliteDashboard dashboard_{*this};
  SqliteOutreach outreach_{*this};
  SqliteEvents events_{*this};
  SqliteFundraising fundraising_{*this};
  SqlitePledges pledges_{*this};
};

}  // namespace undersigned::store
