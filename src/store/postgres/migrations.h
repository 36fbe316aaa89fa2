// The PostgreSQL store's schema and its versioned migrations (postgres/migrations.cc says what
// each table is and how it differs from SQLite's). Migrate is safe when several nodes start at
// once: the table schema_version is locked (EXCLUSIVE) for the whole migration, so one node
// migrates and the others then find the schema current.
#pragma once

#include "core/error.h"
#include "store/postgres/pg_conn.h"

namespace undersigned::store::pg {

struct Migration {
  int version;
  const char* summary;
  const char* sql;
};

int LatestSchemaVersion();
// How many migrations there are (versions may have gaps while features land in parallel).
int MigrationCount();

// Brings the schema to LatestSchemaVersion(); returns how many migrations ran (0 if current).
// kInvalidArgument if the database's schema is newer than this undersigned.
Result<int> Migrate(PgConn& conn);

}  // namespace undersigned::store::pg
