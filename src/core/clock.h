// Time, injected so tests can move it. Timestamps are Unix seconds (UTC) in int64.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace undersigned {

using UnixTime = std::int64_t;

// Thread-safe implementations only. Owned by app/, handed out by reference.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime Now() const = 0;
  // Milliseconds since an arbitrary epoch, monotonic; for rate limiting and latencies.
  virtual std::int64_t MonotonicMillis() const = 0;

  static Clock& System();
};

// A clock tests set by hand. Thread-safe: one thread may move it while others read it.
class ManualClock : public Clock {
 public:
  explicit ManualClock(UnixTime now = 1'700'000'000) : now_(now) {}
  UnixTime Now() const override { return now_.load(); }
  std::int64_t MonotonicMillis() const override { return mono_ms_.load(); }
  void Advance(std::int64_t seconds) {
    now_ += seconds;
    mono_ms_ += seconds * 1000;
  }
  void AdvanceMillis(std::int64_t ms) { mono_ms_ += ms; }

 private:
  std::atomic<UnixTime> now_;
  std::atomic<std::int64_t> mono_ms_{0};
};

// "2026-11-22T11:53:36Z"
std::string FormatIso8601(UnixTime t);
// Accepts "2026-11-22", "2026-11-22T11:53:36Z", "2026-11-22T11:53:36" (UTC) and
// "2026-11-22T11:53:36+01:00". Returns nullopt when malformed.
std::optional<UnixTime> ParseIso8601(std::string_view s);

}  // namespace undersigned
