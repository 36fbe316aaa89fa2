// The Store factory: picks and opens the store implementation for a data directory. Today that
// is always SQLite (<data_dir>/undersigned.db); PostgreSQL will be chosen here too.
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
  bool log_enabled = true;  // append signature-log leaves (store.h)
  bool exclusive = false;   // this process holds the data directory's lock (DataDirLock): the
                            // store also removes what a killed server left in its WAL at open
};

// Creates data_dir and its parents if missing. kInvalidArgument if empty; kInternal if it
// cannot be created.
Result<void> MakeDataDir(const std::string& data_dir);

// Creates data_dir (and its parents) if missing, then opens, creating and migrating if needed,
// <data_dir>/undersigned.db with the default SqliteOptions and these options. kInternal if the
// directory cannot be created or the database cannot be opened; kInvalidArgument if the database
// was written by a newer undersigned.
Result<std::unique_ptr<Store>> OpenStore(const std::string& data_dir,
                                         const StoreOptions& options = {});

}  // namespace undersigned::store
