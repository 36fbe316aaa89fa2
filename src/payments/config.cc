#include "payments/config.h"

#include <algorithm>

namespace undersigned::payments {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

Result<void> ValidatePaymentsConfig(const PaymentsConfig& c) {
  auto bad = [](const char* key, const std::string& what) {
    return Fail(Code::kInvalidArgument, std::string("payments.") + key + ": " + what);
  };
  if (c.stripe_secret_key.empty()) return {};
  const std::string& k = c.stripe_secret_key;
  if (!(k.starts_with("sk_") || k.starts_with("rk_")) || k.size() < 8 ||
      !std::all_of(k.begin(), k.end(), IsKeyChar)) {
    return bad("stripe_secret_key",
               "must be a Stripe secret key (sk_live_..., sk_test_...) or restricted key (rk_...)");
  }
  const std::string& w = c.stripe_webhook_secret;
  if (w.empty()) {
    return bad("stripe_webhook_secret",
               "is required with a secret key: payments are fulfilled only from signed webhooks "
               "(the endpoint's signing secret, whsec_...)");
  }
  if (!w.starts_with("whsec_") || w.size() < 10 ||
      !std::all_of(w.begin(), w.end(), [](char ch) { return ch > ' ' && ch < 0x7f; })) {
    return bad("stripe_webhook_secret", "must be a webhook signing secret (whsec_...)");
  }
  const std::string& b = c.stripe_api_base;
  if (!(b.starts_with("https://") || b.starts_with("http://")) || b.size() < 10 ||
      b.find_first_of(" ?#") != std::string::npos) {
    return bad("stripe_api_base", "must be an http(s):// URL without query, such as Stripe's");
  }
  if (c.timeout_seconds < 1 || c.timeout_seconds > 600) {
    return bad("timeout_seconds", "must be from 1 to 600");
  }
  if (c.max_attempts < 1 || c.max_attempts > 10) {
    return bad("max_attempts", "must be from 1 to 10");
  }
  if (c.first_backoff_millis < 0 || c.first_backoff_millis > 60'000) {
    return bad("first_backoff_millis", "must be from 0 to 60000");
  }
  return {};
}

}  // namespace undersigned::payments
