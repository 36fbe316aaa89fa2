// The home page and the small routes (home.cc): open campaigns, the favicon, the 404 page.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>

#include <nlohmann/json.hpp>

#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

namespace fs = std::filesystem;

using test::Contains;
using test::FormEncode;
using test::HeaderOf;
using test::kBase;
using test::kSecret;
using test::kXss;
using test::PagesTest;

TEST_F(PagesTest, IndexListsOpenCampaigns) {
  Response r = Call("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Contains(r.body, "<a href=\"/c/drop-ice\">Drop the &lt;ICE&gt; contract</a>"));
  EXPECT_TRUE(Contains(r.body, "Cancel it &amp; speak out"));
  EXPECT_TRUE(Contains(r.body, "12,000"));
  ASSERT_TRUE(campaigns_->SetStatus("drop-ice", CampaignStatus::kClosed));
  Response after = Call("GET", "/");
  EXPECT_FALSE(Contains(after.body, "/c/drop-ice"));
  EXPECT_TRUE(Contains(after.body, "No campaign is open right now"));
}

TEST_F(PagesTest, SmallRoutes) {
  Response r = Call("GET", "/c/drop-ice/sign");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/c/drop-ice");
  Response f = Call("GET", "/favicon.ico");
  EXPECT_EQ(f.status, 301);
  EXPECT_EQ(HeaderOf(f, "Location"), "/static/favicon.svg");
}

}  // namespace
}  // namespace undersigned::http
