#include "store/open_store.h"

#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_store.h"
#include "store/store_url.h"

// Set to 1 by CMake (src/store/CMakeLists.txt) when the PostgreSQL backend, target us_store_pg,
// is part of the build.
#ifndef UNDERSIGNED_HAVE_POSTGRES
#define UNDERSIGNED_HAVE_POSTGRES 0
#endif
#if UNDERSIGNED_HAVE_POSTGRES
#include "store/postgres/postgres_store.h"
#endif

namespace undersigned::store {

Result<void> MakeDataDir(const std::string& data_dir) {
  if (data_dir.empty()) return Fail(Code::kInvalidArgument, "no data directory given");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail(Code::kInternal,
                "cannot create the data directory " + data_dir + ": " + ec.message());
  }
  return {};
}

bool HavePostgres() { return UNDERSIGNED_HAVE_POSTGRES != 0; }

namespace {

Result<std::unique_ptr<Store>> OpenByUrl(const StoreOptions& store_options) {
  const std::string& url = store_options.url;
  if (!HasPostgresScheme(url)) {
    return Fail(Code::kInvalidArgument,
                "store.url must be a PostgreSQL URL (postgresql://user@host/database), or empty "
                "for SQLite in the data directory");
  }
#if UNDERSIGNED_HAVE_POSTGRES
  PostgresOptions options;
  options.url = url;
  options.log_enabled = store_options.log_enabled;
  options.write_lanes = store_options.write_lanes;
  options.read_connections = store_options.read_connections;
  auto store = OpenPostgresStore(options);
  if (!store) {
    // The backend promises messages without the password; this makes sure of it.
    Error e = std::move(store.error());
    e.message = RedactIn(std::move(e.message), url);
    for (auto& [field, message] : e.field_errors) message = RedactIn(std::move(message), url);
    return Fail(std::move(e));
  }
  return store;
#else
  return Fail(Code::kInvalidArgument,
              "this build has no PostgreSQL support, so it cannot open " + RedactUrl(url) +
                  "; build undersigned with the PostgreSQL backend (libpq-dev installed: "
                  "scripts/deps.sh), or leave store.url empty for SQLite in the data directory");
#endif
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& data_dir,
                                         const StoreOptions& store_options) {
  if (!store_options.url.empty()) return OpenByUrl(store_options);
  if (auto r = MakeDataDir(data_dir); !r) return Fail(r.error());
  SqliteOptions options;
  options.path = (std::filesystem::path(data_dir) / kSqliteFileName).string();
  options.log_enabled = store_options.log_enabled;
  options.scrub_wal_at_open = store_options.exclusive;
  return OpenSqliteStore(options);
}

}  // namespace undersigned::store
