#include "render/chart.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

constexpr UnixTime kDay = 86400;
constexpr UnixTime kDec1 = 1'796'083'200;  // 2026-12-01T00:00:00Z

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

bool Has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

// Whether Python's XML parser accepts the text (an SVG inline in HTML is also valid XML here).
bool IsWellFormedXml(const std::string& text) {
  char path[] = "/tmp/chart_test_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return false;
  std::ofstream(path) << text;
  int rc = std::system((std::string("/usr/bin/python3 -c 'import sys, xml.dom.minidom; "
                                    "xml.dom.minidom.parse(sys.argv[1])' ") +
                        path + " 2>/dev/null")
                           .c_str());
  std::remove(path);
  return rc == 0;
}

void ExpectAccessibleShape(const Chart& c) {
  EXPECT_EQ(c.svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << c.svg;
  EXPECT_TRUE(Has(c.svg, "role=\"img\""));
  EXPECT_TRUE(Has(c.svg, "viewBox=\"0 0 640 240\""));
  EXPECT_TRUE(Has(c.svg, "width=\"640\" height=\"240\""));
  EXPECT_TRUE(Has(c.svg, "aria-labelledby=\"signatures-chart-title signatures-chart-desc\""));
  EXPECT_TRUE(Has(c.svg, "<title id=\"signatures-chart-title\">"));
  EXPECT_TRUE(Has(c.svg, "<desc id=\"signatures-chart-desc\">"));
  EXPECT_FALSE(Has(c.svg, "<script"));
  EXPECT_FALSE(Has(c.svg, "style="));
  EXPECT_FALSE(Has(c.svg, "<style"));
  EXPECT_FALSE(std::regex_search(c.svg, std::regex(" on[a-z]+=")));  // no event handlers
  EXPECT_TRUE(Has(c.svg, ">Signatures</text>"));                     // the y axis' title
  EXPECT_EQ(c.table_html.rfind("<table class=\"chart-table\"><caption>", 0), 0u);
  EXPECT_TRUE(Has(c.table_html, "<th scope=\"col\">Signatures</th>"));
  EXPECT_TRUE(IsWellFormedXml(c.svg)) << c.svg;
  EXPECT_TRUE(IsWellFormedXml(c.table_html)) << c.table_html;
}

TEST(Chart, EmptySeriesSaysSo) {
  auto c = RenderSignaturesChart({}, {});
  ASSERT_TRUE(c) << c.error().message;
  ExpectAccessibleShape(*c);
  EXPECT_TRUE(c->bars.empty());
  EXPECT_EQ(c->total, 0);
  EXPECT_TRUE(Has(c->svg, "<title id=\"signatures-chart-title\">Signatures per day</title>"));
  EXPECT_TRUE(Has(c->svg, "<desc id=\"signatures-chart-desc\">No signatures yet.</desc>"));
  EXPECT_EQ(Count(c->svg, "<rect"), 0);
  EXPECT_TRUE(Has(c->table_html, "<caption>Signatures per day (UTC)</caption>"));
  EXPECT_TRUE(Has(c->table_html, "<td colspan=\"2\">No signatures yet.</td>"));
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">Total</th><td>0</td>"));
}

TEST(Chart, EmptySeriesOverARangeShowsZeros) {
  ChartOptions o;
  o.from = kDec1;
  o.to = kDec1 + 3 * kDay;
  auto c = RenderSignaturesChart({}, o);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->bars.size(), 3u);
  EXPECT_EQ(Count(c->table_html, "<th scope=\"row\">"), 4);  // three days and the total
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">3 December 2026</th><td>0</td>"));
  EXPECT_TRUE(Has(c->svg, "No signatures yet from 1 December 2026 to 3 December 2026 (UTC)."));
}

TEST(Chart, OnePoint) {
  auto c = RenderSignaturesChart({{kDec1 + 3600 * 5, 7}}, {});
  ASSERT_TRUE(c) << c.error().message;
  ExpectAccessibleShape(*c);
  ASSERT_EQ(c->bars.size(), 1u);
  EXPECT_EQ(c->bars[0].start, kDec1);  // taken to its day's start
  EXPECT_EQ(c->total, 7);
  EXPECT_EQ(Count(c->svg, "<rect"), 1);
  EXPECT_TRUE(Has(c->svg, "<title>1 December 2026: 7 signatures</title>"));
  EXPECT_TRUE(Has(c->svg, ">1 Dec</text>"));
  EXPECT_TRUE(Has(c->svg, "7 signatures in all, on 1 December 2026 (UTC), per day."));
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">1 December 2026</th><td>7</td>"));
}

TEST(Chart, GapsAreZeroAndSameBucketIsAdded) {
  auto c = RenderSignaturesChart(
      {{kDec1 + 3 * kDay, 2}, {kDec1, 5}, {kDec1 + 60, 1}, {kDec1 + 3 * kDay + 7200, 4}}, {});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->bars.size(), 4u);
  EXPECT_EQ(c->bars[0].count, 6);
  EXPECT_EQ(c->bars[1].count, 0);
  EXPECT_EQ(c->bars[2].count, 0);
  EXPECT_EQ(c->bars[3].count, 6);
  EXPECT_EQ(c->bars[3].start, kDec1 + 3 * kDay);
  EXPECT_EQ(c->total, 12);
  EXPECT_EQ(Count(c->svg, "<rect"), 4);
  EXPECT_EQ(Count(c->table_html, "<td>0</td>"), 2);
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">Total</th><td>12</td>"));
}

TEST(Chart, HugeCountsHaveThousandsSeparators) {
  auto c = RenderSignaturesChart({{kDec1, 1'234'567}, {kDec1 + kDay, 250'000}}, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(Has(c->table_html, "<td>1,234,567</td>"));
  EXPECT_TRUE(Has(c->table_html, "<td>250,000</td>"));
  EXPECT_TRUE(Has(c->table_html, "<td>1,484,567</td>"));  // the total
  EXPECT_TRUE(Has(c->svg, "1,484,567 signatures in all"));
  EXPECT_TRUE(Has(c->svg, "The busiest day: 1 December 2026, with 1,234,567."));
  // Round y ticks up to just above the highest bar: 0, 500,000, 1,000,000, 1,500,000.
  for (const char* tick :
       {">0</text>", ">500,000</text>", ">1,000,000</text>", ">1,500,000</text>"}) {
    EXPECT_TRUE(Has(c->svg, tick)) << tick;
  }
  EXPECT_FALSE(Has(c->svg, ">2,000,000</text>"));
  // The highest bar is 1,234,567 / 1,500,000 of the plot's 176 px height.
  EXPECT_TRUE(std::regex_search(c->svg, std::regex("height=\"144\\.8[56]\""))) << c->svg;
}

TEST(Chart, HoursInATimeZone) {
  // Kolkata is UTC+5:30: 00:10 UTC is 05:40 there, in the hour that starts at 23:30 UTC.
  ChartOptions o;
  o.bucket = ChartBucket::kHour;
  o.time_zone = "Asia/Kolkata";
  auto c = RenderSignaturesChart({{kDec1 + 600, 3}, {kDec1 + 2 * 3600 + 600, 1}}, o);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->bars.size(), 3u);
  EXPECT_EQ(c->bars[0].start, kDec1 - 1800);
  EXPECT_EQ(c->bars[1].count, 0);
  EXPECT_TRUE(Has(c->svg, "<title id=\"signatures-chart-title\">Signatures per hour</title>"));
  EXPECT_TRUE(Has(c->table_html, "<caption>Signatures per hour (Asia/Kolkata)</caption>"));
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"col\">Hour</th>"));
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">1 December 2026, 05:00</th><td>3</td>"));
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">1 December 2026, 07:00</th><td>1</td>"));
  EXPECT_TRUE(Has(c->svg, ">Hour (Asia/Kolkata)</text>"));
}

TEST(Chart, DaysAcrossASummerTimeChange) {
  // Paris went to summer time on 29 March 2026: that day had 23 hours. One signature an hour
  // from 28 March 00:00 to 31 March 00:00 there (23:00 UTC the day before).
  const UnixTime start = 1'774'652'400;  // 2026-03-27T23:00:00Z = 28 March 00:00 CET
  std::vector<ChartPoint> series;
  for (UnixTime t = start; t < start + (24 + 23 + 24) * 3600; t += 3600) series.push_back({t, 1});
  ChartOptions o;
  o.time_zone = "Europe/Paris";
  auto c = RenderSignaturesChart(series, o);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->bars.size(), 3u);
  EXPECT_EQ(c->bars[0].count, 24);
  EXPECT_EQ(c->bars[1].count, 23);
  EXPECT_EQ(c->bars[2].count, 24);
  EXPECT_TRUE(Has(c->table_html, "<th scope=\"row\">29 March 2026</th><td>23</td>"));

  // Per hour, the autumn change repeats 02:00 there: two hours, not merged.
  o.bucket = ChartBucket::kHour;
  const UnixTime autumn = 1'792'886'400;  // 2026-10-25T00:00:00Z = 02:00 CEST
  auto h = RenderSignaturesChart({{autumn, 1}, {autumn + 3600, 2}}, o);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->bars.size(), 2u);
  EXPECT_EQ(Count(h->table_html, "<th scope=\"row\">25 October 2026, 02:00</th>"), 2);
}

TEST(Chart, EscapesTextAndNamesIds) {
  ChartOptions o;
  o.title = "Signatures <script>alert(1)</script> & \"more\"";
  o.id = "chart-hour-2";
  auto c = RenderSignaturesChart({{kDec1, 1}}, o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(Has(c->svg, "<script"));
  EXPECT_FALSE(Has(c->table_html, "<script"));
  EXPECT_TRUE(Has(c->svg, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;"));
  EXPECT_TRUE(Has(c->svg, "aria-labelledby=\"chart-hour-2-title chart-hour-2-desc\""));
  EXPECT_TRUE(IsWellFormedXml(c->svg));
}

TEST(Chart, RefusesBadInput) {
  auto expect_invalid = [](const std::vector<ChartPoint>& s, const ChartOptions& o,
                           const std::string& says) {
    auto c = RenderSignaturesChart(s, o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Code::kInvalidArgument);
    EXPECT_TRUE(Has(c.error().message, says)) << c.error().message;
  };
  expect_invalid({{kDec1, -1}}, {}, "negative");
  ChartOptions o;
  o.time_zone = "Mars/Olympus";
  expect_invalid({}, o, "unknown time zone");
  o = {};
  o.id = "x\" onload=\"alert(1)";
  expect_invalid({}, o, "chart id");
  o = {};
  o.width = 10;
  expect_invalid({}, o, "size");
  o = {};
  o.from = kDec1;
  o.to = kDec1;
  expect_invalid({}, o, "from must be before to");
  o = {};
  o.bucket = ChartBucket::kHour;
  expect_invalid({{kDec1, 1}, {kDec1 + 400 * kDay, 1}}, o, "shorter range or per day");
}

TEST(Chart, PointsOutsideTheRangeAreIgnored) {
  ChartOptions o;
  o.from = kDec1 + kDay;
  o.to = kDec1 + 2 * kDay;
  auto c = RenderSignaturesChart({{kDec1, 100}, {kDec1 + kDay + 5, 2}, {kDec1 + 2 * kDay, 9}}, o);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->bars.size(), 1u);
  EXPECT_EQ(c->total, 2);
}

}  // namespace
}  // namespace undersigned::render
