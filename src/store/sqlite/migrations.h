// Versioned schema migrations of the SQLite store.
//
// The schema version lives in PRAGMA user_version. Migration number i takes the schema from the
// version of the migration before it in the list to i (numbers ascend, with gaps while branches
// that reserved numbers are still apart). Migrate() applies every migration numbered above the
// database's version, in order, in one transaction at open; an up-to-date database gets no
// writes at all; a database written by a newer undersigned (user_version above the last known
// migration) is refused.
//
// Rules for adding one: append to the list in migrations.cc, never edit or reorder a migration
// that has shipped; each script must be valid inside a transaction (no VACUUM, no PRAGMAs that
// are no-ops in a transaction such as journal_mode).
#pragma once

#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/sqlite/sqlite_db.h"

namespace undersigned::store {

struct Migration {
  int version;               // 1, 2, 3... ascending along the list
  std::string_view summary;  // for logs
  const char* sql;           // one or more statements
  // Optional: run after sql, in the same transaction (a change SQL alone cannot make).
  Result<void> (*after)(Db& db) = nullptr;
};

// All migrations, ordered by version.
const std::vector<Migration>& SqliteMigrations();

// The version a fully migrated database has.
int LatestSchemaVersion();

// Brings db to LatestSchemaVersion(). Returns how many migrations ran (0 if up to date).
// kInvalidArgument if the database is newer than this binary; kInternal on SQL errors (the
// transaction is rolled back, the database keeps its old version).
// REQUIRES: no transaction open on db.
Result<int> Migrate(Db& db);

}  // namespace undersigned::store
