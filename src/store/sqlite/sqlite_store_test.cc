#include "store/sqlite/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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
#include "store/open_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"

namespace undersigned::store {
namespace {

namespace fs = std::filesystem;
constexpr UnixTime kT0 = 1'700'000'000;

// A hex "hash" for token n (the store only needs hashes to be unique strings).
std::string HashOf(const std::string& token) {
  std::size_t h1 = std::hash<std::string>{}(token);
  std::size_t h2 = std::hash<std::string>{}(token + "#");
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016zx%016zx%016zx%016zx", h1, h2, h1 ^ 0x5555, h2 ^ 0xaaaa);
  return buf;
}

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
    Campaign c;
    c.slug = slug;
    c.title = "Title of " + slug;
    c.demand = "Do the right thing";
    c.letter_markdown = "Dear *CEO*,\n\nplease.";
    c.targets = {Target{"Marc Benioff", "CEO", "Salesforce", "benioff", "benioff.bsky.social",
                        "@benioff@mastodon.social"},
                 Target{"Ada \"Q\" Lovelace", "", "", "", "", ""}};
    c.goal = 1000;
    c.deadline = kT0 + 86400;
    c.status = status;
    c.language = "en";
    c.created = kT0;
    c.modified = kT0;
    return c;
  }

  Campaign MustCreate(const std::string& slug, CampaignStatus status = CampaignStatus::kOpen) {
    auto c = store_->CreateCampaign(NewCampaign(slug, status));
    EXPECT_TRUE(c.has_value()) << c.error().message;
    return c.value_or(Campaign{});
  }

  NewSignature NewSig(std::int64_t campaign_id, const std::string& email, UnixTime now = kT0,
                      bool confirm_now = false) {
    int n = ++counter_;
    NewSignature s;
    s.campaign_id = campaign_id;
    s.form.name = "Signer Number" + std::to_string(n);
    s.form.email = email;
    s.form.postal_code = "12345";
    s.form.country = "DE";
    s.form.comment = "Because \"quotes\" and\nnewlines";
    s.form.public_name = true;
    s.form.wants_updates = (n % 2) == 0;
    s.canonical_email = email;
    s.source = confirm_now ? "api" : "form";
    s.confirm_now = confirm_now;
    s.token = "token-" + std::to_string(n);
    s.token_hash = HashOf(s.token);
    s.mail_payload = R"({"campaign_title":"T","slug":"s"})";
    s.max_confirm_sends = 3;
    s.now = now;
    return s;
  }

  CampaignCounts CountsOf(std::int64_t campaign_id) {
    auto all = store_->LoadAllCounts();
    EXPECT_TRUE(all.has_value());
    return (*all)[campaign_id];
  }

  // Runs a raw query on a separate connection (what an operator would see with sqlite3).
  // Signs s, which must succeed; the new signature's uuid.
  std::string MustSign(const NewSignature& s) {
    auto r = store_->Sign(s);
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
        "ALTER TABLE campaigns DROP COLUMN organized_by; PRAGMA user_version = 1;");
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
    auto r = store_->Sign(sig);
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
  EXPECT_TRUE(store_->Sign(NewSig(c.id, "after@example.org")).has_value());
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

TEST_F(SqliteStoreTest, KeepsACampaignsTimeZone) {
  Campaign c = NewCampaign("zoned");
  c.time_zone = "Europe/Paris";
  auto made = store_->CreateCampaign(c);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(store_->GetCampaignBySlug("zoned")->time_zone, "Europe/Paris");
  made->time_zone = "America/New_York";
  ASSERT_TRUE(store_->UpdateCampaign(*made).has_value());
  EXPECT_EQ(store_->GetCampaignBySlug("zoned")->time_zone, "America/New_York");
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

TEST_F(SqliteStoreTest, CampaignCrud) {
  Campaign c = MustCreate("save-the-bees");
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.uuid.size(), 36u);
  EXPECT_EQ(c.created, kT0);

  auto by_slug = store_->GetCampaignBySlug("save-the-bees");
  ASSERT_TRUE(by_slug.has_value());
  EXPECT_EQ(by_slug->id, c.id);
  EXPECT_EQ(by_slug->title, "Title of save-the-bees");
  EXPECT_EQ(by_slug->letter_markdown, "Dear *CEO*,\n\nplease.");
  ASSERT_EQ(by_slug->targets.size(), 2u);
  EXPECT_EQ(by_slug->targets[0].bluesky_handle, "benioff.bsky.social");
  EXPECT_EQ(by_slug->targets[0].mastodon_handle, "@benioff@mastodon.social");
  EXPECT_EQ(by_slug->targets[1].name, "Ada \"Q\" Lovelace");
  EXPECT_EQ(by_slug->deadline, kT0 + 86400);
  EXPECT_EQ(by_slug->status, CampaignStatus::kOpen);

  auto by_uuid = store_->GetCampaignByUuid(c.uuid);
  ASSERT_TRUE(by_uuid.has_value());
  EXPECT_EQ(by_uuid->slug, "save-the-bees");
  auto by_id = store_->GetCampaignById(c.id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->uuid, c.uuid);

  Campaign u = *by_id;
  u.title = "New title";
  u.deadline.reset();
  u.status = CampaignStatus::kClosed;
  u.targets.pop_back();
  u.created = 0;  // ignored: created never changes
  u.modified = kT0 + 50;
  auto updated = store_->UpdateCampaign(u);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->created, kT0);
  EXPECT_EQ(updated->modified, kT0 + 50);
  auto again = store_->GetCampaignBySlug("save-the-bees");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->title, "New title");
  EXPECT_FALSE(again->deadline.has_value());
  EXPECT_EQ(again->status, CampaignStatus::kClosed);
  EXPECT_EQ(again->targets.size(), 1u);
  EXPECT_EQ(again->modified, kT0 + 50);
  EXPECT_EQ(again->created, kT0);

  EXPECT_EQ(store_->GetCampaignBySlug("nope").error().code, Code::kNotFound);
  EXPECT_EQ(store_->GetCampaignById(9999).error().code, Code::kNotFound);
  EXPECT_EQ(store_->GetCampaignByUuid("nope").error().code, Code::kNotFound);
  // A caller that passes the stored modified back still moves it (to the system's clock).
  auto touched = store_->UpdateCampaign(*again);
  ASSERT_TRUE(touched.has_value());
  EXPECT_GT(touched->modified, kT0 + 50);
  EXPECT_EQ(store_->GetCampaignById(c.id)->modified, touched->modified);

  Campaign ghost = NewCampaign("ghost");
  ghost.id = 9999;
  EXPECT_EQ(store_->UpdateCampaign(ghost).error().code, Code::kNotFound);

  auto counts = store_->LoadAllCounts();
  ASSERT_TRUE(counts.has_value());
  ASSERT_EQ(counts->count(c.id), 1u);
  ExpectCounts(counts->at(c.id), 0, 0, 0);
}

TEST_F(SqliteStoreTest, SlugConflicts) {
  Campaign a = MustCreate("taken");
  Campaign b = MustCreate("other");
  auto dup = store_->CreateCampaign(NewCampaign("taken"));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, Code::kConflict);
  EXPECT_NE(dup.error().message.find("slug"), std::string::npos);

  b.slug = "taken";
  auto upd = store_->UpdateCampaign(b);
  ASSERT_FALSE(upd.has_value());
  EXPECT_EQ(upd.error().code, Code::kConflict);
  EXPECT_EQ(store_->GetCampaignById(b.id)->slug, "other");
  EXPECT_EQ(store_->GetCampaignById(a.id)->slug, "taken");
  // The failed create left no campaign or counts behind.
  auto all = store_->ListCampaigns(std::nullopt, {}, {});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 2);
  EXPECT_EQ(store_->LoadAllCounts()->size(), 2u);
}

TEST_F(SqliteStoreTest, ListCampaignsFiltersAndPages) {
  for (int i = 0; i < 5; ++i) {
    Campaign c = NewCampaign("camp-" + std::to_string(i),
                             i % 2 == 0 ? CampaignStatus::kOpen : CampaignStatus::kDraft);
    c.created = c.modified = kT0 + i;
    ASSERT_TRUE(store_->CreateCampaign(c).has_value());
  }
  auto all = store_->ListCampaigns(std::nullopt, {}, Page{1, 2});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 5);
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[0].slug, "camp-4");  // newest first
  EXPECT_EQ(all->items[1].slug, "camp-3");
  auto last = store_->ListCampaigns(std::nullopt, {}, Page{3, 2});
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_EQ(last->items[0].slug, "camp-0");
  auto past = store_->ListCampaigns(std::nullopt, {}, Page{4, 2});
  EXPECT_TRUE(past->items.empty());
  EXPECT_EQ(past->total, 5);

  auto open = store_->ListCampaigns(CampaignStatus::kOpen, {}, Page{1, 25});
  EXPECT_EQ(open->total, 3);
  EXPECT_EQ(open->items.size(), 3u);
  TimeFilter f;
  f.modified_after = kT0 + 1;
  f.modified_before = kT0 + 4;
  auto window = store_->ListCampaigns(std::nullopt, f, Page{1, 25});
  EXPECT_EQ(window->total, 2);
  ASSERT_EQ(window->items.size(), 2u);
  EXPECT_EQ(window->items[0].slug, "camp-3");
}

TEST_F(SqliteStoreTest, CampaignIdentifiersAreKeptAndFound) {
  // Characters that LIKE or JSON would treat specially must match only themselves.
  const std::string odd = "odd_sys:50%\"off\"\\x'y";
  Campaign a = NewCampaign("with-ids");
  a.identifiers = {"foreign_system:1234", "crm:abc", odd};
  auto made = store_->CreateCampaign(a);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(made->identifiers, a.identifiers);
  EXPECT_EQ(store_->GetCampaignById(made->id)->identifiers, a.identifiers);
  EXPECT_EQ(store_->GetCampaignBySlug("with-ids")->identifiers, a.identifiers);
  EXPECT_EQ(store_->GetCampaignByUuid(made->uuid)->identifiers, a.identifiers);
  Campaign plain = MustCreate("no-ids");
  EXPECT_TRUE(store_->GetCampaignById(plain.id)->identifiers.empty());

  auto find = [&](const std::string& id, std::optional<CampaignStatus> status = std::nullopt,
                  TimeFilter f = {}, Page page = {}) {
    auto r = store_->ListCampaignsByIdentifier(id, status, f, page);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(Paged<Campaign>{});
  };
  auto one = find("foreign_system:1234");
  EXPECT_EQ(one.total, 1);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].slug, "with-ids");
  EXPECT_EQ(one.items[0].identifiers, a.identifiers);
  EXPECT_EQ(find(odd).total, 1);
  // Exact matches only: no prefixes, wildcards, case folding or pieces of the JSON text.
  for (const std::string& miss :
       {std::string("foreign_system:123"), std::string("foreign_system:%"),
        std::string("foreign%system:1234"), std::string("FOREIGN_SYSTEM:1234"),
        std::string("foreign_system:1234\",\"crm:abc"), std::string("odd_sys:50%")}) {
    auto r = find(miss);
    EXPECT_EQ(r.total, 0) << miss;
    EXPECT_TRUE(r.items.empty()) << miss;
  }
  // Status and time filters and paging apply as in ListCampaigns.
  EXPECT_EQ(find("crm:abc", CampaignStatus::kOpen).total, 1);
  EXPECT_EQ(find("crm:abc", CampaignStatus::kDraft).total, 0);
  TimeFilter later;
  later.modified_after = kT0 + 1000;
  EXPECT_EQ(find("crm:abc", std::nullopt, later).total, 0);

  // Update replaces them; several campaigns may carry the same foreign id.
  Campaign u = *made;
  u.identifiers = {"foreign_system:1234", "other_system:99"};
  auto updated = store_->UpdateCampaign(u);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(store_->GetCampaignById(u.id)->identifiers, u.identifiers);
  EXPECT_EQ(find("crm:abc").total, 0);
  EXPECT_EQ(find("other_system:99").total, 1);
  Campaign b = NewCampaign("same-foreign-id");
  b.created = b.modified = kT0 + 5;
  b.identifiers = {"foreign_system:1234"};
  ASSERT_TRUE(store_->CreateCampaign(b).has_value());
  auto both = find("foreign_system:1234", std::nullopt, {}, Page{1, 1});
  EXPECT_EQ(both.total, 2);
  ASSERT_EQ(both.items.size(), 1u);
  EXPECT_EQ(both.items[0].slug, "same-foreign-id");  // newest first
  auto second = find("foreign_system:1234", std::nullopt, {}, Page{2, 1});
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].slug, "with-ids");
  EXPECT_TRUE(find("foreign_system:1234", std::nullopt, {}, Page{3, 1}).items.empty());
}

// --- signing

TEST_F(SqliteStoreTest, SignConfirmWithdrawWithCounts) {
  Campaign c = MustCreate("bees");
  NewSignature s = NewSig(c.id, "ada@example.org");
  auto signed1 = store_->Sign(s);
  ASSERT_TRUE(signed1.has_value()) << signed1.error().message;
  EXPECT_EQ(signed1->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(signed1->signature.state, SignatureState::kPending);
  EXPECT_EQ(signed1->signature.uuid.size(), 36u);
  EXPECT_EQ(signed1->signature.confirm_sends, 1);
  EXPECT_GT(signed1->signature.person_id, 0);
  ExpectCounts(signed1->counts, 1, 0, 0);
  EXPECT_EQ(signed1->counts.last_change, kT0);

  // The confirm mail is queued with its one token and the original payload keys.
  auto due = store_->DueOutbox(kT0, 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].kind, "confirm");
  EXPECT_EQ((*due)[0].recipient, "ada@example.org");
  auto payload = nlohmann::json::parse((*due)[0].payload);
  EXPECT_EQ(payload["campaign_title"], "T");
  EXPECT_EQ(payload["token"], s.token);
  EXPECT_FALSE(payload.contains("withdraw_token"));
  EXPECT_EQ(payload["name"], s.form.name);
  EXPECT_EQ(payload["signature_uuid"], signed1->signature.uuid);

  // Peek does not change anything.
  auto peek = store_->FindByConfirmToken(s.token_hash);
  ASSERT_TRUE(peek.has_value()) << peek.error().message;
  EXPECT_FALSE(peek->changed);
  EXPECT_EQ(peek->signature.state, SignatureState::kPending);
  EXPECT_EQ(peek->campaign.slug, "bees");
  ExpectCounts(peek->counts, 1, 0, 0);
  EXPECT_EQ(store_->FindByConfirmToken(HashOf("unknown")).error().code, Code::kNotFound);

  auto confirmed = store_->Confirm(s.token_hash, kT0 + 10);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(confirmed->signature.confirmed, kT0 + 10);
  EXPECT_EQ(confirmed->campaign.id, c.id);
  ExpectCounts(confirmed->counts, 0, 1, 0);
  EXPECT_EQ(confirmed->counts.last_change, kT0 + 10);

  auto twice = store_->Confirm(s.token_hash, kT0 + 20);
  ASSERT_TRUE(twice.has_value());
  EXPECT_FALSE(twice->changed);
  ExpectCounts(twice->counts, 0, 1, 0);
  EXPECT_EQ(twice->counts.last_change, kT0 + 10);
  EXPECT_EQ(store_->Confirm(HashOf("unknown"), kT0).error().code, Code::kNotFound);

  auto signers = store_->RecentPublicSigners(c.id, 10);
  ASSERT_TRUE(signers.has_value());
  ASSERT_EQ(signers->size(), 1u);
  EXPECT_EQ((*signers)[0].name, s.form.name);
  EXPECT_EQ((*signers)[0].comment, s.form.comment);
  EXPECT_EQ((*signers)[0].confirmed, kT0 + 10);

  auto peek_w = store_->FindByWithdrawToken(s.token_hash);
  ASSERT_TRUE(peek_w.has_value());
  EXPECT_EQ(peek_w->signature.state, SignatureState::kConfirmed);

  auto withdrawn = store_->Withdraw(s.token_hash, kT0 + 30);
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_TRUE(withdrawn->changed);
  EXPECT_EQ(withdrawn->signature.state, SignatureState::kWithdrawn);
  ExpectCounts(withdrawn->counts, 0, 0, 1);
  auto again = store_->Withdraw(s.token_hash, kT0 + 40);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->changed);
  ExpectCounts(again->counts, 0, 0, 1);
  EXPECT_EQ(store_->Withdraw(HashOf("unknown"), kT0).error().code, Code::kNotFound);

  // Confirming a withdrawn signature is a conflict, and changes nothing.
  auto late = store_->Confirm(s.token_hash, kT0 + 50);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, Code::kConflict);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
  EXPECT_TRUE(store_->RecentPublicSigners(c.id, 10)->empty());

  // The stored counts agree with the rows.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE state = 'withdrawn'"), 1);
}

TEST_F(SqliteStoreTest, WithdrawPendingMovesPendingCount) {
  Campaign c = MustCreate("bees");
  NewSignature s = NewSig(c.id, "bob@example.org");
  ASSERT_TRUE(store_->Sign(s).has_value());
  auto w = store_->Withdraw(s.token_hash, kT0 + 1);
  ASSERT_TRUE(w.has_value());
  ExpectCounts(w->counts, 0, 0, 1);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
}

TEST_F(SqliteStoreTest, ResendUntilTheLimit) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  const std::string first_uuid = MustSign(first);

  std::vector<NewSignature> again;
  for (int i = 0; i < 2; ++i) {
    NewSignature s = NewSig(c.id, "ada@example.org", kT0 + 100 + i);
    auto r = store_->Sign(s);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->kind, SignOutcome::Kind::kResent);
    EXPECT_EQ(r->signature.uuid, first_uuid);  // same row
    EXPECT_EQ(r->signature.confirm_sends, 2 + i);
    EXPECT_EQ(r->signature.form.name, first.form.name);  // not overwritten by a resend
    ExpectCounts(r->counts, 1, 0, 0);
    again.push_back(s);
  }
  // Every link sent stays valid, the first one included: one token per mail, for both links.
  for (const NewSignature* sent : {&first, &again[0], &again[1]}) {
    auto found = store_->FindByConfirmToken(sent->token_hash);
    ASSERT_TRUE(found.has_value()) << found.error().message;
    EXPECT_EQ(found->signature.uuid, first_uuid);
    EXPECT_TRUE(store_->FindByWithdrawToken(sent->token_hash).has_value());
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE kind = 'signing'"), 3);
  EXPECT_EQ(store_->OutboxDepth().value(), 3);

  NewSignature over = NewSig(c.id, "ada@example.org", kT0 + 500);
  auto limited = store_->Sign(over);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->kind, SignOutcome::Kind::kResendLimit);
  EXPECT_EQ(limited->signature.confirm_sends, 3);
  ExpectCounts(limited->counts, 1, 0, 0);
  // Nothing written: no mail, no new token, person not touched.
  EXPECT_EQ(store_->OutboxDepth().value(), 3);
  EXPECT_TRUE(store_->FindByConfirmToken(again[1].token_hash).has_value());
  EXPECT_EQ(store_->FindByConfirmToken(over.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
  EXPECT_EQ(QueryInt("SELECT max(modified) FROM people"), kT0 + 101);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
}

TEST_F(SqliteStoreTest, EveryConfirmLinkSentStillConfirmsAfterAResend) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "late@example.org");
  const std::string first_uuid = MustSign(first);
  NewSignature second = NewSig(c.id, "late@example.org", kT0 + 60);
  auto resent = store_->Sign(second);
  ASSERT_TRUE(resent.has_value()) << resent.error().message;
  ASSERT_EQ(resent->kind, SignOutcome::Kind::kResent);

  // The first mail arrives late and its link is followed: it confirms.
  auto peek = store_->FindByConfirmToken(first.token_hash);
  ASSERT_TRUE(peek.has_value()) << peek.error().message;
  EXPECT_EQ(peek->signature.state, SignatureState::kPending);
  auto confirmed = store_->Confirm(first.token_hash, kT0 + 100);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->signature.uuid, first_uuid);
  ExpectCounts(confirmed->counts, 0, 1, 0);

  // The second link then finds it confirmed: idempotent, nothing counted twice.
  auto again = store_->Confirm(second.token_hash, kT0 + 110);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(again->signature.confirmed, kT0 + 100);
  ExpectCounts(again->counts, 0, 1, 0);

  // Each mail's token serves its withdraw link too: the first mail's token, which confirmed,
  // now withdraws.
  EXPECT_TRUE(store_->FindByWithdrawToken(second.token_hash).has_value());
  auto withdrawn = store_->Withdraw(first.token_hash, kT0 + 130);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  ExpectCounts(withdrawn->counts, 0, 0, 1);
  auto withdrawn_again = store_->Withdraw(second.token_hash, kT0 + 140);
  ASSERT_TRUE(withdrawn_again.has_value());
  EXPECT_FALSE(withdrawn_again->changed);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
  // Confirming a withdrawn signature with any of its links is still a conflict.
  EXPECT_EQ(store_->Confirm(second.token_hash, kT0 + 150).error().code, Code::kConflict);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
}

TEST_F(SqliteStoreTest, OldTokensOfAWithdrawnSignatureServeTheFreshSigning) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "back@example.org");
  ASSERT_TRUE(store_->Sign(first).has_value());
  ASSERT_TRUE(store_->Withdraw(first.token_hash, kT0 + 1).has_value());
  NewSignature fresh = NewSig(c.id, "back@example.org", kT0 + 2);
  auto r = store_->Sign(fresh);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->kind, SignOutcome::Kind::kCreated);
  // The new token works; the old mail's confirm link confirms the fresh (pending) signing.
  EXPECT_EQ(store_->FindByConfirmToken(fresh.token_hash)->signature.state,
            SignatureState::kPending);
  auto old = store_->Confirm(first.token_hash, kT0 + 3);
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_TRUE(old->changed);
  ExpectCounts(old->counts, 0, 1, 0);
  EXPECT_FALSE(store_->Confirm(fresh.token_hash, kT0 + 4)->changed);
  EXPECT_TRUE(store_->Withdraw(fresh.token_hash, kT0 + 5)->changed);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
}

TEST_F(SqliteStoreTest, AReusedTokenHashIsAConflictAndRollsBackTheSigning) {
  Campaign c = MustCreate("bees");
  NewSignature a = NewSig(c.id, "a@example.org");
  const std::string a_uuid = MustSign(a);
  NewSignature b = NewSig(c.id, "b@example.org");
  b.token_hash = a.token_hash;
  auto r = store_->Sign(b);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kConflict);
  // Nothing of b was kept, and a's token still names a.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 1);
  EXPECT_EQ(store_->FindByConfirmToken(a.token_hash)->signature.uuid, a_uuid);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM people"), 1);
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  ExpectCounts(CountsOf(c.id), 1, 0, 0);
}

TEST_F(SqliteStoreTest, SigningAgainWhenConfirmedSendsAlreadySigned) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  const std::string first_uuid = MustSign(first);
  ASSERT_TRUE(store_->Confirm(first.token_hash, kT0 + 1).has_value());
  auto sent = store_->DueOutbox(kT0 + 1, 10).value();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(store_->MarkOutboxSent(sent[0].id, kT0 + 1).has_value());

  NewSignature s = NewSig(c.id, "ada@example.org", kT0 + 2);
  auto r = store_->Sign(s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(r->signature.confirm_sends, 2);
  ExpectCounts(r->counts, 0, 1, 0);
  auto due = store_->DueOutbox(kT0 + 2, 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, "already_signed");
  auto payload = nlohmann::json::parse(due[0].payload);
  EXPECT_EQ(payload["withdraw_token"], s.token);
  EXPECT_FALSE(payload.contains("token"));
  EXPECT_EQ(payload["signature_uuid"], first_uuid);
  // The new withdraw link works and so does the old one; the old confirm link still says
  // confirmed. This mail's token is withdraw-only: it confirms nothing and opens no receipt.
  EXPECT_TRUE(store_->FindByWithdrawToken(first.token_hash).has_value());
  EXPECT_TRUE(store_->FindByWithdrawToken(s.token_hash).has_value());
  EXPECT_EQ(store_->FindByConfirmToken(s.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(store_->Confirm(s.token_hash, kT0 + 3).error().code, Code::kNotFound);
  EXPECT_EQ(store_->LogReceipt(s.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE kind = 'withdraw'"), 1);
  EXPECT_FALSE(store_->Confirm(first.token_hash, kT0 + 3)->changed);

  ASSERT_EQ(store_->Sign(NewSig(c.id, "ada@example.org", kT0 + 4))->kind,
            SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(store_->Sign(NewSig(c.id, "ada@example.org", kT0 + 5))->kind,
            SignOutcome::Kind::kResendLimit);
  ExpectCounts(CountsOf(c.id), 0, 1, 0);
}

TEST_F(SqliteStoreTest, AnAlreadySignedMailsTokenWithdrawsButNeverConfirms) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  ASSERT_TRUE(store_->Sign(first).has_value());
  ASSERT_TRUE(store_->Confirm(first.token_hash, kT0 + 1).has_value());
  NewSignature already = NewSig(c.id, "ada@example.org", kT0 + 2);
  ASSERT_EQ(store_->Sign(already)->kind, SignOutcome::Kind::kAlreadyConfirmed);

  // Its withdraw link withdraws.
  auto peek = store_->FindByWithdrawToken(already.token_hash);
  ASSERT_TRUE(peek.has_value()) << peek.error().message;
  EXPECT_EQ(peek->signature.state, SignatureState::kConfirmed);
  auto withdrawn = store_->Withdraw(already.token_hash, kT0 + 3);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  ExpectCounts(withdrawn->counts, 0, 0, 1);

  // Signing again is a fresh, pending signing on the same row, which every token of the
  // signing kind confirms (OldTokensOfAWithdrawnSignatureServeTheFreshSigning); the "already
  // signed" mail's token still cannot.
  NewSignature fresh = NewSig(c.id, "ada@example.org", kT0 + 4);
  ASSERT_EQ(store_->Sign(fresh)->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(store_->FindByConfirmToken(already.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(store_->Confirm(already.token_hash, kT0 + 5).error().code, Code::kNotFound);
  ExpectCounts(CountsOf(c.id), 1, 0, 0);
  auto confirmed = store_->Confirm(fresh.token_hash, kT0 + 6);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(store_->FindByWithdrawToken(already.token_hash)->signature.state,
            SignatureState::kConfirmed);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
}

TEST_F(SqliteStoreTest, OneTokenOfTheSigningKindConfirmsAndLaterWithdraws) {
  Campaign c = MustCreate("bees");
  NewSignature s = NewSig(c.id, "one@example.org");
  ASSERT_TRUE(store_->Sign(s).has_value());
  // One row per signing, of the kind that confirms and withdraws.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE kind = 'signing'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 1);
  auto confirmed = store_->Confirm(s.token_hash, kT0 + 1);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  ExpectCounts(confirmed->counts, 0, 1, 0);
  auto withdrawn = store_->Withdraw(s.token_hash, kT0 + 2);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  EXPECT_EQ(withdrawn->signature.state, SignatureState::kWithdrawn);
  ExpectCounts(withdrawn->counts, 0, 0, 1);
  EXPECT_EQ(store_->Confirm(s.token_hash, kT0 + 3).error().code, Code::kConflict);
}

TEST_F(SqliteStoreTest, WithdrawnThenSignAgainIsAFreshSigning) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  const std::string first_uuid = MustSign(first);
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "ada@example.org")).has_value());
  NewSignature third = NewSig(c.id, "ada@example.org");
  ASSERT_TRUE(store_->Sign(third).has_value());  // at the limit
  ASSERT_TRUE(store_->Withdraw(third.token_hash, kT0 + 1).has_value());
  ExpectCounts(CountsOf(c.id), 0, 0, 1);

  NewSignature s = NewSig(c.id, "ada@example.org", kT0 + 2);
  s.form.name = "Ada Lovelace";
  auto r = store_->Sign(s);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(r->signature.state, SignatureState::kPending);
  EXPECT_EQ(r->signature.uuid, first_uuid);
  EXPECT_EQ(r->signature.form.name, "Ada Lovelace");
  EXPECT_EQ(r->signature.confirm_sends, 1);  // the limit starts over
  ExpectCounts(r->counts, 1, 0, 0);
  auto confirmed = store_->Confirm(s.token_hash, kT0 + 3);
  ASSERT_TRUE(confirmed.has_value());
  ExpectCounts(confirmed->counts, 0, 1, 0);

  // And with confirm_now, a withdrawn signature counts at once.
  ASSERT_TRUE(store_->Withdraw(s.token_hash, kT0 + 4).has_value());
  auto api = store_->Sign(NewSig(c.id, "ada@example.org", kT0 + 5, true));
  ASSERT_TRUE(api.has_value());
  EXPECT_EQ(api->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(api->signature.state, SignatureState::kConfirmed);
  ExpectCounts(api->counts, 0, 1, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
}

TEST_F(SqliteStoreTest, SignaturesCarryTheirPersonsPublicId) {
  Campaign c = MustCreate("bees");
  auto signed_up = store_->Sign(NewSig(c.id, "who@example.org"));
  ASSERT_TRUE(signed_up.has_value());
  auto people = store_->ListPeople(std::string("who@example.org"), TimeFilter{}, Page{1, 5});
  ASSERT_TRUE(people.has_value());
  ASSERT_EQ(people->items.size(), 1u);
  const std::string& person = people->items[0].uuid;
  EXPECT_EQ(signed_up->signature.person_uuid, person);
  auto listed = store_->ListSignatures(c.id, TimeFilter{}, Page{1, 5});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].person_uuid, person);
  EXPECT_EQ(store_->GetSignatureByUuid(listed->items[0].uuid)->person_uuid, person);
}

TEST_F(SqliteStoreTest, MessagesGivenUpOnLeaveTheOutboxDepth) {
  Campaign c = MustCreate("bees");
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "one@example.org")).has_value());
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "two@example.org")).has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  auto due = store_->DueOutbox(kT0 + 10, 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 2u);
  ASSERT_TRUE(store_->MarkOutboxFailed((*due)[0].id, kOutboxNever, "dead: 550").has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  EXPECT_EQ(store_->DueOutbox(kT0 + 10, 10)->size(), 1u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE sent IS NULL"), 2);  // still kept
}

TEST_F(SqliteStoreTest, ConfirmNowCountsAtOnceWithoutMail) {
  Campaign c = MustCreate("bees");
  auto r = store_->Sign(NewSig(c.id, "api@example.org", kT0, true));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(r->signature.confirmed, kT0);
  EXPECT_EQ(r->signature.confirm_sends, 0);
  ExpectCounts(r->counts, 0, 1, 0);
  EXPECT_EQ(store_->OutboxDepth().value(), 0);

  // Pending, then recorded by a trusted client: confirmed, counts move, no mail.
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "pending@example.org")).has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  NewSignature trusted = NewSig(c.id, "pending@example.org", kT0 + 1, true);
  trusted.form.comment = "via API";
  auto rec = store_->Sign(trusted);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(rec->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(rec->signature.form.comment, "via API");
  ExpectCounts(rec->counts, 0, 2, 0);
  EXPECT_EQ(store_->OutboxDepth().value(), 1);

  // Already confirmed and recorded again: nothing moves.
  auto again = store_->Sign(NewSig(c.id, "pending@example.org", kT0 + 2, true));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->kind, SignOutcome::Kind::kAlreadyConfirmed);
  ExpectCounts(again->counts, 0, 2, 0);
  EXPECT_EQ(again->signature.confirmed, kT0 + 1);
}

TEST_F(SqliteStoreTest, SignFailuresRollBackOnlyThemselves) {
  Campaign c = MustCreate("bees");
  NewSignature a = NewSig(c.id, "a@example.org");
  ASSERT_TRUE(store_->Sign(a).has_value());
  // A signature the database refuses after its person was saved (a trigger stands in for
  // any failure of the signature's insert): the person goes too.
  ExecOther(
      "CREATE TRIGGER refuse BEFORE INSERT ON signatures WHEN NEW.canonical_email = "
      "'b@example.org' BEGIN SELECT RAISE(ABORT, 'refused'); END");
  auto r = store_->Sign(NewSig(c.id, "b@example.org"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.find("b@example.org"), std::string::npos);
  // Unknown campaign.
  auto nc = store_->Sign(NewSig(4242, "c@example.org"));
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
        auto r = store_->Sign(s);
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
      for (const auto& sig : sigs) EXPECT_TRUE(store_->Sign(sig).has_value());
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
          if (auto r = store.Sign(s)) {
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
    ASSERT_TRUE(store_->Sign(NewSig(c.id, "p" + std::to_string(i) + "@example.org")).has_value());
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
    auto r = store_->Sign(NewSig(i % 2 ? b.id : a.id, "r" + std::to_string(i) + "@example.org"));
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
  auto more = store_->Sign(NewSig(a.id, "after-restart@example.org"));
  ASSERT_TRUE(more.has_value()) << more.error().message;
  EXPECT_EQ(more->signature.id, (a.id << 40) + 4);
}

TEST_F(SqliteStoreTest, IdsTakenByAnotherProcessAreSkipped) {
  Campaign c = MustCreate("shared");
  auto first = store_->Sign(NewSig(c.id, "first@example.org"));
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
  auto second = store_->Sign(NewSig(c.id, "second@example.org"));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(second->signature.id, next_sig + 1);
  EXPECT_EQ(second->signature.person_id, first->signature.person_id + 1);
  EXPECT_EQ(store_->GetSignatureByUuid(second->signature.uuid)->id, next_sig + 1);
  // Then the next person id.
  insert_person(1001, "another@example.org");
  auto third = store_->Sign(NewSig(c.id, "third@example.org"));
  ASSERT_TRUE(third.has_value()) << third.error().message;
  EXPECT_EQ(third->signature.person_id, 1002);
  EXPECT_EQ(third->signature.id, next_sig + 2);
  EXPECT_EQ(store_->GetPersonByUuid(third->signature.person_uuid)->id, 1002);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM people"), 5);
}

// --- listings

TEST_F(SqliteStoreTest, ListSignaturesPagesAndFilters) {
  Campaign c = MustCreate("bees");
  Campaign other = MustCreate("other");
  std::vector<std::string> uuids;
  for (int i = 0; i < 7; ++i) {
    auto r = store_->Sign(NewSig(c.id, "s" + std::to_string(i) + "@example.org", kT0 + i));
    ASSERT_TRUE(r.has_value());
    uuids.push_back(r->signature.uuid);
  }
  ASSERT_TRUE(store_->Sign(NewSig(other.id, "x@example.org")).has_value());

  auto p1 = store_->ListSignatures(c.id, {}, Page{1, 3});
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(p1->total, 7);
  ASSERT_EQ(p1->items.size(), 3u);
  EXPECT_EQ(p1->items[0].uuid, uuids[6]);  // newest first
  EXPECT_EQ(p1->items[2].uuid, uuids[4]);
  auto p3 = store_->ListSignatures(c.id, {}, Page{3, 3});
  ASSERT_EQ(p3->items.size(), 1u);
  EXPECT_EQ(p3->items[0].uuid, uuids[0]);
  auto p4 = store_->ListSignatures(c.id, {}, Page{4, 3});
  ASSERT_TRUE(p4.has_value());
  EXPECT_TRUE(p4->items.empty());
  EXPECT_EQ(p4->total, 7);

  TimeFilter f;
  f.modified_after = kT0 + 2;
  auto recent = store_->ListSignatures(c.id, f, Page{1, 25});
  EXPECT_EQ(recent->total, 4);
  EXPECT_EQ(recent->items.size(), 4u);
  f.modified_before = kT0 + 5;
  EXPECT_EQ(store_->ListSignatures(c.id, f, Page{1, 25})->total, 2);

  auto got = store_->GetSignatureByUuid(uuids[3]);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->canonical_email, "s3@example.org");
  EXPECT_EQ(got->form.postal_code, "12345");
  EXPECT_EQ(got->form.country, "DE");
  EXPECT_TRUE(got->form.public_name);
  EXPECT_EQ(got->source, "form");
  EXPECT_EQ(store_->GetSignatureByUuid("nope").error().code, Code::kNotFound);
  EXPECT_EQ(store_->ListSignatures(9999, {}, Page{})->total, 0);
}

TEST_F(SqliteStoreTest, ForEachConfirmedStreamsOldestFirstAndStops) {
  Campaign c = MustCreate("bees");
  std::vector<NewSignature> sigs;
  for (int i = 0; i < 5; ++i) {
    sigs.push_back(NewSig(c.id, "s" + std::to_string(i) + "@example.org", kT0 + i));
    ASSERT_TRUE(store_->Sign(sigs.back()).has_value());
  }
  for (int i : {0, 2, 3, 4}) {
    ASSERT_TRUE(store_->Confirm(sigs[i].token_hash, kT0 + 10).has_value());
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(store_
                  ->ForEachConfirmed(c.id,
                                     [&](const Signature& s) {
                                       seen.push_back(s.canonical_email);
                                       return true;
                                     })
                  .has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"s0@example.org", "s2@example.org", "s3@example.org",
                                            "s4@example.org"}));
  seen.clear();
  ASSERT_TRUE(store_
                  ->ForEachConfirmed(c.id,
                                     [&](const Signature& s) {
                                       seen.push_back(s.canonical_email);
                                       return seen.size() < 2;
                                     })
                  .has_value());
  EXPECT_EQ(seen.size(), 2u);

  auto recent = store_->RecentPublicSigners(c.id, 3);
  ASSERT_TRUE(recent.has_value());
  EXPECT_EQ(recent->size(), 3u);
}

TEST_F(SqliteStoreTest, RecentPublicSignersSkipsPrivateNames) {
  Campaign c = MustCreate("bees");
  NewSignature hidden = NewSig(c.id, "hidden@example.org");
  hidden.form.public_name = false;
  NewSignature shown = NewSig(c.id, "shown@example.org");
  ASSERT_TRUE(store_->Sign(hidden).has_value());
  ASSERT_TRUE(store_->Sign(shown).has_value());
  ASSERT_TRUE(store_->Confirm(hidden.token_hash, kT0 + 5).has_value());
  ASSERT_TRUE(store_->Confirm(shown.token_hash, kT0 + 4).has_value());
  auto recent = store_->RecentPublicSigners(c.id, 10).value();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].name, shown.form.name);
}

TEST_F(SqliteStoreTest, PeopleListingWithEmailFilterAndPaging) {
  Campaign c = MustCreate("bees");
  Campaign d = MustCreate("trees");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        store_->Sign(NewSig(c.id, "p" + std::to_string(i) + "@example.org", kT0 + i)).has_value());
  }
  // Same person signs a second campaign: still one person, modified moves.
  NewSignature s = NewSig(d.id, "p1@example.org", kT0 + 100);
  s.form.name = "Ada King Lovelace";
  s.form.wants_updates = true;
  ASSERT_TRUE(store_->Sign(s).has_value());

  auto all = store_->ListPeople(std::nullopt, {}, Page{1, 2});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 5);
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[0].canonical_email, "p4@example.org");  // newest first
  auto past = store_->ListPeople(std::nullopt, {}, Page{3, 2});
  EXPECT_EQ(past->items.size(), 1u);
  auto beyond = store_->ListPeople(std::nullopt, {}, Page{9, 2});
  EXPECT_TRUE(beyond->items.empty());
  EXPECT_EQ(beyond->total, 5);

  auto one = store_->ListPeople(std::string("p1@example.org"), {}, Page{});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->total, 1);
  ASSERT_EQ(one->items.size(), 1u);
  const Person& p = one->items[0];
  EXPECT_EQ(p.given_name, "Ada King");
  EXPECT_EQ(p.family_name, "Lovelace");
  EXPECT_TRUE(p.subscribed);
  EXPECT_EQ(p.created, kT0 + 1);
  EXPECT_EQ(p.modified, kT0 + 100);
  EXPECT_EQ(store_->ListPeople(std::string("nobody@example.org"), {}, Page{})->total, 0);

  TimeFilter f;
  f.modified_after = kT0 + 50;
  auto moved = store_->ListPeople(std::nullopt, f, Page{});
  ASSERT_EQ(moved->items.size(), 1u);
  EXPECT_EQ(moved->items[0].canonical_email, "p1@example.org");
  f.modified_after.reset();
  f.modified_before = kT0 + 3;
  EXPECT_EQ(store_->ListPeople(std::nullopt, f, Page{})->total, 2);  // p0, p2 (p1 moved)
  EXPECT_EQ(store_->ListPeople(std::string("p1@example.org"), f, Page{})->total, 0);

  auto by_uuid = store_->GetPersonByUuid(p.uuid);
  ASSERT_TRUE(by_uuid.has_value());
  EXPECT_EQ(by_uuid->id, p.id);
  EXPECT_EQ(store_->GetPersonByUuid("nope").error().code, Code::kNotFound);

  // Unsubscribing is not something a later sign-up without the box can do.
  NewSignature s2 = NewSig(c.id, "p1@example.org", kT0 + 200);  // resend, wants_updates=false
  s2.form.wants_updates = false;
  ASSERT_TRUE(store_->Sign(s2).has_value());
  EXPECT_TRUE(store_->GetPersonByUuid(p.uuid)->subscribed);
}

// --- API tokens

TEST_F(SqliteStoreTest, ApiTokens) {
  auto t = store_->CreateApiToken("crm", HashOf("secret-1"), kT0);
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(t->id, 0);
  EXPECT_EQ(t->name, "crm");
  ASSERT_TRUE(store_->CreateApiToken("crm", HashOf("secret-2"), kT0 + 1).has_value());
  ASSERT_TRUE(store_->CreateApiToken("other", "not-hex-raw-hash", kT0 + 1).has_value());
  EXPECT_EQ(store_->CreateApiToken("dup", HashOf("secret-1"), kT0).error().code, Code::kConflict);

  auto found = store_->FindApiToken(HashOf("secret-2"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "crm");
  EXPECT_FALSE(found->revoked.has_value());
  EXPECT_TRUE(store_->FindApiToken("not-hex-raw-hash").has_value());
  EXPECT_EQ(store_->FindApiToken(HashOf("wrong")).error().code, Code::kNotFound);

  auto revoked = store_->RevokeApiToken("crm", kT0 + 5);
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(*revoked, 2);
  EXPECT_EQ(store_->FindApiToken(HashOf("secret-1")).error().code, Code::kNotFound);
  EXPECT_EQ(store_->FindApiToken(HashOf("secret-2")).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->FindApiToken("not-hex-raw-hash").has_value());
  EXPECT_EQ(store_->RevokeApiToken("crm", kT0 + 6).error().code, Code::kNotFound);
  EXPECT_EQ(store_->RevokeApiToken("never", kT0 + 6).error().code, Code::kNotFound);
}

// --- outbox

TEST_F(SqliteStoreTest, OutboxDueSentFailed) {
  Campaign c = MustCreate("bees");
  EXPECT_EQ(store_->NextOutboxAttempt().value(), std::nullopt);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store_->Sign(NewSig(c.id, "m" + std::to_string(i) + "@example.org", kT0 + i)).has_value());
  }
  EXPECT_EQ(store_->OutboxDepth().value(), 3);
  EXPECT_EQ(store_->NextOutboxAttempt().value(), kT0);
  EXPECT_EQ(store_->DueOutbox(kT0 - 1, 10)->size(), 0u);
  auto due = store_->DueOutbox(kT0 + 1, 10).value();
  ASSERT_EQ(due.size(), 2u);  // the third is due at kT0 + 2
  EXPECT_EQ(due[0].recipient, "m0@example.org");
  EXPECT_EQ(due[0].attempts, 0);
  EXPECT_EQ(due[0].created, kT0);
  EXPECT_EQ(store_->DueOutbox(kT0 + 5, 1)->size(), 1u);

  ASSERT_TRUE(store_->MarkOutboxSent(due[0].id, kT0 + 3).has_value());
  ASSERT_TRUE(store_->MarkOutboxFailed(due[1].id, kT0 + 60, "421 try later").has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  EXPECT_EQ(store_->NextOutboxAttempt().value(), kT0 + 2);

  auto now_due = store_->DueOutbox(kT0 + 10, 10).value();
  ASSERT_EQ(now_due.size(), 1u);
  EXPECT_EQ(now_due[0].recipient, "m2@example.org");
  auto later = store_->DueOutbox(kT0 + 60, 10).value();
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1].id, due[1].id);
  EXPECT_EQ(later[1].attempts, 1);
  EXPECT_EQ(later[1].last_error, "421 try later");

  // Sent messages keep no tokens.
  EXPECT_EQ(QueryInt("SELECT length(payload) FROM outbox WHERE id = " + std::to_string(due[0].id)),
            0);
  EXPECT_EQ(QueryInt("SELECT sent FROM outbox WHERE id = " + std::to_string(due[0].id)), kT0 + 3);
  // Idempotent, and unknown ids are kNotFound.
  EXPECT_TRUE(store_->MarkOutboxSent(due[0].id, kT0 + 9).has_value());
  EXPECT_EQ(QueryInt("SELECT sent FROM outbox WHERE id = " + std::to_string(due[0].id)), kT0 + 3);
  EXPECT_TRUE(store_->MarkOutboxFailed(due[0].id, kT0 + 99, "late").has_value());
  EXPECT_EQ(store_->MarkOutboxSent(9999, kT0).error().code, Code::kNotFound);
  EXPECT_EQ(store_->MarkOutboxFailed(9999, kT0, "x").error().code, Code::kNotFound);
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
}

TEST_F(SqliteStoreTest, FreshMessagesAreFoundAfterAnyMixOfSentAndFailedOnes) {
  // Fresh messages are found from a mark that moves past sent and failed ones: whatever the
  // order of sends and failures, every unsent message stays due exactly once, across restarts.
  Campaign c = MustCreate("bees");
  auto sign = [&](int i) {
    ASSERT_TRUE(store_->Sign(NewSig(c.id, "f" + std::to_string(i) + "@example.org")).has_value());
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

TEST_F(SqliteStoreTest, InstanceSecretIsMadeOnceAndKept) {
  auto a = store_->InstanceSecret("csrf");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(store_->InstanceSecret("csrf").value(), *a);
  auto b = store_->InstanceSecret("other");
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(*b, *a);
  Open();
  EXPECT_EQ(store_->InstanceSecret("csrf").value(), *a);
}

TEST_F(SqliteStoreTest, ConcurrentFirstUseOfASecretAgrees) {
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { got[i] = store_->InstanceSecret("race").value_or(""); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, got[0]);
  EXPECT_EQ(got[0].size(), 32u);
}

TEST_F(SqliteStoreTest, BackupIsAConsistentCopy) {
  Campaign c = MustCreate("bees");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->Sign(NewSig(c.id, "b" + std::to_string(i) + "@example.org")).has_value());
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

TEST_F(SqliteStoreTest, ReopenPreservesEverything) {
  Campaign c = MustCreate("bees");
  NewSignature a = NewSig(c.id, "a@example.org");
  NewSignature b = NewSig(c.id, "b@example.org");
  ASSERT_TRUE(store_->Sign(a).has_value());
  ASSERT_TRUE(store_->Sign(b).has_value());
  ASSERT_TRUE(store_->Confirm(a.token_hash, kT0 + 1).has_value());
  ASSERT_TRUE(store_->CreateApiToken("crm", HashOf("tok"), kT0).has_value());
  std::string secret = store_->InstanceSecret("s").value();

  Open();
  auto got = store_->GetCampaignBySlug("bees");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->targets.size(), 2u);
  ExpectCounts(CountsOf(c.id), 1, 1, 0);
  EXPECT_EQ(store_->FindByConfirmToken(a.token_hash)->signature.state, SignatureState::kConfirmed);
  EXPECT_TRUE(store_->FindApiToken(HashOf("tok")).has_value());
  EXPECT_EQ(store_->InstanceSecret("s").value(), secret);
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  // And it keeps working after reopening: counts continue from the stored values.
  auto conf = store_->Confirm(b.token_hash, kT0 + 2);
  ASSERT_TRUE(conf.has_value());
  ExpectCounts(conf->counts, 0, 2, 0);
}

TEST_F(SqliteStoreTest, CloseDrainsThenRefusesWrites) {
  Campaign c = MustCreate("bees");
  // Writers racing with Close either commit fully or get kUnavailable; nothing is lost.
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    std::vector<NewSignature> sigs;
    for (int i = 0; i < 50; ++i) {
      sigs.push_back(NewSig(c.id, "c" + std::to_string(t) + "-" + std::to_string(i) + "@x.org"));
    }
    threads.emplace_back([&, sigs = std::move(sigs)] {
      for (const auto& s : sigs) {
        auto r = store_->Sign(s);
        if (r) {
          ok++;
        } else if (r.error().code == Code::kUnavailable) {
          unavailable++;
        } else {
          other++;
        }
      }
    });
  }
  store_->Close();
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + unavailable.load(), 400);

  auto late = store_->Sign(NewSig(c.id, "late@example.org"));
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, Code::kUnavailable);
  EXPECT_EQ(store_->CreateCampaign(NewCampaign("late")).error().code, Code::kUnavailable);
  store_->Close();  // idempotent
  // Reads still answer until the store is destroyed.
  EXPECT_TRUE(store_->GetCampaignBySlug("bees").has_value());

  store_.reset();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), ok.load());
  Open();
  ExpectCounts(CountsOf(c.id), ok.load(), 0, 0);
}

TEST_F(SqliteStoreTest, SignAsyncAnswersEveryCallerOnceAfterTheWriteIsDurable) {
  Campaign c = MustCreate("async");
  constexpr int kCount = 300;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  std::set<std::string> uuids;
  for (int i = 0; i < kCount; ++i) {
    store_->SignAsync(NewSig(c.id, "async" + std::to_string(i) + "@example.org"),
                      [&](Result<SignOutcome> r) {
                        std::lock_guard lk(mu);
                        EXPECT_TRUE(r) << r.error().message;
                        if (r) {
                          EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
                          uuids.insert(r->signature.uuid);
                        }
                        ++answered;
                        cv.notify_all();
                      });
  }
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(20), [&] { return answered == kCount; }));
  }
  EXPECT_EQ(uuids.size(), static_cast<std::size_t>(kCount));
  ExpectCounts(CountsOf(c.id), kCount, 0, 0);
  // A duplicate through the async path behaves like Sign: a re-send.
  std::promise<Result<SignOutcome>> again;
  store_->SignAsync(NewSig(c.id, "async0@example.org"),
                    [&](Result<SignOutcome> r) { again.set_value(std::move(r)); });
  auto r = again.get_future().get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SignOutcome::Kind::kResent);

  store_->Close();
  std::promise<Result<SignOutcome>> closed;
  store_->SignAsync(NewSig(c.id, "late@example.org"),
                    [&](Result<SignOutcome> r) { closed.set_value(std::move(r)); });
  auto late = closed.get_future().get();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Code::kUnavailable);
}

// --- campaign thresholds

// Outbox "outcome" messages: recipient -> payload.
std::multimap<std::string, nlohmann::json> OutcomeMails(Store& store) {
  std::multimap<std::string, nlohmann::json> out;
  auto due = store.DueOutbox(kT0 + 10 * 86400, 100000);
  EXPECT_TRUE(due);
  for (const auto& m : *due) {
    if (m.kind == "outcome") out.emplace(m.recipient, nlohmann::json::parse(m.payload));
  }
  return out;
}

TEST_F(SqliteStoreTest, ReachingTheThresholdSucceedsOnceAndTellsEveryoneOnce) {
  Campaign c = NewCampaign("threshold");
  c.threshold = 3;
  c.organizers = {"org1@example.org", "org2@example.org"};
  c = store_->CreateCampaign(c).value();
  EXPECT_EQ(c.outcome, CampaignOutcome::kPending);
  NewSignature pending = NewSig(c.id, "pending@example.org");
  ASSERT_TRUE(store_->Sign(pending));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "a@example.org", kT0, true)));
  auto second = store_->Sign(NewSig(c.id, "b@example.org", kT0, true));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->campaign_decided);
  EXPECT_TRUE(OutcomeMails(*store_).empty());
  // The third confirmation (through a confirm link) reaches it.
  auto third = store_->Confirm(pending.token_hash, kT0 + 60);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->campaign_decided);
  EXPECT_EQ(third->campaign.outcome, CampaignOutcome::kSucceeded);
  auto stored = store_->GetCampaignById(c.id).value();
  EXPECT_EQ(stored.outcome, CampaignOutcome::kSucceeded);
  EXPECT_EQ(stored.outcome_at, kT0 + 60);

  auto mails = OutcomeMails(*store_);
  ASSERT_EQ(mails.size(), 5u);  // three signers, two organizers
  for (const char* who : {"pending@example.org", "a@example.org", "b@example.org"}) {
    ASSERT_EQ(mails.count(who), 1u) << who;
    auto m = mails.find(who)->second;
    EXPECT_EQ(m["outcome"], "succeeded");
    EXPECT_EQ(m["role"], "signer");
    EXPECT_EQ(m["campaign_slug"], "threshold");
    EXPECT_EQ(m["threshold"], 3);
    EXPECT_EQ(m["confirmed"], 3);
  }
  EXPECT_EQ(mails.find("org1@example.org")->second["role"], "organizer");

  // Later signers and withdrawals change nothing: no second decision, no more mail.
  auto fourth = store_->Sign(NewSig(c.id, "late@example.org", kT0 + 70, true));
  ASSERT_TRUE(fourth);
  EXPECT_FALSE(fourth->campaign_decided);
  ASSERT_TRUE(store_->Withdraw(pending.token_hash, kT0 + 80));
  EXPECT_EQ(OutcomeMails(*store_).size(), 5u);
  EXPECT_EQ(store_->DecideDueCampaigns(kT0 + 10 * 86400).value(), 0);
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kSucceeded);
  // Editing the campaign keeps the outcome.
  stored.title = "Edited";
  stored.outcome = CampaignOutcome::kPending;
  auto edited = store_->UpdateCampaign(stored);
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->outcome, CampaignOutcome::kSucceeded);
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kSucceeded);
}

TEST_F(SqliteStoreTest, ADeadlinePassedFailsTheCampaignOnceEvenAcrossARestart) {
  Campaign c = NewCampaign("too-few");
  c.threshold = 5;
  c.deadline = kT0 + 3600;
  c.organizers = {"org@example.org"};
  c = store_->CreateCampaign(c).value();
  Campaign other = NewCampaign("no-threshold");
  other.deadline = kT0 + 60;
  ASSERT_TRUE(store_->CreateCampaign(other));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "a@example.org", kT0, true)));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "b@example.org", kT0, true)));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "pending@example.org", kT0)));

  EXPECT_EQ(store_->NextOutcomeDeadline().value(), kT0 + 3600);
  EXPECT_EQ(store_->DecideDueCampaigns(kT0 + 3599).value(), 0);
  EXPECT_EQ(store_->DecideDueCampaigns(kT0 + 3600).value(), 1);
  auto failed = store_->GetCampaignById(c.id).value();
  EXPECT_EQ(failed.outcome, CampaignOutcome::kFailed);
  auto mails = OutcomeMails(*store_);
  ASSERT_EQ(mails.size(), 3u);  // the two confirmed signers and the organizer; not the pending
  EXPECT_EQ(mails.count("pending@example.org"), 0u);
  EXPECT_EQ(mails.find("a@example.org")->second["outcome"], "failed");
  EXPECT_EQ(mails.find("a@example.org")->second["confirmed"], 2);
  EXPECT_FALSE(store_->NextOutcomeDeadline().value().has_value());

  Open();  // a restart decides nothing again
  EXPECT_EQ(store_->DecideDueCampaigns(kT0 + 7200).value(), 0);
  EXPECT_EQ(OutcomeMails(*store_).size(), 3u);
  // A confirmation after the failure does not turn it into a success.
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "c@example.org", kT0 + 7200, true)));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "d@example.org", kT0 + 7200, true)));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "e@example.org", kT0 + 7200, true)));
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kFailed);
  EXPECT_EQ(OutcomeMails(*store_).size(), 3u);
}

// --- the signature log

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

TEST_F(SqliteStoreTest, ConfirmAndWithdrawOfACountedSignatureAppendLeaves) {
  Campaign c = MustCreate("logged");
  NewSignature a = NewSig(c.id, "a@example.org");
  NewSignature b = NewSig(c.id, "b@example.org");
  ASSERT_TRUE(store_->Sign(a));
  ASSERT_TRUE(store_->Sign(b));
  EXPECT_EQ(ReadLog(*store_).leaves.size(), 0u);  // pending signatures are not counted
  ASSERT_TRUE(store_->Confirm(a.token_hash, kT0 + 10));
  ASSERT_TRUE(store_->Confirm(a.token_hash, kT0 + 20));   // idempotent: no leaf
  ASSERT_TRUE(store_->Withdraw(b.token_hash, kT0 + 30));  // was pending: no leaf
  ASSERT_TRUE(store_->Withdraw(a.token_hash, kT0 + 40));
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "api@example.org", kT0 + 50, /*confirm_now=*/true)));

  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), 3u);
  EXPECT_EQ(log.leaves[0].event, log::LeafEvent::kConfirm);
  EXPECT_EQ(log.leaves[1].event, log::LeafEvent::kWithdraw);
  EXPECT_EQ(log.leaves[2].event, log::LeafEvent::kConfirm);
  for (const auto& l : log.leaves) {
    EXPECT_EQ(l.campaign, c.uuid);
    EXPECT_EQ(l.group, "public");
    EXPECT_EQ(l.day, "2023-11-14");
  }
  // One signer's confirm and withdraw leaves carry the same commitment; another's differs.
  EXPECT_EQ(log.leaves[0].commitment, log.leaves[1].commitment);
  EXPECT_NE(log.leaves[0].commitment, log.leaves[2].commitment);
  // No personal data in the leaves.
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto entries = store_->LogEntries(i, 1);
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->front().find("example.org"), std::string::npos);
    EXPECT_EQ(entries->front().find("Signer"), std::string::npos);
  }

  auto head = store_->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, 3u);
  EXPECT_EQ(head->root, log.tree.Root());
  ASSERT_EQ(head->counts.size(), 1u);
  EXPECT_EQ(head->counts[0].uuid, c.uuid);
  EXPECT_EQ(head->counts[0].slug, "logged");
  EXPECT_EQ(head->counts[0].confirmed, 1);
}

TEST_F(SqliteStoreTest, TheLogHeadCountsEachGroupAsItsLeavesNameIt) {
  Campaign plain = MustCreate("plain");
  Campaign grouped = NewCampaign("grouped");
  grouped.groups = {
      SignerGroup{"customers",
                  "Customers",
                  GroupKind::kCustomers,
                  "",
                  {},
                  "I am a customer.",
                  std::nullopt,
                  {}},
      SignerGroup{"public", "Everyone else", GroupKind::kPublic, "", {}, "", std::nullopt, {}}};
  auto g = store_->CreateCampaign(grouped);
  ASSERT_TRUE(g) << g.error().message;
  ASSERT_TRUE(store_->Sign(NewSig(plain.id, "p@example.org", kT0, /*confirm_now=*/true)));
  NewSignature a = NewSig(g->id, "a@example.org", kT0, /*confirm_now=*/true);
  a.form.group = "customers";
  ASSERT_TRUE(store_->Sign(a));
  NewSignature b = NewSig(g->id, "b@example.org", kT0, /*confirm_now=*/true);
  b.form.group = "public";
  ASSERT_TRUE(store_->Sign(b));
  // Recorded again into the other group: it moves, and the log says so.
  b.form.group = "customers";
  b.now = kT0 + 10;
  ASSERT_TRUE(store_->Sign(b));

  log::LeafCounts from_leaves;
  for (const log::Leaf& l : ReadLog(*store_).leaves) from_leaves.Add(l);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  ASSERT_EQ(head->counts.size(), 2u);
  for (const LogCampaignCount& c : head->counts) {
    std::map<std::string, std::int64_t> published;
    for (const GroupCount& gc : c.groups) {
      if (gc.confirmed != 0) published[gc.key] = gc.confirmed;
    }
    std::map<std::string, std::int64_t> leaves;
    for (const auto& [key, n] : from_leaves.by_group[c.uuid]) {
      if (n != 0) leaves[key] = n;
    }
    EXPECT_EQ(published, leaves) << c.slug;
  }
  EXPECT_EQ(from_leaves.by_group[g->uuid]["customers"], 2);
  EXPECT_EQ(from_leaves.by_group[plain.uuid]["public"], 1);
}

TEST_F(SqliteStoreTest, EveryTextVersionIsKeptAndLeavesNameTheCurrentOne) {
  Campaign c = MustCreate("edited");
  const std::string v1 = log::TextHash(c.demand, c.letter_markdown);
  NewSignature early = NewSig(c.id, "early@example.org");
  ASSERT_TRUE(store_->Sign(early));

  // An edit of the title only keeps the text; one of the letter adds version 2, dated.
  c.title = "A new title";
  c.modified = kT0 + 100;
  ASSERT_TRUE(store_->UpdateCampaign(c));
  c.letter_markdown = "Dear *CEO*,\n\nplease, now.";
  c.modified = kT0 + 200;
  ASSERT_TRUE(store_->UpdateCampaign(c));
  const std::string v2 = log::TextHash(c.demand, c.letter_markdown);
  auto texts = store_->CampaignTexts(c.id);
  ASSERT_TRUE(texts) << texts.error().message;
  ASSERT_EQ(texts->size(), 2u);
  EXPECT_EQ((*texts)[0],
            (CampaignText{1, v1, kT0, "Do the right thing", "Dear *CEO*,\n\nplease."}));
  EXPECT_EQ((*texts)[1].version, 2);
  EXPECT_EQ((*texts)[1].hash, v2);
  EXPECT_EQ((*texts)[1].created, kT0 + 200);
  EXPECT_EQ((*texts)[1].letter_markdown, c.letter_markdown);

  // Confirmed after the edit: counted under version 2. A trusted signing whose caller still
  // knew version 1 is counted under version 2 too (the writer checks).
  ASSERT_TRUE(store_->Confirm(early.token_hash, kT0 + 300));
  NewSignature stale = NewSig(c.id, "api@example.org", kT0 + 400, /*confirm_now=*/true);
  stale.campaign_uuid = c.uuid;
  stale.text_hash = v1;
  ASSERT_TRUE(store_->Sign(stale));
  NewSignature fresh = NewSig(c.id, "api2@example.org", kT0 + 500, /*confirm_now=*/true);
  fresh.campaign_uuid = c.uuid;
  fresh.text_hash = v2;
  ASSERT_TRUE(store_->Sign(fresh));
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), 3u);
  for (const auto& l : log.leaves) EXPECT_EQ(l.text, v2);
  auto entry = store_->LogEntries(0, 1);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->front().rfind("undersigned/leaf/v2\n", 0), 0u) << entry->front();
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

TEST_F(SqliteStoreTest, StoredNodesAnswerProofsAndSurviveReopening) {
  Campaign c = MustCreate("nodes");
  // Many concurrent confirmations: several per batch, in whatever order the writer takes them.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = store_->Sign(NewSig(
            c.id, "t" + std::to_string(t) + "-" + std::to_string(i) + "@example.org", kT0, true));
        EXPECT_TRUE(r) << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.tree.Size(), 200u);
  // Every stored node equals the reference tree's.
  for (std::uint8_t level = 0; level < 8; ++level) {
    std::uint64_t n = 200 >> level;
    auto nodes = store_->LogNodes(level, 0, n);
    ASSERT_TRUE(nodes) << nodes.error().message;
    for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ((*nodes)[i], *log.tree.Node(level, i));
    EXPECT_FALSE(store_->LogNodes(level, 0, n + 1));  // beyond the tree: missing
  }
  Open();  // the writer restores its range from the stored nodes and appends on
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "after@example.org", kT0, true)));
  LogContents again = ReadLog(*store_);
  ASSERT_EQ(again.tree.Size(), 201u);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->root, again.tree.Root());
  EXPECT_EQ(head->counts[0].confirmed, 201);
}

TEST_F(SqliteStoreTest, AFailedOperationLeavesNoLeafBehind) {
  Campaign c = MustCreate("rollback");
  NewSignature a = NewSig(c.id, "a@example.org");
  ASSERT_TRUE(store_->Sign(a));
  ASSERT_TRUE(store_->Withdraw(a.token_hash, kT0 + 1));
  // Confirming a withdrawn signature fails inside the batch; a confirmation next to it lands.
  NewSignature b = NewSig(c.id, "b@example.org");
  ASSERT_TRUE(store_->Sign(b));
  std::thread t1([&] { EXPECT_FALSE(store_->Confirm(a.token_hash, kT0 + 2)); });
  std::thread t2([&] { EXPECT_TRUE(store_->Confirm(b.token_hash, kT0 + 2)); });
  t1.join();
  t2.join();
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), 1u);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->root, log.tree.Root());
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
    ASSERT_TRUE(store_->Sign(again));
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
    store_->SignAsync(NewSig(c.id, "n" + std::to_string(i) + "@example.org", kT0, i % 2 == 0),
                      done);
    if (i % 10 == 0) {  // one over the resend limit: its work is discarded
      NewSignature over = limited;
      over.token_hash = HashOf("over-" + std::to_string(i));
      store_->SignAsync(over, done);
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

TEST_F(SqliteStoreTest, ReceiptDataAndCheckpoints) {
  Campaign c = MustCreate("receipt");
  NewSignature a = NewSig(c.id, "a@example.org");
  ASSERT_TRUE(store_->Sign(a));
  auto pending = store_->LogReceipt(a.token_hash);
  ASSERT_FALSE(pending);
  EXPECT_EQ(pending.error().code, Code::kConflict);
  EXPECT_EQ(store_->LogReceipt(HashOf("nobody")).error().code, Code::kNotFound);
  NewSignature first = NewSig(c.id, "first@example.org", kT0, true);
  auto first_signed = store_->Sign(first);
  ASSERT_TRUE(first_signed);
  // A signature that counted at once has its receipt data too (salt and index stored with it),
  // but no token: nothing was mailed, so none is kept and none finds it.
  const std::string first_id = std::to_string(first_signed->signature.id);
  EXPECT_EQ(QueryInt("SELECT log_index FROM signatures WHERE id = " + first_id), 0);
  EXPECT_EQ(QueryInt("SELECT length(log_salt) FROM signatures WHERE id = " + first_id),
            static_cast<std::int64_t>(log::kSaltBytes));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE signature_id = " + first_id), 0);
  EXPECT_EQ(store_->LogReceipt(first.token_hash).error().code, Code::kNotFound);
  ASSERT_TRUE(store_->Confirm(a.token_hash, kT0 + 5));
  auto info = store_->LogReceipt(a.token_hash);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->campaign_id, c.id);
  EXPECT_EQ(info->leaf_index, 1u);
  ASSERT_EQ(info->salt.size(), log::kSaltBytes);
  auto leaf = log::ParseLeaf(info->entry);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->commitment,
            log::Commitment(std::span<const std::uint8_t>(
                                reinterpret_cast<const std::uint8_t*>(info->salt.data()), 32),
                            "a@example.org"));

  auto none = store_->LatestCheckpoint();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->SaveCheckpoint({1, "note one\n", "{}", kT0}));
  ASSERT_TRUE(store_->SaveCheckpoint({2, "note two\n", "{\"a\":1}", kT0 + 1}));
  ASSERT_TRUE(store_->SaveCheckpoint({2, "other\n", "{}", kT0 + 2}));  // same size: kept first
  auto latest = store_->LatestCheckpoint();
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->size, 2u);
  EXPECT_EQ((*latest)->note, "note two\n");
  EXPECT_EQ((*latest)->counts_json, "{\"a\":1}");
}

TEST_F(SqliteStoreTest, LogNodesOfEveryLevelComeFromTheTileLevels) {
  // Only leaves and the nodes of levels 8, 16, ... are stored; any node is read the same as
  // if every level were.
  Campaign c = MustCreate("tiles");
  constexpr int kLeaves = 600;
  for (int i = 0; i < kLeaves; ++i) {
    ASSERT_TRUE(store_->Sign(NewSig(c.id, "t" + std::to_string(i) + "@example.org", kT0, true)));
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
  ASSERT_TRUE(store_->Sign(NewSig(c.id, "after@example.org", kT0, true)));
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
    ASSERT_TRUE((*s)->Sign(NewSig(c.id, "a@example.org", kT0, true)));
    auto head = (*s)->GetLogHead();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->size, 0u);
    EXPECT_EQ(head->counts[0].confirmed, 1);
  }
  Open();
  Campaign c = MustCreate("on");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->Sign(NewSig(c.id, std::to_string(i) + "@example.org", kT0, true)));
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
