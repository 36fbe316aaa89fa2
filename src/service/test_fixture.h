// The fixture the service tests share: a real SQLite store in a fresh temp dir (one per test),
// the campaign and signing services on a ManualClock, and helpers to make campaigns and
// signatures. Test code only.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "service/campaigns.h"
#include "service/signing.h"
#include "store/open_store.h"

namespace undersigned::service {

class ServiceFixture : public ::testing::Test {
 protected:
  explicit ServiceFixture(UnixTime start = 1'700'000'000) : clock_(start) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("us_service_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_suite()->name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    OpenServices();
  }
  void TearDown() override {
    CloseServices();
    std::filesystem::remove_all(dir_);
  }

  // The signing limits; none by default.
  virtual SigningOptions Options() const {
    SigningOptions o;
    o.per_address.enabled = false;
    o.per_email.enabled = false;
    return o;
  }

  // (Re)opens the store and the services over dir_ (e.g. after a simulated restart).
  void OpenServices() {
    auto s = store::OpenStore(dir_.string());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    campaigns_ = std::make_unique<CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    signing_ = std::make_unique<SigningService>(*store_, *campaigns_, clock_, Options(),
                                                [this] { ++wakes_; });
  }
  virtual void CloseServices() {
    signing_.reset();
    campaigns_.reset();
    store_.reset();
  }

  // An open campaign addressed to one target; the caller may change it first.
  static Campaign OpenCampaign(const std::string& slug, const std::string& title = "A letter") {
    Campaign c;
    c.slug = slug;
    c.title = title;
    c.targets.push_back(Target{"The CEO", "", "", "", "", "", ""});
    c.goal = 10;
    c.status = CampaignStatus::kOpen;
    return c;
  }
  void Create(const Campaign& c) {
    auto made = campaigns_->Create(c);
    ASSERT_TRUE(made) << made.error().message;
  }

  // A signature that counts at once (a trusted API client's).
  void SignTrusted(const std::string& slug, const std::string& email,
                   const std::string& name = "A Signer", bool named = true,
                   const std::string& comment = "") {
    SignatureForm f;
    f.name = name;
    f.email = email;
    f.postal_code = "10115";
    f.country = "DE";
    f.comment = comment;
    f.public_name = named;
    SignContext ctx;
    ctx.source = "api";
    ctx.trusted = true;
    auto r = signing_->Sign(slug, f, ctx);
    ASSERT_TRUE(r) << r.error().message;
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CampaignService> campaigns_;
  std::unique_ptr<SigningService> signing_;
  std::atomic<int> wakes_{0};
};

}  // namespace undersigned::service
