// Conditional pledges' rules (pledge.h).
#include "core/pledge.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

constexpr UnixTime kNow = 1'800'000'000;

PledgeTerms OutcomeTerms() {
  PledgeTerms t;
  t.kind = PledgeConditionKind::kOutcome;
  t.title = "Drop the contract";
  t.condition_text = "Example Corp drops its contract with the agency";
  t.subject_kind = PledgeSubjectKind::kCompany;
  t.subject_name = "Example Corp";
  t.deadline = kNow + 30 * 86400;
  t.currency = "USD";
  t.minimum_minor = 500;
  return t;
}

TEST(PledgeTermsTest, ACompanysActIsAccepted) {
  EXPECT_TRUE(ValidatePledgeTerms(OutcomeTerms(), kNow));
  PledgeTerms t = OutcomeTerms();
  t.subject_kind = PledgeSubjectKind::kOrganization;
  EXPECT_TRUE(ValidatePledgeTerms(t, kNow));
}

TEST(PledgeTermsTest, APublicOfficialIsRefusedWithTheReason) {
  for (PledgeConditionKind kind :
       {PledgeConditionKind::kOutcome, PledgeConditionKind::kUnless, PledgeConditionKind::kCount}) {
    PledgeTerms t = OutcomeTerms();
    t.kind = kind;
    t.threshold = 10;
    t.payee = "The Fund";
    t.subject_kind = PledgeSubjectKind::kPublicOfficial;
    t.subject_name = "Senator Example";
    auto r = ValidatePledgeTerms(t, kNow);
    ASSERT_FALSE(r) << PledgeConditionKindName(kind);
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_EQ(r.error().field_errors.at("subject_kind"), kPublicOfficialRefusal);
    EXPECT_NE(r.error().message.find("bribery"), std::string::npos);
  }
}

TEST(PledgeTermsTest, EachMissingPartIsNamed) {
  PledgeTerms t = OutcomeTerms();
  t.subject_kind = PledgeSubjectKind::kNone;
  t.subject_name = "";
  t.deadline = kNow;
  t.currency = "usd";
  auto r = ValidatePledgeTerms(t, kNow);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("subject_kind"));
  EXPECT_TRUE(r.error().field_errors.count("subject_name"));
  EXPECT_EQ(r.error().field_errors.at("deadline"), "must be in the future");
  EXPECT_TRUE(r.error().field_errors.count("currency"));

  PledgeTerms count;
  count.kind = PledgeConditionKind::kCount;
  count.title = "500 for buses";
  count.condition_text = "500 people pledge";
  count.deadline = kNow + 86400;
  EXPECT_TRUE(ValidatePledgeTerms(count, kNow).error().field_errors.count("threshold"));
  count.threshold = 500;
  EXPECT_TRUE(ValidatePledgeTerms(count, kNow));
  count.deadline = kNow + 400 * 86400;
  EXPECT_EQ(ValidatePledgeTerms(count, kNow).error().field_errors.at("deadline"),
            "must be within a year");

  PledgeTerms unless = OutcomeTerms();
  unless.kind = PledgeConditionKind::kUnless;
  EXPECT_TRUE(ValidatePledgeTerms(unless, kNow).error().field_errors.count("payee"));
  unless.payee = "The Legal Fund";
  EXPECT_TRUE(ValidatePledgeTerms(unless, kNow));

  PledgeTerms free = count;
  free.deadline = kNow + 86400;
  free.money = false;
  free.currency = "";
  EXPECT_TRUE(ValidatePledgeTerms(free, kNow).error().field_errors.count("promise"));
  free.promise = "I will switch banks";
  EXPECT_TRUE(ValidatePledgeTerms(free, kNow));
}

TEST(PledgeTermsTest, AmountsBelowTheMinimumAreRefused) {
  EXPECT_TRUE(ValidatePledgeAmount(500, 500, "USD"));
  auto r = ValidatePledgeAmount(499, 500, "USD");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field_errors.at("amount"), "must be at least $5.00");
  EXPECT_FALSE(ValidatePledgeAmount(0, 0, "USD"));
  EXPECT_TRUE(ValidatePledgeAmount(1, 0, "USD"));
}

TEST(PledgeDecisionTest, EachKindIsDecidedAsDocumented) {
  EXPECT_EQ(DecideAtDeadline(PledgeConditionKind::kCount, 500, 500), PledgeCampaignStatus::kMet);
  EXPECT_EQ(DecideAtDeadline(PledgeConditionKind::kCount, 499, 500), PledgeCampaignStatus::kFailed);
  EXPECT_EQ(DecideAtDeadline(PledgeConditionKind::kOutcome, 9999, 0),
            PledgeCampaignStatus::kFailed);
  EXPECT_EQ(DecideAtDeadline(PledgeConditionKind::kUnless, 0, 0), PledgeCampaignStatus::kMet);
  EXPECT_EQ(*DecideOnDeclaration(PledgeConditionKind::kOutcome), PledgeCampaignStatus::kMet);
  EXPECT_EQ(*DecideOnDeclaration(PledgeConditionKind::kUnless), PledgeCampaignStatus::kFailed);
  EXPECT_FALSE(DecideOnDeclaration(PledgeConditionKind::kCount));
}

TEST(PledgeDecisionTest, NeedsActionIsRemindedEvery48HoursThenLapsesAfterSevenDays) {
  const UnixTime since = kNow;
  EXPECT_EQ(NextNeedsActionStep(since, 0).at, since + 48 * 3600);
  EXPECT_FALSE(NextNeedsActionStep(since, 0).lapse);
  EXPECT_EQ(NextNeedsActionStep(since, 1).at, since + 96 * 3600);
  EXPECT_EQ(NextNeedsActionStep(since, 2).at, since + 144 * 3600);
  EXPECT_FALSE(NextNeedsActionStep(since, 2).lapse);
  EXPECT_EQ(NextNeedsActionStep(since, 3).at, since + 7 * 24 * 3600);
  EXPECT_TRUE(NextNeedsActionStep(since, 3).lapse);
}

TEST(PledgeStatusTest, NamesRoundTripAndWhatCounts) {
  for (PledgeStatus s : {PledgeStatus::kPending, PledgeStatus::kMade, PledgeStatus::kWithdrawn,
                         PledgeStatus::kCharged, PledgeStatus::kNeedsAction, PledgeStatus::kLapsed,
                         PledgeStatus::kReleased, PledgeStatus::kDue}) {
    EXPECT_EQ(ParsePledgeStatus(PledgeStatusName(s)), s);
  }
  EXPECT_FALSE(ParsePledgeStatus("paid"));
  EXPECT_EQ(ParsePledgeSubjectKind("public_official"), PledgeSubjectKind::kPublicOfficial);
  EXPECT_FALSE(PledgeCounts(PledgeStatus::kPending));
  EXPECT_FALSE(PledgeCounts(PledgeStatus::kWithdrawn));
  EXPECT_TRUE(PledgeCounts(PledgeStatus::kLapsed));
  EXPECT_EQ(ChargeRetryDelay(1), 3600);
  EXPECT_EQ(ChargeRetryDelay(2), 4 * 3600);
}

}  // namespace
}  // namespace undersigned
