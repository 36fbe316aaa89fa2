#include "core/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace undersigned {

TokenTake TakeToken(const RateLimit& limit, const std::optional<TokenBucket>& bucket, double now) {
  TokenTake t;
  if (!limit.enabled) {
    t.allowed = true;
    t.after = bucket.value_or(TokenBucket{limit.burst, now});
    return t;
  }
  double tokens = limit.burst;
  if (bucket) {
    const double refill = std::max(0.0, now - bucket->at) * limit.per_second;
    tokens = std::min(limit.burst, bucket->tokens + refill);
  }
  if (tokens >= 1.0) {
    t.allowed = true;
    // (A clock that went back keeps the bucket's time: the same seconds never refill twice.)
    t.after = TokenBucket{tokens - 1.0, bucket ? std::max(now, bucket->at) : now};
    return t;
  }
  const double wait = limit.per_second > 0 ? (1.0 - tokens) / limit.per_second : 1e9;
  t.wait_seconds = static_cast<int>(std::clamp(std::ceil(wait), 1.0, 1e9));
  return t;
}

RateLimiter::RateLimiter(const Clock& clock, RateLimit limit) : clock_(clock), limit_(limit) {
  // Each shard's table sized for its share of kMaxKeys at once (about 2 MiB in all): a stream
  // of new keys then never rehashes one under its lock.
  if (limit_.enabled) {
    for (Shard& shard : shards_) shard.buckets.reserve(kMaxKeys / kShards);
  }
}

int RateLimiter::Take(std::string_view key) {
  if (!limit_.enabled) return 0;
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  const std::int64_t now = clock_.MonotonicMillis();
  std::lock_guard lock(shard.mu);
  if (shard.buckets.size() >= kMaxKeys / kShards) {
    SweepShard(shard, now);
    if (shard.buckets.size() >= kMaxKeys / kShards) shard.buckets.clear();
  }
  auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{limit_.burst, now});
  Bucket& b = it->second;
  std::optional<TokenBucket> before;
  if (!inserted) before = TokenBucket{b.tokens, static_cast<double>(b.last_ms) / 1000.0};
  const TokenTake t = TakeToken(limit_, before, static_cast<double>(now) / 1000.0);
  if (!t.allowed) return t.wait_seconds;
  b.tokens = t.after.tokens;
  b.last_ms = now;
  return 0;
}

int RateLimiter::Wait(std::string_view key) const {
  if (!limit_.enabled) return 0;
  const Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  const std::int64_t now = clock_.MonotonicMillis();
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) return 0;  // a fresh key starts full
  const Bucket& b = it->second;
  const double refill = static_cast<double>(now - b.last_ms) / 1000.0 * limit_.per_second;
  const double tokens = std::min(limit_.burst, b.tokens + refill);
  if (tokens >= 1.0) return 0;
  return std::max(1, static_cast<int>(std::ceil((1.0 - tokens) / limit_.per_second)));
}

void RateLimiter::Sweep() {
  const std::int64_t now = clock_.MonotonicMillis();
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    SweepShard(shard, now);
  }
}

// REQUIRES: shard.mu held.
void RateLimiter::SweepShard(Shard& shard, std::int64_t now) {
  std::erase_if(shard.buckets, [&](const auto& kv) {
    const Bucket& b = kv.second;
    const double refill = static_cast<double>(now - b.last_ms) / 1000.0 * limit_.per_second;
    return b.tokens + refill >= limit_.burst;
  });
}

std::size_t RateLimiter::Size() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

}  // namespace undersigned
