#include "store/sqlite/page_check.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace undersigned::store {
namespace {

namespace fs = std::filesystem;

// A database of a table with rowids appended and an index of random keys, a few hundred pages
// (so both trees have interior pages), closed; and its schema's roots.
class PageCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "us_page_check_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (fs::path(dir_) / "t.db").string();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v TEXT);"
                           "CREATE INDEX t_k ON t (k);"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < 4000) INSERT INTO t (k, v) SELECT hex(randomblob(16)), "
                           "hex(randomblob(100)) FROM n;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name, rootpage FROM sqlite_schema", -1, &st, nullptr),
              SQLITE_OK);
    roots_ = {{"sqlite_schema", 1}};
    while (sqlite3_step(st) == SQLITE_ROW) {
      roots_.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                          static_cast<std::uint32_t>(sqlite3_column_int64(st, 1)));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    pages_ = fs::file_size(path_) / 4096;
    ASSERT_GT(pages_, 200u);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Overwrites page n (from 1) with bytes.
  void WritePage(std::uint64_t n, const std::string& bytes) {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>((n - 1) * 4096));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  std::string dir_;
  std::string path_;
  std::vector<std::pair<std::string, std::uint32_t>> roots_;
  std::uint64_t pages_ = 0;
};

TEST_F(PageCheckTest, AnIntactFilePasses) {
  auto r = CheckDatabaseFile(path_, roots_);
  EXPECT_TRUE(r.has_value()) << r.error().message;
}

TEST_F(PageCheckTest, AZeroedLastPageIsRefusedByNumber) {
  WritePage(pages_, std::string(4096, '\0'));
  auto r = CheckDatabaseFile(path_, roots_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInternal);
  EXPECT_NE(r.error().message.find("is damaged: page " + std::to_string(pages_) + " of "),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("restore"), std::string::npos) << r.error().message;
}

TEST_F(PageCheckTest, GarbageInAnyOfTheLastPagesIsRefused) {
  std::string junk(4096, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131 + 7) % 251);
  junk[0] = 13;  // a leaf's page type: the header's other fields must give it away
  for (std::uint64_t back = 0; back < kTailPages; back += 9) {
    TearDown();
    SetUp();  // a fresh file each time (its size varies a little: the keys are random)
    const std::uint64_t n = pages_ - back;
    WritePage(n, junk);
    auto r = CheckDatabaseFile(path_, roots_);
    EXPECT_FALSE(r.has_value()) << "page " << n << " of " << pages_;
  }
}

TEST_F(PageCheckTest, ADamagedInteriorPageIsRefused) {
  // The root of t is interior (4000 rows): zero its cell count and content area.
  std::uint32_t root = 0;
  for (const auto& [name, page] : roots_) {
    if (name == "t") root = page;
  }
  ASSERT_GT(root, 1u);
  WritePage(root, std::string(8, '\x05'));
  auto r = CheckDatabaseFile(path_, roots_);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("(the root of t)"), std::string::npos) << r.error().message;
}

TEST_F(PageCheckTest, AFileCutShortIsRefused) {
  fs::resize_file(path_, (pages_ - 1) * 4096 + 1000);
  auto r = CheckDatabaseFile(path_, roots_);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("cut short"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace undersigned::store
