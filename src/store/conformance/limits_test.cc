// Store conformance: the per-email signing limit, whose token bucket the store keeps on the
// person (NewSignature::email_limit, WriteTx::SignerBucket): refused signings write nothing,
// the bucket is one per canonical email across campaigns, it survives a restart, and signings
// that race for it take each token once.
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

constexpr RateLimit kTwoThenOnePerTenMinutes{2, 1.0 / 600, true};

NewSignature Limited(NewSignature s, RateLimit limit = kTwoThenOnePerTenMinutes) {
  s.email_limit = limit;
  return s;
}

TEST_P(StoreTest, AnEmptyBucketRefusesAndWritesNothing) {
  Campaign c = MustCreate("bees");
  auto first = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0)));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(first->rate_limited_seconds, 0);
  auto second = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + 1)));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->kind, SignOutcome::Kind::kResent);
  const std::int64_t mails = store_->OutboxDepth().value();
  const std::int64_t tokens = QueryInt("SELECT count(*) FROM signature_tokens");

  NewSignature third = Limited(NewSig(c.id, "ada@example.org", kT0 + 2));
  auto refused = tx::Sign(*store_, third);
  ASSERT_TRUE(refused) << refused.error().message;
  // 0.0033 tokens refilled in 1 s since the second took the last one: a token is ~599 s away.
  EXPECT_GE(refused->rate_limited_seconds, 598);
  EXPECT_LE(refused->rate_limited_seconds, 600);
  EXPECT_EQ(store_->OutboxDepth().value(), mails);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), tokens);
  EXPECT_EQ(store_->FindByConfirmToken(third.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(QueryInt("SELECT max(modified) FROM people"), kT0 + 1);  // person untouched
  ExpectCounts(CountsOf(c.id), 1, 0, 0);

  // The bucket is the address's, not the campaign's.
  Campaign other = MustCreate("wasps");
  auto elsewhere = tx::Sign(*store_, Limited(NewSig(other.id, "ada@example.org", kT0 + 3)));
  ASSERT_TRUE(elsewhere);
  EXPECT_GT(elsewhere->rate_limited_seconds, 0);
  ExpectCounts(CountsOf(other.id), 0, 0, 0);

  // A signing the limit does not apply to (a trusted client's) neither takes nor refills.
  auto trusted = tx::Sign(*store_, NewSig(other.id, "ada@example.org", kT0 + 4, true));
  ASSERT_TRUE(trusted) << trusted.error().message;
  EXPECT_EQ(trusted->kind, SignOutcome::Kind::kCreated);
  auto still = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + 5)));
  ASSERT_TRUE(still);
  EXPECT_GT(still->rate_limited_seconds, 0);

  // Ten minutes after the last token was taken, one more is there (and then none).
  auto later = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + 601)));
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(later->rate_limited_seconds, 0);
  EXPECT_EQ(later->kind, SignOutcome::Kind::kResent);
  auto after = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + 602)));
  ASSERT_TRUE(after);
  EXPECT_GT(after->rate_limited_seconds, 0);

  // Another address has its own bucket.
  auto bob = tx::Sign(*store_, Limited(NewSig(c.id, "bob@example.org", kT0 + 602)));
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->rate_limited_seconds, 0);
}

TEST_P(StoreTest, AnAttemptPastTheResendBoundStillTakesAToken) {
  Campaign c = MustCreate("bees");
  constexpr RateLimit kFive{5, 1.0 / 600, true};
  std::vector<SignOutcome::Kind> kinds;
  for (int i = 0; i < 6; ++i) {
    auto r = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + i), kFive));
    ASSERT_TRUE(r) << r.error().message;
    if (r->rate_limited_seconds > 0) break;
    kinds.push_back(r->kind);
  }
  // Three mails (max_confirm_sends), two attempts answered "already sent", then refused.
  using K = SignOutcome::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kCreated, K::kResent, K::kResent, K::kResendLimit,
                                   K::kResendLimit}));
  EXPECT_EQ(store_->OutboxDepth().value(), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
}

TEST_P(StoreTest, TheBucketSurvivesARestart) {
  Campaign c = MustCreate("bees");
  for (int i = 0; i < 2; ++i) {
    auto r = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + i)));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->rate_limited_seconds, 0);
  }
  Open();
  auto refused = tx::Sign(*store_, Limited(NewSig(c.id, "ada@example.org", kT0 + 10)));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_GT(refused->rate_limited_seconds, 0);
}

TEST_P(StoreTest, SigningsRacingForOneBucketTakeEachTokenOnce) {
  // Queued at once, they share batches: each job must see the tokens the earlier ones took.
  Campaign c = MustCreate("bees");
  constexpr int kSignings = 40;
  constexpr RateLimit kFive{5, 1.0 / 600, true};
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0, allowed = 0, refused = 0;
  for (int i = 0; i < kSignings; ++i) {
    // Alternately a new campaign's signature and a resend in the first: both take a token.
    Campaign target = c;
    if (i % 2 == 1) target = MustCreate("c" + std::to_string(i));
    tx::SignAsync(*store_, Limited(NewSig(target.id, "ada@example.org", kT0), kFive),
                  [&](Result<SignOutcome> r) {
                    std::lock_guard lk(mu);
                    EXPECT_TRUE(r) << r.error().message;
                    if (r && r->rate_limited_seconds > 0) ++refused;
                    if (r && r->rate_limited_seconds == 0) ++allowed;
                    ++answered;
                    cv.notify_all();
                  });
  }
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(30), [&] { return answered == kSignings; }));
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(refused, kSignings - 5);
  EXPECT_EQ(store_->OutboxDepth().value(), 5);
}

}  // namespace
}  // namespace undersigned::store::conformance
