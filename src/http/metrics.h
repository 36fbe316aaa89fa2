// Metrics: a registry of counters, gauges and histograms rendered in the Prometheus text
// exposition format (version 0.0.4).
//
// Thread-safety: every method is thread-safe. Registration takes a mutex (do it at start-up or
// cache the returned reference); Counter::Inc and Histogram::Observe are lock-free relaxed
// atomics, so the hot path never locks. References returned by AddCounter/AddHistogram stay
// valid for the registry's lifetime. Gauge callbacks run inside RenderPrometheus() on the
// scraping thread and must be thread-safe and cheap.
//
// Series are identified by (name, labels); registering the same series twice returns the same
// object. Names and label names must match [a-zA-Z_:][a-zA-Z0-9_:]* (checked; a bad name is a
// bug and throws std::invalid_argument).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace undersigned::http {

// Ordered label pairs, e.g. {{"route", "campaign_page"}, {"code", "2xx"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Histogram {
 public:
  // REQUIRES: bounds strictly increasing (the +Inf bucket is implicit).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size() is the +Inf overflow bucket).
  std::uint64_t BucketCount(std::size_t i) const {
    return buckets_[i].load(std::memory_order_relaxed);
  }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, from 0.25 ms to 10 s.
const std::vector<double>& DefaultLatencyBuckets();

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A monotonically increasing counter, e.g. AddCounter("undersigned_signatures_total",
  // "Signatures received", {{"state", "pending"}}). Prometheus convention: end with _total.
  Counter& AddCounter(std::string_view name, std::string_view help, const Labels& labels = {});

  // A histogram series; all series of one name must use the same bounds.
  Histogram& AddHistogram(std::string_view name, std::string_view help, const Labels& labels = {},
                          const std::vector<double>& bounds = DefaultLatencyBuckets());

  // A gauge whose value is read at scrape time. Re-registering a series replaces its callback.
  void Gauge(std::string_view name, std::string_view help, std::function<double()> value,
             const Labels& labels = {});

  // A whole gauge family computed at scrape time, for label sets not known in advance
  // (e.g. signatures by state): the callback returns (labels, value) pairs.
  void GaugeFamily(std::string_view name, std::string_view help,
                   std::function<std::vector<std::pair<Labels, double>>()> values);

  // When set, counter series at zero and histogram series with no observations of this family
  // are not rendered (used for the per-route request metrics so that unused routes x status
  // classes stay quiet).
  void HideEmptySeries(std::string_view name);

  // The text exposition format: "# HELP", "# TYPE", series lines; histograms with cumulative
  // _bucket{le=...}, _sum and _count. Families in registration order.
  std::string RenderPrometheus() const;

  // Content-Type for RenderPrometheus() output.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> gauge;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    bool hide_empty = false;
    std::vector<std::unique_ptr<Series>> series;
    std::function<std::vector<std::pair<Labels, double>>()> gauge_family;
  };

  Family& FamilyFor(std::string_view name, std::string_view help, Type type);  // REQUIRES mu_
  static Series* FindSeries(Family& f, const Labels& labels);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
  std::map<std::string, Family*, std::less<>> by_name_;
};

}  // namespace undersigned::http
