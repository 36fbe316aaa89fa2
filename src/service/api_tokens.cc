#include "service/api_tokens.h"

#include "core/roles.h"
#include "service/ids.h"

namespace undersigned::service {
namespace {
constexpr UnixTime kCacheSeconds = 30;  // a token revoked by the CLI stops working within this
}

Result<std::string> ApiTokenService::Create(const std::string& name) {
  if (name.empty() || name.size() > 100) {
    return Fail(Code::kInvalidArgument, "token name must be 1 to 100 characters");
  }
  std::string raw = "us_" + NewToken();
  auto stored = store_.CreateApiToken(name, HashToken(raw), clock_.Now());
  if (!stored) return Fail(stored.error());
  return raw;
}

Result<int> ApiTokenService::Revoke(const std::string& name) {
  auto n = store_.RevokeApiToken(name, clock_.Now());
  if (n) {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& kv) { return kv.second.token.name == name; });
  }
  return n;
}

Result<ApiToken> ApiTokenService::Authenticate(const std::string& raw_token) {
  if (raw_token.empty() || raw_token.size() > 200) {
    return Fail(Code::kUnauthenticated, "Missing or invalid OSDI-API-Token.");
  }
  const std::string hash = HashToken(raw_token);
  const UnixTime now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(hash); it != cache_.end() && it->second.until > now) {
      return it->second.token;
    }
  }
  auto token = store_.FindApiToken(hash);
  if (!token) {
    if (token.error().code == Code::kNotFound) {
      return Fail(Code::kUnauthenticated, "Invalid OSDI-API-Token.");
    }
    return token;
  }
  // Its scope: a token that cannot be read with its scope is refused, never widened.
  auto scope = store_.accounts().GetApiTokenScope(token->id);
  if (!scope) return Fail(scope.error());
  token->campaign_id = scope->campaign_id;
  token->read_only = scope->read_only;
  // A token an organizer made acts for them: it works only while they could still make it (an
  // enabled account with manage_tokens on its campaign, or an administrator for every
  // campaign), so removing or demoting someone ends their tokens too (within kCacheSeconds).
  if (scope->owner_user_id) {
    auto owner = store_.accounts().GetUser(*scope->owner_user_id);
    if (!owner && owner.error().code != Code::kNotFound) return Fail(owner.error());
    bool allowed = owner && !owner->disabled;
    if (allowed && !owner->admin) {
      std::optional<CampaignRole> role;
      if (scope->campaign_id) {
        auto m = store_.accounts().GetMembership(owner->id, *scope->campaign_id);
        if (!m && m.error().code != Code::kNotFound) return Fail(m.error());
        if (m) role = m->role;
      }
      allowed = scope->campaign_id && MayDo(false, role, CampaignAction::kManageTokens);
    }
    if (!allowed) {
      return Fail(Code::kUnauthenticated,
                  "This OSDI-API-Token's owner no longer manages its campaign's tokens.");
    }
  }
  std::lock_guard lock(mu_);
  if (cache_.size() > 10'000) cache_.clear();
  cache_[hash] = Cached{*token, now + kCacheSeconds};
  return token;
}

}  // namespace undersigned::service
