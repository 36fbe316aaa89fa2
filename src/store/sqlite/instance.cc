// SqliteStore as an InstanceStore: named values and secrets kept forever.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <sodium.h>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

Result<std::string> SqliteStore::InstanceSecret(const std::string& name) {
  std::string fresh(32, '\0');
  randombytes_buf(fresh.data(), fresh.size());
  return InstanceValue(name, fresh);
}

Result<std::string> SqliteStore::InstanceValue(const std::string& name,
                                               const std::string& initial) {
  auto found = FindInstanceValue(name);
  if (!found) return Fail(found.error());
  if (*found) return std::move(**found);
  return Write<std::string>([&](SqliteTx& b) -> Result<std::string> {
    Db& db = b.db();
    auto put = db.Prepare(sql::kPutSecret);
    if (!put) return Fail(put.error());
    put->Bind(1, name).BindBlob(2, initial);
    if (auto r = StepDone(db, *put, "saving a secret"); !r) return Fail(r.error());
    put->Reset();
    // Another caller may have won the race; everyone gets the stored value.
    auto get = db.Prepare(sql::kGetSecret);
    if (!get) return Fail(get.error());
    get->Bind(1, name);
    return QueryOne(db, *get, "secret vanished", [](Stmt& s) { return Wrap(s.Text(0)); });
  });
}

Result<std::optional<std::string>> SqliteStore::FindInstanceValue(const std::string& name) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kGetSecret);
  if (!st) return Fail(st.error());
  st->Bind(1, name);
  int rc = st->Step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(st->Text(0));
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading an instance value"));
  return std::optional<std::string>();
}

Result<void> SqliteStore::SetInstanceValue(const std::string& name, const std::string& value) {
  return Write<void>([&](SqliteTx& b) -> Result<void> {
    Db& db = b.db();
    auto put = db.Prepare(sql::kReplaceSecret);
    if (!put) return Fail(put.error());
    put->Bind(1, name).BindBlob(2, value);
    return StepDone(db, *put, "saving an instance value");
  });
}

}  // namespace undersigned::store
