#include "render/text.h"

#include <ctime>

namespace undersigned::render {

std::string FormatThousands(std::int64_t n) {
  // Work on the unsigned magnitude so INT64_MIN does not overflow.
  std::uint64_t mag = n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  std::string digits = std::to_string(mag);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3 + 1);
  if (n < 0) out.push_back('-');
  std::size_t lead = digits.size() % 3;
  if (lead == 0) lead = 3;
  out.append(digits, 0, lead);
  for (std::size_t i = lead; i < digits.size(); i += 3) {
    out.push_back(',');
    out.append(digits, i, 3);
  }
  return out;
}

std::string FormatDate(UnixTime t) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return std::to_string(tm.tm_mday) + " " + kMonths[tm.tm_mon] + " " +
         std::to_string(tm.tm_year + 1900);
}

int PercentOf(std::int64_t part, std::int64_t total) {
  if (total <= 0 || part <= 0) return 0;
  if (part >= total) return 100;
  return static_cast<int>((static_cast<__int128>(part) * 100) / total);
}

}  // namespace undersigned::render
