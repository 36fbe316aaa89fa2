// Webhook verification exactly as Stripe specifies it, on the raw request body before any
// JSON parsing: the header "Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]" (several
// v1 during a secret's rotation; other schemes such as v0 are ignored) must hold a v1 equal, in
// constant time, to HMAC-SHA256 keyed with the endpoint secret over "<t>.<raw body>", and t must
// be within the tolerance (300 s) of now, either way. Only then is the body parsed as an event.
//
// Errors of Verify:
//   kInvalidArgument  the header is missing or malformed (no t, no v1), or the body is not a
//                     JSON event with an id and a type (after a valid signature).
//   kUnauthenticated  no v1 matches (wrong secret, altered body), or t is outside the tolerance
//                     (an old delivery replayed, or a clock far off). The message says which.
// Messages never contain the secret. Duplicate deliveries verify alike: the caller handles each
// event id once.
//
// Thread-safety: Verify is const and safe from several threads. Ownership: keeps a reference to
// the Clock, which must outlive it.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned::payments {

struct WebhookEvent {
  std::string id;    // evt_...
  std::string type;  // checkout.session.completed...
  UnixTime created = 0;
  bool livemode = false;
  std::string api_version;
  nlohmann::json object;  // data.object: the session, intent, charge... as Stripe sent it
};

class WebhookVerifier {
 public:
  static constexpr int kDefaultToleranceSeconds = 300;

  // REQUIRES a non-empty secret (whsec_...).
  WebhookVerifier(std::string secret, const Clock& clock,
                  int tolerance_seconds = kDefaultToleranceSeconds);

  Result<WebhookEvent> Verify(std::string_view raw_body, std::string_view signature_header) const;

 private:
  std::string secret_;
  const Clock& clock_;
  int tolerance_;
};

// The header Stripe would send for this body at time t ("t=...,v1=..."): for tests and for
// anything that must sign as Stripe does.
std::string SignWebhookPayload(std::string_view raw_body, std::string_view secret, UnixTime t);

}  // namespace undersigned::payments
