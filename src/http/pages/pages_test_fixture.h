// Test-only: the fixture of the public pages' tests (campaign_page_test.cc, sign_test.cc,
// token_pages_test.cc, counts_test.cc, home_test.cc, share_mastodon_test.cc,
// group_pages_test.cc): RegisterPages over the real services and a real SQLite store in a
// temporary directory, one open campaign ("drop-ice"), and a browser's ways (the CSRF cookie,
// the flash cookie, following a 303). Not part of us_http; include only from *_test.cc files.
// One fixture per test; not thread-safe (like any gtest fixture).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/pages/csrf.h"
#include "http/pages/pages.h"
#include "http/pages/test_support.h"
#include "http/router.h"
#include "http/url.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/signing.h"
#include "store/open_store.h"

namespace undersigned::http::test {

namespace fs = std::filesystem;

inline constexpr const char* kBase = "https://sign.example.org";
inline constexpr const char* kSecret = "test-csrf-secret";
inline constexpr const char* kXss = "<script>alert(\"x\")</script>'&";

class PagesTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(service::SigningOptions{}); }

  void Build(service::SigningOptions options) {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("us-pages-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
    auto store = store::OpenStore(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    campaigns_ = std::make_unique<service::CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    signing_ =
        std::make_unique<service::SigningService>(*store_, *campaigns_, clock_, options, nullptr);
    auto referrals = service::ReferralService::Open(*store_, *signing_);
    ASSERT_TRUE(referrals) << referrals.error().message;
    referrals_ = std::move(*referrals);
    auto templates = render::Templates::Load(render::FindAssetDir("templates"));
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<render::Templates>(std::move(*templates));
    router_ = std::make_unique<Router>();
    RegisterPages(*router_, PagesDeps{*campaigns_, *signing_, *templates_, std::string(kBase) + "/",
                                      kSecret, pages::SiteInfo{"Test Site", "", "", ""}, &clock_,
                                      nullptr, "", "", nullptr, "*", referrals_.get()});
    Campaign c;
    c.slug = "drop-ice";
    c.title = "Drop the <ICE> contract";
    c.demand = "Cancel it & speak out";
    c.letter_markdown =
        "Dear **Marc**,\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n";
    Target t;
    t.name = "Marc Benioff";
    t.title = "CEO";
    t.organization = "Salesforce";
    t.x_handle = "Benioff";
    t.bluesky_handle = "benioff.bsky.social";
    t.mastodon_handle = "@benioff@mastodon.social";
    c.targets = {t};
    c.goal = 12000;
    c.status = CampaignStatus::kOpen;
    c.language = "fr";
    auto created = campaigns_->Create(c);
    ASSERT_TRUE(created) << created.error().message;
  }

  void TearDown() override {
    router_.reset();
    referrals_.reset();
    signing_.reset();
    campaigns_.reset();
    if (store_) store_->Close();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Dispatches like the server: split the target, find the route, fill params and query.
  Response Call(const std::string& method, const std::string& target, const std::string& body = "",
                std::map<std::string, std::string> headers = {}) {
    return test::Dispatch(*router_, method, target, body, std::move(headers), &cookie_, nullptr,
                          &jar_);
  }

  // Like a browser: a 303 is followed with a GET of its Location (the fragment dropped).
  Response Follow(Response r) {
    for (int hops = 0; r.status == 303 && hops < 3; ++hops) {
      const std::string location = HeaderOf(r, "Location");
      r = Call("GET", location.substr(0, location.find('#')));
    }
    return r;
  }

  std::string Token() const { return pages::Csrf(kSecret, true).TokenFor(cookie_); }

  Response Post(const std::string& target, std::vector<std::pair<std::string, std::string>> fields,
                std::map<std::string, std::string> headers = {}) {
    headers.emplace("content-type", "application/x-www-form-urlencoded");
    return Follow(Call("POST", target, FormEncode(fields), std::move(headers)));
  }

  Response SignAs(const std::string& email, const std::string& name = "Ada Lovelace",
                  bool public_name = true, const std::string& comment = "") {
    Call("GET", "/c/drop-ice");  // gets the cookie
    std::vector<std::pair<std::string, std::string>> fields = {
        {"csrf", Token()}, {"name", name}, {"email", email}, {"comment", comment}};
    if (public_name) fields.emplace_back("public_name", "yes");
    return Post("/c/drop-ice/sign", fields);
  }

  // The newest outbox message for a recipient, parsed.
  nlohmann::json LastMail(const std::string& recipient, std::string* kind = nullptr) {
    auto due = store_->DueOutbox(clock_.Now() + 1000, 1000);
    EXPECT_TRUE(due);
    nlohmann::json out;
    for (const auto& m : *due) {
      if (m.recipient == recipient) {
        out = nlohmann::json::parse(m.payload);
        if (kind) *kind = m.kind;
      }
    }
    return out;
  }

  fs::path dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<service::SigningService> signing_;
  std::unique_ptr<service::ReferralService> referrals_;
  std::unique_ptr<render::Templates> templates_;
  std::unique_ptr<Router> router_;
  std::string cookie_;
  std::map<std::string, std::string> jar_;  // cookies other than the CSRF one (the flash)
};

}  // namespace undersigned::http::test
