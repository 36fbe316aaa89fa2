// FakePaymentProvider (test_support.h), the double the services' unit tests will use, keeps
// Stripe's idempotency rule as the emulator does (stripe_emulator_test.cc checks the real one).
#include <gtest/gtest.h>

#include "payments/test_support.h"

namespace undersigned::payments {
namespace {

OffSessionCharge Charge(std::int64_t amount) {
  return OffSessionCharge{"cus_1", "pm_1", amount, "usd", "", {{"pledge_id", "1"}}};
}

TEST(FakePaymentProviderTest, ReplaysTheFirstAnswerToAKey) {
  testing::FakePaymentProvider fake;
  auto key = *IdempotencyKey::For("pledge-charge", {"1", "1"});
  auto a = fake.ChargeOffSession(Charge(100), key);
  auto b = fake.ChargeOffSession(Charge(100), key);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(fake.succeeded_charges(), 1);
  EXPECT_EQ(fake.calls().size(), 2u);
  // The same key for another operation is the conflict Stripe answers.
  auto wrong = fake.DetachPaymentMethod("pm_1", key);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Code::kConflict);
}

TEST(FakePaymentProviderTest, ScriptedOutcomesAreStoredToo) {
  testing::FakePaymentProvider fake;
  PaymentIntentResult needs;
  needs.id = "pi_auth";
  needs.status = "requires_payment_method";
  needs.outcome = ChargeOutcome::kNeedsAction;
  needs.failure = PaymentFailure{FailureKind::kNeedsAction, "card_error", "authentication_required",
                                 "authentication_required", ""};
  fake.NextCharge(needs);
  fake.NextCharge(Fail(Code::kUnavailable, "stripe: no answer"));
  auto key = *IdempotencyKey::For("pledge-charge", {"2", "1"});
  auto first = fake.ChargeOffSession(Charge(100), key);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->outcome, ChargeOutcome::kNeedsAction);
  EXPECT_EQ(fake.ChargeOffSession(Charge(100), key)->id, "pi_auth");  // replayed, script kept
  auto key3 = *IdempotencyKey::For("pledge-charge", {"3"});
  auto down = fake.ChargeOffSession(Charge(100), key3);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Code::kUnavailable);
  EXPECT_EQ(fake.succeeded_charges(), 0);
  // No answer came back: the retry with the same key is a new request, and succeeds.
  auto retry = fake.ChargeOffSession(Charge(100), key3);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->outcome, ChargeOutcome::kSucceeded);
  EXPECT_EQ(fake.succeeded_charges(), 1);
  auto bad = fake.ChargeOffSession(OffSessionCharge{}, *IdempotencyKey::For("c", {"4"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace undersigned::payments
