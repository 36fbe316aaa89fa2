// The "postgres" conformance backend: a fresh database per test on the server named by
// UNDERSIGNED_TEST_PG_URL (a libpq URL where the test may CREATE DATABASE), dropped after it;
// without the variable the factory returns nullptr and the suite skips the backend's tests.
#include <memory>

#include "store/conformance/backend.h"
#include "store/postgres/pg_test_util.h"

namespace undersigned::store::conformance {
namespace {

class PostgresBackend final : public TestBackend {
 public:
  const pg::testing::TestDatabase& db() const { return db_; }

  Result<std::unique_ptr<Store>> Open() override {
    PostgresOptions o;
    o.url = db_.url();
    o.read_connections = 2;
    return OpenPostgresStore(o);
  }

  Result<std::unique_ptr<Store>> OpenAnotherNode() override { return Open(); }

  std::int64_t QueryInt(const std::string& sql) override {
    auto conn = pg::PgConn::Open(db_.url());
    if (!conn) return -1;
    auto r = (*conn)->RunOnce(sql, {}, "conformance query");
    if (!r || r->rows() == 0 || r->IsNull(0, 0)) return -1;
    return r->Int(0, 0);
  }

 private:
  pg::testing::TestDatabase db_;
};

[[maybe_unused]] const bool kRegistered =
    RegisterBackend("postgres", [](std::string* skip_reason) -> std::unique_ptr<TestBackend> {
      if (pg::testing::ServerUrl().empty()) {
        *skip_reason =
            "UNDERSIGNED_TEST_PG_URL is not set (a PostgreSQL server where the test "
            "may CREATE DATABASE)";
        return nullptr;
      }
      auto backend = std::make_unique<PostgresBackend>();
      if (!backend->db().error().empty()) {
        *skip_reason = "cannot create a test database: " + backend->db().error();
        return nullptr;
      }
      return backend;
    });

}  // namespace
}  // namespace undersigned::store::conformance
