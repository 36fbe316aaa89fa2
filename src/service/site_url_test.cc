// The public base URL against a real store: kept once given, used by later starts and by
// deliver, a change refused unless the operator says the site moved, and never 0.0.0.0.
#include "service/site_url.h"

#include <gtest/gtest.h>

#include "service/log.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class SiteUrlTest : public ServiceFixture {
 protected:
  Result<SettledBaseUrl> Settle(const std::string& configured, bool allow_change = false,
                                const std::string& listen = "http://127.0.0.1:8080") {
    return SettleBaseUrl(*store_, BaseUrlOptions{configured, listen, false, allow_change});
  }
};

TEST(NormalizeBaseUrlTest, TakesAPublicAddressAndRefusesTheRest) {
  EXPECT_EQ(NormalizeBaseUrl("https://sign.example.org/"), "https://sign.example.org");
  EXPECT_EQ(NormalizeBaseUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_FALSE(NormalizeBaseUrl("sign.example.org"));
  EXPECT_FALSE(NormalizeBaseUrl("ftp://sign.example.org"));
  EXPECT_FALSE(NormalizeBaseUrl("https://"));
  auto any = NormalizeBaseUrl("http://0.0.0.0:8080");
  ASSERT_FALSE(any);
  EXPECT_NE(any.error().message.find("every interface"), std::string::npos);
  EXPECT_FALSE(NormalizeBaseUrl("http://[::]:8080"));
}

TEST_F(SiteUrlTest, AGivenUrlIsKeptAndUsedByLaterStartsAndByDeliver) {
  EXPECT_FALSE(KnownBaseUrl(*store_, ""));  // nothing given or kept: deliver must be told
  auto first = Settle("https://sign.example.org/");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->url, "https://sign.example.org");
  auto again = Settle("", false, "http://0.0.0.0:8080");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->url, "https://sign.example.org");
  EXPECT_EQ(KnownBaseUrl(*store_, ""), "https://sign.example.org");
  EXPECT_EQ(KnownBaseUrl(*store_, "https://other.example.org"), "https://other.example.org");
}

TEST_F(SiteUrlTest, AChangedUrlIsRefusedUnlessTheSiteMoved) {
  ASSERT_TRUE(Settle("https://sign.example.org"));
  auto moved = Settle("https://letters.example.org");
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message.find("--change-base-url"), std::string::npos);
  EXPECT_NE(moved.error().message.find("https://sign.example.org"), std::string::npos);
  EXPECT_EQ(KnownBaseUrl(*store_, ""), "https://sign.example.org");  // unchanged

  auto allowed = Settle("https://letters.example.org", true);
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed->url, "https://letters.example.org");
  EXPECT_EQ(allowed->previous, "https://sign.example.org");
  EXPECT_EQ(KnownBaseUrl(*store_, ""), "https://letters.example.org");
}

TEST_F(SiteUrlTest, AUrlThatDisagreesWithTheLogsOriginIsRefused) {
  // A first start without a URL fixed the log's origin from the listen address.
  ASSERT_TRUE(store_->InstanceValue("log-origin", OriginFromBaseUrl("http://127.0.0.1:8080")));
  auto r = Settle("https://sign.example.org");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("127.0.0.1:8080/log"), std::string::npos);
  EXPECT_TRUE(Settle("http://127.0.0.1:8080"));  // the same address is no change
}

TEST_F(SiteUrlTest, ListeningOnEveryInterfaceWithoutAUrlIsRefused) {
  auto r = Settle("", false, "http://0.0.0.0:8080");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--base-url"), std::string::npos);
  // The listen URL is used, and not kept (with port 0 it changes at every start).
  EXPECT_EQ(Settle("", false, "http://127.0.0.1:41234")->url, "http://127.0.0.1:41234");
  EXPECT_FALSE(KnownBaseUrl(*store_, ""));
}

}  // namespace
}  // namespace undersigned::service
