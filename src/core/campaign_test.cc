#include "core/campaign.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

Campaign Good() {
  Campaign c;
  c.slug = "end-the-contract";
  c.title = "End the contract";
  c.targets.push_back(Target{"Marc Benioff", "CEO", "Salesforce", "benioff", "", ""});
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

TEST(CampaignStatus, RoundTrips) {
  for (auto s : {CampaignStatus::kDraft, CampaignStatus::kOpen, CampaignStatus::kClosed}) {
    EXPECT_EQ(ParseStatus(StatusName(s)), s);
  }
  EXPECT_FALSE(ParseStatus("archived").has_value());
}

}  // namespace
}  // namespace undersigned
