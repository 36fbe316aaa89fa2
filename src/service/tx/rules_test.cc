#include "service/tx/rules.h"

#include <gtest/gtest.h>

#include "log/leaf.h"

namespace undersigned::tx {
namespace {

constexpr UnixTime kT0 = 1'700'000'000;

TEST(DecideSignTest, EachCase) {
  EXPECT_EQ(DecideSign(std::nullopt, 0, false, 3), SignAction::kCreate);
  EXPECT_EQ(DecideSign(std::nullopt, 0, true, 3), SignAction::kCreate);
  EXPECT_EQ(DecideSign(SignatureState::kInvalidated, 0, false, 3), SignAction::kResendLimit);
  EXPECT_EQ(DecideSign(SignatureState::kInvalidated, 0, true, 3), SignAction::kResendLimit);
  EXPECT_EQ(DecideSign(SignatureState::kWithdrawn, 3, false, 3), SignAction::kResign);
  EXPECT_EQ(DecideSign(SignatureState::kWithdrawn, 0, true, 3), SignAction::kResign);
  EXPECT_EQ(DecideSign(SignatureState::kPending, 1, true, 3), SignAction::kRecordConfirm);
  EXPECT_EQ(DecideSign(SignatureState::kConfirmed, 9, true, 3), SignAction::kRecordAgain);
  EXPECT_EQ(DecideSign(SignatureState::kPending, 1, false, 3), SignAction::kResend);
  EXPECT_EQ(DecideSign(SignatureState::kPending, 2, false, 3), SignAction::kResend);
  EXPECT_EQ(DecideSign(SignatureState::kPending, 3, false, 3), SignAction::kResendLimit);
  EXPECT_EQ(DecideSign(SignatureState::kConfirmed, 1, false, 3), SignAction::kAlreadySigned);
  EXPECT_EQ(DecideSign(SignatureState::kConfirmed, 3, false, 3), SignAction::kResendLimit);
}

TEST(ReachesThresholdTest, CountDeadlineAndOutcome) {
  Campaign c;
  EXPECT_FALSE(ReachesThreshold(c, 100, kT0));  // no threshold
  c.threshold = 3;
  EXPECT_FALSE(ReachesThreshold(c, 2, kT0));
  EXPECT_TRUE(ReachesThreshold(c, 3, kT0));
  EXPECT_TRUE(ReachesThreshold(c, 4, kT0));
  c.deadline = kT0;
  EXPECT_TRUE(ReachesThreshold(c, 3, kT0));  // at the deadline still counts
  EXPECT_FALSE(ReachesThreshold(c, 3, kT0 + 1));
  c.deadline.reset();
  c.outcome = CampaignOutcome::kSucceeded;
  EXPECT_FALSE(ReachesThreshold(c, 3, kT0));  // decided already
}

TEST(OutcomeAtDeadlineTest, FailsBelowThreshold) {
  EXPECT_EQ(OutcomeAtDeadline(3, 2), CampaignOutcome::kFailed);
  EXPECT_EQ(OutcomeAtDeadline(3, 3), CampaignOutcome::kSucceeded);
}

TEST(MayRevealTest, LowestThreshold) {
  SignerGroup g;
  EXPECT_FALSE(MayReveal(g, 1000));
  g.seal_thresholds = {10, 50};
  EXPECT_FALSE(MayReveal(g, 9));
  EXPECT_TRUE(MayReveal(g, 10));
  EXPECT_TRUE(MayReveal(g, 51));
}

TEST(DecideOrganizationStateTest, Transitions) {
  using D = OrganizationDecision;
  using S = OrganizationState;
  auto approve = DecideOrganizationState(S::kConfirmed, D::kApprove);
  ASSERT_TRUE(approve);
  EXPECT_EQ(*approve, S::kApproved);
  auto reject = DecideOrganizationState(S::kConfirmed, D::kReject);
  ASSERT_TRUE(reject);
  EXPECT_EQ(*reject, S::kRejected);
  auto again = DecideOrganizationState(S::kApproved, D::kApprove);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());  // a no-op
  EXPECT_EQ(DecideOrganizationState(S::kPending, D::kApprove).error().code, Code::kConflict);
  // Rejecting an approved organization is not how an approval is taken back: withdrawing is.
  EXPECT_EQ(DecideOrganizationState(S::kApproved, D::kReject).error().code, Code::kConflict);
  auto withdraw = DecideOrganizationState(S::kApproved, D::kWithdraw);
  ASSERT_TRUE(withdraw);
  EXPECT_EQ(*withdraw, S::kRejected);
  EXPECT_FALSE(DecideOrganizationState(S::kRejected, D::kWithdraw)->has_value());
  EXPECT_EQ(DecideOrganizationState(S::kConfirmed, D::kWithdraw).error().code, Code::kConflict);
  EXPECT_EQ(DecideOrganizationState(S::kPending, D::kWithdraw).error().code, Code::kConflict);
}

TEST(LeafEntryTest, ParsesBackWithItsFields) {
  const std::string salt(log::kSaltBytes, 's');
  const std::string text(64, 'a');
  const std::string entry = LeafEntry("0190a4f1-0000-7000-8000-000000000001",
                                      log::LeafEvent::kWithdraw, "", kT0, text, salt, "a@b.c");
  auto leaf = log::ParseLeaf(entry);
  ASSERT_TRUE(leaf) << leaf.error().message;
  EXPECT_EQ(leaf->campaign, "0190a4f1-0000-7000-8000-000000000001");
  EXPECT_EQ(leaf->event, log::LeafEvent::kWithdraw);
  EXPECT_EQ(leaf->group, "public");
  EXPECT_EQ(leaf->day, "2023-11-14");
  EXPECT_EQ(leaf->text, text);
  EXPECT_EQ(leaf->commitment,
            log::Commitment(std::span<const std::uint8_t>(
                                reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                            "a@b.c"));
}

}  // namespace
}  // namespace undersigned::tx
