// The real StripeProvider (libcurl) against the Stripe emulator (tests/stripe/emulator.mjs, a
// node child process), with webhooks delivered over HTTP to a local endpoint and verified by
// our WebhookVerifier: Checkout in all three modes, an off-session charge for each test card,
// idempotent retries that never charge twice, detach, refunds, cancelling a subscription.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "payments/stripe_provider.h"
#include "payments/test_support.h"
#include "payments/webhook.h"

namespace undersigned::payments {
namespace {

using nlohmann::json;
using testing::StripeEmulator;
using testing::WebhookReceiver;

IdempotencyKey Key(const std::string& purpose, const std::string& id) {
  return *IdempotencyKey::For(purpose, {id});
}

json Find(const json& state, const std::string& kind, const std::string& id) {
  for (const auto& o : state["objects"][kind]) {
    if (o["id"] == id) return o;
  }
  return json();
}

class StripeEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<WebhookReceiver>();
    emulator_ = StripeEmulator::Start(receiver_->url());
    ASSERT_TRUE(emulator_) << "could not start tests/stripe/emulator.mjs (node missing?)";
    auto p = MakePaymentProvider(emulator_->Config());
    ASSERT_TRUE(p) << p.error().message;
    provider_ = std::move(*p);
  }

  // Every webhook delivered so far, verified as our server will verify it.
  std::vector<WebhookEvent> Events() {
    emulator_->FlushWebhooks();
    WebhookVerifier verifier(testing::kEmulatorWebhookSecret, Clock::System());
    std::vector<WebhookEvent> events;
    for (const auto& d : receiver_->deliveries()) {
      auto e = verifier.Verify(d.body, d.signature);
      EXPECT_TRUE(e) << e.error().message;
      if (e) events.push_back(*e);
    }
    return events;
  }

  std::vector<std::string> TypesSince(std::size_t n) {
    std::vector<std::string> types;
    auto events = Events();
    for (std::size_t i = n; i < events.size(); ++i) types.push_back(events[i].type);
    return types;
  }

  CheckoutRequest Request(CheckoutMode mode, const std::string& our_id) {
    CheckoutRequest r;
    r.mode = mode;
    r.currency = "usd";
    if (mode != CheckoutMode::kSetup) {
      r.amount_minor = 2500;
      r.item_name = "Gift";
    }
    r.success_url = "https://sign.example.org/thanks?session={CHECKOUT_SESSION_ID}";
    r.cancel_url = "https://sign.example.org/f/bus";
    r.customer_email = "donor@example.org";
    r.metadata = {{"our_id", our_id}};
    return r;
  }

  // A card saved through setup-mode Checkout: {customer, payment_method}.
  std::pair<std::string, std::string> SavedCard(const std::string& card, const std::string& id) {
    auto s = provider_->CreateCheckoutSession(Request(CheckoutMode::kSetup, id), Key("save", id));
    EXPECT_TRUE(s) << s.error().message;
    if (!s) return {};
    json done = emulator_->CompleteCheckout(s->id, card);
    EXPECT_EQ(done["http_status"], 200) << done.dump();
    json si = Find(emulator_->State(), "setup_intent", done["setup_intent"]);
    return {si["customer"], si["payment_method"]};
  }

  OffSessionCharge Charge(const std::pair<std::string, std::string>& card, std::int64_t amount) {
    OffSessionCharge c;
    c.customer = card.first;
    c.payment_method = card.second;
    c.amount_minor = amount;
    c.currency = "usd";
    c.metadata = {{"pledge_id", "p1"}};
    return c;
  }

  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<StripeEmulator> emulator_;
  std::unique_ptr<PaymentProvider> provider_;
};

TEST_F(StripeEmulatorTest, CheckoutInPaymentMode) {
  auto s = provider_->CreateCheckoutSession(Request(CheckoutMode::kPayment, "d34"),
                                            Key("donation-checkout", "34"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->id.rfind("cs_test_", 0), 0u);
  EXPECT_EQ(s->mode, "payment");
  EXPECT_EQ(s->status, "open");
  EXPECT_EQ(s->amount_total, 2500);
  EXPECT_FALSE(s->url.empty());
  json session = Find(emulator_->State(), "checkout.session", s->id);
  EXPECT_EQ(session["success_url"], "https://sign.example.org/thanks?session=" + s->id);

  // The request as the emulator received it.
  json last = emulator_->Requests().back();
  EXPECT_EQ(last["idempotency_key"], "undersigned:donation-checkout:34");
  EXPECT_EQ(last["stripe_version"], kStripeApiVersion);
  // On the wire, byte for byte the body checked against the library's in payments_test.
  EXPECT_EQ(last["content_type"], "application/x-www-form-urlencoded");
  EXPECT_EQ(last["body"], StripeProvider::CheckoutBody(Request(CheckoutMode::kPayment, "d34")));

  json done = emulator_->CompleteCheckout(s->id, "4242424242424242");
  ASSERT_EQ(done["http_status"], 200) << done.dump();
  auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "checkout.session.completed");
  EXPECT_EQ(events[0].object["id"], s->id);
  EXPECT_EQ(events[0].object["metadata"]["our_id"], "d34");
  EXPECT_EQ(events[1].type, "payment_intent.succeeded");
  EXPECT_EQ(events[1].object["metadata"]["our_id"], "d34");  // payment_intent_data[metadata]
  EXPECT_EQ(events[1].object["amount_received"], 2500);
  EXPECT_EQ(events[2].type, "charge.succeeded");
}

TEST_F(StripeEmulatorTest, CheckoutInSubscriptionModeAndCancel) {
  auto s = provider_->CreateCheckoutSession(Request(CheckoutMode::kSubscription, "m1"),
                                            Key("monthly-checkout", "1"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->mode, "subscription");
  json done = emulator_->CompleteCheckout(s->id, "pm_card_visa");
  ASSERT_EQ(done["http_status"], 200) << done.dump();
  std::string sub = done["subscription"];
  auto events = Events();
  bool invoice_paid = false;
  for (const auto& e : events) {
    if (e.type == "customer.subscription.created") {
      EXPECT_EQ(e.object["metadata"]["our_id"], "m1");  // subscription_data[metadata]
    }
    invoice_paid |= e.type == "invoice.paid";
  }
  EXPECT_TRUE(invoice_paid);

  auto c = provider_->CancelSubscription(sub, Key("monthly-cancel", "1"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, sub);
  EXPECT_EQ(c->status, "canceled");
  EXPECT_EQ(TypesSince(events.size()), std::vector<std::string>{"customer.subscription.deleted"});
  auto again = provider_->CancelSubscription(sub, Key("monthly-cancel", "1"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->status, "canceled");
  auto missing = provider_->CancelSubscription("sub_nope", Key("monthly-cancel", "2"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kNotFound);
}

TEST_F(StripeEmulatorTest, CheckoutInSetupModeSavesACardForLater) {
  auto s = provider_->CreateCheckoutSession(Request(CheckoutMode::kSetup, "p9"),
                                            Key("pledge-setup", "9"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->mode, "setup");
  json done = emulator_->CompleteCheckout(s->id, "4000002500003155");
  ASSERT_EQ(done["http_status"], 200) << done.dump();
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "checkout.session.completed");
  EXPECT_EQ(events[1].type, "setup_intent.succeeded");
  EXPECT_EQ(events[1].object["metadata"]["our_id"], "p9");  // setup_intent_data[metadata]
  EXPECT_EQ(events[1].object["usage"], "off_session");
  EXPECT_EQ(
      Find(emulator_->State(), "payment_method", events[1].object["payment_method"])["customer"],
      events[1].object["customer"]);
}

TEST_F(StripeEmulatorTest, OffSessionChargeForEachTestCard) {
  struct Case {
    const char* card;
    ChargeOutcome outcome;
    const char* status;
    const char* code;
  } cases[] = {
      {"4242424242424242", ChargeOutcome::kSucceeded, "succeeded", ""},
      {"4000002500003155", ChargeOutcome::kSucceeded, "succeeded", ""},
      {"4000002760003184", ChargeOutcome::kNeedsAction, "requires_payment_method",
       "authentication_required"},
      {"4000000000000002", ChargeOutcome::kDeclined, "requires_payment_method", "card_declined"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.card);
    auto card = SavedCard(c.card, std::string("card-") + c.card);
    auto r = provider_->ChargeOffSession(Charge(card, 4200),
                                         Key("pledge-charge", std::string(c.card) + "-1"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->id.rfind("pi_test_", 0), 0u);
    EXPECT_EQ(r->outcome, c.outcome) << ChargeOutcomeName(r->outcome);
    EXPECT_EQ(r->status, c.status);
    EXPECT_EQ(r->amount, 4200);
    if (*c.code) {
      ASSERT_TRUE(r->failure);
      EXPECT_EQ(r->failure->code, c.code);
      EXPECT_EQ(r->failure->type, "card_error");
    } else {
      EXPECT_FALSE(r->failure);
      EXPECT_FALSE(r->latest_charge.empty());
    }
    // What the emulator holds agrees.
    json pi = Find(emulator_->State(), "payment_intent", r->id);
    EXPECT_EQ(pi["status"], c.status);
    EXPECT_EQ(pi["metadata"]["pledge_id"], "p1");
  }
}

TEST_F(StripeEmulatorTest, ARetryWithTheSameKeyNeverChargesTwice) {
  auto card = SavedCard("4242424242424242", "retry");
  int before = emulator_->State()["counts"]["succeeded_charges"];
  auto key = Key("pledge-charge", "77-1");
  auto first = provider_->ChargeOffSession(Charge(card, 4200), key);
  auto second = provider_->ChargeOffSession(Charge(card, 4200), key);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(first->latest_charge, second->latest_charge);
  EXPECT_EQ(emulator_->State()["counts"]["succeeded_charges"], before + 1);

  // A declined charge is replayed as declined, not tried again.
  auto declined = SavedCard("4000000000000002", "retry-declined");
  auto dkey = Key("pledge-charge", "78-1");
  auto d1 = provider_->ChargeOffSession(Charge(declined, 100), dkey);
  auto d2 = provider_->ChargeOffSession(Charge(declined, 100), dkey);
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(d1->id, d2->id);
  EXPECT_EQ(d2->outcome, ChargeOutcome::kDeclined);

  // The same key for another amount is a bug of ours, said as kConflict; nothing charged.
  auto other = provider_->ChargeOffSession(Charge(card, 9999), key);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Code::kConflict);
  EXPECT_EQ(emulator_->State()["counts"]["succeeded_charges"], before + 1);
}

TEST_F(StripeEmulatorTest, DetachedCardsCannotBeCharged) {
  auto card = SavedCard("4242424242424242", "detach");
  auto d = provider_->DetachPaymentMethod(card.second, Key("pledge-detach", "5"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->id, card.second);
  EXPECT_EQ(d->customer, "");
  auto again = provider_->DetachPaymentMethod(card.second, Key("pledge-detach", "5"));
  ASSERT_TRUE(again);  // the same key: the first answer again
  auto fresh = provider_->DetachPaymentMethod(card.second, Key("pledge-detach", "5b"));
  ASSERT_FALSE(fresh);
  EXPECT_EQ(fresh.error().code, Code::kInvalidArgument);
  auto charge = provider_->ChargeOffSession(Charge(card, 100), Key("pledge-charge", "5-1"));
  ASSERT_FALSE(charge);
  EXPECT_EQ(charge.error().code, Code::kInvalidArgument);
}

TEST_F(StripeEmulatorTest, RefundsPartThenTheRest) {
  auto card = SavedCard("4242424242424242", "refund");
  auto pi = provider_->ChargeOffSession(Charge(card, 3000), Key("pledge-charge", "r-1"));
  ASSERT_TRUE(pi && pi->outcome == ChargeOutcome::kSucceeded);
  std::size_t n = Events().size();
  auto part = provider_->Refund(RefundRequest{pi->id, "", 1000, {{"donation_id", "9"}}},
                                Key("refund", "9-a"));
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_EQ(part->amount, 1000);
  EXPECT_EQ(part->status, "succeeded");
  EXPECT_EQ(part->payment_intent, pi->id);
  auto rest = provider_->Refund(RefundRequest{"", pi->latest_charge, std::nullopt, {}},
                                Key("refund", "9-b"));
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_EQ(rest->amount, 2000);
  auto more = provider_->Refund(RefundRequest{pi->id, "", std::nullopt, {}}, Key("refund", "9-c"));
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, Code::kInvalidArgument);
  EXPECT_NE(more.error().message.find("charge_already_refunded"), std::string::npos);
  auto events = Events();
  int refunded = 0;
  for (std::size_t i = n; i < events.size(); ++i) {
    if (events[i].type == "charge.refunded") {
      ++refunded;
      EXPECT_EQ(events[i].object["id"], pi->latest_charge);
    }
  }
  EXPECT_EQ(refunded, 2);
}

TEST_F(StripeEmulatorTest, AWrongKeyIsRefusedWithoutShowingIt) {
  PaymentsConfig c = emulator_->Config();
  c.stripe_secret_key = "sk_test_wrong_key_do_not_print";
  auto p = MakePaymentProvider(c);
  ASSERT_TRUE(p);
  auto r = (*p)->DetachPaymentMethod("pm_1", Key("x", "1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInternal);
  EXPECT_NE(r.error().message.find("authentication_error"), std::string::npos);
  EXPECT_EQ(r.error().message.find("wrong_key_do_not_print"), std::string::npos);
}

TEST_F(StripeEmulatorTest, NoAnswerIsUnavailableAfterRetries) {
  PaymentsConfig c = emulator_->Config();
  c.stripe_api_base = "http://127.0.0.1:1";  // nothing listens on port 1
  c.max_attempts = 2;
  auto p = MakePaymentProvider(c);
  ASSERT_TRUE(p);
  auto r = (*p)->DetachPaymentMethod("pm_1", Key("x", "2"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  EXPECT_NE(r.error().message.find("2 attempts"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace undersigned::payments
