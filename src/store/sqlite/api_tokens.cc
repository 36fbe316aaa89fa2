// SqliteStore as an ApiTokenStore: API tokens, kept as hashes.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

// --- API tokens
Result<ApiToken> SqliteStore::CreateApiToken(const std::string& name, const std::string& hash,
                                             UnixTime now) {
  std::string key = HashKey(hash);
  return Write<ApiToken>([&](SqliteTx& b) -> Result<ApiToken> {
    Db& db = b.db();
    auto st = db.Prepare(sql::kInsertToken);
    if (!st) return Fail(st.error());
    st->Bind(1, name).BindBlob(2, key).Bind(3, now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "creating the token"));
    return ApiToken{st->Int(0), name, now, std::nullopt, std::nullopt, false};
  });
}

Result<int> SqliteStore::RevokeApiToken(const std::string& name, UnixTime now) {
  return Write<int>([&](SqliteTx& b) -> Result<int> {
    Db& db = b.db();
    auto st = db.Prepare(sql::kRevokeTokens);
    if (!st) return Fail(st.error());
    st->Bind(1, name).Bind(2, now);
    if (auto r = StepDone(db, *st, "revoking tokens"); !r) return Fail(r.error());
    int n = db.Changes();
    if (n == 0) return Fail(Code::kNotFound, "no live token with that name");
    return n;
  });
}

Result<ApiToken> SqliteStore::FindApiToken(const std::string& hash) {
  std::string key = HashKey(hash);
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kFindToken);
  if (!st) return Fail(st.error());
  st->BindBlob(1, key);
  return QueryOne(db, *st, "no such token", [](Stmt& s) {
    return Wrap(ApiToken{s.Int(0), s.Text(1), s.Int(2), s.OptInt(3), std::nullopt, false});
  });
}

}  // namespace undersigned::store
