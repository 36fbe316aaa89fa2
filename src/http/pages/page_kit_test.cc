// The one error-to-page mapping of the HTML pages (PageErrorSpec, PageKit::ErrorResponse): status
// from StatusFor, Retry-After, each use case's wording and its form shown again.
#include "http/pages/page_kit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "http/pages/test_support.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "store/open_store.h"

namespace undersigned::http::pages {
namespace {

namespace fs = std::filesystem;
using test::Contains;
using test::HeaderOf;

Error E(Code code, std::string message = "", int retry_after = 0) {
  return Error{code, std::move(message), {}, retry_after};
}

TEST(PageErrorSpecTest, EveryCodeGetsTheStatusOfStatusFor) {
  const PageErrors how;
  for (Code code : {Code::kInvalidArgument, Code::kNotFound, Code::kConflict,
                    Code::kUnauthenticated, Code::kForbidden, Code::kTooManyRequests,
                    Code::kPayloadTooLarge, Code::kUnavailable, Code::kInternal}) {
    const ErrorSpec spec = PageErrorSpec(E(code), how);
    EXPECT_EQ(spec.status, StatusFor(code)) << CodeName(code);
    EXPECT_FALSE(spec.heading.empty()) << CodeName(code);
    EXPECT_FALSE(spec.paragraphs.empty()) << CodeName(code);
  }
  EXPECT_EQ(PageErrorSpec(E(Code::kInternal), how).heading, InternalErrorSpec().heading);
}

TEST(PageErrorSpecTest, AUseCasesWordingKeepsTheStatusOfItsCode) {
  PageErrors how;
  // A spec written with another status: the code decides.
  how.pages[Code::kConflict] = {
      200, "This campaign is closed", {"No more signatures."}, "/c/x", "Back to the campaign"};
  const ErrorSpec spec = PageErrorSpec(E(Code::kConflict), how);
  EXPECT_EQ(spec.status, 409);
  EXPECT_EQ(spec.heading, "This campaign is closed");
  EXPECT_EQ(spec.link_url, "/c/x");
  EXPECT_EQ(spec.retry_after, 0);
  // Codes it does not word get the default wording, with its link.
  how.back = "/c/x";
  how.back_text = "Back";
  how.nothing_done = "Nothing was recorded.";
  const ErrorSpec other = PageErrorSpec(E(Code::kForbidden, "Only owners may."), how);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.link_url, "/c/x");
  EXPECT_EQ(other.link_text, "Back");
  ASSERT_EQ(other.paragraphs.size(), 2u);
  EXPECT_EQ(other.paragraphs[0], "Only owners may.");
  EXPECT_EQ(other.paragraphs[1], "Nothing was recorded.");
}

TEST(PageErrorSpecTest, RetryAfterForRateLimitsAndUnavailable) {
  EXPECT_EQ(RetryAfterFor(E(Code::kTooManyRequests, "", 42)), 42);
  EXPECT_EQ(RetryAfterFor(E(Code::kTooManyRequests)), 60);
  EXPECT_EQ(RetryAfterFor(E(Code::kUnavailable)), 5);
  EXPECT_EQ(RetryAfterFor(E(Code::kUnavailable, "", 30)), 30);
  EXPECT_EQ(RetryAfterFor(E(Code::kConflict, "", 30)), 0);
  const PageErrors how;
  const ErrorSpec spec = PageErrorSpec(E(Code::kTooManyRequests, "", 120), how);
  EXPECT_EQ(spec.retry_after, 120);
  EXPECT_EQ(spec.paragraphs.back(), "You can try again in 2 minutes.");
  // A use case's own wording still gets the Retry-After.
  PageErrors worded;
  worded.pages[Code::kUnavailable] = {503, "Busy", {"Try again."}};
  EXPECT_EQ(PageErrorSpec(E(Code::kUnavailable, "", 9), worded).retry_after, 9);
}

class ErrorResponseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("us-page-kit-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
    auto store = store::OpenStore(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    campaigns_ = std::make_unique<service::CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    auto templates = render::Templates::Load(render::FindAssetDir("templates"));
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<render::Templates>(std::move(*templates));
    kit_ = std::make_unique<PageKit>(*campaigns_, *templates_, "https://sign.example.org/",
                                     "secret", SiteInfo{"Test Site", "", "", ""}, &clock_);
  }
  void TearDown() override {
    kit_.reset();
    campaigns_.reset();
    if (store_) store_->Close();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<render::Templates> templates_;
  std::unique_ptr<PageKit> kit_;
};

TEST_F(ErrorResponseTest, TheFormIsShownAgainForWhatItCanShow) {
  PageErrors how;
  int asked = 0;
  how.form = [&](const Error& e) -> std::optional<Response> {
    ++asked;
    if (e.code != Code::kInvalidArgument) return std::nullopt;
    return HtmlPage("<form>typed: " + e.field_errors.at("email") + "</form>", 422, "no-store");
  };
  how.pages[Code::kNotFound] = CampaignNotFound();
  Error invalid = E(Code::kInvalidArgument);
  invalid.field_errors["email"] = "Enter an email address";
  Response again = kit_->ErrorResponse(invalid, how);
  EXPECT_EQ(again.status, 422);
  EXPECT_TRUE(Contains(again.body, "typed: Enter an email address"));

  Response missing = kit_->ErrorResponse(E(Code::kNotFound), how);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Contains(missing.body, "Campaign not found"));
  EXPECT_EQ(HeaderOf(missing, "Cache-Control"), "no-store");
  EXPECT_EQ(asked, 2);
}

TEST_F(ErrorResponseTest, RateLimitsAnswer429WithRetryAfterAndFailuresA500Page) {
  PageErrors how;
  how.use_case = "testing";
  Response limited = kit_->ErrorResponse(E(Code::kTooManyRequests, "Slow down.", 7), how);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "7");
  EXPECT_TRUE(Contains(limited.body, "Slow down."));
  EXPECT_TRUE(Contains(limited.body, "7 seconds"));

  Response busy = kit_->ErrorResponse(E(Code::kUnavailable), how);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(HeaderOf(busy, "Retry-After"), "5");

  Response failed = kit_->ErrorResponse(E(Code::kInternal, "disk on fire"), how);
  EXPECT_EQ(failed.status, 500);
  EXPECT_TRUE(Contains(failed.body, "Something went wrong"));
  EXPECT_FALSE(Contains(failed.body, "disk on fire"));  // internal detail stays in the log
  EXPECT_EQ(HeaderOf(failed, "Retry-After"), "");
}

TEST_F(ErrorResponseTest, WhatVisitorsTypedIsEscapedInThePage) {
  const PageErrors how;
  Response r = kit_->ErrorResponse(E(Code::kConflict, "<script>x</script>"), how);
  EXPECT_EQ(r.status, 409);
  EXPECT_FALSE(Contains(r.body, "<script>x</script>"));
  EXPECT_TRUE(Contains(r.body, "&lt;script&gt;"));
}

}  // namespace
}  // namespace undersigned::http::pages
