#include "payments/stripe_provider.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "payments/test_support.h"

namespace undersigned::payments {
namespace {

using nlohmann::json;
using testing::ScriptedHttpClient;

constexpr const char* kKey = "sk_test_51SecretKeyThatMustNeverLeak";

PaymentsConfig Config() {
  PaymentsConfig c;
  c.stripe_secret_key = kKey;
  c.stripe_webhook_secret = "whsec_never_logged_either";
  c.stripe_api_base = "http://127.0.0.1:9/";
  c.max_attempts = 3;
  c.first_backoff_millis = 100;
  return c;
}

IdempotencyKey Key(const std::string& id) { return *IdempotencyKey::For("test", {id}); }

struct Fixture {
  std::unique_ptr<StripeProvider> provider;
  ScriptedHttpClient* http = nullptr;
  std::vector<std::chrono::milliseconds> sleeps;
};

std::unique_ptr<Fixture> Make(PaymentsConfig config = Config()) {
  auto f = std::make_unique<Fixture>();
  auto http = std::make_unique<ScriptedHttpClient>();
  f->http = http.get();
  Fixture* raw = f.get();
  f->provider = std::make_unique<StripeProvider>(
      config, std::move(http), [raw](std::chrono::milliseconds d) { raw->sleeps.push_back(d); });
  return f;
}

std::string Header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

json Fixtures() {
  std::ifstream in(testing::StripeTestDir() + "/requests.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

OffSessionCharge Charge() {
  OffSessionCharge c;
  c.customer = "cus_fixture";
  c.payment_method = "pm_fixture";
  c.amount_minor = 4200;
  c.currency = "USD";
  c.description = "Pledge 42 (condition met)";
  c.metadata = {{"pledge_id", "42"}, {"attempt", "1"}};
  return c;
}

const char* kSucceeded =
    R"({"id":"pi_1","object":"payment_intent","status":"succeeded","amount":4200,)"
    R"("currency":"usd","latest_charge":"ch_1"})";

// tests/stripe/requests.json holds the bytes Stripe's official library sends for each
// operation (emulator.test.mjs re-checks them against the library at every run).
TEST(StripeProviderTest, SendsExactlyWhatStripesLibrarySends) {
  json fx = Fixtures();
  CheckoutRequest pay;
  pay.mode = CheckoutMode::kPayment;
  pay.currency = "usd";
  pay.amount_minor = 2500;
  pay.item_name = "Bus ads & posters: \u201cDrop the contract\u201d";
  pay.success_url = "https://sign.example.org/f/bus-ads/thanks?session={CHECKOUT_SESSION_ID}";
  pay.cancel_url = "https://sign.example.org/f/bus-ads";
  pay.customer_email = "donor+1@example.org";
  pay.metadata = {{"fundraiser_id", "12"}, {"donation_id", "34"}};
  EXPECT_EQ(StripeProvider::CheckoutBody(pay), fx["checkout_payment"]["body"]);

  CheckoutRequest sub;
  sub.mode = CheckoutMode::kSubscription;
  sub.currency = "EUR";
  sub.amount_minor = 1000;
  sub.item_name = "Monthly gift";
  sub.success_url = "https://sign.example.org/f/x/thanks?session={CHECKOUT_SESSION_ID}";
  sub.metadata = {{"donation_id", "35"}};
  EXPECT_EQ(StripeProvider::CheckoutBody(sub), fx["checkout_subscription"]["body"]);

  CheckoutRequest setup;
  setup.mode = CheckoutMode::kSetup;
  setup.currency = "usd";
  setup.success_url = "https://sign.example.org/p/42/saved?session={CHECKOUT_SESSION_ID}";
  setup.cancel_url = "https://sign.example.org/p/42";
  setup.customer_email = "pledger@example.org";
  setup.metadata = {{"pledge_id", "42"}};
  EXPECT_EQ(StripeProvider::CheckoutBody(setup), fx["checkout_setup"]["body"]);

  EXPECT_EQ(StripeProvider::ChargeBody(Charge()), fx["charge_off_session"]["body"]);

  RefundRequest refund;
  refund.payment_intent = "pi_fixture";
  refund.amount_minor = 1000;
  refund.metadata = {{"donation_id", "34"}};
  EXPECT_EQ(StripeProvider::RefundBody(refund), fx["refund_partial"]["body"]);
}

TEST(StripeProviderTest, HeadersCarryKeyVersionAndIdempotencyKey) {
  auto f = Make();
  f->http->Push(200, kSucceeded);
  auto r = f->provider->ChargeOffSession(Charge(), Key("42"));
  ASSERT_TRUE(r) << r.error().message;
  auto reqs = f->http->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, "http://127.0.0.1:9/v1/payment_intents");  // trailing '/' dropped
  EXPECT_EQ(Header(reqs[0], "Authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(Header(reqs[0], "Stripe-Version"), kStripeApiVersion);
  EXPECT_EQ(Header(reqs[0], "Idempotency-Key"), "undersigned:test:42");
  EXPECT_EQ(Header(reqs[0], "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r->id, "pi_1");
  EXPECT_EQ(r->outcome, ChargeOutcome::kSucceeded);
  EXPECT_EQ(r->latest_charge, "ch_1");
  EXPECT_FALSE(r->failure);
}

TEST(StripeProviderTest, RetriesNetworkErrors409And5xxWithTheSameKey) {
  auto f = Make();
  f->http->PushNoAnswer("Connection reset by peer");
  f->http->Push(409, R"({"error":{"type":"invalid_request_error","code":"lock_timeout"}})");
  f->http->Push(200, kSucceeded);
  auto r = f->provider->ChargeOffSession(Charge(), Key("7"));
  ASSERT_TRUE(r) << r.error().message;
  auto reqs = f->http->requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const auto& q : reqs) {
    EXPECT_EQ(Header(q, "Idempotency-Key"), "undersigned:test:7");
    EXPECT_EQ(q.body, reqs[0].body);
  }
  EXPECT_EQ(f->sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100),
                                                               std::chrono::milliseconds(200)}));
}

TEST(StripeProviderTest, GivesUpAfterMaxAttemptsAsUnavailable) {
  auto f = Make();
  for (int i = 0; i < 3; ++i)
    f->http->Push(503, R"({"error":{"type":"api_error","message":"down"}})");
  auto r = f->provider->Refund(RefundRequest{"pi_1", "", std::nullopt, {}}, Key("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  EXPECT_EQ(f->http->requests().size(), 3u);

  auto g = Make();
  for (int i = 0; i < 3; ++i) g->http->PushNoAnswer("Connection refused");
  auto s = g->provider->Refund(RefundRequest{"pi_1", "", std::nullopt, {}}, Key("r2"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kUnavailable);
  EXPECT_NE(s.error().message.find("3 attempts"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("undersigned:test:r2"), std::string::npos);
}

TEST(StripeProviderTest, DoesNotRetryWhatARetryCannotFix) {
  auto f = Make();
  f->http->Push(400, R"({"error":{"type":"invalid_request_error","code":"parameter_missing",)"
                     R"("param":"currency","message":"Missing required param: currency."}})");
  auto r = f->provider->Refund(RefundRequest{"pi_1", "", std::nullopt, {}}, Key("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("on currency"), std::string::npos) << r.error().message;
  EXPECT_EQ(f->http->requests().size(), 1u);

  // Stripe-Should-Retry overrides the status either way.
  auto g = Make();
  g->http->Push(500, R"({"error":{"type":"api_error"}})", {{"stripe-should-retry", "false"}});
  EXPECT_FALSE(g->provider->Refund(RefundRequest{"pi_1", "", std::nullopt, {}}, Key("y")));
  EXPECT_EQ(g->http->requests().size(), 1u);
  auto h = Make();
  h->http->Push(400, R"({"error":{"type":"invalid_request_error"}})",
                {{"stripe-should-retry", "true"}});
  h->http->Push(200, R"({"id":"re_1","status":"succeeded","amount":5,"charge":"ch_1"})");
  auto ok = h->provider->Refund(RefundRequest{"pi_1", "", std::nullopt, {}}, Key("z"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->id, "re_1");
  EXPECT_EQ(ok->amount, 5);
}

TEST(StripeProviderTest, CardErrorsOfAChargeAreAnswersNotErrors) {
  auto f = Make();
  f->http->Push(402, R"({"error":{"type":"card_error","code":"authentication_required",)"
                     R"("decline_code":"authentication_required","message":"needs auth",)"
                     R"("payment_intent":{"id":"pi_9","status":"requires_payment_method",)"
                     R"("amount":4200,"currency":"usd"}}})");
  auto r = f->provider->ChargeOffSession(Charge(), Key("a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, "pi_9");
  EXPECT_EQ(r->status, "requires_payment_method");
  EXPECT_EQ(r->outcome, ChargeOutcome::kNeedsAction);
  ASSERT_TRUE(r->failure);
  EXPECT_EQ(r->failure->code, "authentication_required");
  EXPECT_EQ(r->failure->kind, FailureKind::kNeedsAction);
  EXPECT_EQ(f->http->requests().size(), 1u);  // a 402 is final

  f->http->Push(402, R"({"error":{"type":"card_error","code":"card_declined",)"
                     R"("decline_code":"insufficient_funds","message":"declined",)"
                     R"("payment_intent":{"id":"pi_10","status":"requires_payment_method"}}})");
  auto d = f->provider->ChargeOffSession(Charge(), Key("b"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->outcome, ChargeOutcome::kDeclined);
  EXPECT_EQ(d->failure->decline_code, "insufficient_funds");

  // On-session authentication asked for without an error (requires_action).
  f->http->Push(200, R"({"id":"pi_11","status":"requires_action","amount":1,"currency":"usd"})");
  auto n = f->provider->ChargeOffSession(Charge(), Key("c"));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->outcome, ChargeOutcome::kNeedsAction);
}

TEST(StripeProviderTest, MapsOtherErrorsToOurCodes) {
  struct Case {
    long status;
    const char* body;
    Code code;
  } cases[] = {
      {400, R"({"error":{"type":"idempotency_error","message":"Keys for idempotent requests"}})",
       Code::kConflict},
      {404, R"({"error":{"type":"invalid_request_error","code":"resource_missing"}})",
       Code::kNotFound},
      {401, R"({"error":{"type":"authentication_error"}})", Code::kInternal},
      {402, R"({"error":{"type":"card_error","code":"card_declined"}})", Code::kConflict},
      {400, "<html>not json</html>", Code::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto f = Make();
    f->http->Push(c.status, c.body);
    auto r = f->provider->DetachPaymentMethod("pm_1", Key("d"));
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body << ": " << r.error().message;
  }
}

TEST(StripeProviderTest, TheSecretKeyNeverAppearsInErrors) {
  auto f = Make();
  // Stripe echoes (part of) a refused key; a proxy might echo the whole header.
  f->http->Push(
      401, std::string(
               R"({"error":{"type":"authentication_error","message":"Invalid API Key provided: )") +
               kKey + R"("}})");
  f->http->PushNoAnswer("sk_live_SomeOtherSecret1234 refused");
  f->http->PushNoAnswer("whsec_never_logged_either");
  f->http->PushNoAnswer(std::string("proxy said: Authorization: Bearer ") + kKey);
  auto a = f->provider->DetachPaymentMethod("pm_1", Key("s1"));
  auto b = f->provider->DetachPaymentMethod("pm_1", Key("s2"));
  ASSERT_FALSE(a);
  ASSERT_FALSE(b);
  for (const std::string& m : {a.error().message, b.error().message}) {
    EXPECT_EQ(m.find(kKey), std::string::npos) << m;
    EXPECT_EQ(m.find("SecretKeyThatMust"), std::string::npos) << m;
    EXPECT_EQ(m.find("SomeOtherSecret"), std::string::npos) << m;
    EXPECT_EQ(m.find("never_logged"), std::string::npos) << m;
  }
  EXPECT_NE(a.error().message.find("check payments.stripe_secret_key"), std::string::npos);
  EXPECT_EQ(f->provider->Describe(), "stripe (test mode) at http://127.0.0.1:9");
}

TEST(StripeProviderTest, RefusesBadInputBeforeSending) {
  auto f = Make();
  EXPECT_FALSE(f->provider->ChargeOffSession(OffSessionCharge{}, Key("1")));
  EXPECT_FALSE(f->provider->DetachPaymentMethod("pm_1/../../v1/refunds", Key("2")));
  EXPECT_FALSE(f->provider->CancelSubscription("", Key("3")));
  EXPECT_TRUE(f->http->requests().empty());
}

TEST(PaymentsConfigTest, ValidatesWithoutRepeatingSecrets) {
  PaymentsConfig off;
  EXPECT_TRUE(ValidatePaymentsConfig(off));
  EXPECT_FALSE(PaymentsEnabled(off));
  EXPECT_FALSE(MakePaymentProvider(off));

  PaymentsConfig c = Config();
  EXPECT_TRUE(ValidatePaymentsConfig(c));
  c.stripe_webhook_secret.clear();
  auto r = ValidatePaymentsConfig(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("payments.stripe_webhook_secret"), std::string::npos);

  c = Config();
  c.stripe_secret_key = "pk_test_publishable_not_secret";
  r = ValidatePaymentsConfig(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("pk_test_publishable"), std::string::npos);

  c = Config();
  c.stripe_webhook_secret = "not-a-whsec-secret";
  r = ValidatePaymentsConfig(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("not-a-whsec"), std::string::npos);

  c = Config();
  c.stripe_api_base = "api.stripe.com";
  EXPECT_FALSE(ValidatePaymentsConfig(c));

  auto p = MakePaymentProvider(Config());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)->Describe().find(kKey), std::string::npos);
}

}  // namespace
}  // namespace undersigned::payments
