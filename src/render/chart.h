// The signatures-over-time chart of a campaign's dashboard (issue 13, part 3): a series of
// (bucket start, count) per hour or per day as an accessible SVG bar chart, drawn on the
// server, and an HTML table with the same numbers for those who cannot see the chart (and for
// when it is not shown at all).
//
// The SVG is for inline use in an HTML page under a strict Content-Security-Policy: no script,
// no style attribute or element (presentation attributes and classes only), role="img" with a
// <title> and <desc> it is labelled by, a fixed size with a viewBox so it scales, axis titles
// and tick labels, every text escaped. The table has a caption and th scope on its headers.
//
// Buckets are hours or days in a time zone (IANA name, default UTC; see core/time_zone.h):
// a point's time is taken to the start of its bucket there, points in the same bucket are
// added, and every bucket between the first and the last (or over the range asked for) is
// shown, a missing one as zero. A day is a calendar day in the zone (23 or 25 hours across a
// DST change); an hour is a clock hour there.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned::render {

enum class ChartBucket { kHour, kDay };

struct ChartPoint {
  UnixTime start = 0;      // any time within the bucket; usually its start
  std::int64_t count = 0;  // >= 0
};

struct ChartOptions {
  ChartBucket bucket = ChartBucket::kDay;
  std::string time_zone = "UTC";  // labels and bucket edges; must be known to the tz database
  // The chart's title (its accessible name and the table's caption). Empty = "Signatures per
  // day" or "Signatures per hour".
  std::string title;
  // Prefix of the ids of the SVG's <title> and <desc>, so two charts can share a page:
  // [a-z0-9-], starting with a letter.
  std::string id = "signatures-chart";
  // Optional range [from, to): buckets from the one holding from to the one holding to - 1,
  // points outside it ignored. Without it, the range is the points' own.
  std::optional<UnixTime> from;
  std::optional<UnixTime> to;
  int width = 640;   // viewBox and size, in px (200..4000)
  int height = 240;  // (120..2000)
};

// A bucket of the chart, after grouping and filling gaps: what the table shows row by row.
struct ChartBar {
  UnixTime start = 0;
  std::int64_t count = 0;
};

struct Chart {
  std::vector<ChartBar> bars;  // every bucket in order, zeros included
  std::int64_t total = 0;
  std::string svg;         // <svg ...>...</svg>
  std::string table_html;  // <table>...</table>
};

// At most this many buckets in one chart (a year of days; 90 days of hours).
inline constexpr std::size_t kMaxChartBuckets = 2200;

// Errors (kInvalidArgument, saying what to fix): a negative count, an unknown time zone, a bad
// id, a size out of range, from >= to, more than kMaxChartBuckets buckets ("ask for a shorter
// range or per day"). An empty series (or one wholly outside the range) is not an error: the
// chart says there are no signatures yet, over the range if one was given.
Result<Chart> RenderSignaturesChart(const std::vector<ChartPoint>& series,
                                    const ChartOptions& options);

}  // namespace undersigned::render
