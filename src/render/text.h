// Formatting of numbers and dates as pages and mails show them. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"

namespace undersigned::render {

// 1234567 -> "1,234,567"; negative numbers keep their sign.
std::string FormatThousands(std::int64_t n);
// "22 November 2026" (UTC).
std::string FormatDate(UnixTime t);
// Whole percent of part in total, floored, clamped to 0..100; 0 when total <= 0.
int PercentOf(std::int64_t part, std::int64_t total);

}  // namespace undersigned::render
