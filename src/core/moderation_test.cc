#include "core/moderation.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(ModerationTest, ClientNetworkKeepsOnlyThePrefix) {
  EXPECT_EQ(ClientNetwork("203.0.113.77"), "203.0.113.0/24");
  EXPECT_EQ(ClientNetwork(" 198.51.100.1 "), "198.51.100.0/24");
  EXPECT_EQ(ClientNetwork("::ffff:203.0.113.9"), "203.0.113.0/24");
  EXPECT_EQ(ClientNetwork("2001:db8:abcd:12:1:2:3:4"), "2001:db8:abcd::/48");
  EXPECT_EQ(ClientNetwork("[2001:db8:1:ffff::1]"), "2001:db8:1::/48");
  EXPECT_EQ(ClientNetwork(""), "");
  EXPECT_EQ(ClientNetwork("not an address"), "");
}

TEST(ModerationTest, RangesMatchStoredNetworks) {
  auto r = ParseCidr("203.0.112.0/23");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(NetworkInRange("203.0.113.0/24", *r));
  EXPECT_TRUE(NetworkInRange("203.0.112.0/24", *r));
  EXPECT_FALSE(NetworkInRange("203.0.114.0/24", *r));
  EXPECT_FALSE(NetworkInRange("", *r));
  EXPECT_FALSE(NetworkInRange("2001:db8::/48", *r));
  auto v6 = ParseCidr("2001:db8::/32");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_TRUE(NetworkInRange("2001:db8:abcd::/48", *v6));
  EXPECT_FALSE(NetworkInRange("2001:db9::/48", *v6));
  EXPECT_FALSE(NetworkInRange("203.0.113.0/24", *v6));
  auto all = ParseCidr("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(NetworkInRange("198.51.100.0/24", *all));
}

TEST(ModerationTest, BadRangesAreRefusedSayingWhatToFix) {
  for (const char* bad : {"203.0.113.0", "203.0.113.0/", "203.0.113.0/x", "nonsense/24",
                          "203.0.113.7/24", "203.0.113.0/25", "2001:db8::/64", "10.0.0.0/999"}) {
    auto r = ParseCidr(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
  EXPECT_NE(ParseCidr("203.0.113.7/24").error().message.find("203.0.113.0/24"), std::string::npos);
  EXPECT_NE(ParseCidr("203.0.113.0/25").error().message.find("/24"), std::string::npos);
}

TEST(ModerationTest, EmailDomainOfCanonicalAddresses) {
  EXPECT_EQ(EmailDomain("ada@Example.ORG"), "example.org");
  EXPECT_EQ(EmailDomain("affiliation:0123abcd@x"), "");
  EXPECT_EQ(EmailDomain("nodomain"), "");
}

TEST(ModerationTest, FilterNeedsMoreThanTheCampaign) {
  ModerationFilter f;
  f.campaign_slug = "demo";
  auto r = CheckFilter(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(r.error().field_errors.count("ranges"));
  f.email_domain = "@Mailinator.com";
  auto ok = CheckFilter(f);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->email_domain, "mailinator.com");
  EXPECT_TRUE(ok->pending && ok->confirmed);
}

TEST(ModerationTest, FilterRefusesBadFields) {
  ModerationFilter f;
  f.ranges = {"203.0.113.0/24", "bad"};
  f.email_domain = "no spaces.org";
  f.from = 100;
  f.to = 100;
  f.states = {SignatureState::kWithdrawn};
  auto r = CheckFilter(f);
  ASSERT_FALSE(r);
  for (const char* field : {"campaign", "ranges", "email_domain", "to", "states"}) {
    EXPECT_TRUE(r.error().field_errors.count(field)) << field;
  }
}

TEST(ModerationTest, MatchesByNetworkAndDomain) {
  ModerationFilter f;
  f.campaign_slug = "demo";
  f.ranges = {"203.0.113.0/24", "2001:db8::/32"};
  f.email_domain = "example.org";
  f.states = {SignatureState::kConfirmed};
  auto c = CheckFilter(f);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->pending);
  EXPECT_TRUE(MatchesNetworkAndDomain(*c, "203.0.113.0/24", "a@example.org"));
  EXPECT_TRUE(MatchesNetworkAndDomain(*c, "2001:db8:5::/48", "b@example.org"));
  EXPECT_FALSE(MatchesNetworkAndDomain(*c, "203.0.113.0/24", "a@example.com"));
  EXPECT_FALSE(MatchesNetworkAndDomain(*c, "198.51.100.0/24", "a@example.org"));
  EXPECT_FALSE(MatchesNetworkAndDomain(*c, "", "a@example.org"));
}

TEST(ModerationTest, ReasonIsRequiredAndBounded) {
  EXPECT_EQ(*CheckReason("  a flood  "), "a flood");
  EXPECT_FALSE(CheckReason("   "));
  EXPECT_FALSE(CheckReason(std::string(501, 'x')));
  EXPECT_FALSE(CheckReason("two\nlines"));
}

}  // namespace
}  // namespace undersigned
