// PaymentProvider: the narrow interface through which undersigned moves money, and the factory
// that makes the one real implementation (Stripe, payments/stripe_provider.h) from the
// [payments] configuration. No card data ever reaches us: donors type their card on the
// provider's hosted Checkout page; we keep ids (customer, payment method, payment intent).
//
// Every write takes an IdempotencyKey the caller derives from its own ids (a pledge's id and
// attempt...), so that a retry after a crash or a timeout can never charge twice: the provider
// answers a repeated key with the first answer. Fulfilment happens only from verified webhooks
// (payments/webhook.h), never from these answers or the donor's redirect.
//
// Error contract (core/error.h) of every operation:
//   kInvalidArgument  the request was refused as malformed (Stripe's invalid_request_error);
//                     the message says which parameter. Do not retry with the same key.
//   kNotFound         no such object at the provider (resource_missing).
//   kConflict         the key was used before with other parameters (idempotency_error), or a
//                     card error outside a charge.
//   kUnavailable      network trouble, a timeout, 429 or 5xx after the configured retries: try
//                     again later WITH THE SAME KEY.
//   kInternal         the provider refused our credentials or something unexpected happened.
// A card that is declined or needs its owner's authentication is not an error of
// ChargeOffSession: it is an answer (PaymentIntentResult with outcome and failure).
// Messages never contain the secret key.
//
// Thread-safety: implementations are safe to call from several threads at once.
// Ownership: MakePaymentProvider returns an owned provider.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace undersigned::payments {

// An Idempotency-Key: 1 to 255 printable ASCII characters, made from our own ids so that the
// same operation on the same object always gets the same key.
class IdempotencyKey {
 public:
  // "undersigned:" + purpose + ":" + each part joined with ':' ("undersigned:pledge-charge:42:1").
  // kInvalidArgument if purpose or a part is empty or holds anything but [A-Za-z0-9_.-], or the
  // key would be longer than 255 characters.
  static Result<IdempotencyKey> For(std::string_view purpose,
                                    const std::vector<std::string>& parts);
  // A key made elsewhere (kept in the store, say). Same checks on the whole key.
  static Result<IdempotencyKey> FromString(std::string_view key);

  const std::string& str() const { return key_; }
  bool operator==(const IdempotencyKey&) const = default;

 private:
  explicit IdempotencyKey(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// What became of a charge or a card, in our words. Stripe's type/code/decline_code map onto it
// in ClassifyFailure.
enum class FailureKind {
  kNeedsAction,  // the bank wants the cardholder present (authentication_required): bring
                 // the donor back on-session
  kDeclined,     // the card was declined, expired, wrong: the donor must use another card
  kTryAgain,     // a temporary refusal (processing_error, try_again_later): retry later
  kInvalid,      // our request was wrong (not the card's fault)
  kOther,        // anything else
};
const char* FailureKindName(FailureKind kind);

// Stripe's error fields, kept as they came, and what they mean for us.
struct PaymentFailure {
  FailureKind kind = FailureKind::kOther;
  std::string type;          // card_error, invalid_request_error...
  std::string code;          // authentication_required, card_declined...
  std::string decline_code;  // generic_decline, insufficient_funds...
  std::string message;       // Stripe's message (never holds our secret key)
};
FailureKind ClassifyFailure(std::string_view type, std::string_view code,
                            std::string_view decline_code);

enum class CheckoutMode { kPayment, kSubscription, kSetup };
const char* CheckoutModeName(CheckoutMode mode);

// One Checkout Session: a hosted page where the donor gives once, starts a monthly gift, or
// saves a card for a pledge charged later.
struct CheckoutRequest {
  CheckoutMode mode = CheckoutMode::kPayment;
  std::string currency;            // ISO 4217, lower or upper case ("usd"); required in all modes
  std::int64_t amount_minor = 0;   // payment and subscription: > 0, in minor units (cents)
  std::string item_name;           // payment and subscription: the line item's name ("Gift")
  std::string interval = "month";  // subscription: day, week, month or year
  // Where the donor lands; success_url should hold {CHECKOUT_SESSION_ID} (kept literally: the
  // provider replaces it). Both http(s):// URLs.
  std::string success_url;
  std::string cancel_url;
  std::string customer_email;  // optional; prefills the page
  std::string customer_id;     // optional existing customer (cus_...)
  // Our ids (fundraiser_id, donation_id, pledge_id...), returned in every webhook about it.
  // Keys: up to 40 characters; values: up to 500 characters; at most 50 entries.
  std::map<std::string, std::string> metadata;
};

struct CheckoutSession {
  std::string id;   // cs_...
  std::string url;  // the hosted page to send the donor to
  std::string mode;
  std::string status;  // open, complete, expired
  std::int64_t amount_total = 0;
  std::string currency;
};

// Charging a saved card without its owner (a pledge whose condition is met).
struct OffSessionCharge {
  std::string customer;        // cus_...
  std::string payment_method;  // pm_...
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string description;  // optional, shown on the donor's receipt
  std::map<std::string, std::string> metadata;
};

enum class ChargeOutcome {
  kSucceeded,    // the money is collected
  kProcessing,   // not known yet: a webhook will tell
  kNeedsAction,  // the donor must authenticate on-session (failure says why)
  kDeclined,     // refused: the donor must give another card
  kTryAgain,     // a temporary refusal: a new attempt (new key) later may succeed
};
const char* ChargeOutcomeName(ChargeOutcome outcome);

struct PaymentIntentResult {
  std::string id;      // pi_... (also when the charge failed: the intent exists)
  std::string status;  // Stripe's: succeeded, processing, requires_payment_method...
  ChargeOutcome outcome = ChargeOutcome::kProcessing;
  std::int64_t amount = 0;
  std::string currency;
  std::string latest_charge;  // ch_..., when one was made
  std::optional<PaymentFailure> failure;
};

struct PaymentMethodResult {
  std::string id;
  std::string customer;  // empty once detached
};

// A refund of a PaymentIntent's charge, or of a charge by id: exactly one of the two.
struct RefundRequest {
  std::string payment_intent;
  std::string charge;
  std::optional<std::int64_t> amount_minor;  // none: whatever is left
  std::map<std::string, std::string> metadata;
};

struct RefundResult {
  std::string id;      // re_...
  std::string status;  // succeeded, pending, failed...
  std::int64_t amount = 0;
  std::string charge;
  std::string payment_intent;
};

struct SubscriptionResult {
  std::string id;
  std::string status;  // canceled once cancelled
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;

  virtual Result<CheckoutSession> CreateCheckoutSession(const CheckoutRequest& request,
                                                        const IdempotencyKey& key) = 0;
  // Creates and confirms an off-session PaymentIntent. A declined card or one needing
  // authentication is an answer (outcome, failure), not an error.
  virtual Result<PaymentIntentResult> ChargeOffSession(const OffSessionCharge& charge,
                                                       const IdempotencyKey& key) = 0;
  // Detaches a saved card from its customer: it can never be charged again.
  virtual Result<PaymentMethodResult> DetachPaymentMethod(const std::string& payment_method,
                                                          const IdempotencyKey& key) = 0;
  virtual Result<RefundResult> Refund(const RefundRequest& request, const IdempotencyKey& key) = 0;
  // Cancels a subscription now (monthly giving stopped).
  virtual Result<SubscriptionResult> CancelSubscription(const std::string& subscription,
                                                        const IdempotencyKey& key) = 0;
  // For logs: "stripe (test mode) at https://...". Never holds a secret.
  virtual std::string Describe() const = 0;
};

// Checks a CheckoutRequest / OffSessionCharge / RefundRequest before anything is sent.
// kInvalidArgument with field_errors naming each bad field.
Result<void> ValidateCheckout(const CheckoutRequest& request);
Result<void> ValidateCharge(const OffSessionCharge& charge);
Result<void> ValidateRefund(const RefundRequest& request);

}  // namespace undersigned::payments
