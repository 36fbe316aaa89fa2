// Personal share links (service/referrals.h) against a real SQLite store: the code, what it is
// credited with, and who is offered one.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/origin.h"
#include "service/referrals.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class ReferralsTest : public ServiceFixture {
 protected:
  ReferralsTest() : ServiceFixture(1'800'000'000) {}
  void SetUp() override {
    ServiceFixture::SetUp();
    Create(OpenCampaign("letter"));
    auto r = ReferralService::Open(*store_, *signing_);
    ASSERT_TRUE(r) << r.error().message;
    referrals_ = std::move(*r);
  }

  // Signs through the form (a confirmation mail is queued) with origin.referral = via; the
  // token of that mail.
  std::string Sign(const std::string& email, const std::string& via = "",
                   Protection protection = Protection::kNone) {
    SignatureForm f;
    f.name = "Signer " + email;
    f.email = email;
    f.public_name = protection == Protection::kNone;
    f.protection = protection;
    SignContext ctx;
    ctx.origin.referral = via;
    ctx.origin.channel = via.empty() ? "" : "whatsapp";
    auto r = signing_->Sign("letter", f, ctx);
    EXPECT_TRUE(r) << r.error().message;
    auto due = store_->DueOutbox(clock_.Now() + 1, 1000);
    EXPECT_TRUE(due && !due->empty());
    const std::string& p = due->back().payload;
    const std::string needle = "\"token\":\"";
    const auto at = p.find(needle) + needle.size();
    return p.substr(at, p.find('"', at) - at);
  }
  std::string SignAndConfirm(const std::string& email, const std::string& via = "") {
    std::string token = Sign(email, via);
    auto c = signing_->Confirm(token);
    EXPECT_TRUE(c) << c.error().message;
    return token;
  }

  std::unique_ptr<ReferralService> referrals_;
};

TEST_F(ReferralsTest, ACodeIsStableOfItsOwnShapeAndDiffersPerSigner) {
  const std::string ada = SignAndConfirm("ada@example.org");
  const std::string bob = SignAndConfirm("bob@example.org");
  auto a = referrals_->ForConfirmToken(ada, "");
  auto b = referrals_->ForConfirmToken(bob, "");
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->code.size(), kReferralCodeLength);
  SignatureOrigin o;
  o.referral = a->code;
  EXPECT_TRUE(ValidateOrigin(o)) << a->code;  // a code fits what the sign form carries back
  EXPECT_NE(a->code, b->code);
  EXPECT_EQ(referrals_->ForConfirmToken(ada, "")->code, a->code);
  EXPECT_EQ(referrals_->CodeOf(a->signer.signature), a->code);
  EXPECT_TRUE(a->offered);
  // The key is the instance's: a service opened again (a restart, another node) agrees.
  auto again = ReferralService::Open(*store_, *signing_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->CodeOf(a->signer.signature), a->code);
}

TEST_F(ReferralsTest, OnlyConfirmedSignaturesThroughTheLinkAreCredited) {
  const std::string ada = SignAndConfirm("ada@example.org");
  const std::string code = referrals_->ForConfirmToken(ada, "")->code;
  SignAndConfirm("b1@example.org", code);
  SignAndConfirm("b2@example.org", code);
  Sign("pending@example.org", code);                       // never confirmed
  SignAndConfirm("plain@example.org");                     // no link
  SignAndConfirm("other@example.org", "Zz_other0000000");  // someone else's
  const std::string gone = SignAndConfirm("gone@example.org", code);
  ASSERT_TRUE(signing_->Withdraw(gone));
  auto a = referrals_->ForConfirmToken(ada, "");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->brought, 2);
  EXPECT_EQ(*referrals_->Brought(a->signer.signature), 2);
  // What the referrer is given is a count: PersonalLink names nobody else.
  EXPECT_EQ(a->signer.signature.form.email, "ada@example.org");
}

TEST_F(ReferralsTest, NoLinkBeforeConfirmationOrAfterWithdrawingAndNoneForAGuess) {
  const std::string pending = Sign("ada@example.org");
  auto p = referrals_->ForConfirmToken(pending, "");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Code::kConflict);
  EXPECT_NE(p.error().message.find("not confirmed yet"), std::string::npos);
  ASSERT_TRUE(signing_->Confirm(pending));
  ASSERT_TRUE(signing_->Withdraw(pending));
  auto w = referrals_->ForConfirmToken(pending, "");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Code::kConflict);
  auto guess = referrals_->ForConfirmToken("not-a-token", "203.0.113.9");
  ASSERT_FALSE(guess);
  EXPECT_EQ(guess.error().code, Code::kNotFound);
}

TEST_F(ReferralsTest, AProtectedSignerIsNotOfferedALinkUnasked) {
  Signature s;
  s.form.protection = Protection::kAnonymous;
  EXPECT_FALSE(ReferralService::Offered(s));
  s.form.protection = Protection::kSealed;
  EXPECT_FALSE(ReferralService::Offered(s));
  s.form.protection = Protection::kNone;
  EXPECT_TRUE(ReferralService::Offered(s));
}

}  // namespace
}  // namespace undersigned::service
