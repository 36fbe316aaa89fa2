#include "http/metrics.h"

#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace undersigned::http {
namespace {

// Every line is a comment or "name{labels} value".
void ExpectParses(const std::string& text) {
  static const std::regex kSample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"(([-+]?[0-9.eE+-]+|NaN|[+-]Inf)$)");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(line, kSample)) << line;
  }
}

TEST(MetricsTest, CounterGaugeHistogramRender) {
  Metrics m;
  Counter& c = m.AddCounter("test_signatures_total", "Signatures", {{"state", "pending"}});
  c.Inc();
  c.Inc(2);
  EXPECT_EQ(&m.AddCounter("test_signatures_total", "Signatures", {{"state", "pending"}}), &c);
  m.AddCounter("test_signatures_total", "Signatures", {{"state", "confirmed"}}).Inc(7);
  m.Gauge("test_outbox_depth", "Messages waiting", [] { return 4.5; });
  Histogram& h = m.AddHistogram("test_latency_seconds", "Latency", {{"route", "x"}}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string text = m.RenderPrometheus();
  ExpectParses(text);
  EXPECT_NE(text.find("# TYPE test_signatures_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("test_signatures_total{state=\"pending\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("test_signatures_total{state=\"confirmed\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE test_outbox_depth gauge\ntest_outbox_depth 4.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE test_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_bucket{route=\"x\",le=\"0.1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_bucket{route=\"x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_bucket{route=\"x\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_sum{route=\"x\"} 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_count{route=\"x\"} 3\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Metrics m;
  m.AddCounter("test_total", "Help with \\ and\nnewline", {{"v", "a\"b\\c\nd"}}).Inc();
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# HELP test_total Help with \\\\ and\\nnewline\n"), std::string::npos);
  EXPECT_NE(text.find("test_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos);
  ExpectParses(text);
}

TEST(MetricsTest, GaugeFamilyAndHiddenEmptySeries) {
  Metrics m;
  m.GaugeFamily("test_by_state", "By state", [] {
    return std::vector<std::pair<Labels, double>>{{{{"state", "a"}}, 1}, {{{"state", "b"}}, 2}};
  });
  m.AddCounter("test_req_total", "Requests", {{"route", "used"}}).Inc();
  m.AddCounter("test_req_total", "Requests", {{"route", "unused"}});
  m.AddHistogram("test_lat", "Latency", {{"route", "unused"}});
  m.HideEmptySeries("test_req_total");
  m.HideEmptySeries("test_lat");
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("test_by_state{state=\"a\"} 1\ntest_by_state{state=\"b\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("route=\"used\""), std::string::npos);
  EXPECT_EQ(text.find("route=\"unused\""), std::string::npos);
}

TEST(MetricsTest, BadNamesAndTypeClashesThrow) {
  Metrics m;
  EXPECT_THROW(m.AddCounter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(m.AddCounter("ok_total", "x", {{"bad-label", "v"}}), std::invalid_argument);
  m.AddCounter("clash", "x");
  EXPECT_THROW(m.Gauge("clash", "x", [] { return 1.0; }), std::invalid_argument);
  EXPECT_THROW(m.AddHistogram("h", "x", {{"le", "1"}}), std::invalid_argument);
}

TEST(MetricsTest, ConcurrentIncrementsAreExact) {
  Metrics m;
  Counter& c = m.AddCounter("test_total", "x");
  Histogram& h = m.AddHistogram("test_seconds", "x");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Inc();
        h.Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000u);
  EXPECT_EQ(h.Count(), 40000u);
  EXPECT_NEAR(h.Sum(), 40.0, 1e-6);
}

}  // namespace
}  // namespace undersigned::http
