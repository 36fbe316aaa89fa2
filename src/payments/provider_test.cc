#include "payments/provider.h"

#include <gtest/gtest.h>

#include "payments/form.h"

namespace undersigned::payments {
namespace {

TEST(IdempotencyKeyTest, DerivedFromOurIds) {
  auto k = IdempotencyKey::For("pledge-charge", {"42", "1"});
  ASSERT_TRUE(k);
  EXPECT_EQ(k->str(), "undersigned:pledge-charge:42:1");
  EXPECT_EQ(*k, *IdempotencyKey::For("pledge-charge", {"42", "1"}));
  EXPECT_FALSE(*k == *IdempotencyKey::For("pledge-charge", {"42", "2"}));
}

TEST(IdempotencyKeyTest, RefusesWhatCouldCollideOrIsTooLong) {
  EXPECT_FALSE(IdempotencyKey::For("", {"1"}));
  EXPECT_FALSE(IdempotencyKey::For("charge", {}));
  EXPECT_FALSE(IdempotencyKey::For("charge", {""}));
  // ':' inside a part would make "a:b","c" and "a","b:c" the same key.
  auto r = IdempotencyKey::For("charge", {"a:b"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("a:b"), std::string::npos);
  EXPECT_FALSE(IdempotencyKey::For("charge", {std::string(250, 'x')}));
  EXPECT_TRUE(IdempotencyKey::For("c", {std::string(255 - 14, 'x')}));
  EXPECT_FALSE(IdempotencyKey::For("c", {std::string(255 - 13, 'x')}));
  EXPECT_TRUE(IdempotencyKey::FromString("any-key_from.the:store"));
  EXPECT_FALSE(IdempotencyKey::FromString(""));
  EXPECT_FALSE(IdempotencyKey::FromString("has space"));
  EXPECT_FALSE(IdempotencyKey::FromString(std::string(256, 'k')));
}

TEST(ClassifyFailureTest, MapsStripeCodesToOurKinds) {
  EXPECT_EQ(ClassifyFailure("card_error", "authentication_required", "authentication_required"),
            FailureKind::kNeedsAction);
  EXPECT_EQ(ClassifyFailure("card_error", "card_declined", "authentication_required"),
            FailureKind::kNeedsAction);
  EXPECT_EQ(ClassifyFailure("card_error", "card_declined", "generic_decline"),
            FailureKind::kDeclined);
  EXPECT_EQ(ClassifyFailure("card_error", "card_declined", "insufficient_funds"),
            FailureKind::kDeclined);
  EXPECT_EQ(ClassifyFailure("card_error", "expired_card", ""), FailureKind::kDeclined);
  EXPECT_EQ(ClassifyFailure("card_error", "processing_error", ""), FailureKind::kTryAgain);
  EXPECT_EQ(ClassifyFailure("card_error", "card_declined", "try_again_later"),
            FailureKind::kTryAgain);
  EXPECT_EQ(ClassifyFailure("invalid_request_error", "parameter_missing", ""),
            FailureKind::kInvalid);
  EXPECT_EQ(ClassifyFailure("api_error", "", ""), FailureKind::kOther);
  EXPECT_STREQ(FailureKindName(FailureKind::kNeedsAction), "needs_action");
}

TEST(ValidateTest, CheckoutNamesEachBadField) {
  CheckoutRequest r;
  r.mode = CheckoutMode::kSubscription;
  r.currency = "dollars";
  r.amount_minor = -5;
  r.interval = "fortnight";
  r.success_url = "ftp://x";
  r.metadata["a[b]"] = "v";
  auto v = ValidateCheckout(r);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Code::kInvalidArgument);
  for (const char* f : {"currency", "amount", "item_name", "interval", "success_url", "metadata"}) {
    EXPECT_TRUE(v.error().field_errors.count(f)) << f;
  }
  CheckoutRequest setup;
  setup.mode = CheckoutMode::kSetup;
  setup.currency = "usd";
  setup.success_url = "https://x.example/ok?s={CHECKOUT_SESSION_ID}";
  EXPECT_TRUE(ValidateCheckout(setup));
  setup.amount_minor = 100;
  EXPECT_FALSE(ValidateCheckout(setup));  // saving a card charges nothing
}

TEST(ValidateTest, ChargeAndRefund) {
  OffSessionCharge c;
  auto v = ValidateCharge(c);
  ASSERT_FALSE(v);
  for (const char* f : {"customer", "payment_method", "amount", "currency"}) {
    EXPECT_TRUE(v.error().field_errors.count(f)) << f;
  }
  RefundRequest r;
  EXPECT_FALSE(ValidateRefund(r));
  r.payment_intent = "pi_1";
  EXPECT_TRUE(ValidateRefund(r));
  r.charge = "ch_1";
  EXPECT_FALSE(ValidateRefund(r));  // one of the two, not both
  r.charge.clear();
  r.amount_minor = 0;
  EXPECT_FALSE(ValidateRefund(r));
}

TEST(FormTest, EncodesAsStripesLibrary) {
  // encodeURIComponent, then ! * ( ) ' encoded too, and brackets kept.
  EXPECT_EQ(FormEncodeComponent("a-z_A.Z~09"), "a-z_A.Z~09");
  EXPECT_EQ(FormEncodeComponent("metadata[k]"), "metadata[k]");
  EXPECT_EQ(FormEncodeComponent("a b&c=d+e/f?g#h"), "a%20b%26c%3Dd%2Be%2Ff%3Fg%23h");
  EXPECT_EQ(FormEncodeComponent("!*()'"), "%21%2A%28%29%27");
  EXPECT_EQ(FormEncodeComponent("{CHECKOUT_SESSION_ID}"), "%7BCHECKOUT_SESSION_ID%7D");
  EXPECT_EQ(FormEncodeComponent("für ✓"), "f%C3%BCr%20%E2%9C%93");
  FormBody f;
  f.Add("amount", "100").AddMap("metadata", {{"z", "1"}, {"a", "x y"}});
  EXPECT_EQ(f.Encode(), "amount=100&metadata[a]=x%20y&metadata[z]=1");
}

}  // namespace
}  // namespace undersigned::payments
