// AccountService: organizer accounts, sign-in, sessions, campaign roles and the record of
// organizer actions: every decision about who may do what in the console, so that its pages
// (and the CLI) only translate. A page handler takes the session cookie's value, calls
// Authenticate, then Authorize(actor, campaign, action) before it acts; membership is read
// fresh from the store on every call, so removing someone takes their access away at once.
//
// Passwords: libsodium's crypto_pwhash_str (Argon2id; AccountOptions::password_ops/_mem,
// INTERACTIVE by default: 2 passes over 64 MiB), checked with crypto_pwhash_str_verify (constant
// time) and re-hashed at sign-in when the parameters changed. Hashing runs on the caller's
// thread and costs ~0.1 s and 64 MiB: callers are pool threads, never network threads; at most
// max_concurrent_hashes run at once (the others wait), so a burst of sign-ins cannot take the
// machine's memory. Unknown email and wrong password give the same error after the same work.
//
// TOTP (core/totp.h) is optional per user; its secret is kept sealed (libsodium secretbox under
// the instance secret "totp-key"), and a code works once (the last step used is kept).
//
// Sessions: a random token (service/ids.h NewToken) in a __Host- cookie; the store keeps only
// its hash. A new token at every sign-in (so a token planted before sign-in is worth nothing:
// no session fixation); sliding expiry (session_idle_seconds after the last use, moved at most
// once per touch_seconds) capped at session_max_seconds after sign-in; listed and revocable.
//
// Throttling: failed sign-ins use up a budget per account (canonical email) and per client
// address (core/rate_limiter.h); with either empty, sign-in is refused (kTooManyRequests with
// the wait) before the password is even checked. Mailed sign-in links are throttled alike.
//
// Every method that changes something an organizer did records it (AccountStore::AppendAction).
//
// Thread-safe. Holds references to the store and the clock, which must outlive it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/rate_limiter.h"
#include "core/roles.h"
#include "store/store.h"

namespace undersigned::service {

// The session cookie's name: __Host- makes browsers take it only over HTTPS, from this host,
// for path "/" (no Domain attribute).
inline constexpr char kSessionCookie[] = "__Host-undersigned-session";

// The Set-Cookie value for a session token: Secure, HttpOnly, SameSite=Strict, Path=/, Max-Age.
// An empty token with max_age 0 clears it.
std::string SessionCookie(const std::string& token, UnixTime max_age);

struct AccountOptions {
  UnixTime session_idle_seconds = 12 * 3600;     // a session unused this long ends
  UnixTime session_max_seconds = 7 * 24 * 3600;  // and any session this long after sign-in
  UnixTime touch_seconds = 60;                   // last_seen is written at most this often
  UnixTime sign_in_link_seconds = 15 * 60;       // a mailed sign-in link works this long
  UnixTime invite_seconds = 7 * 24 * 3600;       // an invitation link works this long
  // Failed sign-ins: 5 per account, then one per 5 minutes; 20 per address, then one a minute.
  RateLimit per_account{5, 1.0 / 300, true};
  RateLimit per_address{20, 1.0 / 60, true};
  // Mailed sign-in links: 3 per account, then one per 10 minutes (per address: per_address).
  RateLimit links_per_account{3, 1.0 / 600, true};
  // Argon2id cost (crypto_pwhash_OPSLIMIT/MEMLIMIT_INTERACTIVE); tests may lower them.
  unsigned long long password_ops = 2;
  std::size_t password_mem = 64 * 1024 * 1024;
  std::ptrdiff_t max_concurrent_hashes = 2;
  std::string totp_issuer = "undersigned";  // the name authenticator apps show
};

// Who acts: a signed-in user, or the server's operator at the CLI (no user, all powers).
struct Actor {
  std::optional<std::int64_t> user_id;
  bool admin = false;
  static Actor Operator() { return Actor{std::nullopt, true}; }
  static Actor Of(const User& u) { return Actor{u.id, u.admin && !u.disabled}; }
};

// Where a request comes from (for throttling and the session list).
struct Client {
  std::string address;
  std::string user_agent;
};

// A signed-in user and their session, as Authenticate finds them.
struct CurrentSession {
  User user;
  Session session;
  Actor actor() const { return Actor::Of(user); }
};

// A new session: the raw token (for the cookie, never stored) and what the store keeps.
struct SignedIn {
  std::string token;
  CurrentSession current;
};

// A TOTP secret offered for enrolment (nothing is stored until EnableTotp).
struct TotpOffer {
  std::string secret_base32;
  std::string uri;  // otpauth://, for a QR code
};

// An entry of the record of organizer actions with who did it.
struct NamedAction {
  ActionEntry entry;
  std::string who;  // the user's email; "" for the server's operator
};

// A campaign's API token as the console lists it.
struct CampaignToken {
  ApiToken token;
  std::string owner;  // its owner's email; "" for a token made at the command line
};

class AccountService {
 public:
  // mail_queued (may be empty) is called after a mail (an invitation, a sign-in link) was
  // committed to the outbox, to wake the sender.
  AccountService(Store& store, const Clock& clock, AccountOptions options = {},
                 std::function<void()> mail_queued = nullptr);

  // Canonical form of an account email: trimmed, lower case. kInvalidArgument (field "email")
  // if it is not an address.
  static Result<std::string> CanonicalAccountEmail(const std::string& email);

  // --- users (administrators and the operator)
  // Creates a user (first administrator: by Actor::Operator()). kConflict for a known email.
  Result<User> CreateUser(const Actor& by, const std::string& email,
                          const std::string& display_name, bool admin);
  // Invites someone by email: creates the user if new, gives them role on campaign_id if set,
  // and mails a one-time link (kind "account_invite") that signs them in once so they can set
  // a password. Administrators may invite anyone (admin: as administrator too); a campaign's
  // owner may invite to that campaign. kConflict if the user exists and already has a role there.
  Result<User> Invite(const Actor& by, const std::string& email, const std::string& display_name,
                      std::optional<std::int64_t> campaign_id, CampaignRole role, bool admin);
  // A one-time sign-in link's token for a user, not mailed (the operator prints it). Operator
  // or administrators only.
  Result<std::string> IssueSignInToken(const Actor& by, std::int64_t user_id);
  Result<Paged<User>> ListUsers(const Actor& by, Page page);
  Result<User> FindUser(const Actor& by, const std::string& email_or_uuid);
  // Disables (or enables) a user; disabling revokes every session at once. The last active
  // administrator cannot be disabled (kConflict).
  Result<User> SetDisabled(const Actor& by, std::int64_t user_id, bool disabled);

  // --- passwords and second factors
  // Sets the user's password (by themselves, or by the operator); every other session of the
  // user is revoked (keep_session: the one they are using).
  Result<void> SetPassword(const Actor& by, std::int64_t user_id, const std::string& password,
                           std::optional<std::int64_t> keep_session = std::nullopt);
  Result<TotpOffer> OfferTotp(const CurrentSession& who);
  // Enrols the offered secret once a code from it checks.
  Result<void> EnableTotp(const CurrentSession& who, const std::string& secret_base32,
                          const std::string& code);
  // Removes the second factor; the password must be given again.
  Result<void> DisableTotp(const CurrentSession& who, const std::string& password);

  // --- signing in and out
  // kUnauthenticated "Wrong email address or password." for an unknown email, a wrong
  // password, a user without one or a disabled user; with TOTP enrolled and no or a wrong code:
  // kUnauthenticated with field_errors["code"]. kTooManyRequests when throttled.
  Result<SignedIn> SignInWithPassword(const std::string& email, const std::string& password,
                                      const std::string& totp_code, const Client& client);
  // Mails a one-time sign-in link (kind "sign_in_link") if the email belongs to an active user;
  // answers the same either way. kTooManyRequests when throttled.
  Result<void> MailSignInLink(const std::string& email, const Client& client);
  // Uses a mailed (or printed) sign-in link or invitation, once. kUnauthenticated if it is
  // unknown, used or expired; unknown links use up the address's budget.
  Result<SignedIn> SignInWithLink(const std::string& token, const Client& client);
  // The session a cookie's token names, its expiry slid forward. kUnauthenticated if none,
  // expired, revoked, or its user disabled.
  Result<CurrentSession> Authenticate(const std::string& token);
  Result<void> SignOut(const std::string& token);
  Result<std::vector<Session>> ListSessions(const CurrentSession& who);
  Result<void> RevokeSession(const CurrentSession& who, std::int64_t session_id);
  Result<int> RevokeOtherSessions(const CurrentSession& who);

  // --- campaign roles
  // Ok if by may do action on the campaign: administrators always; others by their role there,
  // read now. kNotFound (no such campaign) without a role, so that an organizer of one campaign
  // learns nothing of another; kForbidden with a role that does not allow it.
  Result<void> Authorize(const Actor& by, std::int64_t campaign_id, CampaignAction action);
  // Membership management (action manage_members). A campaign keeps at least one owner: the
  // last one cannot be removed or demoted (kConflict).
  Result<Membership> AddMember(const Actor& by, std::int64_t campaign_id, const std::string& email,
                               CampaignRole role);
  Result<Membership> ChangeMember(const Actor& by, std::int64_t campaign_id, std::int64_t user_id,
                                  CampaignRole role);
  Result<void> RemoveMember(const Actor& by, std::int64_t campaign_id, std::int64_t user_id);
  Result<std::vector<Membership>> ListMembers(const Actor& by, std::int64_t campaign_id);
  // The same, each with the member's account (for pages), in the store's order.
  Result<std::vector<std::pair<Membership, User>>> ListMembersWithUsers(const Actor& by,
                                                                        std::int64_t campaign_id);
  // The campaigns the actor has a role on (administrators: only their own roles too).
  Result<std::vector<Membership>> MyCampaigns(const Actor& by);

  // --- the record of organizer actions
  // Appends an entry (other services call this for what they do on an organizer's behalf).
  Result<ActionEntry> Record(const Actor& by, std::optional<std::int64_t> campaign_id,
                             const std::string& action, const std::string& subject,
                             const nlohmann::json& detail = nlohmann::json::object());
  // A campaign's record needs view_actions there; the whole record (no campaign) and any one
  // user's are for administrators.
  Result<Paged<ActionEntry>> ListActions(const Actor& by, const ActionFilter& filter, Page page);
  // ListActions with each entry's author's email ("" for the operator at the CLI), for pages.
  Result<Paged<NamedAction>> ListNamedActions(const Actor& by, const ActionFilter& filter,
                                              Page page);
  // The same entries as JSON Lines, oldest first (every page), for export.
  Result<std::string> ExportActions(const Actor& by, const ActionFilter& filter);

  // --- scoped API tokens
  // A new API token owned by the actor, for one campaign (manage_tokens there) or every
  // campaign (administrators), read-only or not. Returns the raw token (shown once).
  Result<std::string> CreateApiToken(const Actor& by, const std::string& name,
                                     std::optional<std::int64_t> campaign_id, bool read_only);
  // The tokens scoped to a campaign, live and revoked, newest first (manage_tokens there).
  Result<std::vector<CampaignToken>> ListApiTokens(const Actor& by, std::int64_t campaign_id);
  // Revokes one of them (manage_tokens; kNotFound for a token of another campaign or one
  // revoked already), recorded. API servers stop taking it within their token cache's 30 s.
  Result<ApiToken> RevokeApiToken(const Actor& by, std::int64_t campaign_id, std::int64_t token_id);

  // Forgets expired sessions and links, and the throttles' idle entries. Call now and then.
  void Sweep();

 private:
  Result<std::string> HashPassword(const std::string& password);
  bool VerifyPassword(const std::string& hash, const std::string& password);
  Result<void> QueueMail(store::NewMail mail);
  Result<SignedIn> StartSession(const User& user, const Client& client, const char* how);
  Result<std::string> SealTotp(const std::string& secret);
  Result<std::string> OpenTotp(const std::string& sealed);
  Result<void> RequireAdmin(const Actor& by);
  Result<void> KeepsAnOwner(std::int64_t campaign_id, std::int64_t user_id,
                            std::optional<CampaignRole> new_role);
  Error Throttled(int wait) const;
  const std::string& DummyHash();

  Store& store_;
  AccountStore& accounts_;
  const Clock& clock_;
  const AccountOptions options_;
  RateLimiter per_account_;
  RateLimiter per_address_;
  RateLimiter links_per_account_;
  // At most max_concurrent_hashes password hashes at once (a mutex and condition variable,
  // which sleep at once where a semaphore spins).
  std::mutex hashing_mu_;
  std::condition_variable hashing_cv_;
  std::ptrdiff_t hashing_ = 0;
  std::function<void()> mail_queued_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // verified against for unknown emails (the same work)
  std::mutex key_mu_;
  std::string totp_key_;  // 32 bytes, read on first use
  // Held from KeepsAnOwner's check through the membership's change, so that two organizers
  // demoting or removing each other at once in this process cannot leave a campaign without
  // an owner. (Two nodes could still race; the check is not in the store's transaction.)
  std::mutex members_mu_;
};

}  // namespace undersigned::service
