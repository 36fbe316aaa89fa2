// Time zones and deadlines. A campaign names an IANA time zone ("Europe/Paris", default "UTC")
// so that a deadline given as a date means the end of that day where the campaign runs.
//
// Zones come from the system's tz database (/usr/share/zoneinfo, Debian's tzdata) through
// Abseil's time library (libabsl-dev): GCC 12's libstdc++ has no std::chrono::zoned_time, and
// libc's localtime_r would need the process-wide TZ variable changed under other threads.
//
// Pure functions; thread-safe (Abseil caches loaded zones behind its own lock).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace undersigned {

inline constexpr std::string_view kDefaultTimeZone = "UTC";

// True if the tz database knows this zone ("UTC", "Europe/Paris"; not "" nor "+01:00").
bool IsKnownTimeZone(std::string_view name);

// A deadline as typed: a date ("2026-12-31") is the end of that day in time_zone, i.e. the first
// instant of the next day there, when the campaign closes; a full ISO 8601 timestamp (see
// ParseIso8601) is taken as given. nullopt when malformed or the zone is unknown.
std::optional<UnixTime> ParseDeadline(std::string_view text, std::string_view time_zone);

// A wall-clock time as a browser's datetime-local field sends it ("2026-12-08T09:30", seconds
// optional) taken in time_zone; a full ISO 8601 timestamp with its offset is taken as given.
// A time skipped by a DST change is the moment of the change (02:30 on a night the clocks jump
// from 02:00 to 03:00 is 03:00). nullopt when malformed or the zone is
// unknown.
std::optional<UnixTime> ParseLocalTime(std::string_view text, std::string_view time_zone);

// "8 December 2026, 09:30 (Europe/Paris)": an instant as people in time_zone read it (an unknown
// zone reads as UTC).
std::string DescribeTime(UnixTime t, std::string_view time_zone);

// How a deadline reads to people, in the campaign's zone: "the end of 31 December 2026 (UTC)"
// when it falls at midnight there (the day before is the last one), else
// "31 December 2026, 18:00 (Europe/Paris)". An unknown zone reads as UTC.
std::string DescribeDeadline(UnixTime deadline, std::string_view time_zone);

}  // namespace undersigned
