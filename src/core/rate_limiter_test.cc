#include "core/rate_limiter.h"

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

}  // namespace
}  // namespace undersigned
