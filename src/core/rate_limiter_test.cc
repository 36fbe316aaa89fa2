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

// TakeToken: the same rule as a value, for buckets kept in a store row.
TEST(TakeTokenTest, AFreshKeyStartsFullAndRefillsAtTheRate) {
  const RateLimit limit{3, 0.5, true};
  auto t = TakeToken(limit, std::nullopt, 100);
  ASSERT_TRUE(t.allowed);
  EXPECT_EQ(t.after, (TokenBucket{2, 100}));
  t = TakeToken(limit, t.after, 100);
  ASSERT_TRUE(t.allowed);
  t = TakeToken(limit, t.after, 100);
  ASSERT_TRUE(t.allowed);
  EXPECT_EQ(t.after, (TokenBucket{0, 100}));
  const TokenBucket empty = t.after;
  t = TakeToken(limit, empty, 100);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.wait_seconds, 2);  // one token at 0.5 a second
  t = TakeToken(limit, empty, 101);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.wait_seconds, 1);
  t = TakeToken(limit, empty, 102);
  ASSERT_TRUE(t.allowed);
  EXPECT_EQ(t.after, (TokenBucket{0, 102}));
  // Never more than the burst, however long the key was idle.
  t = TakeToken(limit, empty, 1e6);
  EXPECT_EQ(t.after, (TokenBucket{2, 1e6}));
}

TEST(TakeTokenTest, AClockGoingBackwardsRefillsNothingAndDisabledAlwaysAllows) {
  const RateLimit limit{1, 1, true};
  auto t = TakeToken(limit, TokenBucket{0, 200}, 150);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.wait_seconds, 1);
  const RateLimit off{1, 1, false};
  t = TakeToken(off, TokenBucket{0, 200}, 200);
  EXPECT_TRUE(t.allowed);
  EXPECT_EQ(t.after, (TokenBucket{0, 200}));
  // A token taken while the clock is behind the bucket's time keeps that time, so that the
  // seconds in between do not refill it again once the clock is back.
  t = TakeToken(RateLimit{2, 1, true}, TokenBucket{1.5, 200}, 150);
  ASSERT_TRUE(t.allowed);
  EXPECT_EQ(t.after, (TokenBucket{0.5, 200}));
  // A zero refill rate refuses for a very long time rather than dividing by zero.
  t = TakeToken(RateLimit{1, 0, true}, TokenBucket{0, 5}, 10);
  EXPECT_FALSE(t.allowed);
  EXPECT_GT(t.wait_seconds, 1'000'000);
}

}  // namespace
}  // namespace undersigned
