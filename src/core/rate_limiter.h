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
#include <optional>
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

// One key's bucket as a value, for buckets kept elsewhere (a store row: the per-email signing
// limit lives on the person, so that every node sees the same bucket): `tokens` left at time
// `at` (seconds, any epoch the caller keeps to).
struct TokenBucket {
  double tokens = 0;
  double at = 0;
  bool operator==(const TokenBucket&) const = default;
};

struct TokenTake {
  bool allowed = false;
  int wait_seconds = 0;  // refused: whole seconds (>= 1) until a token is there
  TokenBucket after;     // allowed: the bucket to keep (refused: nothing needs keeping)
};

// The token-bucket rule, pure: takes one token at `now` from `bucket` (nullopt: a key never
// seen, which starts full). A clock that went backwards refills nothing. A disabled limit
// always allows and leaves the bucket as it was.
TokenTake TakeToken(const RateLimit& limit, const std::optional<TokenBucket>& bucket, double now);

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
