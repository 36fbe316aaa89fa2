// A keyed token-bucket rate limiter: each key (an address, a canonical email) holds up to
// `burst` tokens, refilled at `per_second`. Pure logic over an injected Clock.
// Thread-safe (sharded mutexes). Memory is bounded: idle full buckets are dropped by Sweep(),
// and a shard that reaches its share of kMaxKeys drops its full buckets at once and, if it is
// still full, forgets every key it holds. So a flood of distinct keys (a viral campaign: every
// signer is a new email) costs at most a few tens of MiB, at the price of a key seen long ago
// in a flooded shard starting again from a full bucket.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace undersigned {

struct RateLimit {
  double burst = 60;        // tokens a fresh key starts with (and the cap)
  double per_second = 1.0;  // refill rate
  bool enabled = true;
};

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, RateLimit limit);

  // Takes one token for key. Returns 0 when allowed, otherwise the whole seconds (>= 1) to wait
  // before a token is available (for Retry-After). Nothing is taken when refused.
  int Take(std::string_view key);
  // The whole seconds (>= 1) until key has a token, or 0 if it has one now; takes nothing.
  int Wait(std::string_view key) const;
  // Drops buckets that are full again (idle keys). Call now and then.
  void Sweep();
  std::size_t Size() const;

 private:
  struct Bucket {
    double tokens;
    std::int64_t last_ms;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;

 public:
  static constexpr std::size_t kMaxKeys = 262'144;  // about 25 MiB of buckets

 private:
  void SweepShard(Shard& shard, std::int64_t now);
  const Clock& clock_;
  RateLimit limit_;
  std::array<Shard, kShards> shards_;
};

}  // namespace undersigned
