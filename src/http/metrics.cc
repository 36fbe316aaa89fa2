#include "http/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace undersigned::http {
namespace {

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void CheckNames(std::string_view name, const Labels& labels) {
  if (!ValidName(name)) throw std::invalid_argument("bad metric name: " + std::string(name));
  for (const auto& [k, v] : labels) {
    if (!ValidName(k) || k.find(':') != std::string::npos) {
      throw std::invalid_argument("bad label name: " + k);
    }
  }
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// name{a="b",c="d"[,extra]} value
void AppendSeries(std::string& out, std::string_view name, std::string_view suffix,
                  const Labels& labels, std::string_view extra_label,
                  std::string_view extra_value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra_label.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out += ',';
      first = false;
      out += k;
      out += "=\"";
      AppendEscaped(out, v, true);
      out += '"';
    }
    if (!extra_label.empty()) {
      if (!first) out += ',';
      out += extra_label;
      out += "=\"";
      out += extra_value;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 1; i < bounds_.size(); ++i) {
    if (!(bounds_[i] > bounds_[i - 1])) throw std::invalid_argument("histogram bounds");
  }
}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> kBuckets = {
      0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

Metrics::Family& Metrics::FamilyFor(std::string_view name, std::string_view help, Type type) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) {
    if (it->second->type != type) {
      throw std::invalid_argument("metric registered with another type: " + std::string(name));
    }
    return *it->second;
  }
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = type;
  Family* raw = f.get();
  families_.push_back(std::move(f));
  by_name_.emplace(raw->name, raw);
  return *raw;
}

Metrics::Series* Metrics::FindSeries(Family& f, const Labels& labels) {
  for (auto& s : f.series) {
    if (s->labels == labels) return s.get();
  }
  return nullptr;
}

Counter& Metrics::AddCounter(std::string_view name, std::string_view help, const Labels& labels) {
  CheckNames(name, labels);
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, Type::kCounter);
  if (Series* s = FindSeries(f, labels)) return *s->counter;
  auto s = std::make_unique<Series>();
  s->labels = labels;
  s->counter = std::make_unique<Counter>();
  Counter& c = *s->counter;
  f.series.push_back(std::move(s));
  return c;
}

Histogram& Metrics::AddHistogram(std::string_view name, std::string_view help, const Labels& labels,
                                 const std::vector<double>& bounds) {
  CheckNames(name, labels);
  for (const auto& [k, v] : labels) {
    if (k == "le") throw std::invalid_argument("histogram label 'le' is reserved");
  }
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, Type::kHistogram);
  if (Series* s = FindSeries(f, labels)) return *s->histogram;
  auto s = std::make_unique<Series>();
  s->labels = labels;
  s->histogram = std::make_unique<Histogram>(bounds);
  Histogram& h = *s->histogram;
  f.series.push_back(std::move(s));
  return h;
}

void Metrics::Gauge(std::string_view name, std::string_view help, std::function<double()> value,
                    const Labels& labels) {
  CheckNames(name, labels);
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, Type::kGauge);
  if (Series* s = FindSeries(f, labels)) {
    s->gauge = std::move(value);
    return;
  }
  auto s = std::make_unique<Series>();
  s->labels = labels;
  s->gauge = std::move(value);
  f.series.push_back(std::move(s));
}

void Metrics::GaugeFamily(std::string_view name, std::string_view help,
                          std::function<std::vector<std::pair<Labels, double>>()> values) {
  CheckNames(name, {});
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, Type::kGauge);
  f.gauge_family = std::move(values);
}

void Metrics::HideEmptySeries(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(name);
  if (it != by_name_.end()) it->second->hide_empty = true;
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard lock(mu_);
  for (const auto& fp : families_) {
    const Family& f = *fp;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    AppendEscaped(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += f.type == Type::kCounter ? " counter\n"
           : f.type == Type::kGauge ? " gauge\n"
                                    : " histogram\n";
    for (const auto& sp : f.series) {
      const Series& s = *sp;
      switch (f.type) {
        case Type::kCounter:
          if (f.hide_empty && s.counter->Value() == 0) break;
          AppendSeries(out, f.name, "", s.labels, "", "");
          out += std::to_string(s.counter->Value());
          out += '\n';
          break;
        case Type::kGauge:
          AppendSeries(out, f.name, "", s.labels, "", "");
          AppendDouble(out, s.gauge ? s.gauge() : 0.0);
          out += '\n';
          break;
        case Type::kHistogram: {
          const Histogram& h = *s.histogram;
          // Read the buckets first and derive the count from them so the exposition is
          // self-consistent even while other threads observe.
          std::uint64_t cumulative = 0;
          std::vector<std::uint64_t> cum(h.bounds().size() + 1);
          for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
            cumulative += h.BucketCount(i);
            cum[i] = cumulative;
          }
          if (f.hide_empty && cumulative == 0) break;
          for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
            std::string le;
            if (i == h.bounds().size()) {
              le = "+Inf";
            } else {
              AppendDouble(le, h.bounds()[i]);
            }
            AppendSeries(out, f.name, "_bucket", s.labels, "le", le);
            out += std::to_string(cum[i]);
            out += '\n';
          }
          AppendSeries(out, f.name, "_sum", s.labels, "", "");
          AppendDouble(out, h.Sum());
          out += '\n';
          AppendSeries(out, f.name, "_count", s.labels, "", "");
          out += std::to_string(cumulative);
          out += '\n';
          break;
        }
      }
    }
    if (f.gauge_family) {
      for (const auto& [labels, value] : f.gauge_family()) {
        AppendSeries(out, f.name, "", labels, "", "");
        AppendDouble(out, value);
        out += '\n';
      }
    }
  }
  return out;
}

}  // namespace undersigned::http
