// The store conformance suite's backends: every Store backend passes the same tests
// (store/conformance/*_test.cc, gtest TEST_P over backend names). A backend registers a factory
// under its name; each test asks it for a TestBackend, which opens a fresh, empty store for that
// test alone.
//
// Registered: "sqlite" (sqlite_backend.cc, a temporary directory per test) and "postgres"
// (postgres_backend.cc, a fresh database per test from UNDERSIGNED_TEST_PG_URL, dropped after it;
// without the variable the factory returns nullptr with a reason, and its tests are skipped).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::store::conformance {

// One test's store, owned by the test. Destroying it removes what it made (files, database).
class TestBackend {
 public:
  virtual ~TestBackend() = default;
  // Opens the test's store: empty the first time, with everything kept since on later calls
  // (the previous store must have been destroyed first: a restart).
  virtual Result<std::unique_ptr<Store>> Open() = 0;
  // A white-box look at the backend's tables: the one integer a query over the schema the
  // SQLite backend defines (signatures, signature_tokens, people, outbox, campaign_counts...)
  // returns, -1 if none. A backend with other tables translates or answers alike.
  virtual std::int64_t QueryInt(const std::string& sql) = 0;
  // A second store on the same data while the first is open (another node), for a backend that
  // serves several nodes; kInvalidArgument for one that does not (SQLite: one server per file).
  virtual Result<std::unique_ptr<Store>> OpenAnotherNode() {
    return Fail(Code::kInvalidArgument, "this backend serves one node");
  }
};

// Makes a TestBackend, or returns nullptr and sets *skip_reason if the backend cannot run here
// (e.g. no database server given).
using BackendFactory = std::function<std::unique_ptr<TestBackend>(std::string* skip_reason)>;

// Registers a backend (from a static initializer is fine: the suite reads the names once tests
// are being registered, after every initializer ran).
bool RegisterBackend(const std::string& name, BackendFactory factory);
std::vector<std::string> BackendNames();
std::unique_ptr<TestBackend> MakeBackend(const std::string& name, std::string* skip_reason);

}  // namespace undersigned::store::conformance
