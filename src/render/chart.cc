#include "render/chart.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/time_zone.h"
#include "core/utf8.h"
#include "render/escape.h"
#include "render/text.h"

namespace undersigned::render {
namespace {

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

// The start of the bucket holding t.
UnixTime BucketStart(UnixTime t, ChartBucket bucket, const absl::TimeZone& tz) {
  const absl::Time at = absl::FromUnixSeconds(t);
  if (bucket == ChartBucket::kDay) {
    return absl::ToUnixSeconds(absl::FromCivil(absl::ToCivilDay(at, tz), tz));
  }
  // The clock hour there: t less the minutes and seconds the zone's clock shows. Keeps two
  // hours apart when a DST change repeats a clock hour (a civil hour would merge them).
  const absl::CivilSecond cs = absl::ToCivilSecond(at, tz);
  return t - cs.minute() * 60 - cs.second();
}

UnixTime NextBucket(UnixTime start, ChartBucket bucket, const absl::TimeZone& tz) {
  if (bucket == ChartBucket::kDay) {
    const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixSeconds(start), tz);
    return absl::ToUnixSeconds(absl::FromCivil(day + 1, tz));
  }
  // One hour on, at that hour's start (the same unless the zone's offset is not whole hours
  // across a change).
  return std::max(start + 1, BucketStart(start + 3600, bucket, tz));
}

std::string TwoDigits(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

// "7 December 2026" / "7 December 2026, 14:00": the table's row headers.
std::string LongLabel(UnixTime t, ChartBucket bucket, const absl::TimeZone& tz) {
  const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixSeconds(t), tz);
  std::string out =
      std::to_string(cs.day()) + " " + kMonths[cs.month() - 1] + " " + std::to_string(cs.year());
  if (bucket == ChartBucket::kHour) out += ", " + TwoDigits(cs.hour()) + ":00";
  return out;
}

// "7 Dec" / "7 Dec 14:00": the x axis' tick labels.
std::string ShortLabel(UnixTime t, ChartBucket bucket, const absl::TimeZone& tz) {
  const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixSeconds(t), tz);
  std::string out =
      std::to_string(cs.day()) + " " + std::string(kMonths[cs.month() - 1]).substr(0, 3);
  if (bucket == ChartBucket::kHour) out += " " + TwoDigits(cs.hour()) + ":00";
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  // "12.50" -> "12.5", "12.00" -> "12": shorter markup for thousands of bars.
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// A round tick step (1, 2 or 5 times a power of ten) giving about four steps up to max.
std::int64_t NiceStep(std::int64_t max) {
  if (max <= 4) return 1;
  const std::int64_t raw = (max + 3) / 4;
  std::int64_t power = 1;
  while (power <= raw / 10) power *= 10;
  for (std::int64_t m : {1, 2, 5, 10}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string Signatures(std::int64_t n) {
  return FormatThousands(n) + (n == 1 ? " signature" : " signatures");
}

Result<absl::TimeZone> CheckOptions(const std::vector<ChartPoint>& series, const ChartOptions& o) {
  absl::TimeZone tz;
  if (!IsKnownTimeZone(o.time_zone) || !absl::LoadTimeZone(o.time_zone, &tz)) {
    return Fail(Code::kInvalidArgument,
                "unknown time zone \"" + o.time_zone + "\": use an IANA name like Europe/Paris");
  }
  const bool id_ok =
      !o.id.empty() && o.id.size() <= 64 && o.id[0] >= 'a' && o.id[0] <= 'z' &&
      o.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
  if (!id_ok) {
    return Fail(Code::kInvalidArgument,
                "chart id must be lowercase letters, digits and '-', starting with a letter");
  }
  if (o.width < 200 || o.width > 4000 || o.height < 120 || o.height > 2000) {
    return Fail(Code::kInvalidArgument, "chart size must be 200..4000 by 120..2000 px");
  }
  if (!IsValidUtf8(o.title)) return Fail(Code::kInvalidArgument, "chart title is not UTF-8");
  if (o.from && o.to && *o.from >= *o.to) {
    return Fail(Code::kInvalidArgument, "chart range is empty: from must be before to");
  }
  for (const auto& p : series) {
    if (p.count < 0) {
      return Fail(Code::kInvalidArgument, "a chart count is negative (" + std::to_string(p.count) +
                                              " at " + std::to_string(p.start) + ")");
    }
  }
  return tz;
}

}  // namespace

Result<Chart> RenderSignaturesChart(const std::vector<ChartPoint>& series, const ChartOptions& o) {
  auto tz_or = CheckOptions(series, o);
  if (!tz_or) return Fail(tz_or.error());
  const absl::TimeZone tz = *tz_or;
  const ChartBucket bucket = o.bucket;
  const bool per_day = bucket == ChartBucket::kDay;

  // Group by bucket; points outside the range asked for are ignored.
  std::map<UnixTime, std::int64_t> sums;
  for (const auto& p : series) {
    if (o.from && p.start < *o.from) continue;
    if (o.to && p.start >= *o.to) continue;
    std::int64_t& sum = sums[BucketStart(p.start, bucket, tz)];
    if (p.count > INT64_MAX - sum) {
      return Fail(Code::kInvalidArgument, "chart counts overflow");
    }
    sum += p.count;
  }

  Chart chart;
  std::optional<UnixTime> first, last;  // bucket starts
  if (o.from) first = BucketStart(*o.from, bucket, tz);
  if (o.to) last = BucketStart(*o.to - 1, bucket, tz);
  if (!sums.empty()) {
    if (!first) first = sums.begin()->first;
    if (!last) last = sums.rbegin()->first;
  }
  if (first && last && *first <= *last) {
    for (UnixTime t = *first; t <= *last; t = NextBucket(t, bucket, tz)) {
      if (chart.bars.size() == kMaxChartBuckets) {
        return Fail(Code::kInvalidArgument, "the chart would have more than " +
                                                std::to_string(kMaxChartBuckets) +
                                                " bars: ask for a shorter range or per day");
      }
      auto it = sums.find(t);
      const std::int64_t count = it == sums.end() ? 0 : it->second;
      chart.bars.push_back({t, count});
      if (count > INT64_MAX - chart.total) {
        return Fail(Code::kInvalidArgument, "chart counts overflow");
      }
      chart.total += count;
    }
  }

  const std::string title =
      o.title.empty() ? (per_day ? "Signatures per day" : "Signatures per hour") : o.title;
  const std::string unit = per_day ? "Day" : "Hour";
  const std::string zone_note = " (" + o.time_zone + ")";

  std::int64_t max = 0;
  std::size_t busiest = 0;
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    if (chart.bars[i].count > max) {
      max = chart.bars[i].count;
      busiest = i;
    }
  }

  // The description a screen reader gives for the whole chart.
  std::string desc;
  if (chart.bars.empty() || chart.total == 0) {
    desc = "No signatures yet";
    if (!chart.bars.empty()) {
      desc += " from " + LongLabel(chart.bars.front().start, bucket, tz) + " to " +
              LongLabel(chart.bars.back().start, bucket, tz) + zone_note;
    }
    desc += ".";
  } else {
    desc = Signatures(chart.total) + " in all, ";
    if (chart.bars.size() == 1) {
      desc += "on " + LongLabel(chart.bars.front().start, bucket, tz);
    } else {
      desc += "from " + LongLabel(chart.bars.front().start, bucket, tz) + " to " +
              LongLabel(chart.bars.back().start, bucket, tz);
    }
    desc += zone_note + ", " + (per_day ? "per day" : "per hour") + ". The busiest " +
            (per_day ? "day" : "hour") + ": " + LongLabel(chart.bars[busiest].start, bucket, tz) +
            ", with " + FormatThousands(max) + ". The table below gives every " +
            (per_day ? "day" : "hour") + "'s count.";
  }

  // --- SVG
  const double w = o.width, h = o.height;
  const double left = 72, right = 16, top = 16, bottom = 48;
  const double pw = w - left - right, ph = h - top - bottom;
  const std::int64_t step = NiceStep(max);
  const std::int64_t ymax = std::max<std::int64_t>(step, (max + step - 1) / step * step);
  const std::string title_id = o.id + "-title", desc_id = o.id + "-desc";

  std::string svg;
  svg.reserve(2048 + chart.bars.size() * 160);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"" +
         std::to_string(o.width) + "\" height=\"" + std::to_string(o.height) + "\" viewBox=\"0 0 " +
         std::to_string(o.width) + " " + std::to_string(o.height) + "\" aria-labelledby=\"" +
         title_id + " " + desc_id +
         "\" font-family=\"sans-serif\" "
         "font-size=\"12\">";
  svg += "<title id=\"" + title_id + "\">";
  AppendEscapedHtml(svg, title);
  svg += "</title><desc id=\"" + desc_id + "\">";
  AppendEscapedHtml(svg, desc);
  svg += "</desc>";

  // Grid lines and y tick labels (every tick, thousands separated).
  svg += "<g class=\"y-axis\" aria-hidden=\"true\">";
  for (std::int64_t v = 0; v <= ymax; v += step) {
    const double y = top + ph - ph * (static_cast<double>(v) / static_cast<double>(ymax));
    svg += "<line x1=\"" + Num(left) + "\" x2=\"" + Num(left + pw) + "\" y1=\"" + Num(y) +
           "\" y2=\"" + Num(y) + "\" stroke=\"#ccc\" stroke-width=\"1\"/>";
    svg += "<text x=\"" + Num(left - 6) + "\" y=\"" + Num(y + 4) +
           "\" text-anchor=\"end\" fill=\"#333\">" + FormatThousands(v) + "</text>";
  }
  svg += "<text transform=\"translate(14 " + Num(top + ph / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">Signatures</text></g>";

  // Bars, each with its own title (a tooltip, and the value for assistive technology that
  // walks the graphic).
  svg += "<g class=\"bars\">";
  const double slot = chart.bars.empty() ? pw : pw / static_cast<double>(chart.bars.size());
  const double bar_w = slot > 3 ? slot * 0.8 : slot;
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    const auto& b = chart.bars[i];
    const double bh = ph * (static_cast<double>(b.count) / static_cast<double>(ymax));
    const double x = left + slot * static_cast<double>(i) + (slot - bar_w) / 2;
    svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(top + ph - bh) + "\" width=\"" + Num(bar_w) +
           "\" height=\"" + Num(bh) + "\" fill=\"#2a62a8\"><title>";
    AppendEscapedHtml(svg, LongLabel(b.start, bucket, tz) + ": " + Signatures(b.count));
    svg += "</title></rect>";
  }
  svg += "</g>";

  // The x axis: its line, up to 6 (hours) or 8 (days) evenly spaced labels, its title.
  svg += "<g class=\"x-axis\" aria-hidden=\"true\"><line x1=\"" + Num(left) + "\" x2=\"" +
         Num(left + pw) + "\" y1=\"" + Num(top + ph) + "\" y2=\"" + Num(top + ph) +
         "\" stroke=\"#333\" stroke-width=\"1\"/>";
  const std::size_t max_labels = per_day ? 8 : 6;
  const std::size_t stride =
      chart.bars.empty() ? 1 : (chart.bars.size() + max_labels - 1) / max_labels;
  for (std::size_t i = 0; i < chart.bars.size(); i += stride) {
    const double x = left + slot * (static_cast<double>(i) + 0.5);
    svg += "<text x=\"" + Num(x) + "\" y=\"" + Num(top + ph + 16) +
           "\" text-anchor=\"middle\" fill=\"#333\">";
    AppendEscapedHtml(svg, ShortLabel(chart.bars[i].start, bucket, tz));
    svg += "</text>";
  }
  svg += "<text x=\"" + Num(left + pw / 2) + "\" y=\"" + Num(h - 8) +
         "\" text-anchor=\"middle\" fill=\"#333\">";
  AppendEscapedHtml(svg, unit + zone_note);
  svg += "</text></g>";
  if (chart.total == 0) {
    svg += "<text x=\"" + Num(left + pw / 2) + "\" y=\"" + Num(top + ph / 2) +
           "\" text-anchor=\"middle\" fill=\"#555\" aria-hidden=\"true\">No signatures yet</text>";
  }
  svg += "</svg>";
  chart.svg = std::move(svg);

  // --- the table, with the same numbers
  std::string table = "<table class=\"chart-table\"><caption>";
  AppendEscapedHtml(table, title + zone_note);
  table += "</caption><thead><tr><th scope=\"col\">";
  AppendEscapedHtml(table, unit);
  table += "</th><th scope=\"col\">Signatures</th></tr></thead><tbody>";
  if (chart.bars.empty()) {
    table += "<tr><td colspan=\"2\">No signatures yet.</td></tr>";
  }
  for (const auto& b : chart.bars) {
    table += "<tr><th scope=\"row\">";
    AppendEscapedHtml(table, LongLabel(b.start, bucket, tz));
    table += "</th><td>" + FormatThousands(b.count) + "</td></tr>";
  }
  table += "</tbody><tfoot><tr><th scope=\"row\">Total</th><td>" + FormatThousands(chart.total) +
           "</td></tr></tfoot></table>";
  chart.table_html = std::move(table);
  return chart;
}

}  // namespace undersigned::render
