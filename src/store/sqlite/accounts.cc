// SqliteAccounts (accounts.h): organizer accounts on SQLite, and the SQL they use.
#include "store/sqlite/accounts.h"

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "store/random.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {
namespace {

// Every statement a constant (Db::Prepare caches by address); values only as parameters.
#define US_USER_COLS                                                                   \
  "id, uuid, email, display_name, password_hash, totp_sealed, totp_last_step, admin, " \
  "created, disabled"
#define US_SESSION_COLS "id, user_id, created, last_seen, expires, address, user_agent"
#define US_MEMBERSHIP_COLS "user_id, campaign_id, role, created, modified"
#define US_ACTION_COLS "id, at, user_id, campaign_id, action, subject, detail"

constexpr char kInsertUser[] =
    "INSERT INTO users (uuid, email, display_name, admin, created) VALUES (?1, ?2, ?3, ?4, ?5) "
    "RETURNING " US_USER_COLS;
constexpr char kUserById[] = "SELECT " US_USER_COLS " FROM users WHERE id = ?1";
constexpr char kUserByUuid[] = "SELECT " US_USER_COLS " FROM users WHERE uuid = ?1";
constexpr char kUserByEmail[] = "SELECT " US_USER_COLS " FROM users WHERE email = ?1";
constexpr char kListUsers[] = "SELECT " US_USER_COLS " FROM users ORDER BY id LIMIT ?1 OFFSET ?2";
constexpr char kCountUsers[] = "SELECT count(*) FROM users";
// ?2k is a flag (1: set the column to ?2v). Clearing the TOTP secret clears its last step.
constexpr char kUpdateUser[] =
    "UPDATE users SET "
    "display_name = CASE WHEN ?2 THEN ?3 ELSE display_name END, "
    "password_hash = CASE WHEN ?4 THEN ?5 ELSE password_hash END, "
    "totp_sealed = CASE WHEN ?6 THEN ?7 ELSE totp_sealed END, "
    "totp_last_step = CASE WHEN ?6 AND ?7 IS NULL THEN NULL WHEN ?8 THEN ?9 "
    "ELSE totp_last_step END, "
    "admin = CASE WHEN ?10 THEN ?11 ELSE admin END, "
    "disabled = CASE WHEN ?12 THEN ?13 ELSE disabled END "
    "WHERE id = ?1 RETURNING " US_USER_COLS;
constexpr char kCountActiveAdmins[] =
    "SELECT count(*) FROM users WHERE admin <> 0 AND disabled IS NULL";

constexpr char kInsertSession[] =
    "INSERT INTO sessions (token_hash, user_id, created, last_seen, expires, address, "
    "user_agent) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6) RETURNING " US_SESSION_COLS;
constexpr char kFindSession[] =
    "SELECT " US_SESSION_COLS " FROM sessions WHERE token_hash = ?1 AND expires > ?2";
constexpr char kTouchSession[] = "UPDATE sessions SET last_seen = ?2, expires = ?3 WHERE id = ?1";
constexpr char kListSessions[] = "SELECT " US_SESSION_COLS
                                 " FROM sessions WHERE user_id = ?1 AND expires > ?2 "
                                 "ORDER BY id DESC";
constexpr char kUseTotpStep[] =
    "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_sealed IS NOT NULL AND "
    "(totp_last_step IS NULL OR totp_last_step < ?2)";
constexpr char kRevokeSession[] = "DELETE FROM sessions WHERE id = ?2 AND user_id = ?1";
constexpr char kRevokeSessions[] =
    "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id <> ?2)";
constexpr char kPurgeSessions[] = "DELETE FROM sessions WHERE expires <= ?1";
constexpr char kPurgeTokens[] = "DELETE FROM account_tokens WHERE expires <= ?1";

constexpr char kInsertMembership[] =
    "INSERT INTO memberships (user_id, campaign_id, role, created, modified) "
    "VALUES (?1, ?2, ?3, ?4, ?4) RETURNING " US_MEMBERSHIP_COLS;
constexpr char kChangeMembership[] =
    "UPDATE memberships SET role = ?3, modified = ?4 WHERE user_id = ?1 AND campaign_id = ?2 "
    "RETURNING " US_MEMBERSHIP_COLS;
constexpr char kRemoveMembership[] =
    "DELETE FROM memberships WHERE user_id = ?1 AND campaign_id = ?2";
constexpr char kGetMembership[] =
    "SELECT " US_MEMBERSHIP_COLS " FROM memberships WHERE user_id = ?1 AND campaign_id = ?2";
constexpr char kListMembers[] =
    "SELECT " US_MEMBERSHIP_COLS " FROM memberships WHERE campaign_id = ?1 ORDER BY user_id";
constexpr char kListMemberships[] =
    "SELECT " US_MEMBERSHIP_COLS " FROM memberships WHERE user_id = ?1 ORDER BY campaign_id";

constexpr char kInsertAccountToken[] =
    "INSERT INTO account_tokens (token_hash, kind, user_id, created, expires) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kUseAccountToken[] =
    "UPDATE account_tokens SET used = ?3 WHERE token_hash = ?1 AND kind = ?2 AND used IS NULL "
    "AND expires > ?3 RETURNING user_id, created, expires";

constexpr char kInsertAction[] =
    "INSERT INTO organizer_actions (at, user_id, campaign_id, action, subject, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
constexpr char kListActions[] =
    "SELECT " US_ACTION_COLS
    " FROM organizer_actions WHERE (?1 IS NULL OR campaign_id = ?1) AND (?2 IS NULL OR "
    "user_id = ?2) ORDER BY id DESC LIMIT ?3 OFFSET ?4";
constexpr char kCountActions[] =
    "SELECT count(*) FROM organizer_actions WHERE (?1 IS NULL OR campaign_id = ?1) AND (?2 IS "
    "NULL OR user_id = ?2)";

constexpr char kInsertScopedToken[] =
    "INSERT INTO api_tokens (name, hash, created, owner_user_id, campaign_id, read_only) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
constexpr char kTokenScope[] =
    "SELECT owner_user_id, campaign_id, read_only FROM api_tokens WHERE id = ?1";
constexpr char kCampaignTokens[] =
    "SELECT id, name, created, revoked, owner_user_id, read_only FROM api_tokens "
    "WHERE campaign_id = ?1 ORDER BY id DESC";
constexpr char kRevokeCampaignToken[] =
    "UPDATE api_tokens SET revoked = ?3 WHERE id = ?2 AND campaign_id = ?1 AND revoked IS NULL "
    "RETURNING id, name, created, revoked, read_only";

User UserFromRow(const Stmt& s) {
  User u;
  u.id = s.Int(0);
  u.uuid = s.Text(1);
  u.email = s.Text(2);
  u.display_name = s.Text(3);
  u.password_hash = s.Text(4);
  u.totp_sealed = s.IsNull(5) ? std::string() : s.Text(5);
  u.totp_last_step = s.OptInt(6);
  u.admin = s.Bool(7);
  u.created = s.Int(8);
  u.disabled = s.OptInt(9);
  return u;
}

Session SessionFromRow(const Stmt& s) {
  return Session{s.Int(0), s.Int(1), s.Int(2), s.Int(3), s.Int(4), s.Text(5), s.Text(6)};
}

Result<Membership> MembershipFromRow(const Stmt& s) {
  auto role = ParseRole(s.View(2));
  if (!role) return Fail(Code::kInternal, "a membership has an unknown role");
  return Membership{s.Int(0), s.Int(1), *role, s.Int(3), s.Int(4)};
}

ActionEntry ActionFromRow(const Stmt& s) {
  return ActionEntry{s.Int(0), s.Int(1), s.OptInt(2), s.OptInt(3), s.Text(4), s.Text(5), s.Text(6)};
}

// A statement of the writer's transaction, or its error.
Result<Stmt> Prep(WriteTx& tx, const char* sql) {
  return static_cast<SqliteTx&>(tx).db().Prepare(sql);
}
Db& DbOf(WriteTx& tx) { return static_cast<SqliteTx&>(tx).db(); }

}  // namespace

// --- users

Result<User> SqliteAccounts::ReadUser(const char* sql, auto bind) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(*r, *st, "no such user", [](Stmt& s) { return Wrap(UserFromRow(s)); });
}

Result<User> SqliteAccounts::CreateUser(const NewUser& user) {
  const std::string uuid = NewUuid();
  return RunWrite<User>(store_, [&](WriteTx& tx) -> Result<User> {
    auto st = Prep(tx, kInsertUser);
    if (!st) return Fail(st.error());
    st->Bind(1, uuid).Bind(2, user.email).Bind(3, user.display_name).Bind(4, user.admin);
    st->Bind(5, user.now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) {
      Error e = DbOf(tx).ErrorFor(rc, "creating the user");
      if (e.code == Code::kConflict) e.message = "a user with this email address exists";
      return Fail(std::move(e));
    }
    return UserFromRow(*st);
  });
}

Result<User> SqliteAccounts::GetUser(std::int64_t id) {
  return ReadUser(kUserById, [&](Stmt& st) { st.Bind(1, id); });
}
Result<User> SqliteAccounts::GetUserByUuid(const std::string& uuid) {
  return ReadUser(kUserByUuid, [&](Stmt& st) { st.Bind(1, uuid); });
}
Result<User> SqliteAccounts::GetUserByEmail(const std::string& canonical_email) {
  return ReadUser(kUserByEmail, [&](Stmt& st) { st.Bind(1, canonical_email); });
}

Result<Paged<User>> SqliteAccounts::ListUsers(Page page) {
  const Limits lim = PageLimits(page);
  auto r = store_.Reader();
  Paged<User> out;
  auto st = r->Prepare(kListUsers);
  if (!st) return Fail(st.error());
  st->Bind(1, lim.limit).Bind(2, lim.offset);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(UserFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing users"));
  auto count = r->Prepare(kCountUsers);
  if (!count) return Fail(count.error());
  if ((rc = count->Step()) != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting users"));
  out.total = count->Int(0);
  return out;
}

Result<User> SqliteAccounts::UpdateUser(std::int64_t id, const UserChange& c) {
  const std::string empty;
  return RunWrite<User>(store_, [&](WriteTx& tx) -> Result<User> {
    auto st = Prep(tx, kUpdateUser);
    if (!st) return Fail(st.error());
    st->Bind(1, id);
    st->Bind(2, c.display_name.has_value()).Bind(3, c.display_name ? *c.display_name : empty);
    st->Bind(4, c.password_hash.has_value()).Bind(5, c.password_hash ? *c.password_hash : empty);
    st->Bind(6, c.totp_sealed.has_value());
    if (c.totp_sealed && !c.totp_sealed->empty()) {
      st->BindBlob(7, *c.totp_sealed);
    } else {
      st->BindNull(7);
    }
    st->Bind(8, c.totp_last_step.has_value()).Bind(9, c.totp_last_step);
    st->Bind(10, c.admin.has_value()).Bind(11, c.admin.value_or(false));
    st->Bind(12, c.disabled.has_value());
    if (c.disabled) {
      st->Bind(13, *c.disabled);
    } else {
      st->BindNull(13);
    }
    return QueryOne(DbOf(tx), *st, "no such user", [](Stmt& s) { return Wrap(UserFromRow(s)); });
  });
}

Result<std::int64_t> SqliteAccounts::CountActiveAdmins() {
  auto r = store_.Reader();
  auto st = r->Prepare(kCountActiveAdmins);
  if (!st) return Fail(st.error());
  return QueryOne(*r, *st, "no count", [](Stmt& s) { return Wrap(s.Int(0)); });
}

// --- sessions

Result<Session> SqliteAccounts::CreateSession(const NewSession& s) {
  const std::string key = HashKey(s.token_hash);
  return RunWrite<Session>(store_, [&](WriteTx& tx) -> Result<Session> {
    auto st = Prep(tx, kInsertSession);
    if (!st) return Fail(st.error());
    st->BindBlob(1, key).Bind(2, s.user_id).Bind(3, s.now).Bind(4, s.expires);
    st->Bind(5, s.address).Bind(6, s.user_agent);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(DbOf(tx).ErrorFor(rc, "creating the session"));
    return SessionFromRow(*st);
  });
}

Result<Session> SqliteAccounts::FindSession(const std::string& token_hash, UnixTime now) {
  const std::string key = HashKey(token_hash);
  auto r = store_.Reader();
  auto st = r->Prepare(kFindSession);
  if (!st) return Fail(st.error());
  st->BindBlob(1, key).Bind(2, now);
  return QueryOne(*r, *st, "no such session", [](Stmt& s) { return Wrap(SessionFromRow(s)); });
}

Result<void> SqliteAccounts::TouchSession(std::int64_t id, UnixTime last_seen, UnixTime expires) {
  return RunWrite<void>(store_, [&](WriteTx& tx) -> Result<void> {
    auto st = Prep(tx, kTouchSession);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, last_seen).Bind(3, expires);
    if (auto r = StepDone(DbOf(tx), *st, "touching the session"); !r) return r;
    if (DbOf(tx).Changes() == 0) return Fail(Code::kNotFound, "no such session");
    return {};
  });
}

Result<std::vector<Session>> SqliteAccounts::ListSessions(std::int64_t user_id, UnixTime now) {
  auto r = store_.Reader();
  auto st = r->Prepare(kListSessions);
  if (!st) return Fail(st.error());
  st->Bind(1, user_id).Bind(2, now);
  std::vector<Session> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.push_back(SessionFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing sessions"));
  return out;
}

Result<bool> SqliteAccounts::UseTotpStep(std::int64_t user_id, std::int64_t step) {
  return RunWrite<bool>(store_, [&](WriteTx& tx) -> Result<bool> {
    auto st = Prep(tx, kUseTotpStep);
    if (!st) return Fail(st.error());
    st->Bind(1, user_id).Bind(2, step);
    if (auto r = StepDone(DbOf(tx), *st, "recording the code's step"); !r) return Fail(r.error());
    return DbOf(tx).Changes() == 1;
  });
}

Result<void> SqliteAccounts::RevokeSession(std::int64_t user_id, std::int64_t session_id) {
  return RunWrite<void>(store_, [&](WriteTx& tx) -> Result<void> {
    auto st = Prep(tx, kRevokeSession);
    if (!st) return Fail(st.error());
    st->Bind(1, user_id).Bind(2, session_id);
    if (auto r = StepDone(DbOf(tx), *st, "revoking the session"); !r) return r;
    if (DbOf(tx).Changes() == 0) return Fail(Code::kNotFound, "no such session");
    return {};
  });
}

Result<int> SqliteAccounts::RevokeSessions(std::int64_t user_id,
                                           std::optional<std::int64_t> except_id) {
  return RunWrite<int>(store_, [&](WriteTx& tx) -> Result<int> {
    auto st = Prep(tx, kRevokeSessions);
    if (!st) return Fail(st.error());
    st->Bind(1, user_id).Bind(2, except_id);
    if (auto r = StepDone(DbOf(tx), *st, "revoking sessions"); !r) return Fail(r.error());
    return DbOf(tx).Changes();
  });
}

Result<int> SqliteAccounts::PurgeExpiredAccountRows(UnixTime now) {
  return RunWrite<int>(store_, [&](WriteTx& tx) -> Result<int> {
    int n = 0;
    for (const char* sql : {kPurgeSessions, kPurgeTokens}) {
      auto st = Prep(tx, sql);
      if (!st) return Fail(st.error());
      st->Bind(1, now);
      if (auto r = StepDone(DbOf(tx), *st, "purging expired rows"); !r) return Fail(r.error());
      n += DbOf(tx).Changes();
    }
    return n;
  });
}

// --- memberships

Result<Membership> SqliteAccounts::AddMembership(std::int64_t user_id, std::int64_t campaign_id,
                                                 CampaignRole role, UnixTime now) {
  return RunWrite<Membership>(store_, [&](WriteTx& tx) -> Result<Membership> {
    auto st = Prep(tx, kInsertMembership);
    if (!st) return Fail(st.error());
    st->Bind(1, user_id).Bind(2, campaign_id).Bind(3, RoleName(role)).Bind(4, now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) {
      Error e = DbOf(tx).ErrorFor(rc, "adding the member");
      if (e.code == Code::kConflict) e.message = "this user already has a role on the campaign";
      if (e.code == Code::kNotFound) e.message = "no such user or campaign";
      return Fail(std::move(e));
    }
    return MembershipFromRow(*st);
  });
}

Result<Membership> SqliteAccounts::ChangeMembership(std::int64_t user_id, std::int64_t campaign_id,
                                                    CampaignRole role, UnixTime now) {
  return RunWrite<Membership>(store_, [&](WriteTx& tx) -> Result<Membership> {
    auto st = Prep(tx, kChangeMembership);
    if (!st) return Fail(st.error());
    st->Bind(1, user_id).Bind(2, campaign_id).Bind(3, RoleName(role)).Bind(4, now);
    return QueryOne(DbOf(tx), *st, "this user has no role on the campaign",
                    [](Stmt& s) { return MembershipFromRow(s); });
  });
}

Result<void> SqliteAccounts::RemoveMembership(std::int64_t user_id, std::int64_t campaign_id) {
  return RunWrite<void>(store_, [&](WriteTx& tx) -> Result<void> {
    auto st = Prep(tx, kRemoveMembership);
    if (!st) return Fail(st.error());
    st->Bind(1, user_id).Bind(2, campaign_id);
    if (auto r = StepDone(DbOf(tx), *st, "removing the member"); !r) return r;
    if (DbOf(tx).Changes() == 0) {
      return Fail(Code::kNotFound, "this user has no role on the campaign");
    }
    return {};
  });
}

Result<Membership> SqliteAccounts::GetMembership(std::int64_t user_id, std::int64_t campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kGetMembership);
  if (!st) return Fail(st.error());
  st->Bind(1, user_id).Bind(2, campaign_id);
  return QueryOne(*r, *st, "this user has no role on the campaign",
                  [](Stmt& s) { return MembershipFromRow(s); });
}

Result<std::vector<Membership>> SqliteAccounts::ReadMemberships(const char* sql, std::int64_t key) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  st->Bind(1, key);
  std::vector<Membership> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    auto m = MembershipFromRow(*st);
    if (!m) return Fail(m.error());
    out.push_back(*m);
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing memberships"));
  return out;
}
Result<std::vector<Membership>> SqliteAccounts::ListMembers(std::int64_t campaign_id) {
  return ReadMemberships(kListMembers, campaign_id);
}
Result<std::vector<Membership>> SqliteAccounts::ListMemberships(std::int64_t user_id) {
  return ReadMemberships(kListMemberships, user_id);
}

// --- one-time tokens

Result<void> SqliteAccounts::CreateAccountToken(const std::string& token_hash,
                                                AccountTokenKind kind, std::int64_t user_id,
                                                UnixTime now, UnixTime expires) {
  const std::string key = HashKey(token_hash);
  return RunWrite<void>(store_, [&](WriteTx& tx) -> Result<void> {
    auto st = Prep(tx, kInsertAccountToken);
    if (!st) return Fail(st.error());
    st->BindBlob(1, key).Bind(2, AccountTokenKindName(kind)).Bind(3, user_id).Bind(4, now);
    st->Bind(5, expires);
    return StepDone(DbOf(tx), *st, "keeping the token");
  });
}

Result<AccountToken> SqliteAccounts::UseAccountToken(const std::string& token_hash,
                                                     AccountTokenKind kind, UnixTime now) {
  const std::string key = HashKey(token_hash);
  return RunWrite<AccountToken>(store_, [&](WriteTx& tx) -> Result<AccountToken> {
    auto st = Prep(tx, kUseAccountToken);
    if (!st) return Fail(st.error());
    st->BindBlob(1, key).Bind(2, AccountTokenKindName(kind)).Bind(3, now);
    return QueryOne(DbOf(tx), *st, "this link is unknown, used or expired", [&](Stmt& s) {
      return Wrap(AccountToken{s.Int(0), kind, s.Int(1), s.Int(2)});
    });
  });
}

// --- the action record

Result<ActionEntry> SqliteAccounts::AppendAction(const ActionEntry& entry) {
  const std::string detail = entry.detail.empty() ? std::string("{}") : entry.detail;
  return RunWrite<ActionEntry>(store_, [&](WriteTx& tx) -> Result<ActionEntry> {
    auto st = Prep(tx, kInsertAction);
    if (!st) return Fail(st.error());
    st->Bind(1, entry.at).Bind(2, entry.user_id).Bind(3, entry.campaign_id);
    st->Bind(4, entry.action).Bind(5, entry.subject).Bind(6, detail);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(DbOf(tx).ErrorFor(rc, "recording the action"));
    ActionEntry out = entry;
    out.id = st->Int(0);
    out.detail = detail;
    return out;
  });
}

Result<Paged<ActionEntry>> SqliteAccounts::ListActions(const ActionFilter& filter, Page page) {
  const Limits lim = PageLimits(page);
  auto r = store_.Reader();
  Paged<ActionEntry> out;
  auto st = r->Prepare(kListActions);
  if (!st) return Fail(st.error());
  st->Bind(1, filter.campaign_id).Bind(2, filter.user_id).Bind(3, lim.limit).Bind(4, lim.offset);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(ActionFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing actions"));
  auto count = r->Prepare(kCountActions);
  if (!count) return Fail(count.error());
  count->Bind(1, filter.campaign_id).Bind(2, filter.user_id);
  if ((rc = count->Step()) != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting actions"));
  out.total = count->Int(0);
  return out;
}

// --- scoped API tokens

Result<ApiToken> SqliteAccounts::CreateScopedApiToken(const std::string& name,
                                                      const std::string& hash,
                                                      const ApiTokenScope& scope, UnixTime now) {
  const std::string key = HashKey(hash);
  return RunWrite<ApiToken>(store_, [&](WriteTx& tx) -> Result<ApiToken> {
    auto st = Prep(tx, kInsertScopedToken);
    if (!st) return Fail(st.error());
    st->Bind(1, name).BindBlob(2, key).Bind(3, now).Bind(4, scope.owner_user_id);
    st->Bind(5, scope.campaign_id).Bind(6, scope.read_only);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(DbOf(tx).ErrorFor(rc, "creating the token"));
    return ApiToken{st->Int(0), name, now, std::nullopt, std::nullopt, false};
  });
}

Result<ApiTokenScope> SqliteAccounts::GetApiTokenScope(std::int64_t token_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kTokenScope);
  if (!st) return Fail(st.error());
  st->Bind(1, token_id);
  return QueryOne(*r, *st, "no such token", [](Stmt& s) {
    return Wrap(ApiTokenScope{s.OptInt(0), s.OptInt(1), s.Bool(2)});
  });
}

Result<std::vector<ScopedApiToken>> SqliteAccounts::ListCampaignApiTokens(
    std::int64_t campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kCampaignTokens);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  std::vector<ScopedApiToken> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    const bool read_only = st->Bool(5);
    out.push_back(
        {ApiToken{st->Int(0), st->Text(1), st->Int(2), st->OptInt(3), campaign_id, read_only},
         ApiTokenScope{st->OptInt(4), campaign_id, read_only}});
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing the campaign's tokens"));
  return out;
}

Result<ApiToken> SqliteAccounts::RevokeCampaignApiToken(std::int64_t campaign_id,
                                                        std::int64_t token_id, UnixTime now) {
  return RunWrite<ApiToken>(store_, [&](WriteTx& tx) -> Result<ApiToken> {
    auto st = Prep(tx, kRevokeCampaignToken);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, token_id).Bind(3, now);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such live token of this campaign");
    if (rc != SQLITE_ROW) return Fail(DbOf(tx).ErrorFor(rc, "revoking the token"));
    return ApiToken{st->Int(0), st->Text(1), st->Int(2), st->OptInt(3), campaign_id, st->Bool(4)};
  });
}

}  // namespace undersigned::store
