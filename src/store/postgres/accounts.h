// PgAccounts: the PostgreSQL backend's AccountStore (store/account_store.h), reached through
// the store's accounts(). Each call borrows a connection of the store's read pool; writes are
// single statements committed on their own (synchronous_commit on: durable when they return).
// A one-time token is used up by one UPDATE whose row lock makes exactly one of several
// callers (on any node) win. Its SQL is in accounts.cc; the schema in migrations.cc (version 4).
//
// Thread-safe. Owned by its store, which it must not outlive.
#pragma once

#include <functional>

#include "store/account_store.h"
#include "store/postgres/pg_conn.h"

namespace undersigned::store::pg {

class PgAccounts final : public AccountStore {
 public:
  // with_conn(fn) runs fn on a pooled connection; writable() fails once the store is closing.
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  PgAccounts(WithConn with_conn, std::function<Result<void>()> writable)
      : with_conn_(std::move(with_conn)), writable_(std::move(writable)) {}

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
  // Runs one statement on a pooled connection (a write only while the store is writable).
  Result<PgResult> Run(const char* sql, const PgParams& params, std::string_view what, bool write);
  Result<User> ReadUser(const char* sql, const PgParams& params);
  Result<std::vector<Membership>> ReadMemberships(const char* sql, std::int64_t key);

  WithConn with_conn_;
  std::function<Result<void>()> writable_;
};

}  // namespace undersigned::store::pg
