// Decimal strings to minor units and back (money.h).
#include "core/money.h"

#include <algorithm>
#include <array>

namespace undersigned {
namespace {

// Stripe's zero-decimal currencies.
constexpr std::array<std::string_view, 16> kZeroDecimal = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF",
                                                           "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                                                           "VUV", "XAF", "XOF", "XPF"};

Error Bad(std::string_view field, std::string what) {
  Error e{Code::kInvalidArgument, std::string(field) + ": " + what, {}, 0};
  e.field_errors[std::string(field)] = what;
  return e;
}

}  // namespace

bool IsCurrencyCode(std::string_view currency) {
  return currency.size() == 3 &&
         std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

int MinorDigits(std::string_view currency) {
  return std::find(kZeroDecimal.begin(), kZeroDecimal.end(), currency) != kZeroDecimal.end() ? 0
                                                                                             : 2;
}

Result<std::int64_t> ParseAmount(std::string_view text, std::string_view currency,
                                 std::string_view field) {
  const int digits = MinorDigits(currency);
  const std::string how =
      digits == 0 ? "a whole number such as 25" : "a positive amount such as 25 or 25.00";
  if (text.empty()) return Fail(Bad(field, "is empty: give " + how));
  const std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(frac) ||
      (dot != std::string_view::npos && frac.empty())) {
    return Fail(Bad(field, "\"" + std::string(text.substr(0, 40)) + "\" is not " + how));
  }
  if (static_cast<int>(frac.size()) > digits) {
    return Fail(Bad(field, "has more than " + std::to_string(digits) + " decimals for " +
                               std::string(currency)));
  }
  if (whole.size() > 14) return Fail(Bad(field, "is too large"));
  std::int64_t v = 0;
  for (char c : whole) v = v * 10 + (c - '0');
  for (int i = 0; i < digits; ++i) {
    v = v * 10 + (i < static_cast<int>(frac.size()) ? frac[i] - '0' : 0);
  }
  if (v > kMaxAmountMinor) return Fail(Bad(field, "is too large"));
  return v;
}

std::string FormatAmount(std::int64_t minor, std::string_view currency) {
  const int digits = MinorDigits(currency);
  std::string sign = minor < 0 ? "-" : "";
  std::uint64_t v = minor < 0 ? 0 - static_cast<std::uint64_t>(minor) : minor;
  if (digits == 0) return sign + std::to_string(v);
  std::string frac = std::to_string(v % 100);
  if (frac.size() < 2) frac = "0" + frac;
  return sign + std::to_string(v / 100) + "." + frac;
}

std::string DisplayAmount(std::int64_t minor, std::string_view currency) {
  const std::string n = FormatAmount(minor, currency);
  if (currency == "USD") return "$" + n;
  if (currency == "EUR") return "\xE2\x82\xAC" + n;
  if (currency == "GBP") return "\xC2\xA3" + n;
  return n + " " + std::string(currency);
}

}  // namespace undersigned
