// SqliteAccounts: the SQLite backend's AccountStore (store/account_store.h), reached through
// SqliteStore::accounts(). Reads use the store's read pool; writes run through the store's
// writer (group commit, durable before they return), like every other write. Its SQL is in
// accounts.cc, beside it; the schema in migrations.cc (version 6).
//
// Thread-safe. Owned by its SqliteStore, which it must not outlive.
#pragma once

#include "store/account_store.h"

namespace undersigned::store {

class SqliteStore;

class SqliteAccounts final : public AccountStore {
 public:
  explicit SqliteAccounts(SqliteStore& store) : store_(store) {}

  Result<User> CreateUser(const NewUser& user) override;
  Result<User> GetUser(std::int64_t id) override;
  Result<User> GetUserByUuid(const std::string& uuid) override;
  Result<User> GetUserByEmail(const std::string& canonical_email) override;
  Result<Paged<User>> ListUsers(Page page) override;
  Result<User> UpdateUser(std::int64_t id, const UserChange& change) override;
  Result<std::int64_t> CountActiveAdmins() override;
  Result<bool> UseTotpStep(std::int64_t user_id, std::int64_t step) override;

  Result<Session> CreateSession(const NewSession& session) override;
  Result<Session> FindSession(const std::string& token_hash, UnixTime now) override;
  Result<void> TouchSession(std::int64_t id, UnixTime last_seen, UnixTime expires) override;
  Result<std::vector<Session>> ListSessions(std::int64_t user_id, UnixTime now) override;
  Result<void> RevokeSession(std::int64_t user_id, std::int64_t session_id) override;
  Result<int> RevokeSessions(std::int64_t user_id, std::optional<std::int64_t> except_id) override;
  Result<int> PurgeExpiredAccountRows(UnixTime now) override;

  Result<Membership> AddMembership(std::int64_t user_id, std::int64_t campaign_id,
                                   CampaignRole role, UnixTime now) override;
  Result<Membership> ChangeMembership(std::int64_t user_id, std::int64_t campaign_id,
                                      CampaignRole role, UnixTime now) override;
  Result<void> RemoveMembership(std::int64_t user_id, std::int64_t campaign_id) override;
  Result<Membership> GetMembership(std::int64_t user_id, std::int64_t campaign_id) override;
  Result<std::vector<Membership>> ListMembers(std::int64_t campaign_id) override;
  Result<std::vector<Membership>> ListMemberships(std::int64_t user_id) override;

  Result<void> CreateAccountToken(const std::string& token_hash, AccountTokenKind kind,
                                  std::int64_t user_id, UnixTime now, UnixTime expires) override;
  Result<AccountToken> UseAccountToken(const std::string& token_hash, AccountTokenKind kind,
                                       UnixTime now) override;

  Result<ActionEntry> AppendAction(const ActionEntry& entry) override;
  Result<Paged<ActionEntry>> ListActions(const ActionFilter& filter, Page page) override;

  Result<ApiToken> CreateScopedApiToken(const std::string& name, const std::string& hash,
                                        const ApiTokenScope& scope, UnixTime now) override;
  Result<ApiTokenScope> GetApiTokenScope(std::int64_t token_id) override;
  Result<std::vector<ScopedApiToken>> ListCampaignApiTokens(std::int64_t campaign_id) override;
  Result<ApiToken> RevokeCampaignApiToken(std::int64_t campaign_id, std::int64_t token_id,
                                          UnixTime now) override;

 private:
  Result<User> ReadUser(const char* sql, auto bind);
  Result<std::vector<Membership>> ReadMemberships(const char* sql, std::int64_t key);
  SqliteStore& store_;
};

}  // namespace undersigned::store
