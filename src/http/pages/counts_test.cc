// The public counts (counts.cc): the JSON any origin may read, the live count's topic.
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

TEST_F(PagesTest, CountsJsonForAnyOrigin) {
  clock_.Advance(10);
  Response r = Call("GET", "/c/drop-ice.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["slug"], "drop-ice");
  EXPECT_EQ(j["title"], "Drop the <ICE> contract");
  EXPECT_EQ(j["status"], "open");
  EXPECT_EQ(j["goal"], 12000);
  EXPECT_EQ(j["confirmed"], 0);
  EXPECT_EQ(j["last_change"].get<std::string>().back(), 'Z');
  EXPECT_EQ(r.body, CountsJson(*campaigns_->Snapshot("drop-ice"), clock_.Now()));
  // Keys in a fixed order, so the published events are byte-identical.
  EXPECT_EQ(r.body.rfind("{\"slug\":\"drop-ice\",\"title\":", 0), 0u);
  Response missing = Call("GET", "/c/nope-nope.json");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(HeaderOf(missing, "Access-Control-Allow-Origin"), "*");
}

TEST_F(PagesTest, EventStreamTopic) {
  std::vector<std::string_view> segments;
  SplitPath("/c/drop-ice/events", &segments);
  Request req;
  auto match = router_->Find("GET", segments, &req.params);
  ASSERT_NE(match.route, nullptr);
  ASSERT_EQ(match.route->kind, Router::Kind::kEventStream);
  auto topic = match.route->topic_for(req);
  ASSERT_TRUE(topic);
  EXPECT_EQ(*topic, "campaign:drop-ice");
  EXPECT_EQ(*topic, CampaignTopic("drop-ice"));
  req.params["slug"] = "nope-nope";
  EXPECT_EQ(match.route->topic_for(req).error().code, Code::kNotFound);
}

}  // namespace
}  // namespace undersigned::http
