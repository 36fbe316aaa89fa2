#include "store/sqlite/sqlite_db.h"

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "store/sqlite/wal_vfs.h"

namespace undersigned::store {

Error DiskFull(std::string_view detail) {
  // SQLite's text goes to the operator's log; whoever asked gets a neutral message.
  spdlog::error("store: the disk is full: {}", detail);
  return Error{Code::kUnavailable, std::string(kDiskFullMessage), {}, kDiskFullRetrySeconds};
}

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  // sqlite3_errmsg describes the last error of the connection; for constraint failures it names
  // the table and columns ("UNIQUE constraint failed: campaigns.slug"), never the values.
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error{Code::kConflict, std::move(msg), {}, 0};
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Error{Code::kNotFound, std::move(msg), {}, 0};
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{Code::kUnavailable, std::move(msg), {}, 0};
    case SQLITE_FULL:
      return DiskFull(msg);
    default:
      return Error{Code::kInternal, std::move(msg), {}, 0};
  }
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    Reset();
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

void Stmt::Reset() {
  if (s_ != nullptr) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    s_ = nullptr;
  }
}

std::string Stmt::Text(int col) const { return std::string(View(col)); }

std::string_view Stmt::View(int col) const {
  // Ask for the blob first, then the size (the order SQLite documents as safe).
  const void* p = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

namespace {

// Process-wide settings, before SQLite initialises itself on the first open. Memory statistics
// off: with them on (the library's default) every allocation SQLite makes takes a global mutex,
// which the writer and every reader thread would contend on. Nothing here reads them.
void ConfigureSqliteOnce() {
  static const bool done = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE if already initialised
    return true;
  }();
  (void)done;
}

}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int flags) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  // Through WalVfs: each commit reaches the WAL file in one write (see wal_vfs.h).
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, WalVfsName());
  if (rc != SQLITE_OK) {
    Error e = SqliteError(raw, rc, "opening the database");
    sqlite3_close_v2(raw);
    return Fail(std::move(e));
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Stmt> Db::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Fail(ErrorFor(rc, "preparing a statement"));
  cache_.emplace(sql, stmt);
  return Stmt(stmt);
}

Result<void> Db::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Fail(ErrorFor(rc, "executing SQL"));
  return {};
}

Result<std::string> Db::QueryText(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Fail(ErrorFor(rc, "preparing a query"));
  std::string out;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    if (t != nullptr) out = reinterpret_cast<const char*>(t);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  Error e;
  if (rc != SQLITE_OK) e = ErrorFor(rc, "running a query");
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return Fail(std::move(e));
  return out;
}

}  // namespace undersigned::store
