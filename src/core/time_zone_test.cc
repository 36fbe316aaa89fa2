#include "core/time_zone.h"

#include <gtest/gtest.h>

#include "core/campaign.h"

namespace undersigned {
namespace {

TEST(TimeZoneTest, KnowsTheTzDatabase) {
  EXPECT_TRUE(IsKnownTimeZone("UTC"));
  EXPECT_TRUE(IsKnownTimeZone("Europe/Paris"));
  EXPECT_FALSE(IsKnownTimeZone(""));
  EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus_Mons"));
}

TEST(TimeZoneTest, ADateIsTheEndOfThatDayInTheZone) {
  // 2026-12-31 in UTC closes at 2027-01-01T00:00:00Z, not at the start of the 31st.
  EXPECT_EQ(ParseDeadline("2026-12-31", "UTC"), ParseIso8601("2027-01-01T00:00:00Z"));
  // In Paris (UTC+1 in winter) the 31st ends an hour earlier in UTC.
  EXPECT_EQ(ParseDeadline("2026-12-31", "Europe/Paris"), ParseIso8601("2026-12-31T23:00:00Z"));
  // In New York (UTC-5) five hours later; and in summer (UTC-4) four.
  EXPECT_EQ(ParseDeadline("2026-12-31", "America/New_York"), ParseIso8601("2027-01-01T05:00:00Z"));
  EXPECT_EQ(ParseDeadline("2026-07-04", "America/New_York"), ParseIso8601("2026-07-05T04:00:00Z"));
}

TEST(TimeZoneTest, AFullTimestampIsTakenAsGiven) {
  EXPECT_EQ(ParseDeadline("2026-12-31T18:00:00Z", "Europe/Paris"),
            ParseIso8601("2026-12-31T18:00:00Z"));
  EXPECT_EQ(ParseDeadline("2026-12-31T18:00:00+01:00", "UTC"),
            ParseIso8601("2026-12-31T17:00:00Z"));
}

TEST(TimeZoneTest, MalformedOrUnknownIsRefused) {
  EXPECT_FALSE(ParseDeadline("31/12/2026", "UTC"));
  EXPECT_FALSE(ParseDeadline("2026-12-31", "Nowhere/Town"));
}

TEST(TimeZoneTest, AWallClockTimeIsReadInTheZone) {
  // What a datetime-local field sends: minutes, or seconds.
  EXPECT_EQ(ParseLocalTime("2026-12-08T09:30", "Europe/Paris"),
            ParseIso8601("2026-12-08T08:30:00Z"));
  EXPECT_EQ(ParseLocalTime("2026-07-08T09:30:15", "America/New_York"),
            ParseIso8601("2026-07-08T13:30:15Z"));
  EXPECT_EQ(ParseLocalTime("2026-12-08T09:30", "UTC"), ParseIso8601("2026-12-08T09:30:00Z"));
  // With an offset it is taken as given.
  EXPECT_EQ(ParseLocalTime("2026-12-08T09:30:00Z", "Europe/Paris"),
            ParseIso8601("2026-12-08T09:30:00Z"));
  // 02:30 on 29 March 2026 does not exist in Paris (clocks jump from 02:00 to 03:00): it is
  // the moment of the jump, 03:00 there.
  EXPECT_EQ(ParseLocalTime("2026-03-29T02:30", "Europe/Paris"),
            ParseIso8601("2026-03-29T01:00:00Z"));
  EXPECT_FALSE(ParseLocalTime("2026-12-08 09:30", "UTC"));
  EXPECT_FALSE(ParseLocalTime("tomorrow", "UTC"));
  EXPECT_FALSE(ParseLocalTime("2026-12-08T09:30", "Nowhere/Town"));
  EXPECT_EQ(DescribeTime(*ParseIso8601("2026-12-08T08:30:00Z"), "Europe/Paris"),
            "8 December 2026, 09:30 (Europe/Paris)");
}

TEST(TimeZoneTest, DescribesTheLastDayInTheZone) {
  EXPECT_EQ(DescribeDeadline(*ParseDeadline("2026-12-31", "UTC"), "UTC"),
            "the end of 31 December 2026 (UTC)");
  EXPECT_EQ(DescribeDeadline(*ParseDeadline("2026-12-31", "Europe/Paris"), "Europe/Paris"),
            "the end of 31 December 2026 (Europe/Paris)");
  EXPECT_EQ(DescribeDeadline(*ParseIso8601("2026-12-31T17:30:00Z"), "Europe/Paris"),
            "31 December 2026, 18:30 (Europe/Paris)");
}

TEST(CampaignStatusTest, ADateDeadlineIsOpenAllThatDayAndClosedAfter) {
  Campaign c;
  c.status = CampaignStatus::kOpen;
  c.deadline = ParseDeadline("2026-12-31", "UTC");
  const UnixTime last_second = *ParseIso8601("2026-12-31T23:59:59Z");
  EXPECT_TRUE(TakesSignatures(c, last_second));
  EXPECT_EQ(StatusAt(c, last_second), CampaignStatus::kOpen);
  EXPECT_FALSE(TakesSignatures(c, last_second + 1));
  EXPECT_EQ(StatusAt(c, last_second + 1), CampaignStatus::kClosed);
  c.status = CampaignStatus::kDraft;
  EXPECT_EQ(StatusAt(c, last_second + 1), CampaignStatus::kDraft);
}

TEST(CampaignStatusTest, AnUnknownTimeZoneIsAFieldError) {
  Campaign c;
  c.slug = "zone";
  c.title = "Zone";
  c.targets = {Target{"Dana", "", "", "", "", "", ""}};
  c.goal = 10;
  c.time_zone = "Europe/Atlantis";
  auto r = ValidateCampaign(c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("time_zone"));
}

}  // namespace
}  // namespace undersigned
