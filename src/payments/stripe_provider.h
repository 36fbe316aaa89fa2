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

#include "payments/config.h"
#include "payments/http_client.h"
#include "payments/provider.h"

namespace undersigned::payments {

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
