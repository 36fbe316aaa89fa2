// DataDirLock: one server per data directory. `undersigned serve` holds an exclusive lock on
// <data_dir>/undersigned.lock for as long as it runs, so that a second server on the same
// directory is refused at start instead of running beside the first (two writers whose
// in-memory state, such as the signature log's tree and the campaign counts, would disagree).
//
// The lock is a POSIX record lock (fcntl), so the kernel releases it when the holder exits in
// any way, SIGKILL included, and a refused process can ask the kernel which process holds it.
// The file also holds the holder's pid as text, for people.
//
// CLI commands do not take it: they work beside a running server through SQLite's own locking
// (see README, "One server per data directory").
//
// Ownership: the lock is held from Acquire until the object is destroyed. Thread-safety: none
// needed (made and destroyed by one thread). A process must open the lock file only through
// this class: closing any descriptor of the file would release a POSIX lock.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"

namespace undersigned::store {

// The lock file inside a data directory.
inline constexpr const char* kLockFileName = "undersigned.lock";

class DataDirLock {
 public:
  // Takes the lock without waiting. kConflict, naming the other process (its pid and command
  // line), if another process holds it; kInternal if the file cannot be made or locked.
  // REQUIRES: data_dir exists.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::string& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace undersigned::store
