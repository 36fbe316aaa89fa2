// AccountStore: organizer accounts (users), their sessions, campaign memberships (roles), the
// one-time tokens of invitations and sign-in links, and the append-only record of organizer
// actions. Rows only: who may do what is decided in core/roles.h and service/accounts.h.
//
// What is kept, and how: a user's email in canonical form (unique); their password only as a
// libsodium crypto_pwhash_str string (Argon2id, with its salt and parameters), or empty; their
// TOTP secret only sealed (encrypted by the service under an instance secret), never in clear.
// Sessions and one-time tokens are kept only as hashes of the tokens the browser or the mail
// holds. The action record has no update or delete method, and its tables refuse UPDATE and
// DELETE (triggers), so what was recorded stays.
//
// Part of the Store facade (store/store.h: Store::accounts()); see there for threads and errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/roles.h"
#include "store/types.h"

namespace undersigned {

struct User {
  std::int64_t id = 0;
  std::string uuid;
  std::string email;  // canonical (service/accounts.h: CanonicalAccountEmail), unique
  std::string display_name;
  std::string password_hash;  // crypto_pwhash_str output, or empty (no password yet)
  std::string totp_sealed;    // the sealed TOTP secret, or empty (not enrolled)
  std::optional<std::int64_t> totp_last_step;  // the last TOTP time step used (no replays)
  bool admin = false;                          // instance administrator
  UnixTime created = 0;
  std::optional<UnixTime> disabled;  // when it was disabled; a disabled user signs in no more
};

struct NewUser {
  std::string email;  // canonical
  std::string display_name;
  bool admin = false;
  UnixTime now = 0;
};

// The fields of a user to change; the unset ones are left as stored.
struct UserChange {
  std::optional<std::string> display_name;
  std::optional<std::string> password_hash;  // "" clears it
  std::optional<std::string> totp_sealed;    // "" clears it (and the last step)
  std::optional<std::int64_t> totp_last_step;
  std::optional<bool> admin;
  std::optional<std::optional<UnixTime>> disabled;  // a time disables; nullopt inside enables
};

// A signed-in browser. The store keeps the hash of its cookie's token, never the token.
struct Session {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  UnixTime created = 0;
  UnixTime last_seen = 0;
  UnixTime expires = 0;  // sliding; the service caps it (service/accounts.h)
  std::string address;   // client address at sign-in
  std::string user_agent;
};

struct NewSession {
  std::string token_hash;
  std::int64_t user_id = 0;
  UnixTime now = 0;
  UnixTime expires = 0;
  std::string address;
  std::string user_agent;
};

struct Membership {
  std::int64_t user_id = 0;
  std::int64_t campaign_id = 0;
  CampaignRole role = CampaignRole::kViewer;
  UnixTime created = 0;
  UnixTime modified = 0;
};

// A one-time token mailed (or printed) to a user: an invitation or a sign-in link.
enum class AccountTokenKind { kInvite, kSignIn };
inline const char* AccountTokenKindName(AccountTokenKind kind) {
  return kind == AccountTokenKind::kInvite ? "invite" : "sign_in";
}

struct AccountToken {
  std::int64_t user_id = 0;
  AccountTokenKind kind = AccountTokenKind::kSignIn;
  UnixTime created = 0;
  UnixTime expires = 0;
};

// One entry of the append-only record of organizer actions.
struct ActionEntry {
  std::int64_t id = 0;  // ascending in the order entries were recorded
  UnixTime at = 0;
  std::optional<std::int64_t> user_id;      // who; none for the server's operator (the CLI)
  std::optional<std::int64_t> campaign_id;  // on which campaign, if one
  std::string action;                       // "user.create", "member.add", "signature.hide", ...
  std::string subject;                      // what it acted on (a uuid, an email, a slug)
  std::string detail;                       // a JSON object (or empty for {})
};

struct ActionFilter {
  std::optional<std::int64_t> campaign_id;
  std::optional<std::int64_t> user_id;
};

// The scope of an API token (issue 13): its owner, and the one campaign it may act on (or
// every campaign), read-only or read-write. Tokens made before scopes existed (and by
// `undersigned token create`) have no owner and reach every campaign read-write.
struct ApiTokenScope {
  std::optional<std::int64_t> owner_user_id;
  std::optional<std::int64_t> campaign_id;  // none: every campaign
  bool read_only = false;
};

// A token with its scope, as the console lists a campaign's tokens.
struct ScopedApiToken {
  ApiToken token;
  ApiTokenScope scope;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // --- users
  // kConflict if a user with this (canonical) email exists.
  virtual Result<User> CreateUser(const NewUser& user) = 0;
  virtual Result<User> GetUser(std::int64_t id) = 0;
  virtual Result<User> GetUserByUuid(const std::string& uuid) = 0;
  virtual Result<User> GetUserByEmail(const std::string& canonical_email) = 0;
  // Oldest first.
  virtual Result<Paged<User>> ListUsers(Page page) = 0;
  // kNotFound for an unknown user.
  virtual Result<User> UpdateUser(std::int64_t id, const UserChange& change) = 0;
  // Records step as the user's last TOTP time step if it is later than the stored one (or none
  // is stored), in one statement; false if it is not: that code was used already (perhaps at the
  // same moment, on another node), so it must not sign in again.
  virtual Result<bool> UseTotpStep(std::int64_t user_id, std::int64_t step) = 0;
  // How many users are instance administrators and not disabled.
  virtual Result<std::int64_t> CountActiveAdmins() = 0;

  // --- sessions
  virtual Result<Session> CreateSession(const NewSession& session) = 0;
  // The session with this token hash, unless it expired (expires <= now) or was revoked:
  // kNotFound.
  virtual Result<Session> FindSession(const std::string& token_hash, UnixTime now) = 0;
  // Moves last_seen and expires of a live session; kNotFound if it is gone.
  virtual Result<void> TouchSession(std::int64_t id, UnixTime last_seen, UnixTime expires) = 0;
  // The user's live sessions, newest first.
  virtual Result<std::vector<Session>> ListSessions(std::int64_t user_id, UnixTime now) = 0;
  // Revokes one of the user's sessions; kNotFound if the user has no such session.
  virtual Result<void> RevokeSession(std::int64_t user_id, std::int64_t session_id) = 0;
  // Revokes every session of the user but except_id (if given); returns how many.
  virtual Result<int> RevokeSessions(std::int64_t user_id,
                                     std::optional<std::int64_t> except_id) = 0;
  // Forgets sessions and one-time tokens that expired before now; returns how many.
  virtual Result<int> PurgeExpiredAccountRows(UnixTime now) = 0;

  // --- memberships (one role per user and campaign)
  // kConflict if the user already has a role on the campaign; kNotFound for an unknown user or
  // campaign.
  virtual Result<Membership> AddMembership(std::int64_t user_id, std::int64_t campaign_id,
                                           CampaignRole role, UnixTime now) = 0;
  // kNotFound if the user has no role on the campaign.
  virtual Result<Membership> ChangeMembership(std::int64_t user_id, std::int64_t campaign_id,
                                              CampaignRole role, UnixTime now) = 0;
  virtual Result<void> RemoveMembership(std::int64_t user_id, std::int64_t campaign_id) = 0;
  // kNotFound if none.
  virtual Result<Membership> GetMembership(std::int64_t user_id, std::int64_t campaign_id) = 0;
  // By user id / by campaign id, in that order.
  virtual Result<std::vector<Membership>> ListMembers(std::int64_t campaign_id) = 0;
  virtual Result<std::vector<Membership>> ListMemberships(std::int64_t user_id) = 0;

  // --- one-time tokens (invitations, sign-in links)
  // kConflict if the hash exists.
  virtual Result<void> CreateAccountToken(const std::string& token_hash, AccountTokenKind kind,
                                          std::int64_t user_id, UnixTime now, UnixTime expires) = 0;
  // Uses the token up, once: of this kind, unused and unexpired at now. kNotFound otherwise
  // (unknown, used, expired, of another kind). Of several callers at once, exactly one wins.
  virtual Result<AccountToken> UseAccountToken(const std::string& token_hash, AccountTokenKind kind,
                                               UnixTime now) = 0;

  // --- the record of organizer actions (append-only)
  virtual Result<ActionEntry> AppendAction(const ActionEntry& entry) = 0;
  // Newest first, filtered by campaign and/or user (unset: any).
  virtual Result<Paged<ActionEntry>> ListActions(const ActionFilter& filter, Page page) = 0;

  // --- scoped API tokens (ApiTokenStore keeps the tokens themselves)
  // A new token with a scope; kConflict if the hash exists.
  virtual Result<ApiToken> CreateScopedApiToken(const std::string& name, const std::string& hash,
                                                const ApiTokenScope& scope, UnixTime now) = 0;
  // The scope of a token by its id; kNotFound for an unknown token.
  virtual Result<ApiTokenScope> GetApiTokenScope(std::int64_t token_id) = 0;
  // The tokens scoped to one campaign, live and revoked, newest first.
  virtual Result<std::vector<ScopedApiToken>> ListCampaignApiTokens(std::int64_t campaign_id) = 0;
  // Revokes the live token token_id if it is scoped to campaign_id (a campaign's organizers
  // revoke its tokens, no other); returns it revoked. kNotFound otherwise.
  virtual Result<ApiToken> RevokeCampaignApiToken(std::int64_t campaign_id, std::int64_t token_id,
                                                  UnixTime now) = 0;
};

}  // namespace undersigned
