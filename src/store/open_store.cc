#include "store/open_store.h"

#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_store.h"

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

Result<std::unique_ptr<Store>> OpenStore(const std::string& data_dir,
                                         const StoreOptions& store_options) {
  if (auto r = MakeDataDir(data_dir); !r) return Fail(r.error());
  SqliteOptions options;
  options.path = (std::filesystem::path(data_dir) / kSqliteFileName).string();
  options.log_enabled = store_options.log_enabled;
  options.scrub_wal_at_open = store_options.exclusive;
  return OpenSqliteStore(options);
}

}  // namespace undersigned::store
