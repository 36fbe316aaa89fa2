// The [payments] settings: from the file and the environment like every other, validated
// without repeating a secret, and App builds the provider only when a key is set.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "app/app.h"
#include "app/config.h"

namespace undersigned::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "sk_test_appSecretNeverShown123";
constexpr const char* kWhsec = "whsec_appWebhookSecretNeverShown";

TEST(PaymentsConfig, OffByDefaultWithStripesApiAsTheBase) {
  Config c;
  EXPECT_FALSE(payments::PaymentsEnabled(c.payments));
  EXPECT_EQ(c.payments.stripe_api_base, payments::kStripeDefaultApiBase);
  EXPECT_TRUE(ValidateConfig(c));
}

TEST(PaymentsConfig, FromFileThenEnvironment) {
  auto path = fs::temp_directory_path() / "us_payments_config.toml";
  std::ofstream(path) << "[payments]\nstripe_secret_key = \"sk_test_fromfile\"\n"
                         "stripe_webhook_secret = \"whsec_fromfile\"\n"
                         "stripe_api_base = \"http://127.0.0.1:12111\"\n";
  setenv("UNDERSIGNED_PAYMENTS_STRIPE_SECRET_KEY", kKey, 1);
  auto c = LoadConfig(path.string(), {});
  unsetenv("UNDERSIGNED_PAYMENTS_STRIPE_SECRET_KEY");
  fs::remove(path);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->payments.stripe_secret_key, kKey);  // the environment wins
  EXPECT_EQ(c->payments.stripe_webhook_secret, "whsec_fromfile");
  EXPECT_EQ(c->payments.stripe_api_base, "http://127.0.0.1:12111");
  EXPECT_TRUE(ValidateConfig(*c));
}

TEST(PaymentsConfig, RefusedWithoutRepeatingTheSecrets) {
  Config c;
  c.payments.stripe_secret_key = kKey;
  auto r = ValidateConfig(c);  // a key without the webhook secret
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("payments.stripe_webhook_secret"), std::string::npos);
  EXPECT_EQ(r.error().message.find(kKey), std::string::npos);
  c.payments.stripe_webhook_secret = "wrong_appWebhookSecretNeverShown";
  r = ValidateConfig(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("appWebhookSecretNeverShown"), std::string::npos);
  c.payments.stripe_secret_key = "pk_test_appSecretNeverShown123";
  c.payments.stripe_webhook_secret = kWhsec;
  r = ValidateConfig(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("payments.stripe_secret_key"), std::string::npos);
  EXPECT_EQ(r.error().message.find("appSecretNeverShown"), std::string::npos);
}

TEST(PaymentsConfig, AppBuildsTheProviderOnlyWhenConfigured) {
  auto dir = fs::temp_directory_path() / ("us_app_payments_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  Config c;
  c.store.data_dir = dir.string();
  c.signature_log.enabled = false;
  {
    auto off = App::Open(c);
    ASSERT_TRUE(off) << off.error().message;
    EXPECT_EQ((*off)->payments(), nullptr);
    EXPECT_EQ((*off)->payment_webhooks(), nullptr);
    EXPECT_NE((*off)->PaymentsStatus().find("off"), std::string::npos);
  }
  c.payments.stripe_secret_key = kKey;
  c.payments.stripe_webhook_secret = kWhsec;
  {
    auto on = App::Open(c);
    ASSERT_TRUE(on) << on.error().message;
    ASSERT_NE((*on)->payments(), nullptr);
    ASSERT_NE((*on)->payment_webhooks(), nullptr);
    std::string status = (*on)->PaymentsStatus();
    EXPECT_EQ(status, "stripe (test mode) at https://api.stripe.com");
    EXPECT_EQ(status.find("appSecret"), std::string::npos);
    // The verifier holds the configured secret: a body signed with it verifies.
    std::string body = R"({"id":"evt_1","type":"x","data":{"object":{}}})";
    auto e = (*on)->payment_webhooks()->Verify(
        body, payments::SignWebhookPayload(body, kWhsec, Clock::System().Now()));
    EXPECT_TRUE(e) << e.error().message;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace undersigned::app
