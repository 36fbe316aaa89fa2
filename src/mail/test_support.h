// Test helpers for mail_test: temporary directories, a thread-safe manual clock, the Python
// .eml parser (testdata/parse_eml.py) and the SMTP sink child process (testdata/smtp_sink.py).
// Not part of us_mail.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace undersigned::mail::testing {

// A Clock tests move by hand; unlike core's ManualClock, safe to read from another thread
// while the test advances it.
class TestClock : public Clock {
 public:
  explicit TestClock(UnixTime now = 1'700'000'000) : now_(now) {}
  UnixTime Now() const override { return now_.load(); }
  std::int64_t MonotonicMillis() const override { return now_.load() * 1000; }
  void Advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<UnixTime> now_;
};

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
// Regular files in dir whose names end with suffix, sorted.
std::vector<std::string> ListFiles(const std::string& dir, const std::string& suffix = "");
// What Python's email package makes of the file (see testdata/parse_eml.py).
nlohmann::json ParseEml(const std::string& path);
// Runs a command with /bin/sh; returns its exit status.
int RunCommand(const std::string& command);

// A TCP port on 127.0.0.1 that refuses connections: bound but not listening, held for the
// lifetime of the object so nobody else takes it.
class ClosedPort {
 public:
  ClosedPort();
  ~ClosedPort();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port that accepts TCP connections (kernel backlog) but never speaks: for timeouts.
class SilentPort {
 public:
  SilentPort();
  ~SilentPort();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// testdata/smtp_sink.py as a child process writing messages to dir.
class SmtpSink {
 public:
  // Starts the sink with extra arguments (e.g. {"--reject-rcpt", "x@y"}) and waits (bounded)
  // until it printed "ready PORT" and the port accepts connections. port 0 = any free port.
  // Returns nullptr (after printing why) if it did not come up.
  static std::unique_ptr<SmtpSink> Start(const std::string& dir,
                                         const std::vector<std::string>& extra_args = {},
                                         int port = 0);
  ~SmtpSink();  // SIGTERM, then SIGKILL if needed; reaps the child

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The path of the next message the sink reports as received, or nullopt on timeout.
  std::optional<std::string> NextReceived(std::chrono::milliseconds timeout);
  // Stops the child now (idempotent).
  void Kill();

 private:
  SmtpSink() = default;
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  std::string buffer_;
};

std::string TestdataDir();

}  // namespace undersigned::mail::testing
