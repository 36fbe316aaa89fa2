// The Mastodon share page (share_mastodon.cc).
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

TEST_F(PagesTest, MastodonSharePage) {
  Response form = Call("GET", "/c/drop-ice/share/mastodon");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(Contains(form.body, "@benioff@mastodon.social"));
  EXPECT_TRUE(Contains(form.body, "<label for=\"f-instance\">"));
  Response ready = Call("GET", "/c/drop-ice/share/mastodon?instance=https%3A%2F%2FHachyderm.io%2F");
  ASSERT_EQ(ready.status, 200);
  EXPECT_TRUE(Contains(ready.body, "href=\"https://hachyderm.io/share?text=I%20signed%20"));
  EXPECT_TRUE(Contains(ready.body, "%40benioff%40mastodon.social"));
  Response bad = Call("GET", "/c/drop-ice/share/mastodon?instance=%22%3E%3Cscript%3E");
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(Contains(bad.body, "value=\"&quot;&gt;&lt;script&gt;\""));
  EXPECT_FALSE(Contains(bad.body, "\"><script>"));
}

}  // namespace
}  // namespace undersigned::http
