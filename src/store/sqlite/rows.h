// The SQLite backend's row mapping and small helpers, shared by its files: rows into the domain
// types and back (the JSON columns), token hashes' stored form, paging, running a statement.
// Internal to store/sqlite/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/signature.h"
#include "store/columns.h"
#include "store/sqlite/sqlite_db.h"
#include "store/types.h"
#include "store/write_tx.h"

namespace undersigned::store {

UnixTime SystemNow();

// A signature's group key, the public group for none. A reference, since statements bind text
// without copying it.
const std::string& KeyOrPublic(const std::string& key);
SignatureState ParseState(std::string_view s);

// Rows of the column lists in queries.h (US_CAMPAIGN_COLS, ...).
Result<Campaign> CampaignFromRow(const Stmt& st);
Signature SignatureFromRow(const Stmt& st);
SignatureRow SignatureRowFromRow(const Stmt& st);  // US_SIGNATURE_ROW_COLS
Person PersonFromRow(const Stmt& st);
Organization OrganizationFromRow(const Stmt& st);
OutboxMessage OutboxFromRow(const Stmt& st);

struct Limits {
  std::int64_t limit;
  std::int64_t offset;
};
Limits PageLimits(Page p);
const char* StatusOrNull(const std::optional<CampaignStatus>& s);
void BindOptText(Stmt& st, int i, const char* v);
// Binds a PersonChange's five fields from parameter first on (NULL for an absent one).
void BindChange(Stmt& st, int first, const PersonChange& change);

Result<CampaignCounts> ReadCounts(Db& db, std::int64_t campaign_id);
Result<Signature> ReadSignature(Db& db, const char* sql, std::string_view key, bool blob);
Result<void> StepDone(Db& db, Stmt& st, std::string_view what);
// True if rc is a primary-key conflict (another process took the id RowIds handed out).
bool IsPrimaryKeyConflict(Db& db, int rc);

// Runs a query expected to return at most one row, mapping it with fn. kNotFound (with
// not_found as message) if there is no row.
template <typename F>
auto QueryOne(Db& db, Stmt& st, std::string_view not_found, F&& fn)
    -> Result<std::decay_t<decltype(*fn(st))>> {
  int rc = st.Step();
  if (rc == SQLITE_ROW) return fn(st);
  if (rc == SQLITE_DONE) return Fail(Code::kNotFound, std::string(not_found));
  return Fail(db.ErrorFor(rc, "reading"));
}

template <typename T>
Result<T> Wrap(T v) {
  return v;
}

Result<Campaign> ReadCampaign(Db& db, const char* sql, auto bind) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(db, *st, "no such campaign", [](Stmt& s) { return CampaignFromRow(s); });
}

}  // namespace undersigned::store
