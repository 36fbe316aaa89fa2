// PgAccounts (accounts.h): organizer accounts on PostgreSQL, and the SQL they use.
#include "store/postgres/accounts.h"

#include <string>
#include <utility>
#include <vector>

#include "store/postgres/rows.h"

namespace undersigned::store::pg {
namespace {

#define US_PG_USER_COLS                                                                \
  "id, uuid, email, display_name, password_hash, totp_sealed, totp_last_step, admin, " \
  "created, disabled"
#define US_PG_SESSION_COLS "id, user_id, created, last_seen, expires, address, user_agent"
#define US_PG_MEMBERSHIP_COLS "user_id, campaign_id, role, created, modified"
#define US_PG_ACTION_COLS "id, at, user_id, campaign_id, action, subject, detail::text"

constexpr const char* kInsertUser =
    "INSERT INTO users (uuid, email, display_name, admin, created) VALUES ($1, $2, $3, $4, $5) "
    "RETURNING " US_PG_USER_COLS;
constexpr const char* kUserById = "SELECT " US_PG_USER_COLS " FROM users WHERE id = $1";
constexpr const char* kUserByUuid = "SELECT " US_PG_USER_COLS " FROM users WHERE uuid = $1";
constexpr const char* kUserByEmail = "SELECT " US_PG_USER_COLS " FROM users WHERE email = $1";
constexpr const char* kListUsers =
    "SELECT " US_PG_USER_COLS ", count(*) OVER () FROM users ORDER BY id LIMIT $1 OFFSET $2";
constexpr const char* kCountUsers = "SELECT count(*) FROM users";
constexpr const char* kUpdateUser =
    "UPDATE users SET "
    "display_name = CASE WHEN $2::boolean THEN $3::text ELSE display_name END, "
    "password_hash = CASE WHEN $4::boolean THEN $5::text ELSE password_hash END, "
    "totp_sealed = CASE WHEN $6::boolean THEN $7::bytea ELSE totp_sealed END, "
    "totp_last_step = CASE WHEN $6::boolean AND $7::bytea IS NULL THEN NULL "
    "WHEN $8::boolean THEN $9::bigint ELSE totp_last_step END, "
    "admin = CASE WHEN $10::boolean THEN $11::boolean ELSE admin END, "
    "disabled = CASE WHEN $12::boolean THEN $13::bigint ELSE disabled END "
    "WHERE id = $1 RETURNING " US_PG_USER_COLS;
constexpr const char* kCountActiveAdmins =
    "SELECT count(*) FROM users WHERE admin AND disabled IS NULL";

constexpr const char* kInsertSession =
    "INSERT INTO sessions (token_hash, user_id, created, last_seen, expires, address, "
    "user_agent) VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING " US_PG_SESSION_COLS;
constexpr const char* kFindSession =
    "SELECT " US_PG_SESSION_COLS " FROM sessions WHERE token_hash = $1 AND expires > $2";
constexpr const char* kTouchSession =
    "UPDATE sessions SET last_seen = $2, expires = $3 WHERE id = $1";
constexpr const char* kListSessions = "SELECT " US_PG_SESSION_COLS
                                      " FROM sessions WHERE user_id = $1 AND expires > $2 "
                                      "ORDER BY id DESC";
constexpr const char* kUseTotpStep =
    "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_sealed IS NOT NULL AND "
    "(totp_last_step IS NULL OR totp_last_step < $2)";
constexpr const char* kRevokeSession = "DELETE FROM sessions WHERE id = $2 AND user_id = $1";
constexpr const char* kRevokeSessions =
    "DELETE FROM sessions WHERE user_id = $1 AND ($2::bigint IS NULL OR id <> $2::bigint)";
constexpr const char* kPurge =
    "WITH s AS (DELETE FROM sessions WHERE expires <= $1 RETURNING 1), "
    "t AS (DELETE FROM account_tokens WHERE expires <= $1 RETURNING 1) "
    "SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM t)";

constexpr const char* kInsertMembership =
    "INSERT INTO memberships (user_id, campaign_id, role, created, modified) "
    "VALUES ($1, $2, $3, $4, $4) RETURNING " US_PG_MEMBERSHIP_COLS;
constexpr const char* kChangeMembership =
    "UPDATE memberships SET role = $3, modified = $4 WHERE user_id = $1 AND campaign_id = $2 "
    "RETURNING " US_PG_MEMBERSHIP_COLS;
constexpr const char* kRemoveMembership =
    "DELETE FROM memberships WHERE user_id = $1 AND campaign_id = $2";
constexpr const char* kGetMembership =
    "SELECT " US_PG_MEMBERSHIP_COLS " FROM memberships WHERE user_id = $1 AND campaign_id = $2";
constexpr const char* kListMembers =
    "SELECT " US_PG_MEMBERSHIP_COLS " FROM memberships WHERE campaign_id = $1 ORDER BY user_id";
constexpr const char* kListMemberships =
    "SELECT " US_PG_MEMBERSHIP_COLS " FROM memberships WHERE user_id = $1 ORDER BY campaign_id";

constexpr const char* kInsertAccountToken =
    "INSERT INTO account_tokens (token_hash, kind, user_id, created, expires) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kUseAccountToken =
    "UPDATE account_tokens SET used = $3 WHERE token_hash = $1 AND kind = $2 AND used IS NULL "
    "AND expires > $3 RETURNING user_id, created, expires";

constexpr const char* kInsertAction =
    "INSERT INTO organizer_actions (at, user_id, campaign_id, action, subject, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id, detail::text";
constexpr const char* kListActions =
    "SELECT " US_PG_ACTION_COLS
    " FROM organizer_actions WHERE ($1::bigint IS NULL OR campaign_id = $1::bigint) AND "
    "($2::bigint IS NULL OR user_id = $2::bigint) ORDER BY id DESC LIMIT $3 OFFSET $4";
constexpr const char* kCountActions =
    "SELECT count(*) FROM organizer_actions WHERE ($1::bigint IS NULL OR campaign_id = "
    "$1::bigint) AND ($2::bigint IS NULL OR user_id = $2::bigint)";

constexpr const char* kInsertScopedToken =
    "INSERT INTO api_tokens (name, hash, created, owner_user_id, campaign_id, read_only) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
constexpr const char* kTokenScope =
    "SELECT owner_user_id, campaign_id, read_only FROM api_tokens WHERE id = $1";
constexpr const char* kCampaignTokens =
    "SELECT id, name, created, revoked, owner_user_id, read_only FROM api_tokens "
    "WHERE campaign_id = $1 ORDER BY id DESC";
constexpr const char* kRevokeCampaignToken =
    "UPDATE api_tokens SET revoked = $3 WHERE id = $2 AND campaign_id = $1 AND revoked IS NULL "
    "RETURNING id, name, created, revoked, read_only";

User UserFrom(const PgResult& r, int row) {
  User u;
  u.id = r.Int(row, 0);
  u.uuid = r.Text(row, 1);
  u.email = r.Text(row, 2);
  u.display_name = r.Text(row, 3);
  u.password_hash = r.Text(row, 4);
  u.totp_sealed = r.Bytes(row, 5);
  u.totp_last_step = r.OptInt(row, 6);
  u.admin = r.Bool(row, 7);
  u.created = r.Int(row, 8);
  u.disabled = r.OptInt(row, 9);
  return u;
}

Session SessionFrom(const PgResult& r, int row) {
  return Session{r.Int(row, 0), r.Int(row, 1),  r.Int(row, 2), r.Int(row, 3),
                 r.Int(row, 4), r.Text(row, 5), r.Text(row, 6)};
}

Result<Membership> MembershipFrom(const PgResult& r, int row) {
  auto role = ParseRole(r.View(row, 2));
  if (!role) return Fail(Code::kInternal, "a membership has an unknown role");
  return Membership{r.Int(row, 0), r.Int(row, 1), *role, r.Int(row, 3), r.Int(row, 4)};
}

std::int64_t PerPage(Page p) { return std::clamp(p.per_page, 1, 1000); }
std::int64_t Offset(Page p) { return (std::max(p.page, 1) - 1) * PerPage(p); }

}  // namespace

Result<PgResult> PgAccounts::Run(const char* sql, const PgParams& params, std::string_view what,
                                 bool write) {
  if (write) {
    if (auto w = writable_(); !w) return Fail(w.error());
  }
  Result<PgResult> out = Fail(Code::kInternal, "not run");
  with_conn_([&](PgConn& conn) { out = conn.Run(sql, params, what); });
  return out;
}

// --- users

Result<User> PgAccounts::ReadUser(const char* sql, const PgParams& params) {
  auto r = Run(sql, params, "reading the user", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such user");
  return UserFrom(*r, 0);
}

Result<User> PgAccounts::CreateUser(const NewUser& user) {
  PgParams p;
  p.Text(NewUuid()).Text(user.email).Text(user.display_name).Bool(user.admin).Int(user.now);
  auto r = Run(kInsertUser, p, "creating the user", true);
  if (!r) {
    Error e = r.error();
    if (e.code == Code::kConflict) e.message = "a user with this email address exists";
    return Fail(std::move(e));
  }
  return UserFrom(*r, 0);
}

Result<User> PgAccounts::GetUser(std::int64_t id) {
  return ReadUser(kUserById, PgParams().Int(id));
}
Result<User> PgAccounts::GetUserByUuid(const std::string& uuid) {
  return ReadUser(kUserByUuid, PgParams().Text(uuid));
}
Result<User> PgAccounts::GetUserByEmail(const std::string& canonical_email) {
  return ReadUser(kUserByEmail, PgParams().Text(canonical_email));
}

Result<Paged<User>> PgAccounts::ListUsers(Page page) {
  auto r = Run(kListUsers, PgParams().Int(PerPage(page)).Int(Offset(page)), "listing users", false);
  if (!r) return Fail(r.error());
  Paged<User> out;
  for (int i = 0; i < r->rows(); ++i) out.items.push_back(UserFrom(*r, i));
  if (r->rows() > 0) {
    out.total = r->Int(0, 10);
  } else {
    auto n = Run(kCountUsers, {}, "counting users", false);
    if (!n) return Fail(n.error());
    out.total = n->Int(0, 0);
  }
  return out;
}

Result<User> PgAccounts::UpdateUser(std::int64_t id, const UserChange& c) {
  PgParams p;
  p.Int(id);
  p.Bool(c.display_name.has_value()).Text(c.display_name ? *c.display_name : "");
  p.Bool(c.password_hash.has_value()).Text(c.password_hash ? *c.password_hash : "");
  p.Bool(c.totp_sealed.has_value()).OptBytes(c.totp_sealed ? *c.totp_sealed : "");
  p.Bool(c.totp_last_step.has_value()).Int(c.totp_last_step);
  p.Bool(c.admin.has_value()).Bool(c.admin.value_or(false));
  p.Bool(c.disabled.has_value());
  if (c.disabled && *c.disabled) {
    p.Int(**c.disabled);
  } else {
    p.Null();
  }
  auto r = Run(kUpdateUser, p, "updating the user", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such user");
  return UserFrom(*r, 0);
}

Result<std::int64_t> PgAccounts::CountActiveAdmins() {
  auto r = Run(kCountActiveAdmins, {}, "counting administrators", false);
  if (!r) return Fail(r.error());
  return r->Int(0, 0);
}

// --- sessions

Result<Session> PgAccounts::CreateSession(const NewSession& s) {
  PgParams p;
  p.Bytes(HashKey(s.token_hash)).Int(s.user_id).Int(s.now).Int(s.expires).Text(s.address);
  p.Text(s.user_agent);
  auto r = Run(kInsertSession, p, "creating the session", true);
  if (!r) return Fail(r.error());
  return SessionFrom(*r, 0);
}

Result<Session> PgAccounts::FindSession(const std::string& token_hash, UnixTime now) {
  auto r = Run(kFindSession, PgParams().Bytes(HashKey(token_hash)).Int(now), "reading the session",
               false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such session");
  return SessionFrom(*r, 0);
}

Result<void> PgAccounts::TouchSession(std::int64_t id, UnixTime last_seen, UnixTime expires) {
  auto r = Run(kTouchSession, PgParams().Int(id).Int(last_seen).Int(expires),
               "touching the session", true);
  if (!r) return Fail(r.error());
  if (r->affected() == 0) return Fail(Code::kNotFound, "no such session");
  return {};
}

Result<std::vector<Session>> PgAccounts::ListSessions(std::int64_t user_id, UnixTime now) {
  auto r = Run(kListSessions, PgParams().Int(user_id).Int(now), "listing sessions", false);
  if (!r) return Fail(r.error());
  std::vector<Session> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(SessionFrom(*r, i));
  return out;
}

Result<bool> PgAccounts::UseTotpStep(std::int64_t user_id, std::int64_t step) {
  auto r = Run(kUseTotpStep, PgParams().Int(user_id).Int(step), "recording the code's step", true);
  if (!r) return Fail(r.error());
  return r->affected() == 1;
}

Result<void> PgAccounts::RevokeSession(std::int64_t user_id, std::int64_t session_id) {
  auto r =
      Run(kRevokeSession, PgParams().Int(user_id).Int(session_id), "revoking the session", true);
  if (!r) return Fail(r.error());
  if (r->affected() == 0) return Fail(Code::kNotFound, "no such session");
  return {};
}

Result<int> PgAccounts::RevokeSessions(std::int64_t user_id,
                                       std::optional<std::int64_t> except_id) {
  auto r = Run(kRevokeSessions, PgParams().Int(user_id).Int(except_id), "revoking sessions", true);
  if (!r) return Fail(r.error());
  return static_cast<int>(r->affected());
}

Result<int> PgAccounts::PurgeExpiredAccountRows(UnixTime now) {
  auto r = Run(kPurge, PgParams().Int(now), "purging expired rows", true);
  if (!r) return Fail(r.error());
  return static_cast<int>(r->Int(0, 0));
}

// --- memberships

Result<Membership> PgAccounts::AddMembership(std::int64_t user_id, std::int64_t campaign_id,
                                             CampaignRole role, UnixTime now) {
  auto r =
      Run(kInsertMembership, PgParams().Int(user_id).Int(campaign_id).Text(RoleName(role)).Int(now),
          "adding the member", true);
  if (!r) {
    Error e = r.error();
    if (e.code == Code::kConflict) e.message = "this user already has a role on the campaign";
    if (e.code == Code::kNotFound) e.message = "no such user or campaign";
    return Fail(std::move(e));
  }
  return MembershipFrom(*r, 0);
}

Result<Membership> PgAccounts::ChangeMembership(std::int64_t user_id, std::int64_t campaign_id,
                                                CampaignRole role, UnixTime now) {
  auto r =
      Run(kChangeMembership, PgParams().Int(user_id).Int(campaign_id).Text(RoleName(role)).Int(now),
          "changing the member's role", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "this user has no role on the campaign");
  return MembershipFrom(*r, 0);
}

Result<void> PgAccounts::RemoveMembership(std::int64_t user_id, std::int64_t campaign_id) {
  auto r =
      Run(kRemoveMembership, PgParams().Int(user_id).Int(campaign_id), "removing the member", true);
  if (!r) return Fail(r.error());
  if (r->affected() == 0) return Fail(Code::kNotFound, "this user has no role on the campaign");
  return {};
}

Result<Membership> PgAccounts::GetMembership(std::int64_t user_id, std::int64_t campaign_id) {
  auto r =
      Run(kGetMembership, PgParams().Int(user_id).Int(campaign_id), "reading the member", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "this user has no role on the campaign");
  return MembershipFrom(*r, 0);
}

Result<std::vector<Membership>> PgAccounts::ReadMemberships(const char* sql, std::int64_t key) {
  auto r = Run(sql, PgParams().Int(key), "listing memberships", false);
  if (!r) return Fail(r.error());
  std::vector<Membership> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto m = MembershipFrom(*r, i);
    if (!m) return Fail(m.error());
    out.push_back(*m);
  }
  return out;
}
Result<std::vector<Membership>> PgAccounts::ListMembers(std::int64_t campaign_id) {
  return ReadMemberships(kListMembers, campaign_id);
}
Result<std::vector<Membership>> PgAccounts::ListMemberships(std::int64_t user_id) {
  return ReadMemberships(kListMemberships, user_id);
}

// --- one-time tokens

Result<void> PgAccounts::CreateAccountToken(const std::string& token_hash, AccountTokenKind kind,
                                            std::int64_t user_id, UnixTime now, UnixTime expires) {
  PgParams p;
  p.Bytes(HashKey(token_hash)).Text(AccountTokenKindName(kind)).Int(user_id).Int(now);
  p.Int(expires);
  auto r = Run(kInsertAccountToken, p, "keeping the token", true);
  if (!r) return Fail(r.error());
  return {};
}

Result<AccountToken> PgAccounts::UseAccountToken(const std::string& token_hash,
                                                 AccountTokenKind kind, UnixTime now) {
  auto r = Run(kUseAccountToken,
               PgParams().Bytes(HashKey(token_hash)).Text(AccountTokenKindName(kind)).Int(now),
               "using the token", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "this link is unknown, used or expired");
  return AccountToken{r->Int(0, 0), kind, r->Int(0, 1), r->Int(0, 2)};
}

// --- the action record

Result<ActionEntry> PgAccounts::AppendAction(const ActionEntry& entry) {
  PgParams p;
  p.Int(entry.at).Int(entry.user_id).Int(entry.campaign_id).Text(entry.action);
  p.Text(entry.subject).Text(entry.detail.empty() ? std::string("{}") : entry.detail);
  auto r = Run(kInsertAction, p, "recording the action", true);
  if (!r) return Fail(r.error());
  ActionEntry out = entry;
  out.id = r->Int(0, 0);
  out.detail = r->Text(0, 1);
  return out;
}

Result<Paged<ActionEntry>> PgAccounts::ListActions(const ActionFilter& filter, Page page) {
  PgParams p;
  p.Int(filter.campaign_id).Int(filter.user_id).Int(PerPage(page)).Int(Offset(page));
  auto r = Run(kListActions, p, "listing actions", false);
  if (!r) return Fail(r.error());
  Paged<ActionEntry> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.items.push_back(ActionEntry{r->Int(i, 0), r->Int(i, 1), r->OptInt(i, 2), r->OptInt(i, 3),
                                    r->Text(i, 4), r->Text(i, 5), r->Text(i, 6)});
  }
  auto n = Run(kCountActions, PgParams().Int(filter.campaign_id).Int(filter.user_id),
               "counting actions", false);
  if (!n) return Fail(n.error());
  out.total = n->Int(0, 0);
  return out;
}

// --- scoped API tokens

Result<ApiToken> PgAccounts::CreateScopedApiToken(const std::string& name, const std::string& hash,
                                                  const ApiTokenScope& scope, UnixTime now) {
  PgParams p;
  p.Text(name).Bytes(HashKey(hash)).Int(now).Int(scope.owner_user_id).Int(scope.campaign_id);
  p.Bool(scope.read_only);
  auto r = Run(kInsertScopedToken, p, "creating the token", true);
  if (!r) return Fail(r.error());
  return ApiToken{r->Int(0, 0), name, now, std::nullopt, std::nullopt, false};
}

Result<ApiTokenScope> PgAccounts::GetApiTokenScope(std::int64_t token_id) {
  auto r = Run(kTokenScope, PgParams().Int(token_id), "reading the token's scope", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such token");
  return ApiTokenScope{r->OptInt(0, 0), r->OptInt(0, 1), r->Bool(0, 2)};
}

Result<std::vector<ScopedApiToken>> PgAccounts::ListCampaignApiTokens(std::int64_t campaign_id) {
  auto r =
      Run(kCampaignTokens, PgParams().Int(campaign_id), "listing the campaign's tokens", false);
  if (!r) return Fail(r.error());
  std::vector<ScopedApiToken> out;
  for (int i = 0; i < r->rows(); ++i) {
    const bool read_only = r->Bool(i, 5);
    out.push_back({ApiToken{r->Int(i, 0), r->Text(i, 1), r->Int(i, 2), r->OptInt(i, 3), campaign_id,
                            read_only},
                   ApiTokenScope{r->OptInt(i, 4), campaign_id, read_only}});
  }
  return out;
}

Result<ApiToken> PgAccounts::RevokeCampaignApiToken(std::int64_t campaign_id, std::int64_t token_id,
                                                    UnixTime now) {
  auto r = Run(kRevokeCampaignToken, PgParams().Int(campaign_id).Int(token_id).Int(now),
               "revoking the token", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such live token of this campaign");
  return ApiToken{r->Int(0, 0),    r->Text(0, 1), r->Int(0, 2),
                  r->OptInt(0, 3), campaign_id,   r->Bool(0, 4)};
}

}  // namespace undersigned::store::pg
