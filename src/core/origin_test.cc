#include "core/origin.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(ReferrerHostTest, KeepsOnlyTheHost) {
  EXPECT_EQ(ReferrerHost("https://News.Example.org/a/b?q=secret#x"), "news.example.org");
  EXPECT_EQ(ReferrerHost("http://user:pw@example.org:8080/path"), "example.org");
  EXPECT_EQ(ReferrerHost("https://example.org."), "example.org");
  EXPECT_EQ(ReferrerHost("https://[2001:db8::1]:443/x"), "[2001:db8::1]");
  EXPECT_EQ(ReferrerHost("https://192.0.2.1/x"), "192.0.2.1");
}

TEST(ReferrerHostTest, RefusesWhatIsNotAnHttpUrlWithAHost) {
  EXPECT_EQ(ReferrerHost(""), "");
  EXPECT_EQ(ReferrerHost("android-app://com.example"), "");
  EXPECT_EQ(ReferrerHost("javascript:alert(1)"), "");
  EXPECT_EQ(ReferrerHost("https:///path"), "");
  EXPECT_EQ(ReferrerHost("https://exa mple.org/"), "");
  EXPECT_EQ(ReferrerHost("https://-bad.example/"), "");
  EXPECT_EQ(ReferrerHost("https://" + std::string(300, 'a') + ".org/"), "");
}

TEST(OriginTest, ValidateNormalizesAndAccepts) {
  SignatureOrigin o{"News.Example.ORG", "  newsletter ", "email", "spring-2026", "Mastodon", ""};
  auto v = ValidateOrigin(o);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->referrer, "news.example.org");
  EXPECT_EQ(v->utm_source, "newsletter");
  EXPECT_EQ(v->channel, "mastodon");
  EXPECT_TRUE(ValidateOrigin({}));
  EXPECT_TRUE(SignatureOrigin{}.empty());
  EXPECT_FALSE(v->empty());
}

TEST(OriginTest, ValidateNamesEachBadField) {
  SignatureOrigin o;
  o.referrer = "https://example.org/path";
  o.utm_source = std::string(kMaxUtmBytes + 1, 'a');
  o.utm_medium = "a\x01";
  o.utm_campaign = "\xff";
  o.channel = "no spaces";
  o.referral = "a/b";
  auto v = ValidateOrigin(o);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Code::kInvalidArgument);
  for (const char* key :
       {"referrer", "utm_source", "utm_medium", "utm_campaign", "channel", "referral"}) {
    EXPECT_TRUE(v.error().field_errors.count(key)) << key;
  }
}

TEST(OriginTest, CleanDropsOnlyTheBadFields) {
  SignatureOrigin o{"bad host!", "ok", std::string(kMaxUtmBytes + 1, 'x'), "fine", "x", ""};
  SignatureOrigin c = CleanOrigin(o);
  EXPECT_EQ(c.referrer, "");
  EXPECT_EQ(c.utm_source, "ok");
  EXPECT_EQ(c.utm_medium, "");
  EXPECT_EQ(c.utm_campaign, "fine");
  EXPECT_EQ(c.channel, "x");
  EXPECT_EQ(CleanOrigin(SignatureOrigin{"\u202eevil", "a\u202eb", "", "", "", ""}).utm_source, "");
}

TEST(OriginTest, ReferralKeepsItsCaseAndRefusesAnythingButACode) {
  SignatureOrigin o;
  o.referral = " Ab_9-xZ ";
  auto v = ValidateOrigin(o);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->referral, "Ab_9-xZ");
  EXPECT_FALSE(v->empty());
  for (std::string bad : {std::string("a b"), std::string("é"), std::string("a?s=x"),
                          std::string(kMaxReferralBytes + 1, 'a')}) {
    o.referral = bad;
    EXPECT_EQ(CleanOrigin(o).referral, "") << bad;
    EXPECT_FALSE(ValidateOrigin(o)) << bad;
  }
}

}  // namespace
}  // namespace undersigned
