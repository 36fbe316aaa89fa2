// StripeProvider: PaymentProvider over Stripe's HTTP API (v1, form-encoded requests, JSON
// answers), through an HttpClient (libcurl in production).
//
// Every request carries "Authorization: Bearer <secret key>", the pinned "Stripe-Version"
// (kStripeApiVersion) and, on writes, the caller's Idempotency-Key. A request that got no
// answer, or an answer 409, 429 or 5xx, is sent again with the SAME key (so Stripe replays
// the first result instead of acting twice), up to max_attempts in all, waiting
// first_backoff, then twice that, and so on; "Stripe-Should-Retry: false" stops the retries
// and "true" allows them for any status. The secret key never appears in an error message or a
// log line: every message is scrubbed of it (and of anything shaped like a Stripe secret).
//
// Thread-safety: safe to call from several threads at once (no mutable state besides the
// HttpClient, which is thread-safe). Ownership: owns its HttpClient.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "payments/http_client.h"
#include "payments/provider.h"

namespace undersigned::payments {

// The API version our requests and webhook parsing are written against; Stripe's official Node
// library in tests/stripe pins the same one.
inline constexpr const char* kStripeApiVersion = "2026-11-18.endive";
inline constexpr const char* kStripeDefaultApiBase = "https://api.stripe.com";

// The [payments] part of the configuration.
struct PaymentsConfig {
  std::string stripe_secret_key;      // sk_live_..., sk_test_... or rk_...; empty: payments off
  std::string stripe_webhook_secret;  // whsec_...: the webhook endpoint's signing secret
  std::string stripe_api_base = kStripeDefaultApiBase;  // tests point it at the emulator
  int timeout_seconds = 30;                             // one request, connect included
  int max_attempts = 3;                                 // sends of one request in all (retries + 1)
  int first_backoff_millis = 500;                       // wait before the first retry; doubles
};

// Whether payments are on: a secret key is set.
inline bool PaymentsEnabled(const PaymentsConfig& c) { return !c.stripe_secret_key.empty(); }

// kInvalidArgument naming the setting when the key, the webhook secret or the base URL is
// malformed, or the key is set without a webhook secret (fulfilment comes only from verified
// webhooks). The messages never repeat the secrets.
Result<void> ValidatePaymentsConfig(const PaymentsConfig& config);

class StripeProvider : public PaymentProvider {
 public:
  // sleep: how to wait between attempts (tests record instead of sleeping).
  StripeProvider(PaymentsConfig config, std::unique_ptr<HttpClient> http,
                 std::function<void(std::chrono::milliseconds)> sleep = {});

  Result<CheckoutSession> CreateCheckoutSession(const CheckoutRequest& request,
                                                const IdempotencyKey& key) override;
  Result<PaymentIntentResult> ChargeOffSession(const OffSessionCharge& charge,
                                               const IdempotencyKey& key) override;
  Result<PaymentMethodResult> DetachPaymentMethod(const std::string& payment_method,
                                                  const IdempotencyKey& key) override;
  Result<RefundResult> Refund(const RefundRequest& request, const IdempotencyKey& key) override;
  Result<SubscriptionResult> CancelSubscription(const std::string& subscription,
                                                const IdempotencyKey& key) override;
  std::string Describe() const override;

  // The request bodies, exposed for tests (tests/stripe/requests.json holds what Stripe's
  // library sends for the same operations).
  static std::string CheckoutBody(const CheckoutRequest& request);
  static std::string ChargeBody(const OffSessionCharge& charge);
  static std::string RefundBody(const RefundRequest& request);

 private:
  struct Answer {
    long status = 0;
    std::string body;
  };
  // Sends with retries; the final answer (any status) or kUnavailable.
  Result<Answer> Call(const std::string& method, const std::string& path, const std::string& body,
                      const IdempotencyKey& key);
  // An Error for a non-2xx answer.
  Error ErrorFor(const Answer& answer, const std::string& what) const;
  std::string Scrub(std::string message) const;

  PaymentsConfig config_;
  std::unique_ptr<HttpClient> http_;
  std::function<void(std::chrono::milliseconds)> sleep_;
};

// The provider for config (StripeProvider over libcurl), or kInvalidArgument from
// ValidatePaymentsConfig. REQUIRES PaymentsEnabled(config).
Result<std::unique_ptr<PaymentProvider>> MakePaymentProvider(const PaymentsConfig& config);

}  // namespace undersigned::payments
