// The "sqlite" conformance backend: a database file in a temporary directory of its own.
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include "store/conformance/backend.h"
#include "store/sqlite/sqlite_store.h"

namespace undersigned::store::conformance {
namespace {

namespace fs = std::filesystem;

class SqliteBackend final : public TestBackend {
 public:
  SqliteBackend() {
    std::string tmpl = (fs::temp_directory_path() / "us_conformance_XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
    path_ = (fs::path(dir_) / "test.db").string();
  }
  ~SqliteBackend() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  Result<std::unique_ptr<Store>> Open() override {
    SqliteOptions o;
    o.path = path_;
    o.read_connections = 2;
    return OpenSqliteStore(o);
  }

  std::int64_t QueryInt(const std::string& sql) override {
    sqlite3* db = nullptr;
    std::int64_t v = -1;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
  }

 private:
  std::string dir_;
  std::string path_;
};

[[maybe_unused]] const bool kRegistered = RegisterBackend("sqlite", [](std::string*) {
  return std::unique_ptr<TestBackend>(std::make_unique<SqliteBackend>());
});

}  // namespace
}  // namespace undersigned::store::conformance
