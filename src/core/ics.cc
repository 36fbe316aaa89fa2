#include "core/ics.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

namespace undersigned {
namespace {

std::optional<absl::TimeZone> Zone(std::string_view name) {
  if (name.empty() || name == "UTC") return std::nullopt;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(std::string(name), &tz)) return std::nullopt;
  return tz;
}

std::string Civil(const absl::CivilSecond& c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d", static_cast<int>(c.year()), c.month(),
                c.day(), c.hour(), c.minute(), c.second());
  return buf;
}

std::string Utc(UnixTime t) {
  return Civil(absl::ToCivilSecond(absl::FromUnixSeconds(t), absl::UTCTimeZone())) + "Z";
}

std::string Offset(int seconds) {
  const char sign = seconds < 0 ? '-' : '+';
  seconds = std::abs(seconds);
  char buf[16];
  if (seconds % 60 != 0) {
    std::snprintf(buf, sizeof buf, "%c%02d%02d%02d", sign, seconds / 3600, seconds / 60 % 60,
                  seconds % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%c%02d%02d", sign, seconds / 3600, seconds / 60 % 60);
  }
  return buf;
}

// One STANDARD or DAYLIGHT observance starting at instant t (local time in the offset before).
void Observance(std::string& out, const absl::TimeZone& tz, absl::Time t, bool first) {
  const auto before = tz.At(first ? t : t - absl::Seconds(1));
  const auto after = tz.At(t);
  out += IcsLine(after.is_dst ? "BEGIN:DAYLIGHT" : "BEGIN:STANDARD");
  // The local wall time at which it starts, in the offset in force before it.
  const absl::CivilSecond local = absl::ToCivilSecond(t, absl::FixedTimeZone(before.offset));
  out += IcsLine("DTSTART:" + Civil(local));
  out += IcsLine("TZOFFSETFROM:" + Offset(before.offset));
  out += IcsLine("TZOFFSETTO:" + Offset(after.offset));
  if (after.zone_abbr != nullptr && after.zone_abbr[0] != '\0') {
    out += IcsLine("TZNAME:" + IcsEscape(after.zone_abbr));
  }
  out += IcsLine(after.is_dst ? "END:DAYLIGHT" : "END:STANDARD");
}

void Timezone(std::string& out, const std::string& name, const absl::TimeZone& tz, UnixTime from,
              UnixTime to) {
  out += IcsLine("BEGIN:VTIMEZONE");
  out += IcsLine("TZID:" + IcsEscape(name));
  const absl::Time start = absl::FromUnixSeconds(from);
  const absl::Time end = absl::FromUnixSeconds(to) + absl::Hours(24 * 366);
  // The observance in force at the first event: from the transition before it.
  absl::TimeZone::CivilTransition tr;
  absl::Time first = absl::FromUnixSeconds(0);  // a zone that never changes: since 1970
  bool found_before = false;
  if (tz.PrevTransition(start + absl::Seconds(1), &tr)) {
    first = tz.At(tr.to).trans;
    found_before = true;
  }
  Observance(out, tz, first, !found_before);
  absl::Time t = first;
  while (tz.NextTransition(t, &tr)) {
    const absl::Time at = tz.At(tr.to).trans;
    if (at > end || at <= t) break;
    Observance(out, tz, at, false);
    t = at;
  }
  out += IcsLine("END:VTIMEZONE");
}

}  // namespace

std::string IcsEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' || c == ';' || c == ',') {
      out += '\\';
      out += c;
    } else if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') continue;
      out += "\\n";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      continue;  // other control characters are not allowed in TEXT
    } else {
      out += c;
    }
  }
  return out;
}

std::string IcsLine(std::string_view line) {
  std::string out;
  std::size_t width = 0;  // octets on the current physical line
  std::size_t i = 0;
  while (i < line.size()) {
    // The length of the UTF-8 character at i (1 for a stray continuation byte).
    const unsigned char b = static_cast<unsigned char>(line[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    n = std::min(n, line.size() - i);
    if (width + n > 75) {
      out += "\r\n ";
      width = 1;
    }
    out.append(line.substr(i, n));
    width += n;
    i += n;
  }
  out += "\r\n";
  return out;
}

std::string IcsCalendar(const std::vector<IcsEvent>& events, UnixTime stamp,
                        std::string_view calendar_name) {
  std::string out;
  out += IcsLine("BEGIN:VCALENDAR");
  out += IcsLine("VERSION:2.0");
  out += IcsLine("PRODID:-//undersigned//events//EN");
  out += IcsLine("CALSCALE:GREGORIAN");
  out += IcsLine("METHOD:PUBLISH");
  if (!calendar_name.empty()) out += IcsLine("X-WR-CALNAME:" + IcsEscape(calendar_name));
  // One VTIMEZONE per zone, covering all its events.
  std::map<std::string, std::pair<UnixTime, UnixTime>> spans;
  for (const IcsEvent& e : events) {
    if (!Zone(e.time_zone)) continue;
    auto [it, fresh] = spans.try_emplace(e.time_zone, e.starts, e.ends);
    if (!fresh) {
      it->second.first = std::min(it->second.first, e.starts);
      it->second.second = std::max(it->second.second, e.ends);
    }
  }
  for (const auto& [name, span] : spans) Timezone(out, name, *Zone(name), span.first, span.second);
  for (const IcsEvent& e : events) {
    out += IcsLine("BEGIN:VEVENT");
    out += IcsLine("UID:" + IcsEscape(e.uid));
    out += IcsLine("DTSTAMP:" + Utc(stamp));
    if (auto tz = Zone(e.time_zone)) {
      const std::string tzid = ";TZID=" + e.time_zone + ":";
      out += IcsLine("DTSTART" + tzid +
                     Civil(absl::ToCivilSecond(absl::FromUnixSeconds(e.starts), *tz)));
      out +=
          IcsLine("DTEND" + tzid + Civil(absl::ToCivilSecond(absl::FromUnixSeconds(e.ends), *tz)));
    } else {
      out += IcsLine("DTSTART:" + Utc(e.starts));
      out += IcsLine("DTEND:" + Utc(e.ends));
    }
    out += IcsLine("SUMMARY:" + IcsEscape(e.summary));
    if (!e.description.empty()) out += IcsLine("DESCRIPTION:" + IcsEscape(e.description));
    if (!e.location.empty()) out += IcsLine("LOCATION:" + IcsEscape(e.location));
    if (!e.url.empty()) out += IcsLine("URL:" + e.url);
    out += IcsLine(std::string("STATUS:") + (e.cancelled ? "CANCELLED" : "CONFIRMED"));
    out += IcsLine("SEQUENCE:" + std::to_string(e.sequence));
    out += IcsLine("END:VEVENT");
  }
  out += IcsLine("END:VCALENDAR");
  return out;
}

}  // namespace undersigned
