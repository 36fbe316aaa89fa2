// Thin RAII wrappers over the SQLite C API used by SqliteStore: a connection (Db) that caches
// prepared statements, and a borrowed statement (Stmt) that resets itself when it goes out of
// scope.
//
// Ownership: Db owns its sqlite3 handle and every statement it prepared; a Stmt borrows one
// cached statement and must not outlive its Db. Thread-safety: none. A Db (and its Stmts) is
// used by one thread at a time; SqliteStore guarantees that (the writer thread owns the write
// connection, read connections are leased from a pool).
//
// SQL text passed to Prepare must be a string with static storage duration (the cache is keyed by
// its address). Values only ever enter SQL through Bind*.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"

namespace undersigned::store {

// Maps an SQLite result code to an Error: unique/primary-key violations are kConflict, foreign
// key violations kNotFound, busy/locked kUnavailable, a full disk (SQLITE_FULL, which SQLite
// also returns for ENOSPC on the WAL) DiskFull(), anything else kInternal. what says what was
// being done; SQLite's message names tables and columns, never values.
Error SqliteError(sqlite3* db, int rc, std::string_view what);

// A full disk: kUnavailable with a neutral message and a retry hint; `detail` (SQLite's or the
// system's text) is logged, not returned.
inline constexpr std::string_view kDiskFullMessage =
    "The site cannot save anything right now; please try again in a few minutes";
inline constexpr int kDiskFullRetrySeconds = 60;
Error DiskFull(std::string_view detail);

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt() { Reset(); }

  // Bound values must stay alive until the statement is reset (SQLITE_STATIC): callers bind
  // strings they own for the duration of the statement.
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, int v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, bool v) {
    sqlite3_bind_int64(s_, i, v ? 1 : 0);
    return *this;
  }
  Stmt& Bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  template <typename T>
  Stmt& Bind(int i, const std::optional<T>& v) {
    if (v) return Bind(i, *v);
    return BindNull(i);
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(s_); }

  std::int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool Bool(int col) const { return sqlite3_column_int64(s_, col) != 0; }
  double Double(int col) const { return sqlite3_column_double(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::optional<std::int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  // Text or blob, byte-exact.
  std::string Text(int col) const;
  std::string_view View(int col) const;

  sqlite3_stmt* get() const { return s_; }
  void Reset();

 private:
  sqlite3_stmt* s_ = nullptr;
};

class Db {
 public:
  // flags: SQLITE_OPEN_* (NOMUTEX is added). Returns kInternal if the file cannot be opened.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A cached statement (prepared once with SQLITE_PREPARE_PERSISTENT), reset and ready to bind.
  // REQUIRES: sql has static storage duration and holds exactly one statement.
  Result<Stmt> Prepare(const char* sql);

  // Runs one or more statements without parameters (pragmas, migrations). Not cached.
  Result<void> Exec(const char* sql);
  // Runs a single statement without parameters and returns the first column of its first row
  // as text ("" if none). For pragmas like journal_mode.
  Result<std::string> QueryText(const char* sql);

  // Last insert rowid and change count of the most recent statement.
  std::int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  void SetLastInsertId(std::int64_t id) { sqlite3_set_last_insert_rowid(db_, id); }
  int Changes() const { return sqlite3_changes(db_); }
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  Error ErrorFor(int rc, std::string_view what) const { return SqliteError(db_, rc, what); }
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace undersigned::store
