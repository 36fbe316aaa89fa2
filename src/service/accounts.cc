#include "service/accounts.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <utility>

#include "core/password.h"
#include "core/signature.h"
#include "core/totp.h"
#include "core/utf8.h"
#include "service/ids.h"
#include "store/write.h"

namespace undersigned::service {
namespace {

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxTokenBytes = 200;

Error WrongCredentials() {
  return Error{Code::kUnauthenticated, "Wrong email address or password.", {}, 0};
}

bool IsOperator(const Actor& a) { return !a.user_id && a.admin; }

}  // namespace

std::string SessionCookie(const std::string& token, UnixTime max_age) {
  return std::string(kSessionCookie) + "=" + token +
         "; Path=/; Max-Age=" + std::to_string(std::max<UnixTime>(max_age, 0)) +
         "; Secure; HttpOnly; SameSite=Strict";
}

AccountService::AccountService(Store& store, const Clock& clock, AccountOptions options,
                               std::function<void()> mail_queued)
    : store_(store),
      accounts_(store.accounts()),
      clock_(clock),
      options_(std::move(options)),
      per_account_(clock, options_.per_account),
      per_address_(clock, options_.per_address),
      links_per_account_(clock, options_.links_per_account),
      mail_queued_(std::move(mail_queued)) {}

Result<void> AccountService::QueueMail(store::NewMail mail) {
  auto r = store::RunWrite<void>(store_, [&](store::WriteTx& tx) { return tx.QueueMail(mail); });
  if (r && mail_queued_) mail_queued_();
  return r;
}

const std::string& AccountService::DummyHash() {
  // A hash of a random password, with the same parameters as real ones: an unknown email is
  // checked against it, so that it costs what a known one does. Made on first use (it takes as
  // long as a sign-in), not by every CLI command that builds the service.
  std::call_once(dummy_once_, [this] {
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, reinterpret_cast<const char*>(random), sizeof random,
                          options_.password_ops, options_.password_mem) == 0) {
      dummy_hash_ = out;
    }
  });
  return dummy_hash_;
}

Result<std::string> AccountService::CanonicalAccountEmail(const std::string& email) {
  std::string canon = ToLowerAscii(Trim(email));
  if (canon.empty() || canon.size() > kMaxEmailBytes || !ValidEmail(canon)) {
    return Fail(FieldErrors({{"email", "Enter an email address like name@example.org"}}));
  }
  return canon;
}

// --- helpers

Result<std::string> AccountService::HashPassword(const std::string& password) {
  {
    std::unique_lock lk(hashing_mu_);
    hashing_cv_.wait(
        lk, [&] { return hashing_ < std::max<std::ptrdiff_t>(1, options_.max_concurrent_hashes); });
    ++hashing_;
  }
  char out[crypto_pwhash_STRBYTES];
  const int rc = crypto_pwhash_str(out, password.data(), password.size(), options_.password_ops,
                                   options_.password_mem);
  {
    std::lock_guard lk(hashing_mu_);
    --hashing_;
  }
  hashing_cv_.notify_one();
  if (rc != 0) return Fail(Code::kUnavailable, "not enough memory to hash the password now");
  return std::string(out);
}

bool AccountService::VerifyPassword(const std::string& hash, const std::string& password) {
  if (hash.empty()) return false;
  {
    std::unique_lock lk(hashing_mu_);
    hashing_cv_.wait(
        lk, [&] { return hashing_ < std::max<std::ptrdiff_t>(1, options_.max_concurrent_hashes); });
    ++hashing_;
  }
  const bool ok = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  {
    std::lock_guard lk(hashing_mu_);
    --hashing_;
  }
  hashing_cv_.notify_one();
  return ok;
}

Error AccountService::Throttled(int wait) const {
  return Error{Code::kTooManyRequests,
               "Too many attempts to sign in; wait a little and try again.",
               {},
               wait};
}

Result<void> AccountService::RequireAdmin(const Actor& by) {
  if (by.admin) return {};
  return Fail(Code::kForbidden, "Only administrators may do this.");
}

Result<std::string> AccountService::SealTotp(const std::string& secret) {
  std::string key;
  {
    std::lock_guard lk(key_mu_);
    if (totp_key_.empty()) {
      auto k = store_.InstanceSecret("totp-key");
      if (!k) return Fail(k.error());
      if (k->size() != crypto_secretbox_KEYBYTES) return Fail(Code::kInternal, "bad TOTP key");
      totp_key_ = std::move(*k);
    }
    key = totp_key_;
  }
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secret.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nonce,
                        reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  return out;
}

Result<std::string> AccountService::OpenTotp(const std::string& sealed) {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Fail(Code::kInternal, "a sealed TOTP secret is too short");
  }
  if (auto none = SealTotp(""); !none) return Fail(none.error());  // loads the key
  std::string key;
  {
    std::lock_guard lk(key_mu_);
    key = totp_key_;
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  const int rc = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                            nonce + crypto_secretbox_NONCEBYTES,
                                            sealed.size() - crypto_secretbox_NONCEBYTES, nonce,
                                            reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  if (rc != 0) return Fail(Code::kInternal, "a sealed TOTP secret does not open");
  return plain;
}

// --- the record

Result<ActionEntry> AccountService::Record(const Actor& by, std::optional<std::int64_t> campaign_id,
                                           const std::string& action, const std::string& subject,
                                           const nlohmann::json& detail) {
  ActionEntry e;
  e.at = clock_.Now();
  e.user_id = by.user_id;
  e.campaign_id = campaign_id;
  e.action = action;
  e.subject = subject;
  e.detail = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return accounts_.AppendAction(e);
}

Result<Paged<ActionEntry>> AccountService::ListActions(const Actor& by, const ActionFilter& filter,
                                                       Page page) {
  if (filter.campaign_id) {
    if (auto ok = Authorize(by, *filter.campaign_id, CampaignAction::kViewActions); !ok) {
      return Fail(ok.error());
    }
  } else if (auto ok = RequireAdmin(by); !ok) {
    return Fail(ok.error());
  }
  return accounts_.ListActions(filter, page);
}

Result<Paged<NamedAction>> AccountService::ListNamedActions(const Actor& by,
                                                            const ActionFilter& filter, Page page) {
  auto p = ListActions(by, filter, page);
  if (!p) return Fail(p.error());
  Paged<NamedAction> out;
  out.total = p->total;
  std::map<std::int64_t, std::string> emails;
  for (ActionEntry& e : p->items) {
    std::string who;
    if (e.user_id) {
      auto& email = emails[*e.user_id];
      if (email.empty()) {
        auto u = accounts_.GetUser(*e.user_id);
        email = u ? u->email : "user " + std::to_string(*e.user_id);
      }
      who = email;
    }
    out.items.push_back(NamedAction{std::move(e), std::move(who)});
  }
  return out;
}

Result<std::string> AccountService::ExportActions(const Actor& by, const ActionFilter& filter) {
  std::vector<NamedAction> all;
  for (int page = 1;; ++page) {
    auto p = ListNamedActions(by, filter, Page{page, 1000});
    if (!p) return Fail(p.error());
    all.insert(all.end(), p->items.begin(), p->items.end());
    if (p->items.size() < 1000) break;
  }
  std::string out;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const ActionEntry& e = it->entry;
    nlohmann::ordered_json j;
    j["id"] = e.id;
    j["at"] = FormatIso8601(e.at);
    if (e.user_id) {
      j["user"] = it->who;
    } else {
      j["user"] = nullptr;  // the operator, at the CLI
    }
    j["campaign_id"] = e.campaign_id ? nlohmann::ordered_json(*e.campaign_id) : nullptr;
    j["action"] = e.action;
    j["subject"] = e.subject;
    j["detail"] = nlohmann::ordered_json::parse(e.detail, nullptr, false);
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return out;
}

// --- users

Result<User> AccountService::CreateUser(const Actor& by, const std::string& email,
                                        const std::string& display_name, bool admin) {
  if (auto ok = RequireAdmin(by); !ok) return Fail(ok.error());
  auto canon = CanonicalAccountEmail(email);
  if (!canon) return Fail(canon.error());
  std::map<std::string, std::string> errors;
  const std::string name = Trim(display_name);
  CheckTextField(errors, "name", name, kMaxNameBytes, /*required=*/false, false);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  auto user = accounts_.CreateUser(NewUser{*canon, name, admin, clock_.Now()});
  if (!user) return user;
  if (auto r = Record(by, std::nullopt, "user.create", user->email, {{"admin", admin}}); !r) {
    return Fail(r.error());
  }
  return user;
}

Result<User> AccountService::Invite(const Actor& by, const std::string& email,
                                    const std::string& display_name,
                                    std::optional<std::int64_t> campaign_id, CampaignRole role,
                                    bool admin) {
  if (admin || !campaign_id) {
    if (auto ok = RequireAdmin(by); !ok) return Fail(ok.error());
  } else if (auto ok = Authorize(by, *campaign_id, CampaignAction::kManageMembers); !ok) {
    return Fail(ok.error());
  }
  auto canon = CanonicalAccountEmail(email);
  if (!canon) return Fail(canon.error());
  std::optional<Campaign> campaign;
  if (campaign_id) {
    auto c = store_.GetCampaignById(*campaign_id);
    if (!c) return Fail(c.error());
    campaign = std::move(*c);
  }
  auto user = accounts_.GetUserByEmail(*canon);
  if (!user && user.error().code != Code::kNotFound) return user;
  if (user && !campaign_id) return Fail(Code::kConflict, "a user with this email address exists");
  if (!user) {
    std::map<std::string, std::string> errors;
    const std::string name = Trim(display_name);
    CheckTextField(errors, "name", name, kMaxNameBytes, /*required=*/false, false);
    if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
    user = accounts_.CreateUser(NewUser{*canon, name, admin, clock_.Now()});
    if (!user) return user;
  }
  if (campaign_id) {
    auto m = accounts_.AddMembership(user->id, *campaign_id, role, clock_.Now());
    if (!m) return Fail(m.error());
  }
  const std::string token = NewToken();
  const UnixTime now = clock_.Now();
  if (auto t = accounts_.CreateAccountToken(HashToken(token), AccountTokenKind::kInvite, user->id,
                                            now, now + options_.invite_seconds);
      !t) {
    return Fail(t.error());
  }
  std::string inviter;
  if (by.user_id) {
    if (auto u = accounts_.GetUser(*by.user_id)) {
      inviter = u->display_name.empty() ? u->email : u->display_name;
    }
  }
  nlohmann::json payload = {{"token", token}, {"invited_by", inviter}};
  if (campaign) {
    payload["campaign_title"] = campaign->title;
    payload["role"] = RoleName(role);
  }
  store::NewMail mail{"account_invite", user->email, payload.dump(), now, false};
  if (auto q = QueueMail(std::move(mail)); !q) return Fail(q.error());
  nlohmann::json detail = {{"admin", admin}};
  if (campaign_id) detail["role"] = RoleName(role);
  if (auto r = Record(by, campaign_id, "user.invite", user->email, detail); !r) {
    return Fail(r.error());
  }
  return user;
}

Result<std::string> AccountService::IssueSignInToken(const Actor& by, std::int64_t user_id) {
  if (auto ok = RequireAdmin(by); !ok) return Fail(ok.error());
  auto user = accounts_.GetUser(user_id);
  if (!user) return Fail(user.error());
  if (user->disabled) return Fail(Code::kConflict, "this user is disabled; enable them first");
  const std::string token = NewToken();
  const UnixTime now = clock_.Now();
  if (auto t = accounts_.CreateAccountToken(HashToken(token), AccountTokenKind::kSignIn, user_id,
                                            now, now + options_.sign_in_link_seconds);
      !t) {
    return Fail(t.error());
  }
  if (auto r = Record(by, std::nullopt, "user.sign_in_link", user->email); !r) {
    return Fail(r.error());
  }
  return token;
}

Result<Paged<User>> AccountService::ListUsers(const Actor& by, Page page) {
  if (auto ok = RequireAdmin(by); !ok) return Fail(ok.error());
  return accounts_.ListUsers(page);
}

Result<User> AccountService::FindUser(const Actor& by, const std::string& email_or_uuid) {
  if (auto ok = RequireAdmin(by); !ok) return Fail(ok.error());
  if (email_or_uuid.find('@') == std::string::npos) return accounts_.GetUserByUuid(email_or_uuid);
  auto canon = CanonicalAccountEmail(email_or_uuid);
  if (!canon) return Fail(canon.error());
  return accounts_.GetUserByEmail(*canon);
}

Result<User> AccountService::SetDisabled(const Actor& by, std::int64_t user_id, bool disabled) {
  if (auto ok = RequireAdmin(by); !ok) return Fail(ok.error());
  auto user = accounts_.GetUser(user_id);
  if (!user) return user;
  if (disabled && user->admin && !user->disabled) {
    auto admins = accounts_.CountActiveAdmins();
    if (!admins) return Fail(admins.error());
    if (*admins <= 1) {
      return Fail(Code::kConflict,
                  "this is the last active administrator; make someone else administrator first");
    }
  }
  UserChange change;
  change.disabled = disabled ? std::optional<UnixTime>(clock_.Now()) : std::nullopt;
  auto saved = accounts_.UpdateUser(user_id, change);
  if (!saved) return saved;
  if (disabled) {
    if (auto r = accounts_.RevokeSessions(user_id, std::nullopt); !r) return Fail(r.error());
  }
  if (auto r = Record(by, std::nullopt, disabled ? "user.disable" : "user.enable", saved->email);
      !r) {
    return Fail(r.error());
  }
  return saved;
}

// --- passwords and second factors

Result<void> AccountService::SetPassword(const Actor& by, std::int64_t user_id,
                                         const std::string& password,
                                         std::optional<std::int64_t> keep_session) {
  if (by.user_id != user_id && !IsOperator(by)) {
    return Fail(Code::kForbidden, "Only you can set your password.");
  }
  if (auto ok = CheckPassword(password); !ok) return ok;
  auto user = accounts_.GetUser(user_id);
  if (!user) return Fail(user.error());
  auto hash = HashPassword(password);
  if (!hash) return Fail(hash.error());
  UserChange change;
  change.password_hash = std::move(*hash);
  if (auto r = accounts_.UpdateUser(user_id, change); !r) return Fail(r.error());
  if (auto r = accounts_.RevokeSessions(user_id, keep_session); !r) return Fail(r.error());
  if (auto r = Record(by, std::nullopt, "user.password", user->email); !r) return Fail(r.error());
  return {};
}

Result<TotpOffer> AccountService::OfferTotp(const CurrentSession& who) {
  std::string secret(totp::kSecretBytes, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(secret.data()), secret.size());
  return TotpOffer{totp::Base32Encode(secret),
                   totp::OtpauthUri(options_.totp_issuer, who.user.email, secret)};
}

Result<void> AccountService::EnableTotp(const CurrentSession& who, const std::string& secret_base32,
                                        const std::string& code) {
  auto secret = totp::Base32Decode(secret_base32);
  if (!secret || secret->size() < 16) {
    return Fail(FieldErrors({{"secret", "is not a secret this page offered; start again"}}));
  }
  auto step = totp::Verify(*secret, code, clock_.Now());
  if (!step) {
    return Fail(FieldErrors(
        {{"code", "is not the code your app shows now; codes change every 30 seconds"}}));
  }
  auto sealed = SealTotp(*secret);
  if (!sealed) return Fail(sealed.error());
  UserChange change;
  change.totp_sealed = std::move(*sealed);
  change.totp_last_step = *step;
  if (auto r = accounts_.UpdateUser(who.user.id, change); !r) return Fail(r.error());
  if (auto r = Record(who.actor(), std::nullopt, "user.totp_enable", who.user.email); !r) {
    return Fail(r.error());
  }
  return {};
}

Result<void> AccountService::DisableTotp(const CurrentSession& who, const std::string& password) {
  auto user = accounts_.GetUser(who.user.id);
  if (!user) return Fail(user.error());
  if (!VerifyPassword(user->password_hash, password)) {
    return Fail(
        Error{Code::kUnauthenticated, "Wrong password.", {{"password", "is not right"}}, 0});
  }
  UserChange change;
  change.totp_sealed = "";
  if (auto r = accounts_.UpdateUser(who.user.id, change); !r) return Fail(r.error());
  if (auto r = Record(who.actor(), std::nullopt, "user.totp_disable", who.user.email); !r) {
    return Fail(r.error());
  }
  return {};
}

// --- signing in and out

Result<SignedIn> AccountService::StartSession(const User& user, const Client& client,
                                              const char* how) {
  const std::string token = NewToken();
  const UnixTime now = clock_.Now();
  NewSession s;
  s.token_hash = HashToken(token);
  s.user_id = user.id;
  s.now = now;
  s.expires = now + std::min(options_.session_idle_seconds, options_.session_max_seconds);
  s.address = client.address.substr(0, 100);
  s.user_agent = client.user_agent.substr(0, 300);
  auto session = accounts_.CreateSession(s);
  if (!session) return Fail(session.error());
  if (auto r = Record(Actor::Of(user), std::nullopt, "session.sign_in", user.email,
                      {{"method", how}, {"address", s.address}});
      !r) {
    return Fail(r.error());
  }
  return SignedIn{token, CurrentSession{user, *session}};
}

Result<SignedIn> AccountService::SignInWithPassword(const std::string& email,
                                                    const std::string& password,
                                                    const std::string& totp_code,
                                                    const Client& client) {
  const std::string canon = ToLowerAscii(Trim(email));
  const int wait = std::max(per_account_.Wait(canon),
                            client.address.empty() ? 0 : per_address_.Wait(client.address));
  if (wait > 0) return Fail(Throttled(wait));
  auto fail = [&]() -> Result<SignedIn> {
    per_account_.Take(canon);
    if (!client.address.empty()) per_address_.Take(client.address);
    return Fail(WrongCredentials());
  };
  if (password.size() > kMaxPasswordBytes || canon.size() > kMaxEmailBytes) return fail();
  auto user = accounts_.GetUserByEmail(canon);
  if (!user && user.error().code != Code::kNotFound) return Fail(user.error());
  if (!user || user->password_hash.empty() || user->disabled) {
    (void)VerifyPassword(DummyHash(), password);  // the same work as for a known user
    return fail();
  }
  if (!VerifyPassword(user->password_hash, password)) return fail();
  if (!user->totp_sealed.empty()) {
    if (Trim(totp_code).empty()) {
      return Fail(Error{Code::kUnauthenticated,
                        "Enter the code from your authenticator app.",
                        {{"code", "Enter the 6-digit code from your authenticator app."}},
                        0});
    }
    auto secret = OpenTotp(user->totp_sealed);
    if (!secret) return Fail(secret.error());
    // A wrong code, or one used already: counted against the account and the address.
    auto wrong_code = [&]() -> Result<SignedIn> {
      per_account_.Take(canon);
      if (!client.address.empty()) per_address_.Take(client.address);
      return Fail(Error{Code::kUnauthenticated,
                        "That code is not right.",
                        {{"code", "is not the code your app shows now (each code works once)."}},
                        0});
    };
    auto step = totp::Verify(*secret, totp_code, clock_.Now(), user->totp_last_step);
    if (!step) return wrong_code();
    // Taken in one statement, so that the same code presented twice at once signs in once.
    auto fresh = accounts_.UseTotpStep(user->id, *step);
    if (!fresh) return Fail(fresh.error());
    if (!*fresh) return wrong_code();
  }
  if (crypto_pwhash_str_needs_rehash(user->password_hash.c_str(), options_.password_ops,
                                     options_.password_mem) != 0) {
    if (auto hash = HashPassword(password)) {
      UserChange change;
      change.password_hash = std::move(*hash);
      (void)accounts_.UpdateUser(user->id, change);  // the old hash still works if this fails
    }
  }
  return StartSession(*user, client, "password");
}

Result<void> AccountService::MailSignInLink(const std::string& email, const Client& client) {
  auto canon = CanonicalAccountEmail(email);
  if (!canon) return Fail(canon.error());
  const int wait = std::max(links_per_account_.Wait(*canon),
                            client.address.empty() ? 0 : per_address_.Wait(client.address));
  if (wait > 0) return Fail(Throttled(wait));
  links_per_account_.Take(*canon);
  if (!client.address.empty()) per_address_.Take(client.address);
  auto user = accounts_.GetUserByEmail(*canon);
  if (!user) return user.error().code == Code::kNotFound ? Result<void>() : Fail(user.error());
  if (user->disabled) return {};
  const std::string token = NewToken();
  const UnixTime now = clock_.Now();
  if (auto t = accounts_.CreateAccountToken(HashToken(token), AccountTokenKind::kSignIn, user->id,
                                            now, now + options_.sign_in_link_seconds);
      !t) {
    return Fail(t.error());
  }
  nlohmann::json payload = {{"token", token}};
  return QueueMail(store::NewMail{"sign_in_link", user->email, payload.dump(), now, false});
}

Result<SignedIn> AccountService::SignInWithLink(const std::string& token, const Client& client) {
  if (!client.address.empty()) {
    if (int wait = per_address_.Wait(client.address); wait > 0) return Fail(Throttled(wait));
  }
  auto unknown = [&]() -> Result<SignedIn> {
    if (!client.address.empty()) per_address_.Take(client.address);
    return Fail(Code::kUnauthenticated,
                "This link is unknown, was used already or has expired; ask for a new one.");
  };
  if (token.empty() || token.size() > kMaxTokenBytes) return unknown();
  const std::string hash = HashToken(token);
  const UnixTime now = clock_.Now();
  auto used = accounts_.UseAccountToken(hash, AccountTokenKind::kSignIn, now);
  if (!used && used.error().code == Code::kNotFound) {
    used = accounts_.UseAccountToken(hash, AccountTokenKind::kInvite, now);
  }
  if (!used) return used.error().code == Code::kNotFound ? unknown() : Fail(used.error());
  auto user = accounts_.GetUser(used->user_id);
  if (!user) return Fail(user.error());
  if (user->disabled) return unknown();
  return StartSession(*user, client,
                      used->kind == AccountTokenKind::kInvite ? "invitation" : "link");
}

Result<CurrentSession> AccountService::Authenticate(const std::string& token) {
  auto none = [] { return Fail(Code::kUnauthenticated, "Please sign in."); };
  if (token.empty() || token.size() > kMaxTokenBytes) return none();
  const UnixTime now = clock_.Now();
  auto session = accounts_.FindSession(HashToken(token), now);
  if (!session) return session.error().code == Code::kNotFound ? none() : Fail(session.error());
  auto user = accounts_.GetUser(session->user_id);
  if (!user) return Fail(user.error());
  if (user->disabled) return none();
  if (now - session->last_seen >= options_.touch_seconds) {
    const UnixTime expires = std::min(now + options_.session_idle_seconds,
                                      session->created + options_.session_max_seconds);
    if (auto r = accounts_.TouchSession(session->id, now, expires); !r) {
      return r.error().code == Code::kNotFound ? none() : Fail(r.error());
    }
    session->last_seen = now;
    session->expires = expires;
  }
  return CurrentSession{std::move(*user), std::move(*session)};
}

Result<void> AccountService::SignOut(const std::string& token) {
  auto current = Authenticate(token);
  if (!current)
    return current.error().code == Code::kUnauthenticated ? Result<void>() : Fail(current.error());
  auto r = accounts_.RevokeSession(current->user.id, current->session.id);
  if (!r && r.error().code != Code::kNotFound) return r;
  return {};
}

Result<std::vector<Session>> AccountService::ListSessions(const CurrentSession& who) {
  return accounts_.ListSessions(who.user.id, clock_.Now());
}

Result<void> AccountService::RevokeSession(const CurrentSession& who, std::int64_t session_id) {
  if (auto r = accounts_.RevokeSession(who.user.id, session_id); !r) return r;
  if (auto r = Record(who.actor(), std::nullopt, "session.revoke", who.user.email,
                      {{"session", session_id}});
      !r) {
    return Fail(r.error());
  }
  return {};
}

Result<int> AccountService::RevokeOtherSessions(const CurrentSession& who) {
  auto n = accounts_.RevokeSessions(who.user.id, who.session.id);
  if (!n) return n;
  if (auto r = Record(who.actor(), std::nullopt, "session.revoke_others", who.user.email,
                      {{"sessions", *n}});
      !r) {
    return Fail(r.error());
  }
  return n;
}

// --- campaign roles

Result<void> AccountService::Authorize(const Actor& by, std::int64_t campaign_id,
                                       CampaignAction action) {
  if (by.admin) {
    auto c = store_.GetCampaignById(campaign_id);
    if (!c) return Fail(c.error());
    return {};
  }
  if (!by.user_id) return Fail(Code::kNotFound, "no such campaign");
  auto m = accounts_.GetMembership(*by.user_id, campaign_id);
  if (!m) {
    if (m.error().code == Code::kNotFound) return Fail(Code::kNotFound, "no such campaign");
    return Fail(m.error());
  }
  if (!MayDo(false, m->role, action)) {
    return Fail(Code::kForbidden, std::string("Your role on this campaign (") + RoleName(m->role) +
                                      ") does not allow this.");
  }
  return {};
}

Result<void> AccountService::KeepsAnOwner(std::int64_t campaign_id, std::int64_t user_id,
                                          std::optional<CampaignRole> new_role) {
  if (new_role == CampaignRole::kOwner) return {};
  auto members = accounts_.ListMembers(campaign_id);
  if (!members) return Fail(members.error());
  bool is_owner = false;
  int other_owners = 0;
  for (const Membership& m : *members) {
    if (m.role != CampaignRole::kOwner) continue;
    if (m.user_id == user_id) {
      is_owner = true;
    } else {
      ++other_owners;
    }
  }
  if (is_owner && other_owners == 0) {
    return Fail(Code::kConflict,
                "a campaign keeps at least one owner; make someone else owner first");
  }
  return {};
}

Result<Membership> AccountService::AddMember(const Actor& by, std::int64_t campaign_id,
                                             const std::string& email, CampaignRole role) {
  if (auto ok = Authorize(by, campaign_id, CampaignAction::kManageMembers); !ok) {
    return Fail(ok.error());
  }
  auto canon = CanonicalAccountEmail(email);
  if (!canon) return Fail(canon.error());
  auto user = accounts_.GetUserByEmail(*canon);
  if (!user) {
    if (user.error().code == Code::kNotFound) {
      return Fail(Code::kNotFound, "no user has this email address; invite them instead");
    }
    return Fail(user.error());
  }
  auto m = accounts_.AddMembership(user->id, campaign_id, role, clock_.Now());
  if (!m) return m;
  if (auto r = Record(by, campaign_id, "member.add", user->email, {{"role", RoleName(role)}}); !r) {
    return Fail(r.error());
  }
  return m;
}

Result<Membership> AccountService::ChangeMember(const Actor& by, std::int64_t campaign_id,
                                                std::int64_t user_id, CampaignRole role) {
  if (auto ok = Authorize(by, campaign_id, CampaignAction::kManageMembers); !ok) {
    return Fail(ok.error());
  }
  Result<Membership> m;
  {
    std::lock_guard lk(members_mu_);
    if (auto ok = KeepsAnOwner(campaign_id, user_id, role); !ok) return Fail(ok.error());
    m = accounts_.ChangeMembership(user_id, campaign_id, role, clock_.Now());
  }
  if (!m) return m;
  auto user = accounts_.GetUser(user_id);
  if (auto r = Record(by, campaign_id, "member.change", user ? user->email : "",
                      {{"role", RoleName(role)}});
      !r) {
    return Fail(r.error());
  }
  return m;
}

Result<void> AccountService::RemoveMember(const Actor& by, std::int64_t campaign_id,
                                          std::int64_t user_id) {
  if (auto ok = Authorize(by, campaign_id, CampaignAction::kManageMembers); !ok) return ok;
  {
    std::lock_guard lk(members_mu_);
    if (auto ok = KeepsAnOwner(campaign_id, user_id, std::nullopt); !ok) return ok;
    if (auto r = accounts_.RemoveMembership(user_id, campaign_id); !r) return r;
  }
  auto user = accounts_.GetUser(user_id);
  if (auto r = Record(by, campaign_id, "member.remove", user ? user->email : ""); !r) {
    return Fail(r.error());
  }
  return {};
}

Result<std::vector<Membership>> AccountService::ListMembers(const Actor& by,
                                                            std::int64_t campaign_id) {
  if (auto ok = Authorize(by, campaign_id, CampaignAction::kView); !ok) return Fail(ok.error());
  return accounts_.ListMembers(campaign_id);
}

Result<std::vector<std::pair<Membership, User>>> AccountService::ListMembersWithUsers(
    const Actor& by, std::int64_t campaign_id) {
  auto members = ListMembers(by, campaign_id);
  if (!members) return Fail(members.error());
  std::vector<std::pair<Membership, User>> out;
  for (const Membership& m : *members) {
    auto u = accounts_.GetUser(m.user_id);
    if (!u) return Fail(u.error());
    u->password_hash.clear();  // pages have no use for these
    u->totp_sealed.clear();
    out.emplace_back(m, std::move(*u));
  }
  return out;
}

Result<std::vector<Membership>> AccountService::MyCampaigns(const Actor& by) {
  if (!by.user_id) return std::vector<Membership>();
  return accounts_.ListMemberships(*by.user_id);
}

// --- scoped API tokens

Result<std::string> AccountService::CreateApiToken(const Actor& by, const std::string& name,
                                                   std::optional<std::int64_t> campaign_id,
                                                   bool read_only) {
  if (campaign_id) {
    if (auto ok = Authorize(by, *campaign_id, CampaignAction::kManageTokens); !ok) {
      return Fail(ok.error());
    }
  } else if (auto ok = RequireAdmin(by); !ok) {
    return Fail(ok.error());
  }
  if (name.empty() || name.size() > 100 || !IsValidUtf8(name) || HasControlChars(name, false)) {
    return Fail(FieldErrors({{"name", "must be 1 to 100 characters of text"}}));
  }
  const std::string raw = "us_" + NewToken();
  auto made = accounts_.CreateScopedApiToken(
      name, HashToken(raw), ApiTokenScope{by.user_id, campaign_id, read_only}, clock_.Now());
  if (!made) return Fail(made.error());
  if (auto r = Record(by, campaign_id, "api_token.create", name, {{"read_only", read_only}}); !r) {
    return Fail(r.error());
  }
  return raw;
}

Result<std::vector<CampaignToken>> AccountService::ListApiTokens(const Actor& by,
                                                                 std::int64_t campaign_id) {
  if (auto ok = Authorize(by, campaign_id, CampaignAction::kManageTokens); !ok) {
    return Fail(ok.error());
  }
  auto list = accounts_.ListCampaignApiTokens(campaign_id);
  if (!list) return Fail(list.error());
  std::vector<CampaignToken> out;
  std::map<std::int64_t, std::string> emails;
  for (ScopedApiToken& t : *list) {
    std::string owner;
    if (t.scope.owner_user_id) {
      auto it = emails.find(*t.scope.owner_user_id);
      if (it == emails.end()) {
        auto user = accounts_.GetUser(*t.scope.owner_user_id);
        it = emails.emplace(*t.scope.owner_user_id, user ? user->email : std::string()).first;
      }
      owner = it->second;
    }
    out.push_back({std::move(t.token), std::move(owner)});
  }
  return out;
}

Result<ApiToken> AccountService::RevokeApiToken(const Actor& by, std::int64_t campaign_id,
                                                std::int64_t token_id) {
  if (auto ok = Authorize(by, campaign_id, CampaignAction::kManageTokens); !ok) {
    return Fail(ok.error());
  }
  auto revoked = accounts_.RevokeCampaignApiToken(campaign_id, token_id, clock_.Now());
  if (!revoked) return Fail(revoked.error());
  if (auto r = Record(by, campaign_id, "api_token.revoke", revoked->name,
                      {{"read_only", revoked->read_only}});
      !r) {
    return Fail(r.error());
  }
  return revoked;
}

void AccountService::Sweep() {
  (void)accounts_.PurgeExpiredAccountRows(clock_.Now());
  per_account_.Sweep();
  per_address_.Sweep();
  links_per_account_.Sweep();
}

}  // namespace undersigned::service
