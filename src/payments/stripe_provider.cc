#include "payments/stripe_provider.h"

#include <algorithm>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "payments/form.h"

namespace undersigned::payments {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

bool IsSecretChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Replaces every run that looks like a Stripe secret (sk_live_..., rk_test_..., whsec_...).
std::string ScrubSecretShapes(std::string s) {
  for (const char* prefix : {"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"}) {
    std::size_t pos = 0;
    while ((pos = s.find(prefix, pos)) != std::string::npos) {
      std::size_t end = pos + std::char_traits<char>::length(prefix);
      while (end < s.size() && (IsSecretChar(s[end]) || s[end] == '*')) ++end;
      s.replace(pos, end - pos, std::string(prefix) + "[redacted]");
      pos += std::char_traits<char>::length(prefix) + 10;
    }
  }
  return s;
}

std::string ReplaceAll(std::string s, const std::string& what, const std::string& with) {
  if (what.empty()) return s;
  std::size_t pos = 0;
  while ((pos = s.find(what, pos)) != std::string::npos) {
    s.replace(pos, what.size(), with);
    pos += with.size();
  }
  return s;
}

// "https://user:pw@host:443/x" -> "https://host:443/x"
std::string WithoutUserInfo(const std::string& url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  std::size_t host = scheme + 3;
  std::size_t slash = url.find('/', host);
  std::size_t at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

bool IsStripeId(const std::string& id) {
  return !id.empty() && id.size() <= 255 && std::all_of(id.begin(), id.end(), IsSecretChar);
}

PaymentFailure FailureFrom(const json& error) {
  PaymentFailure f;
  f.type = Str(error, "type");
  f.code = Str(error, "code");
  f.decline_code = Str(error, "decline_code");
  f.message = ScrubSecretShapes(Str(error, "message"));
  f.kind = ClassifyFailure(f.type, f.code, f.decline_code);
  return f;
}

ChargeOutcome OutcomeFor(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNeedsAction:
      return ChargeOutcome::kNeedsAction;
    case FailureKind::kTryAgain:
      return ChargeOutcome::kTryAgain;
    default:
      return ChargeOutcome::kDeclined;
  }
}

PaymentIntentResult IntentFrom(const json& pi) {
  PaymentIntentResult r;
  r.id = Str(pi, "id");
  r.status = Str(pi, "status");
  r.amount = Int(pi, "amount");
  r.currency = Str(pi, "currency");
  if (auto it = pi.find("latest_charge"); it != pi.end()) {
    if (it->is_string()) r.latest_charge = it->get<std::string>();
    if (it->is_object()) r.latest_charge = Str(*it, "id");
  }
  if (r.status == "succeeded") {
    r.outcome = ChargeOutcome::kSucceeded;
  } else if (r.status == "requires_action") {
    r.outcome = ChargeOutcome::kNeedsAction;
    r.failure = PaymentFailure{FailureKind::kNeedsAction, "", "authentication_required", "",
                               "the payment needs the cardholder's authentication"};
  } else if (r.status == "requires_payment_method") {
    auto it = pi.find("last_payment_error");
    r.failure = it != pi.end() && it->is_object()
                    ? FailureFrom(*it)
                    : PaymentFailure{FailureKind::kDeclined, "", "", "", "no payment method"};
    r.outcome = OutcomeFor(r.failure->kind);
  } else {
    r.outcome = ChargeOutcome::kProcessing;  // processing, requires_capture, requires_confirmation
  }
  return r;
}

}  // namespace

StripeProvider::StripeProvider(PaymentsConfig config, std::unique_ptr<HttpClient> http,
                               std::function<void(std::chrono::milliseconds)> sleep)
    : config_(std::move(config)), http_(std::move(http)), sleep_(std::move(sleep)) {
  while (config_.stripe_api_base.ends_with("/")) config_.stripe_api_base.pop_back();
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::string StripeProvider::Describe() const {
  const std::string& k = config_.stripe_secret_key;
  std::string mode = k.find("_live_") != std::string::npos   ? "live mode"
                     : k.find("_test_") != std::string::npos ? "test mode"
                                                             : "unknown mode";
  return "stripe (" + mode + ") at " + WithoutUserInfo(config_.stripe_api_base);
}

std::string StripeProvider::Scrub(std::string message) const {
  message = ReplaceAll(std::move(message), config_.stripe_secret_key, "[redacted]");
  message = ReplaceAll(std::move(message), config_.stripe_webhook_secret, "[redacted]");
  return ScrubSecretShapes(std::move(message));
}

Result<StripeProvider::Answer> StripeProvider::Call(const std::string& method,
                                                    const std::string& path,
                                                    const std::string& body,
                                                    const IdempotencyKey& key) {
  HttpRequest request;
  request.method = method;
  request.url = config_.stripe_api_base + path;
  request.headers = {{"Authorization", "Bearer " + config_.stripe_secret_key},
                     {"Stripe-Version", kStripeApiVersion},
                     {"Idempotency-Key", key.str()},
                     {"User-Agent", "undersigned"},
                     {"Accept", "application/json"}};
  if (method == "POST") {
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = body;
  }
  auto backoff = std::chrono::milliseconds(config_.first_backoff_millis);
  std::string last_failure;
  for (int attempt = 1;; ++attempt) {
    auto r = http_->Send(request);
    bool retry = false;
    if (!r) {
      last_failure = r.error().message;
      retry = true;
    } else {
      long s = r->status;
      retry = s == 409 || s == 429 || s >= 500;
      if (auto h = r->headers.find("stripe-should-retry"); h != r->headers.end()) {
        if (h->second == "true") retry = true;
        if (h->second == "false") retry = false;
      }
      if (!retry || attempt >= config_.max_attempts) return Answer{s, std::move(r->body)};
    }
    if (attempt >= config_.max_attempts) {
      return Fail(Code::kUnavailable, Scrub("stripe: " + method + " " + path + ": " + last_failure +
                                            " (" + std::to_string(attempt) +
                                            " attempts with idempotency key " + key.str() + ")"));
    }
    sleep_(backoff);
    backoff *= 2;
  }
}

Error StripeProvider::ErrorFor(const Answer& a, const std::string& what) const {
  json j = json::parse(a.body, nullptr, false);
  json error = j.is_object() && j.contains("error") && j["error"].is_object() ? j["error"] : json();
  std::string type = error.is_object() ? Str(error, "type") : "";
  std::string code = error.is_object() ? Str(error, "code") : "";
  std::string param = error.is_object() ? Str(error, "param") : "";
  std::string message = error.is_object() ? Str(error, "message") : "";
  std::string text = "stripe: " + what + ": HTTP " + std::to_string(a.status);
  if (!type.empty()) text += " " + type;
  if (!code.empty()) text += " (" + code + ")";
  if (!param.empty()) text += " on " + param;
  if (!message.empty()) text += ": " + message;
  Code c = Code::kInternal;
  if (type == "idempotency_error") {
    c = Code::kConflict;
  } else if (a.status == 401) {
    c = Code::kInternal;
    text += " (check payments.stripe_secret_key)";
  } else if (a.status == 402) {
    c = Code::kConflict;
  } else if (a.status == 404) {
    c = Code::kNotFound;
  } else if (a.status == 400) {
    c = Code::kInvalidArgument;
  } else if (a.status == 409 || a.status == 429 || a.status >= 500) {
    c = Code::kUnavailable;
  }
  return Error{c, Scrub(std::move(text)), {}, 0};
}

std::string StripeProvider::CheckoutBody(const CheckoutRequest& r) {
  FormBody f;
  f.Add("mode", CheckoutModeName(r.mode));
  std::string currency = r.currency;
  std::transform(currency.begin(), currency.end(), currency.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  if (r.mode == CheckoutMode::kSetup) {
    f.Add("currency", currency);
  } else {
    f.Add("line_items[0][price_data][currency]", currency);
    f.Add("line_items[0][price_data][unit_amount]", std::to_string(r.amount_minor));
    f.Add("line_items[0][price_data][product_data][name]", r.item_name);
    if (r.mode == CheckoutMode::kSubscription) {
      f.Add("line_items[0][price_data][recurring][interval]", r.interval);
    }
    f.Add("line_items[0][quantity]", "1");
  }
  f.Add("success_url", r.success_url);
  if (!r.cancel_url.empty()) f.Add("cancel_url", r.cancel_url);
  if (!r.customer_id.empty()) {
    f.Add("customer", r.customer_id);
  } else if (!r.customer_email.empty()) {
    f.Add("customer_email", r.customer_email);
  }
  f.AddMap("metadata", r.metadata);
  // Stripe does not copy a session's metadata to what it creates: give it to each, so that
  // every webhook (payment_intent.*, setup_intent.*, invoice.*, customer.subscription.*)
  // carries our ids.
  switch (r.mode) {
    case CheckoutMode::kPayment:
      f.AddMap("payment_intent_data[metadata]", r.metadata);
      break;
    case CheckoutMode::kSubscription:
      f.AddMap("subscription_data[metadata]", r.metadata);
      break;
    case CheckoutMode::kSetup:
      f.AddMap("setup_intent_data[metadata]", r.metadata);
      break;
  }
  return f.Encode();
}

std::string StripeProvider::ChargeBody(const OffSessionCharge& c) {
  FormBody f;
  std::string currency = c.currency;
  std::transform(currency.begin(), currency.end(), currency.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  f.Add("amount", std::to_string(c.amount_minor))
      .Add("currency", currency)
      .Add("customer", c.customer)
      .Add("payment_method", c.payment_method)
      .Add("off_session", "true")
      .Add("confirm", "true");
  if (!c.description.empty()) f.Add("description", c.description);
  f.AddMap("metadata", c.metadata);
  return f.Encode();
}

std::string StripeProvider::RefundBody(const RefundRequest& r) {
  FormBody f;
  if (!r.payment_intent.empty()) {
    f.Add("payment_intent", r.payment_intent);
  } else {
    f.Add("charge", r.charge);
  }
  if (r.amount_minor) f.Add("amount", std::to_string(*r.amount_minor));
  f.AddMap("metadata", r.metadata);
  return f.Encode();
}

Result<CheckoutSession> StripeProvider::CreateCheckoutSession(const CheckoutRequest& request,
                                                              const IdempotencyKey& key) {
  if (auto v = ValidateCheckout(request); !v) return Fail(v.error());
  auto a = Call("POST", "/v1/checkout/sessions", CheckoutBody(request), key);
  if (!a) return Fail(a.error());
  if (a->status != 200) return Fail(ErrorFor(*a, "create checkout session"));
  json j = json::parse(a->body, nullptr, false);
  if (!j.is_object() || Str(j, "id").empty()) {
    return Fail(Code::kInternal, "stripe: create checkout session: answer is not a session");
  }
  return CheckoutSession{Str(j, "id"),     Str(j, "url"),          Str(j, "mode"),
                         Str(j, "status"), Int(j, "amount_total"), Str(j, "currency")};
}

Result<PaymentIntentResult> StripeProvider::ChargeOffSession(const OffSessionCharge& charge,
                                                             const IdempotencyKey& key) {
  if (auto v = ValidateCharge(charge); !v) return Fail(v.error());
  auto a = Call("POST", "/v1/payment_intents", ChargeBody(charge), key);
  if (!a) return Fail(a.error());
  json j = json::parse(a->body, nullptr, false);
  if (a->status == 200) {
    if (!j.is_object() || Str(j, "id").empty()) {
      return Fail(Code::kInternal, "stripe: charge: answer is not a PaymentIntent");
    }
    return IntentFrom(j);
  }
  // A card error names the PaymentIntent it left behind: that is an answer, not an error.
  if (a->status == 402 && j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& error = j["error"];
    if (auto pi = error.find("payment_intent"); pi != error.end() && pi->is_object()) {
      PaymentIntentResult r = IntentFrom(*pi);
      r.failure = FailureFrom(error);
      r.outcome = OutcomeFor(r.failure->kind);
      return r;
    }
  }
  return Fail(ErrorFor(*a, "charge"));
}

Result<PaymentMethodResult> StripeProvider::DetachPaymentMethod(const std::string& pm,
                                                                const IdempotencyKey& key) {
  if (!IsStripeId(pm)) {
    return Fail(Code::kInvalidArgument, "payment_method: must be a Stripe id such as pm_...");
  }
  auto a = Call("POST", "/v1/payment_methods/" + pm + "/detach", "", key);
  if (!a) return Fail(a.error());
  if (a->status != 200) return Fail(ErrorFor(*a, "detach payment method"));
  json j = json::parse(a->body, nullptr, false);
  if (!j.is_object()) return Fail(Code::kInternal, "stripe: detach: answer is not JSON");
  return PaymentMethodResult{Str(j, "id"), Str(j, "customer")};
}

Result<RefundResult> StripeProvider::Refund(const RefundRequest& request,
                                            const IdempotencyKey& key) {
  if (auto v = ValidateRefund(request); !v) return Fail(v.error());
  auto a = Call("POST", "/v1/refunds", RefundBody(request), key);
  if (!a) return Fail(a.error());
  if (a->status != 200) return Fail(ErrorFor(*a, "refund"));
  json j = json::parse(a->body, nullptr, false);
  if (!j.is_object()) return Fail(Code::kInternal, "stripe: refund: answer is not JSON");
  return RefundResult{Str(j, "id"), Str(j, "status"), Int(j, "amount"), Str(j, "charge"),
                      Str(j, "payment_intent")};
}

Result<SubscriptionResult> StripeProvider::CancelSubscription(const std::string& subscription,
                                                              const IdempotencyKey& key) {
  if (!IsStripeId(subscription)) {
    return Fail(Code::kInvalidArgument, "subscription: must be a Stripe id such as sub_...");
  }
  auto a = Call("DELETE", "/v1/subscriptions/" + subscription, "", key);
  if (!a) return Fail(a.error());
  if (a->status != 200) return Fail(ErrorFor(*a, "cancel subscription"));
  json j = json::parse(a->body, nullptr, false);
  if (!j.is_object()) return Fail(Code::kInternal, "stripe: cancel: answer is not JSON");
  return SubscriptionResult{Str(j, "id"), Str(j, "status")};
}

Result<std::unique_ptr<PaymentProvider>> MakePaymentProvider(const PaymentsConfig& config) {
  if (!PaymentsEnabled(config)) {
    return Fail(Code::kInvalidArgument,
                "payments.stripe_secret_key: not set (payments are off without it)");
  }
  if (auto v = ValidatePaymentsConfig(config); !v) return Fail(v.error());
  HttpTimeouts t;
  t.total = std::chrono::seconds(config.timeout_seconds);
  t.connect = std::min(t.total, std::chrono::milliseconds(10'000));
  return std::unique_ptr<PaymentProvider>(
      std::make_unique<StripeProvider>(config, MakeCurlHttpClient(t)));
}

}  // namespace undersigned::payments
