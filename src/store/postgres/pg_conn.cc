#include "store/postgres/pg_conn.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace undersigned::store::pg {

// --- PgParams

PgParams& PgParams::Int(std::int64_t v) {
  values_.push_back(std::to_string(v));
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}
PgParams& PgParams::Int(std::optional<std::int64_t> v) { return v ? Int(*v) : Null(); }
PgParams& PgParams::Text(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}
PgParams& PgParams::OptText(const char* v) { return v ? Text(v) : Null(); }
PgParams& PgParams::Bool(bool v) { return Text(v ? "t" : "f"); }
PgParams& PgParams::OptBool(std::optional<bool> v) { return v ? Bool(*v) : Null(); }
PgParams& PgParams::Double(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return Text(ec == std::errc() ? std::string_view(buf, end - buf) : std::string_view("NaN"));
}
PgParams& PgParams::OptDouble(std::optional<double> v) { return v ? Double(*v) : Null(); }
PgParams& PgParams::Bytes(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  formats_.push_back(1);
  return *this;
}
PgParams& PgParams::OptBytes(std::string_view v) { return v.empty() ? Null() : Bytes(v); }
PgParams& PgParams::Null() {
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(0);
  return *this;
}

// --- PgRows

void PgRows::AppendColumns(PgParams& out) const {
  static const char* kHex = "0123456789abcdef";
  for (int c = 0; c < columns_; ++c) {
    std::string a = "{";
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (r > 0) a += ',';
      const PgParams& row = rows_[r];
      if (row.null_[c]) {
        a += "NULL";
        continue;
      }
      const std::string& v = row.values_[c];
      a += '"';
      if (row.formats_[c] == 1) {  // bytea: its hex input form, the backslash escaped
        a += "\\\\x";
        for (unsigned char b : v) {
          a += kHex[b >> 4];
          a += kHex[b & 15];
        }
      } else {
        for (char ch : v) {
          if (ch == '"' || ch == '\\') a += '\\';
          a += ch;
        }
      }
      a += '"';
    }
    a += '}';
    out.Text(a);
  }
}

PgParams PgRows::Columns() const {
  PgParams out;
  AppendColumns(out);
  return out;
}

// --- PgResult

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
PgResult::~PgResult() {
  if (r_) PQclear(r_);
}
std::int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}
std::string_view PgResult::View(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
}
std::int64_t PgResult::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}
std::optional<std::int64_t> PgResult::OptInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}
std::optional<double> PgResult::OptDouble(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  const std::string_view v = View(row, col);
  double d = 0;
  if (std::from_chars(v.data(), v.data() + v.size(), d).ec != std::errc()) return std::nullopt;
  return d;
}
bool PgResult::Bool(int row, int col) const {
  return !IsNull(row, col) && PQgetvalue(r_, row, col)[0] == 't';
}
namespace {
int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}
}  // namespace
std::string PgResult::Bytes(int row, int col) const {
  if (IsNull(row, col)) return {};
  std::string_view v = View(row, col);
  if (v.size() < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v);  // (bytea_output)
  v.remove_prefix(2);
  std::string out(v.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>((Hex(v[2 * i]) << 4) | Hex(v[2 * i + 1]));
  }
  return out;
}

// --- errors

Code CodeOfSqlState(std::string_view s) {
  if (s == "23505") return Code::kConflict;                     // unique_violation
  if (s == "23503") return Code::kNotFound;                     // foreign_key_violation
  if (s.substr(0, 2) == "08") return Code::kUnavailable;        // connection exceptions
  if (s.substr(0, 2) == "53") return Code::kUnavailable;        // disk full, out of memory...
  if (s.substr(0, 3) == "57P") return Code::kUnavailable;       // admin/crash shutdown
  if (s == "40001" || s == "40P01") return Code::kUnavailable;  // serialization, deadlock
  return Code::kInternal;
}

std::string RedactUrl(const std::string& url) {
  // postgresql://user:password@host... and ?password=...
  std::string out = url;
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  const auto pw = out.find("password=");
  if (pw != std::string::npos) {
    auto end = out.find('&', pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  return out;
}

Error PgConn::ErrorOf(const PGresult* r, std::string_view what) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return Error{
        Code::kUnavailable, std::string(what) + ": the connection to PostgreSQL was lost", {}, 0};
  }
  std::string message = std::string(what) + ": PostgreSQL error " + state;
  if (const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME)) {
    message += std::string(" (") + constraint + ")";
  }
  const Code code = CodeOfSqlState(state);
  // Errors of our own statements (syntax, undefined columns...) quote no values: say them.
  if (std::string_view(state).substr(0, 2) == "42") {
    if (const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) {
      message += std::string(": ") + primary;
    }
  }
  return Error{code, std::move(message), {}, 0};
}

// --- PgConn

Result<std::unique_ptr<PgConn>> PgConn::Open(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    if (err) PQfreemem(err);
    return Fail(Code::kInvalidArgument, "malformed PostgreSQL URL: " + RedactUrl(url));
  }
  PQconninfoFree(opts);
  PGconn* c = PQconnectdb(url.c_str());
  std::unique_ptr<PgConn> conn(new PgConn(c));
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string why = c ? PQerrorMessage(c) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    // libpq's connection messages name the host and the user, never the password.
    return Fail(Code::kUnavailable,
                "cannot connect to PostgreSQL at " + RedactUrl(url) + ": " + why);
  }
  if (auto r = conn->Setup(); !r) return Fail(r.error());
  return conn;
}

PgConn::~PgConn() {
  if (conn_) PQfinish(conn_);
}

Result<void> PgConn::Setup() {
  prepared_.clear();
  return Exec("SET TIME ZONE 'UTC'; SET synchronous_commit = on; SET client_min_messages = warning",
              "setting the session up");
}

Result<void> PgConn::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Fail(Code::kUnavailable, "cannot reconnect to PostgreSQL");
  }
  return Setup();
}

// A statement that cannot have changed anything if it failed (a read, or the BEGIN of a
// transaction) is sent again once on a fresh connection when the old one turns out to be lost
// (a restarted server, a dropped socket), so that each pooled connection does not fail once.
static bool Retriable(const char* sql) {
  return std::strncmp(sql, "SELECT", 6) == 0 || std::strncmp(sql, "BEGIN", 5) == 0;
}

bool PgConn::ShouldRetry(bool was_idle, const char* sql, int attempt) {
  if (attempt > 0 || !was_idle || PQstatus(conn_) == CONNECTION_OK || !Retriable(sql)) {
    return false;
  }
  return Reset().has_value();
}

Result<PgResult> PgConn::Run(const char* sql, const PgParams& params, std::string_view what) {
  std::vector<const char*> values(params.values_.size());
  std::vector<int> lengths(params.values_.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = params.null_[i] ? nullptr : params.values_[i].data();
    lengths[i] = static_cast<int>(params.values_[i].size());
  }
  for (int attempt = 0;; ++attempt) {
    const bool was_idle = !in_transaction();
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      std::string name = "s" + std::to_string(prepared_.size());
      PgResult prep(PQprepare(conn_, name.c_str(), sql, 0, nullptr));
      if (PQresultStatus(prep.raw_for_status()) != PGRES_COMMAND_OK) {
        if (ShouldRetry(was_idle, sql, attempt)) continue;
        return Fail(ErrorOf(prep.raw_for_status(), what));
      }
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    PgResult r(PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(),
                              lengths.data(), params.formats_.data(), 0));
    const auto st = PQresultStatus(r.raw_for_status());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      if (ShouldRetry(was_idle, sql, attempt)) continue;
      return Fail(ErrorOf(r.raw_for_status(), what));
    }
    return r;
  }
}

Result<PgResult> PgConn::RunOnce(const std::string& sql, const PgParams& params,
                                 std::string_view what) {
  std::vector<const char*> values(params.values_.size());
  std::vector<int> lengths(params.values_.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = params.null_[i] ? nullptr : params.values_[i].data();
    lengths[i] = static_cast<int>(params.values_[i].size());
  }
  PgResult r(PQexecParams(conn_, sql.c_str(), params.size(), nullptr, values.data(), lengths.data(),
                          params.formats_.data(), 0));
  const auto st = PQresultStatus(r.raw_for_status());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return Fail(ErrorOf(r.raw_for_status(), what));
  }
  return r;
}

Result<void> PgConn::Exec(const char* sql, std::string_view what) {
  for (int attempt = 0;; ++attempt) {
    const bool was_idle = !in_transaction();
    PGresult* r = PQexec(conn_, sql);
    // A multi-statement string returns the last result; an earlier error stops there.
    const auto st = PQresultStatus(r);
    Result<void> out;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) out = Fail(ErrorOf(r, what));
    PQclear(r);
    if (!out && ShouldRetry(was_idle, sql, attempt)) continue;
    return out;
  }
}

}  // namespace undersigned::store::pg
