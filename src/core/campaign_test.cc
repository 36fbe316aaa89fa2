#include "core/campaign.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

Campaign Good() {
  Campaign c;
  c.slug = "end-the-contract";
  c.title = "End the contract";
  c.targets.push_back(Target{"Marc Benioff", "CEO", "Salesforce", "benioff", "", "", ""});
  c.goal = 1000;
  return c;
}

TEST(ValidateCampaign, AcceptsGood) { EXPECT_TRUE(ValidateCampaign(Good()).has_value()); }

TEST(ValidateCampaign, NamesEachBadField) {
  Campaign c = Good();
  c.slug = "Bad Slug";
  c.title = "";
  c.targets.clear();
  c.goal = 0;
  c.language = "english!";
  auto r = ValidateCampaign(c);
  ASSERT_FALSE(r.has_value());
  for (const char* f : {"slug", "title", "targets", "goal", "language"}) {
    EXPECT_TRUE(r.error().field_errors.count(f)) << f;
  }
  EXPECT_NE(r.error().message.find("slug"), std::string::npos);
}

TEST(ValidateCampaign, RejectsMarkupInHandles) {
  Campaign c = Good();
  c.targets[0].x_handle = "\"><script>";
  EXPECT_FALSE(ValidateCampaign(c).has_value());
}

// A seal of 3 under a floor of 5 would show names while the count still reads "fewer than 5".
TEST(ValidateCampaign, RefusesSealsBelowTheAnonymityFloor) {
  Campaign c = Good();
  SignerGroup staff;
  staff.key = "staff";
  staff.name = "Staff";
  staff.kind = GroupKind::kEmployees;
  staff.organization = "Acme";
  staff.domains = {"acme.com"};
  staff.seal_thresholds = {3, 50};
  c.groups = {staff};
  c.anonymity_floor = 5;
  auto r = ValidateCampaign(c);
  ASSERT_FALSE(r.has_value());
  const std::string& msg = r.error().field_errors["groups[0].seal_thresholds"];
  EXPECT_NE(msg.find("a seal of 3 is below the anonymity floor (5)"), std::string::npos) << msg;
  c.anonymity_floor = 3;
  EXPECT_TRUE(ValidateCampaign(c).has_value());
}

TEST(CampaignStatus, RoundTrips) {
  for (auto s : {CampaignStatus::kDraft, CampaignStatus::kOpen, CampaignStatus::kClosed}) {
    EXPECT_EQ(ParseStatus(StatusName(s)), s);
  }
  EXPECT_FALSE(ParseStatus("archived").has_value());
}

TEST(CampaignImage, AltIsRequiredPlainTextOfBoundedLength) {
  EXPECT_TRUE(ValidateImageAlt("Workers outside the head office, holding the letter").has_value());
  for (const std::string& bad : std::vector<std::string>{
           "", "   ", "two\nlines", std::string(kMaxImageAltBytes + 1, 'a'), "\xff"}) {
    auto r = ValidateImageAlt(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_TRUE(r.error().field_errors.count("image_alt")) << bad;
  }
  EXPECT_TRUE(ValidateImageAlt(std::string(kMaxImageAltBytes, 'a')).has_value());
}

}  // namespace
}  // namespace undersigned
