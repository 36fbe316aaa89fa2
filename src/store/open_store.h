// The Store factory: picks and opens the store implementation. A store URL (config store.url,
// env UNDERSIGNED_STORE_URL, --store; store/store_url.h) naming PostgreSQL opens
// store::OpenPostgresStore (store/postgres/); an empty one opens SQLite in the data directory
// (<data_dir>/undersigned.db). A build without the PostgreSQL backend (CMake found no target
// us_store_pg) refuses a PostgreSQL URL with kInvalidArgument saying so.
//
// The data directory is SQLite's store, and its lock (store/data_dir_lock.h) is SQLite's concern.
// With PostgreSQL the store does not touch it; `serve` still keeps files there that are not the
// store (app/app.h says which).
//
// Thread-safety: OpenStore may be called from any thread; the returned Store is thread-safe and
// owned by the caller (app::App).
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::store {

// The database file inside a data directory.
inline constexpr const char* kSqliteFileName = "undersigned.db";

// What every store implementation takes.
struct StoreOptions {
  std::string url;           // store.url: a PostgreSQL URI; empty: SQLite in the data directory
  bool log_enabled = true;   // append signature-log leaves (store.h)
  bool exclusive = false;    // this process holds the data directory's lock (DataDirLock): the
                             // store also removes what a killed server left in its WAL at open
  int write_lanes = 2;       // PostgreSQL: the writer's connections (PostgresOptions::write_lanes)
  int read_connections = 4;  // PostgreSQL: the pool for reads (PostgresOptions::read_connections)
};

// Creates data_dir and its parents if missing. kInvalidArgument if empty; kInternal if it
// cannot be created.
Result<void> MakeDataDir(const std::string& data_dir);

// True if this build has the PostgreSQL backend.
bool HavePostgres();

// With options.url set: connects to that PostgreSQL database (migrating it; data_dir is not
// used): kInvalidArgument if the URL is not a postgresql:// or postgres:// URI or this build has
// no PostgreSQL support, else OpenPostgresStore's errors, their messages without the URL's
// password. Without: creates data_dir (and its parents) if missing, then opens, creating and
// migrating if needed, <data_dir>/undersigned.db with the default SqliteOptions and these
// options. kInternal if the directory cannot be created or the database cannot be opened;
// kInvalidArgument if the database was written by a newer undersigned.
Result<std::unique_ptr<Store>> OpenStore(const std::string& data_dir,
                                         const StoreOptions& options = {});

}  // namespace undersigned::store
