// The statements of queries.h that are made from others.
#include <cctype>
#include <string>

#include "store/postgres/queries.h"

namespace undersigned::store::pg::sql {
namespace {

// statement with each parameter $n renumbered $(n + offset) (no statement here has a $ that is
// not a parameter).
std::string Renumber(const char* statement, int offset) {
  std::string out;
  for (const char* p = statement; *p != '\0';) {
    if (*p != '$' || !std::isdigit(static_cast<unsigned char>(p[1]))) {
      out += *p++;
      continue;
    }
    int n = 0;
    for (++p; std::isdigit(static_cast<unsigned char>(*p)); ++p) n = n * 10 + (*p - '0');
    out += '$' + std::to_string(n + offset);
  }
  return out;
}

// FlushStatement's WITH, and with_batch: the count rows and the log's position too.
std::string Flush(bool with_batch) {
  int offset = 0;
  auto part = [&offset](const char* name, const char* sql, int params, const char* tail) {
    std::string s = std::string(name) + " AS (" + Renumber(sql, offset) + tail + ")";
    offset += params;
    return s;
  };
  std::string s = "WITH ";
  s += part("flushed_people", kUpsertPeople, kPeopleCols, "") + ", ";
  s += part("flushed_signatures", kInsertSignatures, kSignatureCols, " RETURNING 1") + ", ";
  s += part("flushed_tokens", kInsertTokens, kTokenCols, "") + ", ";
  s += part("flushed_mails", kInsertMails, kMailCols, "") + ", ";
  s += part("flushed_leaves", kInsertLeaves, kLeafCols, "");
  if (with_batch) {
    s += ", " + part("flushed_counts", kAddCountsRows, kAddCountsParams, "") + ", ";
    s += part("flushed_hours", kAddHoursRows, kAddHoursParams, "") + ", ";
    s += part("flushed_tallies", kAddTalliesRows, kAddTalliesParams, "") + ", ";
    s += part("flushed_log", kSetLogNextIf, kSetLogNextIfParams, "");
  }
  s += " SELECT p.id, p.uuid, p.canonical_email, p.limit_tokens, p.limit_at, n.signatures";
  if (with_batch) s += ", n.counts";
  s += " FROM (SELECT (SELECT count(*) FROM flushed_signatures) AS signatures";
  if (with_batch) s += ", (SELECT count(*) FROM flushed_counts) AS counts";
  s += ") n LEFT JOIN flushed_people p ON true";
  return s;
}

}  // namespace

const char* FlushStatement() {
  static const std::string statement = Flush(false);
  return statement.c_str();
}

const char* FlushBatchStatement() {
  static const std::string statement = Flush(true);
  return statement.c_str();
}

}  // namespace undersigned::store::pg::sql
