// WalVfs: an SQLite VFS over the platform's default one that turns the many small writes SQLite
// makes to a WAL file during a commit into one write (one per 31 pages, see below).
//
// SQLite appends each frame of a commit as two writes (a 24-byte frame header, then the page),
// so a commit of 40 pages costs 80 pwrite calls, each one a trip through the kernel's
// page-cache write path for a few KiB. This VFS keeps a WAL file's writes in a buffer while they
// follow on from one another, and writes the buffer out (in calls of at most 31 pages of 4 KiB:
// the unix VFS masks a write's length to 17 bits) as soon as it holds a commit frame (a frame
// header whose "database size after commit" field is set), before SQLite goes on to publish the
// commit in the WAL index. So by the time any connection can see a commit, its frames are in the
// file exactly as without this VFS; what a crash can leave on disk is unchanged (an unfinished
// commit has no commit frame in the file either way).
//
// Every other call on a WAL file (read, sync, truncate, size, close, file control, ...) first
// writes out what is buffered, and so does a write that does not follow on from the buffer
// (SQLite rewriting a frame it wrote earlier in the same transaction). Files other than WAL
// files pass straight through. A failed write-out is reported by the call that triggered it,
// which for a commit frame is the commit itself.
//
// Ownership: the VFS is registered once per process (never as the default) and lives until the
// process ends; each open WAL file owns its buffer. Thread-safety: as SQLite's own: a file is
// used by one connection, a connection by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace undersigned::store {

// The name to pass to sqlite3_open_v2. Registers the VFS on first use; nullptr if SQLite has no
// default VFS to wrap (then connections should open with the default).
const char* WalVfsName();

// Counters over every WAL file opened through the VFS, for tests and benchmarks.
struct WalVfsStats {
  std::int64_t writes = 0;      // writes SQLite made to WAL files
  std::int64_t write_outs = 0;  // writes this VFS made to WAL files
};
WalVfsStats GetWalVfsStats();

// Tests only: the longest run buffered before it is written out (default 4 MiB), so that a
// test can make a full buffer go out anywhere, e.g. between a commit frame's header and page.
void SetWalVfsBufferForTesting(std::size_t bytes);

}  // namespace undersigned::store
