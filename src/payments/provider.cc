#include "payments/provider.h"

#include <algorithm>
#include <array>

namespace undersigned::payments {
namespace {

constexpr std::size_t kMaxKeyLength = 255;

bool KeyPartOk(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool IsHttpUrl(const std::string& url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

void CheckCurrency(std::map<std::string, std::string>& errors, const std::string& currency) {
  bool ok = currency.size() == 3 && std::all_of(currency.begin(), currency.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            });
  if (!ok) errors["currency"] = "must be a three-letter ISO 4217 code such as usd";
}

void CheckMetadata(std::map<std::string, std::string>& errors,
                   const std::map<std::string, std::string>& metadata) {
  // Stripe's limits: 50 keys, keys up to 40 characters without square brackets, values up to
  // 500 characters.
  if (metadata.size() > 50) errors["metadata"] = "may hold at most 50 entries";
  for (const auto& [k, v] : metadata) {
    if (k.empty() || k.size() > 40 || k.find_first_of("[]") != std::string::npos) {
      errors["metadata"] = "keys must be 1 to 40 characters without [ or ] ('" + k + "')";
    } else if (v.size() > 500) {
      errors["metadata"] = "values must be at most 500 characters ('" + k + "')";
    }
  }
}

}  // namespace

Result<IdempotencyKey> IdempotencyKey::For(std::string_view purpose,
                                           const std::vector<std::string>& parts) {
  if (!KeyPartOk(purpose)) {
    return Fail(Code::kInvalidArgument,
                "idempotency key: the purpose must be letters, digits, '_', '.' or '-'");
  }
  if (parts.empty()) {
    return Fail(Code::kInvalidArgument, "idempotency key: give at least one of our own ids");
  }
  std::string key = "undersigned:" + std::string(purpose);
  for (const std::string& p : parts) {
    if (!KeyPartOk(p)) {
      return Fail(Code::kInvalidArgument,
                  "idempotency key: part '" + p + "' must be letters, digits, '_', '.' or '-'");
    }
    key += ":" + p;
  }
  if (key.size() > kMaxKeyLength) {
    return Fail(Code::kInvalidArgument, "idempotency key: longer than 255 characters");
  }
  return IdempotencyKey(std::move(key));
}

Result<IdempotencyKey> IdempotencyKey::FromString(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength ||
      !std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    return Fail(Code::kInvalidArgument,
                "idempotency key: must be 1 to 255 printable ASCII characters without spaces");
  }
  return IdempotencyKey(std::string(key));
}

const char* FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNeedsAction:
      return "needs_action";
    case FailureKind::kDeclined:
      return "declined";
    case FailureKind::kTryAgain:
      return "try_again";
    case FailureKind::kInvalid:
      return "invalid";
    case FailureKind::kOther:
      return "other";
  }
  return "other";
}

FailureKind ClassifyFailure(std::string_view type, std::string_view code,
                            std::string_view decline_code) {
  if (code == "authentication_required" || decline_code == "authentication_required") {
    return FailureKind::kNeedsAction;
  }
  // Stripe's decline codes that mean "the same card may work later".
  static constexpr std::array<std::string_view, 6> kTemporary = {
      "try_again_later",     "issuer_not_available", "processing_error",
      "reenter_transaction", "approve_with_id",      "call_issuer"};
  if (code == "processing_error" ||
      std::find(kTemporary.begin(), kTemporary.end(), decline_code) != kTemporary.end()) {
    return FailureKind::kTryAgain;
  }
  if (type == "card_error" || code == "card_declined" || code == "expired_card" ||
      code == "incorrect_cvc" || code == "incorrect_number" || code == "insufficient_funds") {
    return FailureKind::kDeclined;
  }
  if (type == "invalid_request_error" || type == "idempotency_error") {
    return FailureKind::kInvalid;
  }
  return FailureKind::kOther;
}

const char* CheckoutModeName(CheckoutMode mode) {
  switch (mode) {
    case CheckoutMode::kPayment:
      return "payment";
    case CheckoutMode::kSubscription:
      return "subscription";
    case CheckoutMode::kSetup:
      return "setup";
  }
  return "payment";
}

const char* ChargeOutcomeName(ChargeOutcome outcome) {
  switch (outcome) {
    case ChargeOutcome::kSucceeded:
      return "succeeded";
    case ChargeOutcome::kProcessing:
      return "processing";
    case ChargeOutcome::kNeedsAction:
      return "needs_action";
    case ChargeOutcome::kDeclined:
      return "declined";
    case ChargeOutcome::kTryAgain:
      return "try_again";
  }
  return "processing";
}

Result<void> ValidateCheckout(const CheckoutRequest& r) {
  std::map<std::string, std::string> errors;
  CheckCurrency(errors, r.currency);
  if (r.mode != CheckoutMode::kSetup) {
    if (r.amount_minor <= 0) errors["amount"] = "must be more than 0 (in cents)";
    if (r.item_name.empty()) errors["item_name"] = "is required (what the donor pays for)";
  } else if (r.amount_minor != 0) {
    errors["amount"] = "must be 0 in setup mode: saving a card charges nothing";
  }
  if (r.mode == CheckoutMode::kSubscription && r.interval != "day" && r.interval != "week" &&
      r.interval != "month" && r.interval != "year") {
    errors["interval"] = "must be day, week, month or year";
  }
  if (!IsHttpUrl(r.success_url)) errors["success_url"] = "must be an http(s):// URL";
  if (!r.cancel_url.empty() && !IsHttpUrl(r.cancel_url)) {
    errors["cancel_url"] = "must be an http(s):// URL";
  }
  CheckMetadata(errors, r.metadata);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return {};
}

Result<void> ValidateCharge(const OffSessionCharge& c) {
  std::map<std::string, std::string> errors;
  if (c.customer.empty()) errors["customer"] = "is required (the customer who saved the card)";
  if (c.payment_method.empty()) errors["payment_method"] = "is required (the saved card)";
  if (c.amount_minor <= 0) errors["amount"] = "must be more than 0 (in cents)";
  CheckCurrency(errors, c.currency);
  CheckMetadata(errors, c.metadata);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return {};
}

Result<void> ValidateRefund(const RefundRequest& r) {
  std::map<std::string, std::string> errors;
  if (r.payment_intent.empty() == r.charge.empty()) {
    errors["payment_intent"] = "give exactly one of payment_intent and charge";
  }
  if (r.amount_minor && *r.amount_minor <= 0) {
    errors["amount"] = "must be more than 0, or left out to refund what is left";
  }
  CheckMetadata(errors, r.metadata);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return {};
}

}  // namespace undersigned::payments
