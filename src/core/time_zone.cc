#include "core/time_zone.h"

#include <cstdio>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

namespace undersigned {
namespace {

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

std::optional<absl::TimeZone> Load(std::string_view name) {
  absl::TimeZone tz;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &tz)) return std::nullopt;
  return tz;
}

std::string DayText(const absl::CivilDay& d) {
  return std::to_string(d.day()) + " " + kMonths[d.month() - 1] + " " + std::to_string(d.year());
}

}  // namespace

bool IsKnownTimeZone(std::string_view name) { return Load(name).has_value(); }

std::optional<UnixTime> ParseDeadline(std::string_view text, std::string_view time_zone) {
  auto tz = Load(time_zone);
  if (!tz) return std::nullopt;
  auto t = ParseIso8601(text);
  if (!t) return std::nullopt;
  if (text.size() != 10) return t;  // a full timestamp: as given
  // A date: ParseIso8601 read it as midnight UTC; take its civil day, then the next day's first
  // instant in the zone (FromCivil resolves a midnight skipped by a DST change forwards).
  absl::CivilDay day = absl::ToCivilDay(absl::FromUnixSeconds(*t), absl::UTCTimeZone());
  return absl::ToUnixSeconds(absl::FromCivil(day + 1, *tz));
}

std::optional<UnixTime> ParseLocalTime(std::string_view text, std::string_view time_zone) {
  auto tz = Load(time_zone);
  if (!tz) return std::nullopt;
  if (text.size() > 19) return ParseIso8601(text);  // has an offset or a Z: as given
  absl::CivilSecond at;
  if (text.size() == 16) {
    absl::CivilMinute m;
    if (!absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &m)) return std::nullopt;
    at = absl::CivilSecond(m);
  } else if (text.size() != 19 ||
             !absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &at)) {
    return std::nullopt;
  }
  return absl::ToUnixSeconds(absl::FromCivil(at, *tz));
}

std::string DescribeTime(UnixTime t, std::string_view time_zone) {
  const std::string zone = IsKnownTimeZone(time_zone) ? std::string(time_zone) : "UTC";
  absl::TimeZone tz = Load(zone).value_or(absl::UTCTimeZone());
  absl::CivilSecond at = absl::ToCivilSecond(absl::FromUnixSeconds(t), tz);
  char hm[16];
  std::snprintf(hm, sizeof hm, "%02d:%02d", at.hour(), at.minute());
  return DayText(absl::CivilDay(at)) + ", " + hm + " (" + zone + ")";
}

std::string DescribeDeadline(UnixTime deadline, std::string_view time_zone) {
  const std::string zone = IsKnownTimeZone(time_zone) ? std::string(time_zone) : "UTC";
  absl::TimeZone tz = Load(zone).value_or(absl::UTCTimeZone());
  absl::CivilSecond at = absl::ToCivilSecond(absl::FromUnixSeconds(deadline), tz);
  if (at.hour() == 0 && at.minute() == 0 && at.second() == 0) {
    return "the end of " + DayText(absl::CivilDay(at) - 1) + " (" + zone + ")";
  }
  char hm[16];
  std::snprintf(hm, sizeof hm, "%02d:%02d", at.hour(), at.minute());
  return DayText(absl::CivilDay(at)) + ", " + hm + " (" + zone + ")";
}

}  // namespace undersigned
