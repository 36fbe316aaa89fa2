// iCalendar (RFC 5545) for events: one VCALENDAR holding any number of VEVENTs, each timed in
// its slot's IANA zone with a VTIMEZONE made from the system's tz database (/usr/share/zoneinfo,
// through Abseil, as core/time_zone.h: GCC 12's libstdc++ has no std::chrono zones). A zone's
// VTIMEZONE lists the observance in force before the calendar's first event and every
// transition until a year after its last, each with TZOFFSETFROM/TZOFFSETTO and the local time
// it happens at, so that a calendar shows the right local time across a daylight-saving change.
// "UTC" (or an unknown zone) is written as UTC times ("...Z") with no VTIMEZONE.
//
// Text is escaped (backslash, semicolon, comma, newline), lines end in CRLF and are folded at
// 75 octets without splitting a UTF-8 character.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace undersigned {

struct IcsEvent {
  std::string uid;  // globally unique, e.g. "slot-12@example.org"
  std::string summary;
  std::string description;
  std::string location;  // empty: no LOCATION (e.g. a private venue)
  std::string url;       // empty: no URL
  UnixTime starts = 0;
  UnixTime ends = 0;
  std::string time_zone = "UTC";
  bool cancelled = false;  // STATUS:CANCELLED (else CONFIRMED)
  int sequence = 0;        // bumped by each change the attendee is told of
};

// A whole calendar. stamp: DTSTAMP of every event (the time it was made).
std::string IcsCalendar(const std::vector<IcsEvent>& events, UnixTime stamp,
                        std::string_view calendar_name = "");

// The pieces, for tests.
std::string IcsEscape(std::string_view text);
// One content line, folded (RFC 5545 3.1), with its CRLF.
std::string IcsLine(std::string_view line);

}  // namespace undersigned
