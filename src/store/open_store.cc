#include "store/open_store.h"

#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_store.h"

namespace undersigned::store {

Result<std::unique_ptr<Store>> OpenStore(const std::string& data_dir,
                                         const StoreOptions& store_options) {
  if (data_dir.empty()) return Fail(Code::kInvalidArgument, "no data directory given");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail(Code::kInternal,
                "cannot create the data directory " + data_dir + ": " + ec.message());
  }
  SqliteOptions options;
  options.path = (std::filesystem::path(data_dir) / kSqliteFileName).string();
  options.log_enabled = store_options.log_enabled;
  return OpenSqliteStore(options);
}

}  // namespace undersigned::store
