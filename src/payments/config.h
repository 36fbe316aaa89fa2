// The [payments] part of undersigned's configuration (app/config.h holds it as `payments`):
// Stripe's secret key and webhook signing secret, and where Stripe's API is. Secrets are never
// logged nor repeated in an error message.
#pragma once

#include <string>

#include "core/error.h"

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

}  // namespace undersigned::payments
