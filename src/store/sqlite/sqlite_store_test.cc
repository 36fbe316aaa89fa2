#include "store/sqlite/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "log/proof.h"
#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"
#include "store/open_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"
#include "store/tally_rollup.h"

namespace undersigned::store {
namespace {

namespace fs = std::filesystem;
// The conformance suite's fixtures (store/conformance/fixture.h), for the SQLite-only tests.
using conformance::HashOf;
using conformance::kT0;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "us_store_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (fs::path(dir_) / "test.db").string();
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Open() {
    store_.reset();
    SqliteOptions o;
    o.path = path_;
    o.read_connections = 2;
    auto s = OpenSqliteStore(o);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    store_ = std::move(*s);
  }

  Campaign NewCampaign(const std::string& slug, CampaignStatus status = CampaignStatus::kOpen) {
    return conformance::SampleCampaign(slug, status);
  }

  Campaign MustCreate(const std::string& slug, CampaignStatus status = CampaignStatus::kOpen) {
    auto c = store_->CreateCampaign(NewCampaign(slug, status));
    EXPECT_TRUE(c.has_value()) << c.error().message;
    return c.value_or(Campaign{});
  }

  NewSignature NewSig(std::int64_t campaign_id, const std::string& email, UnixTime now = kT0,
                      bool confirm_now = false) {
    return conformance::SampleSignature(campaign_id, email, now, confirm_now, ++counter_);
  }

  CampaignCounts CountsOf(std::int64_t campaign_id) {
    auto all = store_->LoadAllCounts();
    EXPECT_TRUE(all.has_value());
    return (*all)[campaign_id];
  }

  // Runs a raw query on a separate connection (what an operator would see with sqlite3).
  // Signs s, which must succeed; the new signature's uuid.
  std::string MustSign(const NewSignature& s) {
    auto r = tx::Sign(*store_, s);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? r->signature.uuid : std::string();
  }

  // Runs sql on a connection of its own (as another process would), beside the store's.
  // Turns the (closed) database back into what schema version 1 made: every later migration's
  // additions dropped (a migration test then opens it again).
  void RewindToVersionOne() {
    ExecOther(
        "DROP TABLE campaign_texts; ALTER TABLE campaigns DROP COLUMN time_zone; "
        "ALTER TABLE campaigns DROP COLUMN description; "
        "ALTER TABLE campaigns DROP COLUMN organized_by; ALTER TABLE people DROP COLUMN "
        "limit_tokens; ALTER TABLE people DROP COLUMN limit_at; PRAGMA user_version = 1;");
    ExecOther(  // version 6: organizer accounts
        "DROP TABLE organizer_actions; DROP TABLE account_tokens; DROP TABLE memberships; "
        "DROP TABLE sessions; DROP TABLE users; ALTER TABLE api_tokens DROP COLUMN owner_user_id; "
        "ALTER TABLE api_tokens DROP COLUMN campaign_id; "
        "ALTER TABLE api_tokens DROP COLUMN read_only;");
    RewindVersionSeven();
    RewindVersionEight();
    RewindVersionNine();
  }
  // Drops what migration 13 (events) adds.
  void RewindVersionThirteen() {
    RewindVersionFourteen();
    ExecOther(
        "DROP TABLE event_reminders; DROP TABLE rsvps; DROP TABLE event_slots; "
        "DROP TABLE events;");
  }
  // Drops what migration 11 (campaign pictures) adds, and every later one.
  void RewindVersionEleven() {
    RewindVersionTwelve();
    ExecOther("DROP TABLE campaign_images; ALTER TABLE campaigns DROP COLUMN image;");
  }
  // Drops what migration 12 (secondary targets) adds.
  void RewindVersionTwelve() {
    RewindVersionThirteen();
    ExecOther("ALTER TABLE campaigns DROP COLUMN secondary_targets;");
  }
  // Drops what migration 16 (conditional pledges) adds.
  void RewindVersionSixteen() { ExecOther("DROP TABLE pledges; DROP TABLE pledge_campaigns;"); }
  // Drops what migration 14 (fundraisers and donations) adds, and 15 after it.
  void RewindVersionFourteen() {
    RewindVersionFifteen();
    ExecOther(
        "DROP TABLE processed_webhook_events; DROP TABLE fundraiser_totals; DROP TABLE "
        "donations; DROP TABLE fundraisers;");
  }
  // Drops what migration 15 (referrals) adds, and 16 after it.
  void RewindVersionFifteen() {
    RewindVersionSixteen();
    ExecOther("DROP INDEX signatures_referral; ALTER TABLE signatures DROP COLUMN referral;");
  }
  // Drops what migration 7 (moderation) adds (the widened CHECK on state may stay).
  void RewindVersionSeven() {
    ExecOther(  // version 7: moderation (the widened CHECK on state may stay: it is kept)
        "DROP TABLE comment_approval; ALTER TABLE signatures DROP COLUMN client_net; "
        "ALTER TABLE signatures DROP COLUMN comment_review; "
        "ALTER TABLE signatures DROP COLUMN name_hidden; "
        "ALTER TABLE signatures DROP COLUMN invalidated; "
        "ALTER TABLE signatures DROP COLUMN invalidated_by; "
        "ALTER TABLE signatures DROP COLUMN invalidation_reason;");
  }
  // Drops what migration 8 (updates, unsubscribes and deliveries) adds.
  void RewindVersionEight() {
    ExecOther(  // version 8: updates, unsubscribes and deliveries
        "DROP TABLE deliveries; DROP TABLE unsubscribes; DROP TABLE updates; DROP INDEX "
        "outbox_update; ALTER TABLE outbox DROP COLUMN update_id;");
  }
  // Drops what migration 10 (the dashboard's tallies) adds (and 11, after it).
  void RewindVersionTen() {
    RewindVersionEleven();
    ExecOther("DROP TABLE signature_tallies;");
  }
  // Drops what migration 9 (signature origins and hourly counts) adds (and 10, built on it).
  void RewindVersionNine() {
    RewindVersionTen();
    ExecOther(
        "DROP TABLE signature_hours; ALTER TABLE signatures DROP COLUMN ref_host; "
        "ALTER TABLE signatures DROP COLUMN utm_source; ALTER TABLE signatures DROP COLUMN "
        "utm_medium; ALTER TABLE signatures DROP COLUMN utm_campaign; ALTER TABLE signatures "
        "DROP COLUMN share_channel;");
  }
  void ExecOther(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
    sqlite3_close(db);
  }

  std::int64_t QueryInt(const std::string& sql, const std::string& path = "") {
    sqlite3* db = nullptr;
    EXPECT_EQ(
        sqlite3_open_v2((path.empty() ? path_ : path).c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  std::atomic<int> counter_{0};
};

void ExpectCounts(const CampaignCounts& c, std::int64_t pending, std::int64_t confirmed,
                  std::int64_t withdrawn) {
  EXPECT_EQ(c.pending, pending);
  EXPECT_EQ(c.confirmed, confirmed);
  EXPECT_EQ(c.withdrawn, withdrawn);
}

// Every file in dir (a database, its WAL and shared memory, anything else), as bytes.
std::string BytesOfEveryFile(const std::string& dir) {
  std::string out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

// Waits (bounded) until the store's WAL holds no cleared work address; its counters then.
SqliteStats AwaitScrubbed(const Store& store, std::int64_t min_scrubs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    SqliteStats st = GetSqliteStats(store).value();
    if ((st.scrub_pending == 0 && st.wal_scrubs >= min_scrubs) ||
        std::chrono::steady_clock::now() > deadline) {
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Every leaf the store holds, parsed, and a MemoryTree of their hashes (the reference).
struct LogContents {
  std::vector<log::Leaf> leaves;
  log::MemoryTree tree;
};
LogContents ReadLog(Store& store) {
  LogContents out;
  auto r =
      store.ForEachLogLeaf([&](std::uint64_t index, std::string_view entry, std::string_view hash) {
        EXPECT_EQ(index, out.leaves.size());
        auto leaf = log::ParseLeaf(entry);
        EXPECT_TRUE(leaf) << (leaf ? "" : leaf.error().message);
        log::Hash h = log::LeafHash(entry);
        EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()), hash);
        out.tree.Append(h);
        if (leaf) out.leaves.push_back(*leaf);
        return true;
      });
  EXPECT_TRUE(r);
  return out;
}

// --- migrations

// A full disk (here: the database at its max_page_count, a real SQLITE_FULL) is kUnavailable
// with a neutral message and a retry hint, never SQLite's own text; the writer keeps working
// once there is room again.
TEST_F(SqliteStoreTest, FullDiskIsUnavailableWithANeutralMessage) {
  Campaign c = MustCreate("full");
  const std::int64_t pages = QueryInt("PRAGMA page_count");
  store_.reset();
  SqliteOptions o;
  o.path = path_;
  o.max_pages = pages + 8;
  auto s = OpenSqliteStore(o);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  store_ = std::move(*s);
  Error full;
  int signed_ok = 0;
  for (int i = 0; i < 5000 && full.message.empty(); ++i) {
    NewSignature sig = NewSig(c.id, "full" + std::to_string(i) + "@example.org");
    sig.form.comment = std::string(1000, 'x');  // fills pages quickly
    auto r = tx::Sign(*store_, sig);
    if (r) {
      ++signed_ok;
    } else {
      full = r.error();
    }
  }
  ASSERT_FALSE(full.message.empty()) << "the database never filled";
  EXPECT_GT(signed_ok, 0);
  EXPECT_EQ(full.code, Code::kUnavailable) << full.message;
  EXPECT_EQ(full.message, kDiskFullMessage);
  EXPECT_EQ(full.retry_after_seconds, kDiskFullRetrySeconds);
  // Reads still work, and the signatures answered before are all there.
  EXPECT_EQ(CountsOf(c.id).pending, signed_ok);
  // Room again: writes work.
  Open();
  EXPECT_TRUE(tx::Sign(*store_, NewSig(c.id, "after@example.org")).has_value());
}

TEST_F(SqliteStoreTest, FreshDatabaseIsMigratedToLatest) {
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                     "('campaigns', 'campaign_counts', 'people', 'signatures', 'signature_tokens', "
                     "'api_tokens', 'outbox', 'instance_secrets')"),
            8);
  // WAL mode is recorded in the file itself.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, TheActionRecordRefusesUpdatesAndDeletes) {
  ActionEntry e;
  e.at = 1'700'000'000;
  e.action = "user.create";
  e.subject = "ada@example.org";
  ASSERT_TRUE(store_->accounts().AppendAction(e).has_value());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql :
       {"UPDATE organizer_actions SET action = 'nothing'", "DELETE FROM organizer_actions"}) {
    char* err = nullptr;
    EXPECT_NE(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << sql;
    EXPECT_NE(std::string(err ? err : "").find("append-only"), std::string::npos) << sql;
    sqlite3_free(err);
  }
  sqlite3_close(db);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM organizer_actions WHERE action = 'user.create'"), 1);
}

TEST_F(SqliteStoreTest, ReopeningAnUpToDateDatabaseAppliesNothing) {
  store_.reset();
  auto db = Db::Open(path_, SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(db.has_value());
  auto applied = Migrate(**db);
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(*applied, 0);
  db->reset();
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, MigratesAnEmptyFileAndCountsMigrations) {
  store_.reset();
  std::string other = (fs::path(dir_) / "other.db").string();
  auto db = Db::Open(other, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_TRUE(db.has_value());
  auto applied = Migrate(**db);
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(*applied, static_cast<int>(SqliteMigrations().size()));
  EXPECT_EQ(SqliteMigrations().back().version, LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, AVersionOneDatabaseMigratesAndItsCampaignsReadAsUtc) {
  Campaign made = MustCreate("before-zones");
  store_.reset();
  // What a version-1 database looks like: no time_zone column.
  RewindToVersionOne();
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  auto c = store_->GetCampaignBySlug("before-zones");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->time_zone, "UTC");
  EXPECT_EQ(c->deadline, made.deadline);
}

// A database of schema version 1 (made here by dropping what later versions add) keeps its
// campaigns and gains the description and organizer, empty.
TEST_F(SqliteStoreTest, MigratesAVersionOneDatabase) {
  Campaign c = MustCreate("old-one");
  store_.reset();
  RewindToVersionOne();
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  auto back = store_->GetCampaignBySlug("old-one");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->title, c.title);
  EXPECT_EQ(back->description, "");
  EXPECT_EQ(back->organized_by, "");
  back->description = "Why it matters.";
  back->organized_by = "Workers United";
  ASSERT_TRUE(store_->UpdateCampaign(*back).has_value());
  auto again = store_->GetCampaignBySlug("old-one");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->description, "Why it matters.");
  EXPECT_EQ(again->organized_by, "Workers United");
}

// Migration 9 fills the hourly counts from the signatures there are: they add up to the counts.
TEST_F(SqliteStoreTest, MigrationNineCountsTheSignaturesThereAreByHour) {
  Campaign c = MustCreate("before-hours");
  NewSignature a = NewSig(c.id, "a@example.org", kT0);
  NewSignature b = NewSig(c.id, "b@example.org", kT0 + 3600);
  NewSignature gone = NewSig(c.id, "gone@example.org", kT0);
  MustSign(a);
  MustSign(b);
  MustSign(gone);
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 7200));
  ASSERT_TRUE(tx::Withdraw(*store_, gone.token_hash, kT0 + 7200));
  const CampaignCounts before = CountsOf(c.id);
  store_.reset();
  RewindVersionNine();
  ExecOther("PRAGMA user_version = 8;");
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  auto hours = store_->dashboard().SignatureHours(c.id, kT0 - 86400, kT0 + 86400);
  ASSERT_TRUE(hours) << hours.error().message;
  ASSERT_EQ(hours->size(), 3u);
  std::int64_t p = 0, conf = 0, w = 0;
  for (const HourCounts& h : *hours) {
    p += h.pending;
    conf += h.confirmed;
    w += h.withdrawn;
  }
  EXPECT_EQ(p, before.pending);
  EXPECT_EQ(conf, before.confirmed);
  EXPECT_EQ(w, before.withdrawn);
  EXPECT_EQ((*hours)[0].pending, 2);  // a and gone, signed in the first hour
  EXPECT_EQ(store_->GetSignatureByUuid(MustSign(NewSig(c.id, "c@example.org"))).value().origin,
            SignatureOrigin{});
}

// Migration 10 fills the tallies' rollup from the signatures there are: it equals the full
// recount, counts neither withdrawn nor invalidated signatures, and the writer moves it on.
TEST_F(SqliteStoreTest, MigrationTenTalliesTheSignaturesThereAre) {
  Campaign c = MustCreate("before-tallies");
  NewSignature a = NewSig(c.id, "a@example.org", kT0);
  a.origin.channel = "x";
  NewSignature b = NewSig(c.id, "b@example.org", kT0 + 3600);
  b.form.country = "FR";
  b.origin.utm_source = "newsletter";
  NewSignature gone = NewSig(c.id, "gone@example.org", kT0);
  gone.origin.channel = "mastodon";
  MustSign(a);
  MustSign(b);
  MustSign(gone);
  MustSign(NewSig(c.id, "api@example.org", kT0, /*confirm_now=*/true));
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 7200));
  ASSERT_TRUE(tx::Withdraw(*store_, gone.token_hash, kT0 + 7200));
  store_.reset();
  RewindVersionTen();
  ExecOther("PRAGMA user_version = 9;");
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  EXPECT_GT(QueryInt("SELECT count(*) FROM signature_tallies"), 0);
  DashboardStore& d = store_->dashboard();
  auto rollup = d.Tallies(c.id);
  ASSERT_NE(RecountOf(d), nullptr);
  auto recount = RecountOf(d)->RecountTallies(c.id);
  ASSERT_TRUE(rollup) << rollup.error().message;
  ASSERT_TRUE(recount) << recount.error().message;
  auto same = [](const std::vector<TallyRow>& x, const std::vector<TallyRow>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i].key != y[i].key || x[i].confirmed != y[i].confirmed ||
          x[i].pending != y[i].pending) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(same(rollup->channels, recount->channels));
  EXPECT_TRUE(same(rollup->countries, recount->countries));
  EXPECT_TRUE(same(rollup->utm_sources, recount->utm_sources));
  EXPECT_TRUE(same(rollup->sources, recount->sources));
  EXPECT_TRUE(same(rollup->groups, recount->groups));
  ASSERT_EQ(rollup->channels.size(), 2u);  // x (a, confirmed) and "" (b, api); not mastodon
  EXPECT_EQ(rollup->channels[0].confirmed + rollup->channels[0].pending, 2);
  ASSERT_EQ(rollup->groups.size(), 1u);
  EXPECT_EQ(rollup->groups[0].confirmed, 2);
  EXPECT_EQ(rollup->groups[0].pending, 1);
  // The writer adds to what the migration counted.
  NewSignature later = NewSig(c.id, "later@example.org", kT0 + 9000);
  later.origin.channel = "x";
  MustSign(later);
  auto after = d.Tallies(c.id);
  ASSERT_TRUE(after);
  auto x = std::find_if(after->channels.begin(), after->channels.end(),
                        [](const TallyRow& r) { return r.key == "x"; });
  ASSERT_NE(x, after->channels.end());
  EXPECT_EQ(x->pending, 1);
  EXPECT_EQ(x->confirmed, 1);
}

// Version 7 (moderation) widens the CHECK on signatures.state in place (migrations.cc,
// AllowInvalidatedState): a version-6 database, with its signatures, accepts 'invalidated' after
// it and still refuses any other state.
TEST_F(SqliteStoreTest, MigrationSevenLetsSignaturesBeInvalidatedAndKeepsTheCheck) {
  Campaign c = MustCreate("before-moderation");
  store_.reset();
  RewindVersionNine();
  RewindVersionEight();
  ExecOther(
      "DROP TABLE comment_approval; ALTER TABLE signatures DROP COLUMN client_net; "
      "ALTER TABLE signatures DROP COLUMN comment_review; "
      "ALTER TABLE signatures DROP COLUMN name_hidden; "
      "ALTER TABLE signatures DROP COLUMN invalidated; "
      "ALTER TABLE signatures DROP COLUMN invalidated_by; "
      "ALTER TABLE signatures DROP COLUMN invalidation_reason; "
      "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, ' OR state = "
      "''invalidated''', '') WHERE name = 'signatures'; PRAGMA writable_schema = OFF; "
      "PRAGMA user_version = 6;");
  const char* kWidened =
      "SELECT count(*) FROM sqlite_schema WHERE name = 'signatures' AND sql LIKE "
      "'%state = ''invalidated''%'";
  ASSERT_EQ(QueryInt(kWidened), 0);  // what version 6 had
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  EXPECT_EQ(QueryInt(kWidened), 1);
  ExecOther(
      "INSERT INTO people (id, uuid, canonical_email, email, created, modified) VALUES (1, 'p', "
      "'a@example.org', 'a@example.org', 1, 1); INSERT INTO signatures (id, uuid, campaign_id, "
      "person_id, name, email, canonical_email, state, source, created, modified) VALUES (" +
      std::to_string((c.id << 40) + 1) + ", 's', " + std::to_string(c.id) +
      ", 1, 'A', 'a@example.org', 'a@example.org', 'invalidated', 'form', 1, 1);");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE state = 'invalidated'"), 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE signatures SET state = 'bogus'", nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerVersion) {
  store_.reset();
  {
    auto db = Db::Open(path_, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 999").has_value());
  }
  SqliteOptions o;
  o.path = path_;
  auto s = OpenSqliteStore(o);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kInvalidArgument);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 999);  // untouched
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  store_.reset();
  std::string junk = (fs::path(dir_) / "junk.db").string();
  FILE* f = std::fopen(junk.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not an SQLite database, it is a text file of some length........", f);
  std::fclose(f);
  SqliteOptions o;
  o.path = junk;
  auto s = OpenSqliteStore(o);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kInternal);
}

TEST_F(SqliteStoreTest, OpenStoreCreatesTheDataDirectory) {
  store_.reset();
  std::string data = (fs::path(dir_) / "a" / "b").string();
  auto s = OpenStore(data);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_TRUE(fs::exists(fs::path(data) / "undersigned.db"));
  auto c = (*s)->CreateCampaign(NewCampaign("in-data-dir"));
  EXPECT_TRUE(c.has_value());
}

// --- campaigns

TEST_F(SqliteStoreTest, SignFailuresRollBackOnlyThemselves) {
  Campaign c = MustCreate("bees");
  NewSignature a = NewSig(c.id, "a@example.org");
  ASSERT_TRUE(tx::Sign(*store_, a).has_value());
  // A signature the database refuses after its person was saved (a trigger stands in for
  // any failure of the signature's insert): the person goes too.
  ExecOther(
      "CREATE TRIGGER refuse BEFORE INSERT ON signatures WHEN NEW.canonical_email = "
      "'b@example.org' BEGIN SELECT RAISE(ABORT, 'refused'); END");
  auto r = tx::Sign(*store_, NewSig(c.id, "b@example.org"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.find("b@example.org"), std::string::npos);
  // Unknown campaign.
  auto nc = tx::Sign(*store_, NewSig(4242, "c@example.org"));
  ASSERT_FALSE(nc.has_value());
  EXPECT_EQ(nc.error().code, Code::kNotFound);
  // Neither left a person, a mail or a count behind.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM people"), 1);
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  ExpectCounts(CountsOf(c.id), 1, 0, 0);
  EXPECT_EQ(store_->LoadAllCounts()->size(), 1u);
}

TEST_F(SqliteStoreTest, ConcurrentSigningIsBatchedAndExact) {
  Campaign c = MustCreate("viral");
  Campaign d = MustCreate("other");
  constexpr int kThreads = 32;
  constexpr int kPerThread = 100;
  auto before = GetSqliteStats(*store_);
  ASSERT_TRUE(before.has_value());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    std::vector<NewSignature> sigs;
    for (int i = 0; i < kPerThread; ++i) {
      std::string email = "t" + std::to_string(t) + "-" + std::to_string(i) + "@example.org";
      sigs.push_back(NewSig(i % 5 == 0 ? d.id : c.id, email, kT0 + i, i % 7 == 0));
    }
    threads.emplace_back([this, sigs = std::move(sigs), &failures] {
      for (const NewSignature& s : sigs) {
        auto r = tx::Sign(*store_, s);
        if (!r || r->kind != SignOutcome::Kind::kCreated) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto after = GetSqliteStats(*store_);
  std::int64_t ops = after->operations - before->operations;
  std::int64_t txns = after->transactions - before->transactions;
  EXPECT_EQ(ops, kThreads * kPerThread);
  EXPECT_LT(txns, ops) << "writes were not batched";
  EXPECT_GT(after->max_batch_seen, 1);
  // Every batch was made durable, by fewer fdatasyncs than batches or as many.
  EXPECT_GT(after->syncs - before->syncs, 0);
  EXPECT_LE(after->syncs - before->syncs, txns);

  // Per campaign: i % 5 == 0 -> d; i % 7 == 0 -> confirmed at once.
  std::int64_t d_total = 0, d_conf = 0, c_total = 0, c_conf = 0;
  for (int i = 0; i < kPerThread; ++i) {
    bool conf = i % 7 == 0;
    if (i % 5 == 0) {
      d_total += kThreads;
      d_conf += conf ? kThreads : 0;
    } else {
      c_total += kThreads;
      c_conf += conf ? kThreads : 0;
    }
  }
  auto counts = store_->LoadAllCounts().value();
  ExpectCounts(counts[c.id], c_total - c_conf, c_conf, 0);
  ExpectCounts(counts[d.id], d_total - d_conf, d_conf, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), kThreads * kPerThread);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM people"), kThreads * kPerThread);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE campaign_id = " + std::to_string(c.id) +
                     " AND state = 'pending'"),
            c_total - c_conf);
  EXPECT_EQ(store_->OutboxDepth().value(), (c_total - c_conf) + (d_total - d_conf));
}

TEST_F(SqliteStoreTest, WithoutFullSyncCallersAreAnsweredAfterCommit) {
  store_.reset();
  SqliteOptions o;
  o.path = path_;
  o.synchronous_full = false;
  auto s = OpenSqliteStore(o);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  store_ = std::move(*s);
  Campaign c = MustCreate("fast");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    std::vector<NewSignature> sigs;
    for (int i = 0; i < 20; ++i) {
      sigs.push_back(NewSig(c.id, "u" + std::to_string(t) + "-" + std::to_string(i) + "@x.org"));
    }
    threads.emplace_back([this, sigs = std::move(sigs)] {
      for (const auto& sig : sigs) EXPECT_TRUE(tx::Sign(*store_, sig).has_value());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(GetSqliteStats(*store_)->syncs, 0);
  Open();
  ExpectCounts(CountsOf(c.id), 160, 0, 0);
}

// A child process signs from many threads and reports each success through a pipe; it is
// killed with SIGKILL mid-stream. Every reported signature must be there after reopening, the
// counts must match the rows, and the file must pass an integrity check.
TEST_F(SqliteStoreTest, EverySuccessSurvivesSigkill) {
  Campaign c = MustCreate("crash");
  store_.reset();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    SqliteOptions o;
    o.path = path_;
    auto opened = OpenSqliteStore(o);
    if (!opened) _exit(2);
    Store& store = **opened;
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          NewSignature s =
              NewSig(c.id, "k" + std::to_string(t) + "-" + std::to_string(i) + "@x.org");
          if (auto r = tx::Sign(store, s)) {
            std::string line = r->signature.uuid + "\n";
            if (write(fds[1], line.data(), line.size()) < 0) _exit(3);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    _exit(0);
  }
  close(fds[1]);
  // Let it commit for a while, reading as we go so the pipe never fills.
  std::string reported;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    reported.append(buf, static_cast<std::size_t>(n));
  }
  kill(pid, SIGKILL);
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    reported.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended on its own: " << status;

  std::vector<std::string> uuids;
  std::size_t start = 0;
  for (std::size_t nl; (nl = reported.find('\n', start)) != std::string::npos; start = nl + 1) {
    uuids.push_back(reported.substr(start, nl - start));
  }
  ASSERT_GT(uuids.size(), 10u) << "too few signatures before the kill to prove anything";
  std::printf("%zu signatures answered before SIGKILL\n", uuids.size());
  Open();
  for (const auto& u : uuids) {
    auto sig = store_->GetSignatureByUuid(u);
    ASSERT_TRUE(sig.has_value()) << "answered but lost: " << u;
  }
  auto rows = QueryInt("SELECT count(*) FROM signatures");
  EXPECT_GE(rows, static_cast<std::int64_t>(uuids.size()));
  ExpectCounts(CountsOf(c.id), rows, 0, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox"), rows);
  store_.reset();
  auto db = Db::Open(path_, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ((*db)->QueryText("PRAGMA integrity_check").value(), "ok");
}

// A verify mail's recipient (a work address) is cleared when it is sent, and then its old
// copies leave every file: the WAL is truncated (its frames from before the clearing would
// otherwise stay in the file, through checkpoints and SIGKILL), and secure_delete zeroed the
// bytes in the page.
TEST_F(SqliteStoreTest, ASentVerifyMailLeavesItsAddressInNoFile) {
  const std::string work = "scrub.target.71@acme.example";
  ExecOther(
      "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES ('verify', '" +
      work + "', '{\"token\":\"t\"}', 1, 1)");
  ASSERT_NE(BytesOfEveryFile(dir_).find(work), std::string::npos);  // the WAL has it now
  auto due = store_->DueOutbox(kT0, 10).value();
  ASSERT_EQ(due.size(), 1u);
  const std::int64_t scrubs = GetSqliteStats(*store_)->wal_scrubs;
  ASSERT_TRUE(store_->MarkOutboxSent(due[0].id, kT0).has_value());
  SqliteStats st = AwaitScrubbed(*store_, scrubs + 1);
  EXPECT_EQ(st.scrub_pending, 0);
  EXPECT_EQ(st.wal_scrubs, scrubs + 1);
  const std::string bytes = BytesOfEveryFile(dir_);
  EXPECT_EQ(bytes.find(work), std::string::npos);
  EXPECT_EQ(bytes.find("scrub.target"), std::string::npos);
  EXPECT_EQ(fs::file_size(path_ + "-wal"), 0u);
  // Other mail keeps its recipient (the signer's own address) and asks for no scrub.
  ExecOther(
      "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES ('confirm', "
      "'own@example.org', '{}', 1, 1)");
  due = store_->DueOutbox(kT0, 10).value();
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(store_->MarkOutboxSent(due[0].id, kT0).has_value());
  EXPECT_EQ(GetSqliteStats(*store_)->scrub_pending, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE recipient = 'own@example.org'"), 1);
}

// Many verify mails already copied into the database file (the mail server was down), then
// sent: the database file's copies go too (the scrub copies the cleared pages over them), not
// only the WAL's.
TEST_F(SqliteStoreTest, AddressesAlreadyInTheDatabaseFileLeaveNoCopyOnceSent) {
  ExecOther(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) "
      "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) SELECT 'verify', "
      "'freed.' || i || '.x@acme.example', '{\"token\":\"' || hex(randomblob(150)) || "
      "'\"}', 1, 1 FROM n; PRAGMA wal_checkpoint(TRUNCATE);");
  ASSERT_NE(BytesOfEveryFile(dir_).find("freed.17.x@"), std::string::npos);
  auto due = store_->DueOutbox(kT0, 1000).value();
  ASSERT_EQ(due.size(), 400u);
  for (const auto& m : due) ASSERT_TRUE(store_->MarkOutboxSent(m.id, kT0).has_value());
  AwaitScrubbed(*store_, 1);
  EXPECT_EQ(BytesOfEveryFile(dir_).find(".x@acme.example"), std::string::npos);
}

// What a server killed between the clearing and the scrub leaves (the WAL holds the address,
// the row no longer does) is scrubbed by the next server as it opens.
TEST_F(SqliteStoreTest, TheOwnerOfTheDataDirectoryScrubsTheWalAtOpen) {
  const std::string work = "left.behind.72@acme.example";
  ExecOther(
      "PRAGMA secure_delete = FAST; INSERT INTO outbox (kind, recipient, payload, next_attempt, "
      "created) VALUES ('verify', '" +
      work + "', '{}', 1, 1); UPDATE outbox SET recipient = '' WHERE kind = 'verify'");
  // The files as a SIGKILL would leave them: copied while the store is open.
  const std::string crashed = (fs::path(dir_) / "crashed").string();
  fs::create_directory(crashed);
  for (const char* suffix : {"", "-wal"}) {
    fs::copy_file(path_ + suffix, (fs::path(crashed) / ("test.db" + std::string(suffix))));
  }
  ASSERT_NE(BytesOfEveryFile(crashed).find(work), std::string::npos);
  SqliteOptions o;
  o.path = (fs::path(crashed) / "test.db").string();
  o.scrub_wal_at_open = true;
  auto s = OpenSqliteStore(o);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  SqliteStats st = AwaitScrubbed(**s, 1);
  EXPECT_EQ(st.wal_scrubs, 1);
  EXPECT_EQ(BytesOfEveryFile(crashed).find(work), std::string::npos);
}

TEST_F(SqliteStoreTest, IntegrityCheckPassesAfterLoad) {
  Campaign c = MustCreate("bees");
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        tx::Sign(*store_, NewSig(c.id, "p" + std::to_string(i) + "@example.org")).has_value());
  }
  store_.reset();
  auto db = Db::Open(path_, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ((*db)->QueryText("PRAGMA integrity_check").value(), "ok");
  EXPECT_EQ((*db)->QueryText("PRAGMA foreign_key_check").value(), "");
}

// --- row ids and public ids

TEST_F(SqliteStoreTest, SignatureIdsAreRangesOfTheirCampaignAndUuidsFindThem) {
  Campaign a = MustCreate("alpha");
  Campaign b = MustCreate("beta");
  std::vector<SignOutcome> signed_;
  for (int i = 0; i < 6; ++i) {
    auto r =
        tx::Sign(*store_, NewSig(i % 2 ? b.id : a.id, "r" + std::to_string(i) + "@example.org"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    signed_.push_back(*r);
  }
  // Each campaign's signatures are numbered 1, 2, 3 in its own range of ids.
  for (const Campaign* c : {&a, &b}) {
    const std::int64_t base = c->id << 40;
    EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE campaign_id = " +
                       std::to_string(c->id) + " AND id BETWEEN " + std::to_string(base + 1) +
                       " AND " + std::to_string(base + 3)),
              3);
  }
  std::set<std::string> uuids;
  for (const SignOutcome& o : signed_) {
    const Signature& s = o.signature;
    EXPECT_EQ(s.id >> 40, s.campaign_id);
    // An RFC 9562 version 8 uuid, in lower case, that finds its row.
    ASSERT_EQ(s.uuid.size(), 36u);
    EXPECT_EQ(s.uuid[14], '8') << s.uuid;
    EXPECT_NE(std::string("89ab").find(s.uuid[19]), std::string::npos) << s.uuid;
    uuids.insert(s.uuid);
    auto got = store_->GetSignatureByUuid(s.uuid);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->id, s.id);
    EXPECT_EQ(got->uuid, s.uuid);
    auto person = store_->GetPersonByUuid(s.person_uuid);
    ASSERT_TRUE(person.has_value()) << person.error().message;
    EXPECT_EQ(person->id, s.person_id);
    EXPECT_EQ(person->uuid, s.person_uuid);
    // A signature's uuid is not a person's, and the other way round.
    EXPECT_EQ(store_->GetPersonByUuid(s.uuid).error().code, Code::kNotFound);
    EXPECT_EQ(store_->GetSignatureByUuid(s.person_uuid).error().code, Code::kNotFound);
  }
  EXPECT_EQ(uuids.size(), signed_.size());
  // The stored uuid column is the one handed out.
  EXPECT_EQ(
      QueryInt("SELECT count(*) FROM signatures WHERE uuid = '" + signed_[0].signature.uuid + "'"),
      1);
  // A well-formed uuid this store did not make.
  EXPECT_EQ(store_->GetSignatureByUuid("0190f3a1-2b3c-7d4e-8f60-123456789abc").error().code,
            Code::kNotFound);
  // The same rows keep the same uuids after a restart (the key is an instance secret).
  store_.reset();
  Open();
  auto again = store_->GetSignatureByUuid(signed_[3].signature.uuid);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->id, signed_[3].signature.id);
  auto more = tx::Sign(*store_, NewSig(a.id, "after-restart@example.org"));
  ASSERT_TRUE(more.has_value()) << more.error().message;
  EXPECT_EQ(more->signature.id, (a.id << 40) + 4);
}

TEST_F(SqliteStoreTest, IdsTakenByAnotherProcessAreSkipped) {
  Campaign c = MustCreate("shared");
  auto first = tx::Sign(*store_, NewSig(c.id, "first@example.org"));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto insert_person = [&](std::int64_t id, const std::string& email) {
    ExecOther("INSERT INTO people (id, uuid, canonical_email, email, created, modified) VALUES (" +
              std::to_string(id) + ", 'other-" + std::to_string(id) + "', '" + email + "', '" +
              email + "', 1, 1)");
  };
  // Another connection takes the campaign's next signature id, which the store has already
  // counted on (for a person of its own, with a far id).
  const std::int64_t next_sig = first->signature.id + 1;
  insert_person(1000, "other@example.org");
  ExecOther(
      "INSERT INTO signatures (id, uuid, campaign_id, person_id, name, email, canonical_email, "
      "state, source, created, modified) VALUES (" +
      std::to_string(next_sig) + ", 'other-s', " + std::to_string(c.id) +
      ", 1000, 'Other', 'other@example.org', 'other@example.org', 'pending', 'form', 1, 1)");
  auto second = tx::Sign(*store_, NewSig(c.id, "second@example.org"));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(second->signature.id, next_sig + 1);
  EXPECT_EQ(second->signature.person_id, first->signature.person_id + 1);
  EXPECT_EQ(store_->GetSignatureByUuid(second->signature.uuid)->id, next_sig + 1);
  // Then the next person id.
  insert_person(1001, "another@example.org");
  auto third = tx::Sign(*store_, NewSig(c.id, "third@example.org"));
  ASSERT_TRUE(third.has_value()) << third.error().message;
  EXPECT_EQ(third->signature.person_id, 1002);
  EXPECT_EQ(third->signature.id, next_sig + 2);
  EXPECT_EQ(store_->GetPersonByUuid(third->signature.person_uuid)->id, 1002);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM people"), 5);
}

// --- listings

TEST_F(SqliteStoreTest, FreshMessagesAreFoundAfterAnyMixOfSentAndFailedOnes) {
  // Fresh messages are found from a mark that moves past sent and failed ones: whatever the
  // order of sends and failures, every unsent message stays due exactly once, across restarts.
  Campaign c = MustCreate("bees");
  auto sign = [&](int i) {
    ASSERT_TRUE(
        tx::Sign(*store_, NewSig(c.id, "f" + std::to_string(i) + "@example.org")).has_value());
  };
  auto from_id = [&] { return QueryInt("SELECT from_id FROM outbox_fresh"); };
  for (int i = 0; i < 6; ++i) sign(i);
  auto due = store_->DueOutbox(kT0, 100).value();
  ASSERT_EQ(due.size(), 6u);
  // Out of order: the fourth is sent first, the mark does not move past the first.
  ASSERT_TRUE(store_->MarkOutboxSent(due[3].id, kT0).has_value());
  EXPECT_LE(from_id(), due[0].id);
  ASSERT_TRUE(store_->MarkOutboxSent(due[0].id, kT0).has_value());
  ASSERT_TRUE(store_->MarkOutboxFailed(due[1].id, kT0 + 100, "421").has_value());
  EXPECT_EQ(from_id(), due[2].id);
  EXPECT_EQ(store_->OutboxDepth().value(), 4);
  auto now_due = store_->DueOutbox(kT0, 100).value();
  ASSERT_EQ(now_due.size(), 3u);
  EXPECT_EQ(now_due[0].id, due[2].id);
  EXPECT_EQ(now_due[1].id, due[4].id);
  EXPECT_EQ(now_due[2].id, due[5].id);
  // All fresh ones sent: the mark rests on the last message; the next new one is found.
  for (const auto& m : now_due) ASSERT_TRUE(store_->MarkOutboxSent(m.id, kT0).has_value());
  EXPECT_EQ(from_id(), due[5].id);
  EXPECT_EQ(store_->DueOutbox(kT0, 100)->size(), 0u);
  EXPECT_EQ(store_->NextOutboxAttempt().value(), kT0 + 100);  // the retry
  sign(6);
  EXPECT_EQ(store_->NextOutboxAttempt().value(), kT0);
  auto fresh = store_->DueOutbox(kT0, 100).value();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].recipient, "f6@example.org");
  // Fresh and retried together, by next attempt, within the limit.
  auto both = store_->DueOutbox(kT0 + 100, 100).value();
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].id, fresh[0].id);
  EXPECT_EQ(both[1].id, due[1].id);
  EXPECT_EQ(store_->DueOutbox(kT0 + 100, 1)->size(), 1u);
  // A restart finds the same.
  store_.reset();
  Open();
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  auto reopened = store_->DueOutbox(kT0 + 100, 100).value();
  ASSERT_EQ(reopened.size(), 2u);
  EXPECT_EQ(reopened[0].id, fresh[0].id);
}

// --- instance, backup, reopen, close

TEST_F(SqliteStoreTest, BackupIsAConsistentCopy) {
  Campaign c = MustCreate("bees");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        tx::Sign(*store_, NewSig(c.id, "b" + std::to_string(i) + "@example.org")).has_value());
  }
  std::string backup = (fs::path(dir_) / "backup.db").string();
  auto r = store_->Backup(backup);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures", backup), 20);
  EXPECT_EQ(QueryInt("SELECT pending FROM campaign_counts", backup), 20);

  auto again = store_->Backup(backup);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Code::kConflict);

  // The backup opens as a store of its own with everything in it.
  SqliteOptions o;
  o.path = backup;
  auto copy = OpenSqliteStore(o);
  ASSERT_TRUE(copy.has_value()) << copy.error().message;
  EXPECT_EQ((*copy)->GetCampaignBySlug("bees")->id, c.id);
  EXPECT_EQ((*copy)->ListSignatures(c.id, {}, Page{})->total, 20);
  EXPECT_EQ((*copy)->OutboxDepth().value(), 20);

  EXPECT_FALSE(store_->Backup((fs::path(dir_) / "no" / "such" / "dir.db").string()).has_value());
}

TEST_F(SqliteStoreTest, AVersionOneDatabaseMigratesWithItsTextsAsVersionOne) {
  store_.reset();
  std::string old_path = (fs::path(dir_) / "v1.db").string();
  {
    auto db = Db::Open(old_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)->Exec(SqliteMigrations().front().sql));
    ASSERT_TRUE((*db)->Exec(
        "INSERT INTO campaigns (id, uuid, slug, title, demand, letter_markdown, goal, status, "
        "language, created, modified) VALUES (7, 'u-7', 'old', 'Old', 'Stop it', 'Dear all', 10, "
        "'open', 'en', 100, 150); PRAGMA user_version = 1;"));
  }
  path_ = old_path;
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  auto texts = store_->CampaignTexts(7);
  ASSERT_TRUE(texts) << texts.error().message;
  ASSERT_EQ(texts->size(), 1u);
  EXPECT_EQ((*texts)[0],
            (CampaignText{1, log::TextHash("Stop it", "Dear all"), 150, "Stop it", "Dear all"}));
}

TEST_F(SqliteStoreTest, AnOperationThatFailsInABatchUndoesOnlyItself) {
  // Batches first run without savepoints and run again with them when an operation fails or
  // discards its work. Queue many operations at once, failures among them, and check that
  // everything else landed exactly once, the log included.
  Campaign c = MustCreate("replays");
  NewSignature limited = NewSig(c.id, "limited@example.org");
  for (int i = 0; i < 3; ++i) {
    NewSignature again = limited;
    again.token_hash = HashOf("again-" + std::to_string(i));
    ASSERT_TRUE(tx::Sign(*store_, again));
  }
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0, created = 0, limited_answers = 0;
  auto done = [&](Result<SignOutcome> r) {
    std::lock_guard lk(mu);
    ASSERT_TRUE(r) << r.error().message;
    if (r->kind == SignOutcome::Kind::kCreated) ++created;
    if (r->kind == SignOutcome::Kind::kResendLimit) ++limited_answers;
    ++answered;
    cv.notify_all();
  };
  constexpr int kNew = 120;
  for (int i = 0; i < kNew; ++i) {
    tx::SignAsync(*store_, NewSig(c.id, "n" + std::to_string(i) + "@example.org", kT0, i % 2 == 0),
                  done);
    if (i % 10 == 0) {  // one over the resend limit: its work is discarded
      NewSignature over = limited;
      over.token_hash = HashOf("over-" + std::to_string(i));
      tx::SignAsync(*store_, over, done);
    }
  }
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(20), [&] { return answered == kNew + 12; }));
  }
  EXPECT_EQ(created, kNew);
  EXPECT_EQ(limited_answers, 12);
  ExpectCounts(CountsOf(c.id), kNew / 2 + 1, kNew / 2, 0);
  LogContents log = ReadLog(*store_);
  EXPECT_EQ(log.leaves.size(), static_cast<std::size_t>(kNew / 2));
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->root, log.tree.Root());
  auto stats = GetSqliteStats(*store_);
  ASSERT_TRUE(stats);
  // + the seal and id keys made at open, + the campaign, + GetLogHead
  EXPECT_EQ(stats->operations, 2 + 3 + kNew + 12 + 1 + 1);
}

TEST_F(SqliteStoreTest, LogNodesOfEveryLevelComeFromTheTileLevels) {
  // Only leaves and the nodes of levels 8, 16, ... are stored; any node is read the same as
  // if every level were.
  Campaign c = MustCreate("tiles");
  constexpr int kLeaves = 600;
  for (int i = 0; i < kLeaves; ++i) {
    ASSERT_TRUE(
        tx::Sign(*store_, NewSig(c.id, "t" + std::to_string(i) + "@example.org", kT0, true)));
  }
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), static_cast<std::size_t>(kLeaves));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM log_nodes"), 2);  // (8, 0) and (8, 1)
  EXPECT_EQ(QueryInt("SELECT count(*) FROM log_nodes WHERE level <> 8"), 0);
  for (std::uint8_t level = 0; level <= 9; ++level) {
    const std::uint64_t count = kLeaves >> level;
    auto all = store_->LogNodes(level, 0, count);
    ASSERT_TRUE(all) << int(level) << ": " << all.error().message;
    ASSERT_EQ(all->size(), count);
    for (std::uint64_t i = 0; i < count; ++i) {
      EXPECT_EQ((*all)[i], log.tree.Node(level, i).value()) << int(level) << "/" << i;
    }
    if (count > 1) {  // a range that starts inside
      auto part = store_->LogNodes(level, 1, count - 1);
      ASSERT_TRUE(part) << part.error().message;
      EXPECT_EQ(part->front(), (*all)[1]);
    }
    // Past the end: not there.
    EXPECT_EQ(store_->LogNodes(level, count, 1).error().code, Code::kNotFound) << int(level);
  }
  EXPECT_EQ(store_->LogNodes(63, 1, 1).error().code, Code::kNotFound);
  // The writer's range restored at open from those nodes goes on to the same root.
  store_.reset();
  Open();
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "after@example.org", kT0, true)));
  LogContents after = ReadLog(*store_);
  EXPECT_EQ(store_->GetLogHead()->root, after.tree.Root());
}

TEST_F(SqliteStoreTest, LogCanBeTurnedOffAndDamageIsRefusedAtOpen) {
  {
    store_.reset();
    SqliteOptions o;
    o.path = path_;
    o.log_enabled = false;
    auto s = OpenSqliteStore(o);
    ASSERT_TRUE(s);
    Campaign c = (*s)->CreateCampaign(NewCampaign("off")).value();
    ASSERT_TRUE(tx::Sign(**s, NewSig(c.id, "a@example.org", kT0, true)));
    auto head = (*s)->GetLogHead();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->size, 0u);
    EXPECT_EQ(head->counts[0].confirmed, 1);
  }
  Open();
  Campaign c = MustCreate("on");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, std::to_string(i) + "@example.org", kT0, true)));
  }
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    // A lost leaf: the level-2 node over leaves 0-3 can no longer be made.
    ASSERT_EQ(sqlite3_exec(db, "DELETE FROM log_leaves WHERE idx = 3", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  SqliteOptions o;
  o.path = path_;
  auto s = OpenSqliteStore(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("signature log"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace undersigned::store

namespace undersigned::store {
namespace {

// Version 11 (campaign pictures): a version-10 database's campaigns read back with no picture,
// and can be given one.
TEST_F(SqliteStoreTest, MigrationElevenGivesCampaignsNoPictureUntilOneIsSet) {
  Campaign c = MustCreate("before-pictures");
  store_.reset();
  RewindVersionEleven();
  ExecOther("PRAGMA user_version = 10;");
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  auto back = store_->GetCampaignById(c.id);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_FALSE(back->image.has_value());
  EXPECT_EQ(back->title, c.title);
  CampaignImage image{std::string(64, 'c'), "A picture", 10, 20};
  ASSERT_TRUE(store_->SetCampaignImage(c.id, image, "jpeg bytes").has_value());
  EXPECT_EQ(*store_->CampaignImageJpeg(c.id), "jpeg bytes");
}

// Version 12 (secondary targets): a version-11 database's campaigns read back with none, and
// keep the ones an edit gives them.
TEST_F(SqliteStoreTest, MigrationTwelveGivesCampaignsNoSecondaryTargetsUntilEdited) {
  Campaign c = MustCreate("before-secondary");
  store_.reset();
  RewindVersionTwelve();
  ExecOther("PRAGMA user_version = 11;");
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  auto back = store_->GetCampaignById(c.id);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_TRUE(back->secondary_targets.empty());
  back->secondary_targets = {SecondaryTarget{"Jane", "", "jane", "", "", {"{handle} hi"}}};
  ASSERT_TRUE(store_->UpdateCampaign(*back).has_value());
  EXPECT_EQ(store_->GetCampaignById(c.id)->secondary_targets, back->secondary_targets);
}

// Version 15 (referrals): a version-14 database's signatures came through no personal link,
// and a signature made after it keeps the code it came with.
TEST_F(SqliteStoreTest, MigrationFifteenCreditsNoOldSignatureToAPersonalLink) {
  Campaign c = MustCreate("before-referrals");
  MustSign(NewSig(c.id, "old@example.org", kT0, /*confirm_now=*/true));
  store_.reset();
  RewindVersionFifteen();
  ExecOther("PRAGMA user_version = 14;");
  Open();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE referral <> ''"), 0);
  NewSignature brought = NewSig(c.id, "new@example.org", kT0 + 1, /*confirm_now=*/true);
  brought.origin.referral = "Code1";
  MustSign(brought);
  EXPECT_EQ(*store_->CountReferred(c.id, "Code1"), 1);
  EXPECT_EQ(*store_->CountReferred(c.id, ""), 0);
}

}  // namespace
}  // namespace undersigned::store
