#include "payments/webhook.h"

#include <gtest/gtest.h>

namespace undersigned::payments {
namespace {

constexpr const char* kSecret = "whsec_test_secret";
constexpr UnixTime kT = 1'700'000'000;
// Signed with kSecret at kT; the expected v1 was computed with Node's crypto module
// (createHmac('sha256', secret).update(`${t}.${body}`)), independently of our code.
constexpr const char* kBody =
    R"({"id":"evt_1","object":"event","type":"payment_intent.succeeded","created":1700000000,)"
    R"("livemode":false,"data":{"object":{"id":"pi_1","amount":4200}}})";
constexpr const char* kV1 = "ab18bafa3f136317530f1de2fa7f65178945be4b8050b07438ce14635e01aa4c";

std::string Header(const std::string& rest) { return "t=1700000000," + rest; }

TEST(WebhookTest, SignsAsStripeDoes) {
  EXPECT_EQ(SignWebhookPayload(kBody, kSecret, kT), Header(std::string("v1=") + kV1));
}

TEST(WebhookTest, AcceptsAValidSignatureAndParsesTheEvent) {
  ManualClock clock(kT + 10);
  WebhookVerifier v(kSecret, clock);
  auto e = v.Verify(kBody, Header(std::string("v1=") + kV1));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->id, "evt_1");
  EXPECT_EQ(e->type, "payment_intent.succeeded");
  EXPECT_EQ(e->created, kT);
  EXPECT_FALSE(e->livemode);
  EXPECT_EQ(e->object["id"], "pi_1");
  EXPECT_EQ(e->object["amount"], 4200);
}

TEST(WebhookTest, AnyOfSeveralV1SignaturesMayMatchAndOtherSchemesAreIgnored) {
  ManualClock clock(kT);
  WebhookVerifier v(kSecret, clock);
  std::string other(64, '0');
  // Rotation: the old secret's signature first, then the new one; a v0 that matches nothing.
  EXPECT_TRUE(v.Verify(kBody, Header("v1=" + other + ",v1=" + kV1 + ",v0=" + other)));
  EXPECT_TRUE(v.Verify(kBody, Header(std::string("v0=") + kV1 + ", v1=" + kV1)));
  EXPECT_TRUE(v.Verify(kBody, "v1=" + std::string(kV1) + ",t=1700000000"));
  // A correct signature under another scheme's name does not count.
  auto r = v.Verify(kBody, Header(std::string("v0=") + kV1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("no v1"), std::string::npos);
}

TEST(WebhookTest, RefusesAnAlteredBodyAWrongSecretAndAWrongSignature) {
  ManualClock clock(kT);
  std::string header = Header(std::string("v1=") + kV1);
  std::string altered = kBody;
  altered.replace(altered.find("4200"), 4, "4300");
  auto r = WebhookVerifier(kSecret, clock).Verify(altered, header);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  EXPECT_EQ(r.error().message.find(kSecret), std::string::npos);
  // One byte more (a trailing newline added by a proxy) is another body.
  EXPECT_FALSE(WebhookVerifier(kSecret, clock).Verify(std::string(kBody) + "\n", header));
  EXPECT_FALSE(WebhookVerifier("whsec_other", clock).Verify(kBody, header));
  std::string upper = kV1;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_FALSE(WebhookVerifier(kSecret, clock).Verify(kBody, Header("v1=" + upper)));
  EXPECT_FALSE(WebhookVerifier(kSecret, clock)
                   .Verify(kBody, Header("v1=" + std::string(kV1).substr(0, 63))));
  // The same signature under another timestamp.
  EXPECT_FALSE(
      WebhookVerifier(kSecret, clock).Verify(kBody, "t=1700000001,v1=" + std::string(kV1)));
}

TEST(WebhookTest, ToleranceIs300SecondsEitherWay) {
  std::string header = Header(std::string("v1=") + kV1);
  for (std::int64_t offset : {-300, 0, 300}) {
    ManualClock clock(kT + offset);
    EXPECT_TRUE(WebhookVerifier(kSecret, clock).Verify(kBody, header)) << offset;
  }
  for (std::int64_t offset : {-301, 301, 86'400}) {
    ManualClock clock(kT + offset);
    auto r = WebhookVerifier(kSecret, clock).Verify(kBody, header);
    ASSERT_FALSE(r) << offset;
    EXPECT_EQ(r.error().code, Code::kUnauthenticated);
    EXPECT_NE(r.error().message.find("tolerance"), std::string::npos);
  }
  ManualClock clock(kT + 1000);
  EXPECT_TRUE(WebhookVerifier(kSecret, clock, 1000).Verify(kBody, header));
}

TEST(WebhookTest, MalformedHeadersSayWhatIsWrong) {
  ManualClock clock(kT);
  WebhookVerifier v(kSecret, clock);
  struct Case {
    std::string header, words;
  } cases[] = {
      {"", "no Stripe-Signature"},
      {std::string("v1=") + kV1, "no timestamp"},
      {"t=1700000000", "no v1"},
      {"t=abc,v1=" + std::string(kV1), "malformed t"},
      {"t=,v1=" + std::string(kV1), "malformed t"},
      {"t=-5,v1=" + std::string(kV1), "malformed t"},
      {"garbage", "no timestamp"},
  };
  for (const auto& c : cases) {
    auto r = v.Verify(kBody, c.header);
    ASSERT_FALSE(r) << c.header;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << c.header;
    EXPECT_NE(r.error().message.find(c.words), std::string::npos) << r.error().message;
  }
}

TEST(WebhookTest, ASignedBodyThatIsNoEventIsRefusedAfterTheSignature) {
  ManualClock clock(kT);
  WebhookVerifier v(kSecret, clock);
  for (std::string body : {"not json", "[]", R"({"id":"evt_1"})", R"({"id":"evt_1","type":"x"})"}) {
    auto r = v.Verify(body, SignWebhookPayload(body, kSecret, kT));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << body;
  }
  // Unsigned garbage is refused for its signature, before anyone parses it.
  auto r = v.Verify("not json", Header(std::string("v1=") + kV1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
}

}  // namespace
}  // namespace undersigned::payments
