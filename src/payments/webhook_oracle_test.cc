// Stripe's official Node library (tests/stripe/oracle.mjs) as the oracle of our webhook code:
// headers it generates must verify, altered ones must not, and headers we sign must pass its
// constructEvent. Needs node and `npm ci` in tests/stripe (ctest's stripe_node_modules fixture).
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "payments/test_support.h"
#include "payments/webhook.h"

namespace undersigned::payments {
namespace {

using testing::RunOracle;

class WebhookOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::StripeLibraryInstalled())
        << "Stripe's library is missing: run `npm ci` in " << testing::StripeTestDir();
  }
};

TEST_F(WebhookOracleTest, HeadersFromTheLibraryVerifyAndAlteredOnesDoNot) {
  auto out = RunOracle({"headers"});
  ASSERT_EQ(out.status, 0) << out.out;
  auto vectors = nlohmann::json::parse(out.out);
  ASSERT_EQ(vectors.size(), 2u);
  for (const auto& v : vectors) {
    std::string payload = v["payload"], secret = v["secret"], header = v["header"];
    UnixTime t = v["timestamp"];
    ManualClock clock(t + 5);
    WebhookVerifier verifier(secret, clock);
    auto e = verifier.Verify(payload, header);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->id, nlohmann::json::parse(payload)["id"]);
    // Our signer agrees with the library byte for byte.
    EXPECT_EQ(SignWebhookPayload(payload, secret, t), header);

    std::string altered = payload;
    altered[altered.size() / 2] ^= 1;
    EXPECT_FALSE(verifier.Verify(altered, header));
    std::string bad_sig = header;
    bad_sig.back() = bad_sig.back() == '0' ? '1' : '0';
    EXPECT_FALSE(verifier.Verify(payload, bad_sig));
    EXPECT_FALSE(WebhookVerifier(secret + "x", clock).Verify(payload, header));
    ManualClock late(t + 301);
    EXPECT_FALSE(WebhookVerifier(secret, late).Verify(payload, header));
  }
}

TEST_F(WebhookOracleTest, HeadersWeSignPassTheLibrarysConstructEvent) {
  const std::string secret = "whsec_ours_signed_check";
  const std::string payload =
      "{\n  \"id\": \"evt_ours\",\n  \"object\": \"event\",\n  \"type\": \"charge.refunded\",\n"
      "  \"data\": {\"object\": {\"id\": \"ch_1\", \"description\": \"caf\xc3\xa9 "
      "\xe2\x9c\x93\"}}\n}";
  const UnixTime t = 1'765'000'000;
  std::string file = ::testing::TempDir() + "/webhook_oracle_payload.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << payload;
  }
  std::string header = SignWebhookPayload(payload, secret, t);
  std::string now = std::to_string(t + 10);
  auto ok = RunOracle({"verify", file, header, secret, now});
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_EQ(ok.out, "accepted\n");
  auto wrong_secret = RunOracle({"verify", file, header, "whsec_other", now});
  EXPECT_EQ(wrong_secret.status, 1) << wrong_secret.out;
  auto too_late = RunOracle({"verify", file, header, secret, std::to_string(t + 301)});
  EXPECT_EQ(too_late.status, 1) << too_late.out;
  std::remove(file.c_str());
}

}  // namespace
}  // namespace undersigned::payments
