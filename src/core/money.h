// Money as undersigned keeps it: an int64 count of a currency's minor units (cents), never a
// floating-point number. This converts the decimal strings people and Action Network write
// ("25.00", "25", "1,000.50" is refused) to minor units and back, exactly. Pure logic;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace undersigned {

// The largest amount accepted anywhere: 10^13 minor units (100 billion dollars), far below
// int64's limit, so sums of many donations cannot overflow.
inline constexpr std::int64_t kMaxAmountMinor = 10'000'000'000'000;

// True for an ISO 4217 code as we keep it: three upper-case ASCII letters.
bool IsCurrencyCode(std::string_view currency);
// How many decimals the currency's minor unit has: 0 for zero-decimal currencies (JPY, KRW...,
// as Stripe lists them), else 2.
int MinorDigits(std::string_view currency);

// "25", "25.5", "25.50" -> 2550 for a two-decimal currency. kInvalidArgument (message naming
// `field`) for anything else: a sign, more decimals than the currency has, spaces, separators,
// exponents, an empty string, or more than kMaxAmountMinor.
Result<std::int64_t> ParseAmount(std::string_view text, std::string_view currency,
                                 std::string_view field);
// 2550 -> "25.50" (JPY: 2550 -> "2550"). Negative amounts get a leading '-'.
std::string FormatAmount(std::int64_t minor, std::string_view currency);
// For people: "$25.50", "€25.50", "£25.50", else "25.50 CHF".
std::string DisplayAmount(std::int64_t minor, std::string_view currency);

}  // namespace undersigned
