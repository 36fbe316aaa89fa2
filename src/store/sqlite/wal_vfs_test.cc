#include "store/sqlite/wal_vfs.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace undersigned::store {
namespace {

namespace fs = std::filesystem;

// A raw connection, so that the tests see SQLite's own behaviour through the VFS.
class Conn {
 public:
  Conn(const std::string& path, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK);
  }
  ~Conn() { sqlite3_close_v2(db_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    ASSERT_EQ(rc, SQLITE_OK) << sql.substr(0, 60) << ": " << (err != nullptr ? err : "");
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("us_wal_vfs_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    ASSERT_NE(WalVfsName(), nullptr);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A WAL database with autocheckpointing off, so that every commit stays in the WAL.
  static void Setup(Conn& c) {
    c.Exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        "PRAGMA wal_autocheckpoint = 0;"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
        "CREATE INDEX t_v ON t (v);");
  }
  static std::string Insert(int from, int n) {
    std::string sql = "BEGIN;";
    for (int i = from; i < from + n; ++i) {
      sql += "INSERT INTO t (id, v) VALUES (" + std::to_string(i) + ", printf('%0200d', " +
             std::to_string(i * 7919 % 100003) + "));";
    }
    return sql + "COMMIT;";
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(WalVfsTest, ACommitReachesTheWalInOneWrite) {
  Conn c(path_, WalVfsName());
  Setup(c);
  WalVfsStats before = GetWalVfsStats();
  c.Exec(Insert(1, 100));  // a dozen pages: two SQLite writes per frame
  WalVfsStats after = GetWalVfsStats();
  EXPECT_GE(after.writes - before.writes, 20);
  EXPECT_EQ(after.write_outs - before.write_outs, 1);
  // A commit longer than one write can carry goes out in parts of up to 31 pages.
  before = after;
  c.Exec(Insert(101, 1000));
  after = GetWalVfsStats();
  const std::int64_t writes = after.writes - before.writes;
  EXPECT_GE(writes, 200);
  EXPECT_LE(after.write_outs - before.write_outs, writes / 2 / 31 + 1);
  EXPECT_EQ(c.Text("SELECT count(*) FROM t"), "1100");
  EXPECT_EQ(c.Text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalVfsTest, ACommittedTransactionIsInTheFileBeforeTheConnectionCloses) {
  Conn writer(path_, WalVfsName());
  Setup(writer);
  writer.Exec(Insert(1, 100));
  // Another connection, through the default VFS, reads the frames from the file itself.
  {
    Conn reader(path_, nullptr);
    EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), "100");
  }
  writer.Exec(Insert(101, 50));
  // A copy of the files as they are now (as a crash would leave them) holds both commits.
  const fs::path copy = dir_ / "copy.db";
  fs::copy_file(path_, copy);
  fs::copy_file(path_ + "-wal", copy.string() + "-wal");
  Conn recovered(copy.string(), nullptr);
  EXPECT_EQ(recovered.Text("SELECT count(*) FROM t"), "150");
  EXPECT_EQ(recovered.Text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalVfsTest, AnUncommittedTransactionIsNotVisibleAndRollsBack) {
  Conn c(path_, WalVfsName());
  Setup(c);
  c.Exec(Insert(1, 10));
  // A tiny page cache makes SQLite spill frames into the WAL mid-transaction (and rewrite some
  // of them at commit, out of order), all of which must come out right.
  c.Exec("PRAGMA cache_size = 10");
  c.Exec("BEGIN");
  for (int i = 0; i < 20; ++i) {
    c.Exec("INSERT INTO t (id, v) VALUES (" + std::to_string(1000 + i) + ", printf('%03000d', " +
           std::to_string(i) + "))");
  }
  {
    Conn reader(path_, nullptr);
    EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), "10");
  }
  c.Exec("ROLLBACK");
  EXPECT_EQ(c.Text("SELECT count(*) FROM t"), "10");
  c.Exec(Insert(2000, 400));
  c.Exec("UPDATE t SET v = v || 'x' WHERE id % 3 = 0");
  EXPECT_EQ(c.Text("SELECT count(*) FROM t"), "410");
  EXPECT_EQ(c.Text("PRAGMA integrity_check"), "ok");
  Conn reader(path_, nullptr);
  EXPECT_EQ(reader.Text("SELECT count(*) FROM t WHERE v LIKE '%x'"),
            c.Text("SELECT count(*) FROM t WHERE id % 3 = 0"));
}

TEST_F(WalVfsTest, ACommitIsInTheFileWhereverAFullBufferGoesOut) {
  // A buffer of one frame and a header: it goes out between the header and the page of every
  // other frame, the commit frame's included for some of these transaction sizes.
  constexpr std::size_t kFrame = 24 + 4096;
  SetWalVfsBufferForTesting(kFrame + 24);
  {
    Conn writer(path_, WalVfsName());
    Setup(writer);
    Conn reader(path_, nullptr);  // reads the frames from the file itself
    int rows = 0;
    for (int n : {1, 2, 3, 5, 8, 13, 21, 34, 55}) {
      writer.Exec(Insert(1000 + rows, n));
      rows += n;
      EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), std::to_string(rows)) << n;
      EXPECT_EQ(reader.Text("SELECT count(*) FROM t WHERE v LIKE '0%'"), std::to_string(rows));
    }
    EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
  }
  SetWalVfsBufferForTesting(4 << 20);
}

TEST_F(WalVfsTest, TheWalRestartsAndCheckpointsThroughTheVfs) {
  {
    Conn c(path_, WalVfsName());
    Setup(c);
    for (int round = 0; round < 5; ++round) {
      c.Exec(Insert(round * 100 + 1, 100));
      // Copies everything back and restarts the WAL: the next commit writes from its start.
      c.Exec("PRAGMA wal_checkpoint(RESTART)");
    }
    EXPECT_EQ(c.Text("SELECT count(*) FROM t"), "500");
  }
  Conn reopened(path_, nullptr);
  EXPECT_EQ(reopened.Text("SELECT count(*) FROM t"), "500");
  EXPECT_EQ(reopened.Text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace undersigned::store
