#include "core/rate_limiter.h"

#include <string>

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(RateLimiter, AllowsBurstThenRefuses) {
  ManualClock clock;
  RateLimiter rl(clock, RateLimit{3, 0.5, true});
  EXPECT_EQ(rl.Take("a"), 0);
  EXPECT_EQ(rl.Take("a"), 0);
  EXPECT_EQ(rl.Take("a"), 0);
  EXPECT_EQ(rl.Take("a"), 2);  // one token per 2 s
  EXPECT_EQ(rl.Take("b"), 0);  // keys are independent
  clock.AdvanceMillis(2000);
  EXPECT_EQ(rl.Take("a"), 0);
  EXPECT_GE(rl.Take("a"), 1);
}

TEST(RateLimiter, WaitTellsWithoutTaking) {
  ManualClock clock;
  RateLimiter rl(clock, RateLimit{2, 0.5, true});
  EXPECT_EQ(rl.Wait("a"), 0);  // unknown keys start full
  EXPECT_EQ(rl.Take("a"), 0);
  EXPECT_EQ(rl.Wait("a"), 0);
  EXPECT_EQ(rl.Wait("a"), 0);  // waiting takes nothing
  EXPECT_EQ(rl.Take("a"), 0);
  EXPECT_EQ(rl.Wait("a"), 2);
  clock.AdvanceMillis(1000);
  EXPECT_EQ(rl.Wait("a"), 1);
  clock.AdvanceMillis(1000);
  EXPECT_EQ(rl.Wait("a"), 0);
  EXPECT_EQ(rl.Take("a"), 0);
}

TEST(RateLimiter, DisabledAllowsEverything) {
  ManualClock clock;
  RateLimiter rl(clock, RateLimit{1, 0.001, false});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rl.Take("a"), 0);
}

TEST(RateLimiter, SweepDropsIdleKeys) {
  ManualClock clock;
  RateLimiter rl(clock, RateLimit{2, 1, true});
  rl.Take("a");
  rl.Take("b");
  EXPECT_EQ(rl.Size(), 2u);
  clock.AdvanceMillis(5000);
  rl.Sweep();
  EXPECT_EQ(rl.Size(), 0u);
}

TEST(RateLimiter, AFloodOfDistinctKeysStaysBounded) {
  ManualClock clock;
  RateLimiter rl(clock, RateLimit{5, 1.0 / 600, true});  // the per-email default
  // A repeat key keeps its limit while the flood is small.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.Take("repeat@example.org"), 0);
  EXPECT_GT(rl.Take("repeat@example.org"), 0);
  // Three times the bound of distinct keys, none of which refills in the meantime.
  for (std::size_t i = 0; i < 3 * RateLimiter::kMaxKeys; ++i) {
    ASSERT_EQ(rl.Take("signer" + std::to_string(i) + "@example.org"), 0);
  }
  EXPECT_LE(rl.Size(), RateLimiter::kMaxKeys);
  EXPECT_GT(rl.Size(), RateLimiter::kMaxKeys / 4);  // forgets a shard at a time, not all
}

}  // namespace
}  // namespace undersigned
