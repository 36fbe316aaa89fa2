// SqliteStore as an OrganizationStore: reading co-signing organizations (written by the
// transaction scripts through SqliteTx).
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

Result<OrganizationOutcome> SqliteStore::FindOrganizationByConfirmToken(const std::string& hash) {
  auto r = Reader();
  return ReadOrganization(*r, sql::kOrganizationByConfirm, HashKey(hash), true);
}

Result<OrganizationOutcome> SqliteStore::FindOrganizationByReviewToken(const std::string& hash) {
  auto r = Reader();
  return ReadOrganization(*r, sql::kOrganizationByReview, HashKey(hash), true);
}

Result<std::vector<Organization>> SqliteStore::ListOrganizations(
    std::int64_t campaign_id, std::optional<OrganizationState> state) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kListOrganizations);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  BindOptText(*st, 2, state ? OrganizationStateName(*state) : nullptr);
  std::vector<Organization> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.push_back(OrganizationFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing organizations"));
  return out;
}

Result<std::string> SqliteStore::OrganizationLogo(const std::string& uuid, bool any_state) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kOrganizationLogo);
  if (!st) return Fail(st.error());
  st->Bind(1, uuid).Bind(2, any_state);
  return QueryOne(db, *st, "no such logo", [](Stmt& s) { return Wrap(s.Text(0)); });
}

// An organization and its campaign, by a key of sql (a blob token key or the uuid text).
Result<OrganizationOutcome> SqliteStore::ReadOrganization(Db& db, const char* sql,
                                                          const std::string& key, bool blob) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  if (blob) {
    st->BindBlob(1, key);
  } else {
    st->Bind(1, key);
  }
  auto o = QueryOne(db, *st, "no such organization",
                    [](Stmt& s) { return Wrap(OrganizationFromRow(s)); });
  if (!o) return Fail(o.error());
  st->Reset();
  auto c = ReadCampaign(db, sql::kCampaignById, [&](Stmt& s) { s.Bind(1, o->campaign_id); });
  if (!c) return Fail(c.error());
  return OrganizationOutcome{std::move(*o), std::move(*c), false};
}

}  // namespace undersigned::store
