// TokenGuard: throttles the guessing of one-time link tokens (a signature's confirm and
// withdraw links, an organization's confirm and review links) per client address.
//
// Every unknown token an address presents uses one of its guesses (a RateLimit: a burst, then a
// refill rate). An address with none left is refused (kTooManyRequests, with the wait) before
// its token is even looked up, so that a guess then tells nothing. Valid tokens use nothing: an
// office behind one NAT confirming at once is never slowed.
//
// Thread-safe. Owned by app::App; the services that look tokens up hold a pointer to it.
#pragma once

#include <string>
#include <utility>

#include "core/error.h"
#include "core/rate_limiter.h"

namespace undersigned::service {

class TokenGuard {
 public:
  TokenGuard(const Clock& clock, RateLimit guesses) : guesses_(clock, guesses) {}

  // Runs lookup() (returning a Result) for a token presented from address, unless that address
  // has no guesses left; a kNotFound from lookup uses one. An empty address is not throttled.
  template <typename Lookup>
  auto Check(const std::string& address, Lookup&& lookup) -> decltype(lookup()) {
    if (address.empty()) return lookup();
    if (int wait = guesses_.Wait(address); wait > 0) {
      return Fail(Error{Code::kTooManyRequests,
                        "Too many links that do not exist were opened from your network address",
                        {},
                        wait});
    }
    auto result = lookup();
    if (!result && result.error().code == Code::kNotFound) guesses_.Take(address);
    return result;
  }

  void Sweep() { guesses_.Sweep(); }

 private:
  RateLimiter guesses_;
};

// guard->Check(address, lookup), or lookup() without a guard.
template <typename Lookup>
auto GuardToken(TokenGuard* guard, const std::string& address, Lookup&& lookup)
    -> decltype(lookup()) {
  if (guard == nullptr) return lookup();
  return guard->Check(address, std::forward<Lookup>(lookup));
}

}  // namespace undersigned::service
