// CheckDatabaseFile: a start-up check of an SQLite database file that is fast enough for every
// start (milliseconds for a million signatures) and catches a damaged page where the next
// writes go. `PRAGMA quick_check` reads every page: 1.5 s of CPU (4.8 s on a busy machine) for
// a database of a million signatures (740 MiB), which is most of the 2 s the README promises
// for a restart. This reads about 1% of the file instead:
//
// - the header, and the file's size against the page count it records (a truncated file);
// - every interior page of every B-tree (table and index) named in the schema, from its root
//   page down to the level above its leaves: each must be a valid B-tree page of its tree's
//   kind (the checks SQLite makes when it loads a page: page type, cell count, cell pointers
//   and content area inside the page, child page numbers inside the file, no page reached twice);
// - the rightmost leaf of every B-tree (where rows with the next ids are appended: signatures,
//   people, outbox, log leaves) and every leaf among the last kTailPages pages of the file (the
//   pages allocated most recently), against the same checks.
//
// It does not read the other leaves, overflow pages or the freelist: damage there is found by
// the query that reads them (SQLite then answers SQLITE_CORRUPT), as before.
//
// REQUIRES: the file's WAL is empty (just checkpointed), so that the file holds every page's
// current version; roots are the B-trees of the schema (name and root page); this process has
// no SQLite connection open on the file (closing the descriptor this opens would drop every
// POSIX lock the process holds on the file, SQLite's included).
// Thread-safety: a pure function of the file; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace undersigned::store {

// How many of the file's last pages are checked if they are leaves of a B-tree.
inline constexpr std::uint32_t kTailPages = 64;

// kInternal naming the page and its B-tree if the file is damaged or cannot be read.
Result<void> CheckDatabaseFile(const std::string& path,
                               const std::vector<std::pair<std::string, std::uint32_t>>& roots);

}  // namespace undersigned::store
