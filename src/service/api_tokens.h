// ApiTokenService: API tokens for the OSDI API. A token is shown once when made; only its hash
// is stored. Lookups are cached in memory for a short time so every API call does not hit the
// store. A token an organizer made (AccountService::CreateApiToken, `token create --owner`)
// works only while its owner could still make it (see Authenticate). Thread-safe; holds
// references to Store and Clock.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "store/store.h"

namespace undersigned::service {

class ApiTokenService {
 public:
  ApiTokenService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Returns the raw token (print it once).
  Result<std::string> Create(const std::string& name);
  Result<int> Revoke(const std::string& name);
  // kUnauthenticated for an unknown or revoked token.
  Result<ApiToken> Authenticate(const std::string& raw_token);

 private:
  Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  struct Cached {
    ApiToken token;
    UnixTime until;
  };
  std::unordered_map<std::string, Cached> cache_;  // by hash
};

}  // namespace undersigned::service
