// A small RAII wrapper over libpq for the PostgreSQL store: one connection (PgConn), the result
// of one statement (PgResult) and the parameters bound to it (PgParams).
//
// Ownership: PgConn owns its PGconn and closes it; PgResult owns its PGresult. Neither is
// thread-safe: a connection is used by one thread at a time (the writer owns its own; readers
// borrow one from the store's pool). Statements are prepared by name on first use on each
// connection (the names are the SQL constants of postgres/queries.h) and kept for the life of
// the session; a reset connection prepares them again.
//
// Parameters travel as text, except byte strings (bytea), which travel as binary. Results come
// as text; a bytea column is decoded from its hex form by PgResult::Bytes.
//
// A read or a BEGIN that finds the connection lost reconnects and is sent once more; any
// other statement reports the loss (kUnavailable) and the next use reconnects (PgWriter, the
// read pool and the integrator reset a connection that is not ok before using it).
//
// Errors map to our codes (PgError): unique violation -> kConflict; a lost connection, a full
// disk, too many connections, a server shutting down, a serialization failure or a deadlock ->
// kUnavailable; anything else kInternal. Messages say what we were doing, the SQLSTATE and the
// constraint, never the server's text (which may quote values) nor the connection's password.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace undersigned::store::pg {

// Parameters of one statement, in order ($1, $2, ...).
class PgParams {
 public:
  PgParams& Int(std::int64_t v);
  PgParams& Int(std::optional<std::int64_t> v);
  PgParams& Text(std::string_view v);
  PgParams& OptText(const char* v);  // NULL when v is null
  PgParams& Bool(bool v);
  PgParams& OptBool(std::optional<bool> v);
  PgParams& Double(double v);  // shortest text that reads back exactly (float8 keeps it)
  PgParams& OptDouble(std::optional<double> v);
  PgParams& Bytes(std::string_view v);     // bytea, sent as binary
  PgParams& OptBytes(std::string_view v);  // bytea, NULL when empty
  PgParams& Null();
  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class PgConn;
  friend class PgRows;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;
};

// Many rows for one statement that takes one array per column ("INSERT ... SELECT * FROM
// unnest($1::bigint[], $2::text[], ...)"): each row is added as a PgParams of its columns, and
// Columns() makes the statement's parameters, one array literal per column. One prepared
// statement then inserts any number of rows.
class PgRows {
 public:
  explicit PgRows(int columns) : columns_(columns) {}
  PgParams& Add() { return rows_.emplace_back(); }
  bool empty() const { return rows_.empty(); }
  std::size_t size() const { return rows_.size(); }
  PgParams Columns() const;

 private:
  int columns_;
  std::vector<PgParams> rows_;
};

// The result of one statement: rows of text values.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const { return r_ ? PQntuples(r_) : 0; }
  // Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string_view View(int row, int col) const;
  std::string Text(int row, int col) const { return std::string(View(row, col)); }
  std::int64_t Int(int row, int col) const;  // 0 for NULL
  std::optional<std::int64_t> OptInt(int row, int col) const;
  std::optional<double> OptDouble(int row, int col) const;
  bool Bool(int row, int col) const;  // 't'
  const PGresult* raw_for_status() const { return r_; }
  std::string Bytes(int row, int col) const;  // a bytea column's bytes ("" for NULL)

 private:
  PGresult* r_ = nullptr;
};

class PgConn {
 public:
  // Connects (blocking). kUnavailable if the server cannot be reached, kInvalidArgument for a
  // malformed URL. Sets the session up: UTC, synchronous_commit on.
  static Result<std::unique_ptr<PgConn>> Open(const std::string& url);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs sql (prepared once per session under its own text as name) with params. Returns the
  // rows (empty for a statement without RETURNING).
  Result<PgResult> Run(const char* sql, const PgParams& params, std::string_view what);
  Result<PgResult> Run(const char* sql, std::string_view what) { return Run(sql, {}, what); }
  // Runs sql without preparing it (statements built at run time, e.g. multi-row inserts).
  Result<PgResult> RunOnce(const std::string& sql, const PgParams& params, std::string_view what);
  // Runs one or more statements without parameters (simple query protocol).
  Result<void> Exec(const char* sql, std::string_view what);

  // True if the connection is usable; otherwise Reset() tries to reconnect.
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  Result<void> Reset();
  // Whether a transaction is open (or failed) on the connection.
  bool in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  PGconn* raw() { return conn_; }

 private:
  explicit PgConn(PGconn* c) : conn_(c) {}
  Result<void> Setup();
  // After a failure: reconnects and says whether to send sql again (see Retriable).
  bool ShouldRetry(bool was_idle, const char* sql, int attempt);
  Error ErrorOf(const PGresult* r, std::string_view what) const;
  PGconn* conn_ = nullptr;
  // Statement name by SQL text pointer (every prepared SQL is a constant of queries.h).
  std::unordered_map<const char*, std::string> prepared_;
};

// Maps an SQLSTATE to our code (see the header).
Code CodeOfSqlState(std::string_view sqlstate);
// The URL with any password replaced by "***" (for messages).
std::string RedactUrl(const std::string& url);

}  // namespace undersigned::store::pg
