#include "http/pages/origin.h"

#include <gtest/gtest.h>

namespace undersigned::http::pages {
namespace {

Request Landing(std::string referer, std::multimap<std::string, std::string> query) {
  Request r;
  r.method = "GET";
  if (!referer.empty()) r.headers["referer"] = std::move(referer);
  r.query = std::move(query);
  return r;
}

TEST(OriginFieldTest, LandingKeepsTheHostAndTheCampaignParameters) {
  SignatureOrigin o = LandingOrigin(
      Landing("https://News.example.org/story/123?user=ada", {{"utm_source", "newsletter"},
                                                              {"utm_medium", "email"},
                                                              {"s", "mastodon"},
                                                              {"ref", "AbC-123_xyz"}}),
      "sign.example.org");
  EXPECT_EQ(o.referrer, "news.example.org");
  EXPECT_EQ(o.referral, "AbC-123_xyz");
  EXPECT_EQ(o.utm_source, "newsletter");
  EXPECT_EQ(o.utm_medium, "email");
  EXPECT_EQ(o.utm_campaign, "");
  EXPECT_EQ(o.channel, "mastodon");
}

TEST(OriginFieldTest, OurOwnPagesAndBadValuesAreNoOrigin) {
  SignatureOrigin o =
      LandingOrigin(Landing("https://sign.example.org/",
                            {{"s", "<script>"}, {"utm_source", "a\x01"}, {"ref", "not a code"}}),
                    "sign.example.org");
  EXPECT_TRUE(o.empty());
}

TEST(OriginFieldTest, TheFieldRoundTripsAndIsEscaped) {
  SignatureOrigin o{"news.example.org", "news & \"views\"", "", "spring 2026", "x", "Ab-12_c"};
  const std::string field = EncodeOriginField(o);
  EXPECT_EQ(DecodeOriginField(field), o);
  const std::string html = OriginInputHtml(o);
  EXPECT_NE(html.find("name=\"origin\""), std::string::npos);
  EXPECT_EQ(html.find("\"views\""), std::string::npos);  // quotes never end the attribute
  EXPECT_EQ(OriginInputHtml({}), "");
  EXPECT_EQ(EncodeOriginField({}), "");
}

TEST(OriginFieldTest, ATamperedFieldIsCleanedNotRefused) {
  SignatureOrigin o = DecodeOriginField("r=not%20a%20host&us=ok&s=" + std::string(100, 'x'));
  EXPECT_EQ(o.referrer, "");
  EXPECT_EQ(o.utm_source, "ok");
  EXPECT_EQ(o.channel, "");
  EXPECT_TRUE(DecodeOriginField("%zz").empty());
}

}  // namespace
}  // namespace undersigned::http::pages
