// Test helpers for the PostgreSQL store: a fresh database per test on the server named by
// UNDERSIGNED_TEST_PG_URL (tests GTEST_SKIP when it is unset), and a small transaction script
// that signs through WriteTx (until service/tx/'s scripts are here to call).
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sodium.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>

#include "log/merkle.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_store.h"
#include "store/sealed_fields.h"
#include "store/store.h"
#include "store/write.h"

namespace undersigned::store::pg::testing {

// The URL of the test server, or empty.
inline std::string ServerUrl() {
  const char* url = std::getenv("UNDERSIGNED_TEST_PG_URL");
  return url ? url : "";
}

inline std::string Encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Creates a database with a random name on construction and drops it on destruction.
class TestDatabase {
 public:
  TestDatabase() {
    const std::string server = ServerUrl();
    if (server.empty()) return;
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    name_ = "us_test_";
    for (unsigned char c : r)
      name_ += "0123456789abcdef"[c >> 4], name_ += "0123456789abcdef"[c & 15];
    admin_ = server;
    auto conn = PgConn::Open(admin_);
    if (!conn) {
      error_ = conn.error().message;
      return;
    }
    const std::string create = "CREATE DATABASE " + name_;
    if (auto e = (*conn)->Exec(create.c_str(), "creating the test database"); !e) {
      error_ = e.error().message;
      return;
    }
    // The same server and user, another database: a URI of the parsed options.
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(server.c_str(), &err);
    std::string query;
    for (PQconninfoOption* o = opts; o && o->keyword; ++o) {
      if (o->val == nullptr || std::string(o->keyword) == "dbname") continue;
      query += (query.empty() ? "?" : "&") + std::string(o->keyword) + "=" + Encode(o->val);
    }
    if (opts) PQconninfoFree(opts);
    url_ = "postgresql:///" + name_ + query;
  }
  ~TestDatabase() {
    if (url_.empty()) return;
    auto conn = PgConn::Open(admin_);
    if (!conn) return;
    const std::string drop = "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
    (void)(*conn)->Exec(drop.c_str(), "dropping the test database");
  }
  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }

 private:
  std::string admin_, name_, url_, error_;
};

#define US_PG_TEST_SETUP(db)                                                           \
  if (::undersigned::store::pg::testing::ServerUrl().empty()) {                        \
    GTEST_SKIP() << "UNDERSIGNED_TEST_PG_URL is not set (a server where the test may " \
                    "CREATE DATABASE)";                                                \
  }                                                                                    \
  ::undersigned::store::pg::testing::TestDatabase db;                                  \
  ASSERT_TRUE(db.error().empty()) << db.error();

inline std::unique_ptr<Store> Open(const std::string& url, int max_batch = 256) {
  PostgresOptions o;
  o.url = url;
  o.max_batch = max_batch;
  o.read_connections = 3;
  o.log_lease_seconds = 2;  // takeovers in tests wait this long
  auto s = OpenPostgresStore(o);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

inline Campaign NewCampaign(const std::string& slug) {
  Campaign c;
  c.slug = slug;
  c.title = "Title of " + slug;
  c.demand = "A demand";
  c.letter_markdown = "A letter";
  c.targets = {Target{"Target", "", "", "", "", "", ""}};
  c.goal = 100;
  c.status = CampaignStatus::kOpen;
  c.language = "en";
  return c;
}

// A signing script over WriteTx: one new signature (confirmed at once if confirm), its token,
// a mail, the counts and, when confirmed, a log leaf. kConflict if the person already signed.
// The token's hash is "token-of-<email>" unless token is given.
inline Result<SignatureRow> TestSign(WriteTx& tx, std::int64_t campaign_id,
                                     const std::string& email, bool confirm, UnixTime now,
                                     const std::string& token = "") {
  auto counts = tx.Counts(campaign_id);
  if (!counts) return Fail(counts.error());
  auto person = tx.UpsertSigner({email, email, "Given", "Family", "", "", false, now, {}});
  if (!person) return Fail(person.error());
  SignatureRow row;
  Signature& s = row.signature;
  s.campaign_id = campaign_id;
  s.person_id = person->id;
  s.form.name = "Given Family";
  s.form.email = email;
  s.canonical_email = email;
  s.state = confirm ? SignatureState::kConfirmed : SignatureState::kPending;
  s.source = "form";
  s.created = s.modified = now;
  if (confirm) s.confirmed = now;
  if (confirm && tx.log_enabled()) {
    row.log_salt = std::string(32, 's');
    const std::string entry = "leaf of " + email;
    auto index = tx.AppendLeaf(entry, log::LeafHash(entry));
    if (!index) return Fail(index.error());
    row.leaf_index = *index;
  }
  auto inserted = tx.InsertSignature(row);
  if (!inserted) return Fail(inserted.error());
  if (!*inserted) return Fail(Code::kConflict, "already signed");
  if (auto t = tx.AddToken((*inserted)->signature.id, token.empty() ? "token-of-" + email : token,
                           TokenKind::kSigning);
      !t) {
    return Fail(t.error());
  }
  if (auto m = tx.QueueMail({"confirm", email, "{\"a\":1}", now, false}); !m)
    return Fail(m.error());
  tx.MoveCounts(campaign_id, {confirm ? 0 : 1, confirm ? 1 : 0, 0, {}, now});
  return std::move(**inserted);
}

inline Result<SignatureRow> Sign(Store& store, std::int64_t campaign_id, const std::string& email,
                                 bool confirm, UnixTime now = 1700000000,
                                 const std::string& token = "") {
  return RunWrite<SignatureRow>(
      store, [&](WriteTx& tx) { return TestSign(tx, campaign_id, email, confirm, now, token); });
}

}  // namespace undersigned::store::pg::testing
