// SqliteStore as a PeopleStore: people for the API, and their edits outside signing.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

// --- people
Result<Paged<Person>> SqliteStore::ListPeople(const std::optional<std::string>& canonical_email,
                                              const TimeFilter& filter, Page page) {
  auto r = Reader();
  Db& db = *r;
  Limits lim = PageLimits(page);
  Paged<Person> out;
  {
    auto st = db.Prepare(canonical_email ? sql::kCountPeopleByEmail : sql::kCountPeople);
    if (!st) return Fail(st.error());
    st->Bind(1, filter.modified_after).Bind(2, filter.modified_before);
    if (canonical_email) st->Bind(3, *canonical_email);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting people"));
    out.total = st->Int(0);
  }
  if (lim.offset >= out.total) return out;
  auto st = db.Prepare(canonical_email ? sql::kListPeopleByEmail : sql::kListPeople);
  if (!st) return Fail(st.error());
  st->Bind(1, filter.modified_after).Bind(2, filter.modified_before);
  st->Bind(3, lim.limit).Bind(4, lim.offset);
  if (canonical_email) st->Bind(5, *canonical_email);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(PersonFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing people"));
  return out;
}

Result<Person> SqliteStore::GetPersonByUuid(const std::string& uuid) {
  const auto id = keys_.public_ids->RowId(IdKind::kPerson, uuid);
  if (!id) return Fail(Code::kNotFound, "no such person");
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kPersonById);
  if (!st) return Fail(st.error());
  st->Bind(1, *id);
  return QueryOne(db, *st, "no such person", [](Stmt& s) { return Wrap(PersonFromRow(s)); });
}

Result<Person> SqliteStore::UpsertPerson(const std::string& email,
                                         const std::string& canonical_email,
                                         const PersonChange& change, UnixTime now) {
  return Write<Person>([&](SqliteTx& b) -> Result<Person> {
    Db& db = b.db();
    for (int attempt = 0;; ++attempt) {
      auto id = b.row_ids().NextPerson(db);
      if (!id) return Fail(id.error());
      // Bound as a view: it must outlive the Step below.
      const std::string uuid = keys_.public_ids->Uuid(IdKind::kPerson, *id);
      auto st = db.Prepare(sql::kSignupPerson);
      if (!st) return Fail(st.error());
      st->Bind(1, *id).Bind(2, uuid);
      st->Bind(3, canonical_email).Bind(4, email);
      BindChange(*st, 5, change);
      st->Bind(10, now);
      // An upsert does not set the last insert rowid when it updates: 0 then means "existed".
      db.SetLastInsertId(0);
      const int rc = st->Step();
      if (rc == SQLITE_DONE) break;
      if (attempt == 0 && IsPrimaryKeyConflict(db, rc)) {
        b.row_ids().Forget();
        continue;
      }
      return Fail(db.ErrorFor(rc, "saving the person"));
    }
    if (db.LastInsertId() != 0) b.row_ids().TookPerson();
    auto st = db.Prepare(sql::kPersonByEmail);
    if (!st) return Fail(st.error());
    st->Bind(1, canonical_email);
    return QueryOne(db, *st, "no such person", [](Stmt& s) { return Wrap(PersonFromRow(s)); });
  });
}

Result<Person> SqliteStore::UpdatePerson(const std::string& uuid, const PersonChange& change,
                                         UnixTime now) {
  const auto id = keys_.public_ids->RowId(IdKind::kPerson, uuid);
  if (!id) return Fail(Code::kNotFound, "no such person");
  return Write<Person>([&](SqliteTx& b) -> Result<Person> {
    Db& db = b.db();
    auto st = db.Prepare(sql::kUpdatePerson);
    if (!st) return Fail(st.error());
    st->Bind(1, *id);
    BindChange(*st, 2, change);
    st->Bind(7, now);
    return QueryOne(db, *st, "no such person", [](Stmt& s) { return Wrap(PersonFromRow(s)); });
  });
}

Result<Paged<Signature>> SqliteStore::ListPersonSignatures(std::int64_t person_id,
                                                           const TimeFilter& filter, Page page) {
  auto r = Reader();
  Db& db = *r;
  Limits lim = PageLimits(page);
  Paged<Signature> out;
  {
    auto st = db.Prepare(sql::kCountPersonSignatures);
    if (!st) return Fail(st.error());
    st->Bind(1, person_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting signatures"));
    out.total = st->Int(0);
  }
  if (lim.offset >= out.total) return out;
  auto st = db.Prepare(sql::kListPersonSignatures);
  if (!st) return Fail(st.error());
  st->Bind(1, person_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
  st->Bind(4, lim.limit).Bind(5, lim.offset);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(SignatureFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing signatures"));
  return out;
}

Result<Signature> SqliteStore::SetSignatureComment(const std::string& uuid,
                                                   const std::string& comment, UnixTime now) {
  const auto id = keys_.public_ids->RowId(IdKind::kSignature, uuid);
  if (!id) return Fail(Code::kNotFound, "no such signature");
  return Write<Signature>([&](SqliteTx& b) -> Result<Signature> {
    Db& db = b.db();
    auto st = db.Prepare(sql::kSetSignatureComment);
    if (!st) return Fail(st.error());
    st->Bind(1, *id).Bind(2, comment).Bind(3, now);
    if (auto done = StepDone(db, *st, "saving the comment"); !done) return Fail(done.error());
    if (db.Changes() == 0) return Fail(Code::kNotFound, "no such signature");
    auto read = db.Prepare(sql::kSignatureById);
    if (!read) return Fail(read.error());
    read->Bind(1, *id);
    return QueryOne(db, *read, "no such signature",
                    [](Stmt& s) { return Wrap(SignatureFromRow(s)); });
  });
}

}  // namespace undersigned::store
