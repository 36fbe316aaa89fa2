// Helpers shared by the SQLite classes that run inside the writer's transaction and
// read outside it (outreach.cc, events.cc): the connection behind a WriteTx, and a one-key read
// collected row by row. Header-only; each caller includes it in one translation unit.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/sqlite/sqlite_tx.h"

namespace undersigned::store::sqlite_reads {

// The SQLite connection of a transaction the SQLite backend made (every WriteTx it hands out is
// a SqliteTx).
inline Db& DbOf(WriteTx& tx) { return static_cast<SqliteTx&>(tx).db(); }
inline Result<Stmt> Prep(WriteTx& tx, const char* sql) { return DbOf(tx).Prepare(sql); }

// Runs sql with one integer parameter and collects fn(row) for every row.
template <typename T, typename F>
Result<std::vector<T>> ReadAll(Db& db, const char* sql, std::int64_t key, F&& fn) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  st->Bind(1, key);
  std::vector<T> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    Result<T> v = fn(*st);
    if (!v) return Fail(v.error());
    out.push_back(std::move(*v));
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading"));
  return out;
}

}  // namespace undersigned::store::sqlite_reads
