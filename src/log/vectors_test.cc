// The RFC 6962 test vectors of transparency-dev/merkle, kept in this repository under
// src/log/testdata/merkle (origin and licence in its README.md and LICENSE): every file is
// checked; a missing directory fails the test rather than skipping it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "log/encoding.h"
#include "log/merkle.h"
#include "log/proof.h"
#include "log/test_util.h"

namespace undersigned::log {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// $UNDERSIGNED_TESTDATA (the merkle directory itself, or a directory holding "merkle"), else
// src/log/testdata/merkle under $UNDERSIGNED_SOURCE_DIR (set by ctest), else under the source
// directory this binary was configured from.
fs::path VectorDir() {
  if (const char* d = std::getenv("UNDERSIGNED_TESTDATA"); d && *d) {
    fs::path p(d);
    return fs::exists(p / "merkle") ? p / "merkle" : p;
  }
  const char* src = std::getenv("UNDERSIGNED_SOURCE_DIR");
  fs::path base = (src && *src) ? fs::path(src) : fs::path(US_LOG_SOURCE_DIR);
  return base / "src" / "log" / "testdata" / "merkle";
}

json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// A hash field: base64 of exactly 32 bytes, else nullopt. A client holding typed hashes cannot
// even represent a value of another length, so such a file is rejected at decoding.
std::optional<Hash> DecodeHash(const json& v) {
  if (!v.is_string()) return std::nullopt;
  auto bytes = Base64Decode(v.get<std::string>());
  if (!bytes || bytes->size() != 32) return std::nullopt;
  Hash h;
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::optional<std::vector<Hash>> DecodeProof(const json& v) {
  std::vector<Hash> out;
  if (v.is_null()) return out;
  for (const json& e : v) {
    auto h = DecodeHash(e);
    if (!h) return std::nullopt;
    out.push_back(*h);
  }
  return out;
}

// Files whose hash fields are placeholders of the wrong length (e.g. "ZG9uJ3QgY2FyZSAy" =
// "don't care 2", 12 bytes) but which are marked wantErr: false because the Go library compares
// raw bytes when sizes are equal. We reject them at decoding (see DecodeHash); the behaviour they
// describe (m == n, equal roots, empty proof: accepted) is covered with real hashes in
// proof_test.cc, VerifyConsistency.EdgeCases.
bool IsPlaceholderAcceptance(const fs::path& p) {
  return p.filename() == "sizes-are-equal-one-and-proof-is-empty.json";
}

struct Tally {
  int files = 0, happy = 0, rejected = 0;
};

bool CheckInclusion(const json& j) {
  auto leaf = DecodeHash(j["leafHash"]);
  auto root = DecodeHash(j["root"]);
  auto proof = DecodeProof(j["proof"]);
  if (!leaf || !root || !proof) return false;
  return bool(VerifyInclusion(*leaf, j["leafIdx"].get<uint64_t>(), j["treeSize"].get<uint64_t>(),
                              *proof, *root));
}

bool CheckConsistency(const json& j) {
  auto r1 = DecodeHash(j["root1"]);
  auto r2 = DecodeHash(j["root2"]);
  auto proof = DecodeProof(j["proof"]);
  if (!r1 || !r2 || !proof) return false;
  return bool(
      VerifyConsistency(j["size1"].get<uint64_t>(), j["size2"].get<uint64_t>(), *proof, *r1, *r2));
}

void RunDirectory(const fs::path& dir, bool inclusion, Tally& t) {
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    SCOPED_TRACE(p.string());
    const json j = ReadJson(p);
    const bool want_ok = !j["wantErr"].get<bool>();
    const bool ok = inclusion ? CheckInclusion(j) : CheckConsistency(j);
    ++t.files;
    if (p.filename() == "happy-path.json") {
      ++t.happy;
      EXPECT_TRUE(want_ok);
    }
    if (!ok) ++t.rejected;
    if (IsPlaceholderAcceptance(p)) {
      EXPECT_FALSE(ok) << "placeholder hashes must be rejected at decoding";
      continue;
    }
    EXPECT_EQ(ok, want_ok) << (want_ok ? "should verify" : "should be rejected") << ": "
                           << j.value("desc", "");
  }
}

TEST(Vectors, DirectoryExists) {
  const fs::path dir = VectorDir();
  ASSERT_TRUE(fs::is_directory(dir)) << "test vectors not found at " << dir
                                     << " (set UNDERSIGNED_TESTDATA or UNDERSIGNED_SOURCE_DIR)";
  EXPECT_TRUE(fs::exists(dir / "roots.json"));
}

TEST(Vectors, RootsForSizesZeroToEight) {
  const json j = ReadJson(VectorDir() / "roots.json");
  std::vector<Hash> leaves;
  for (const json& hex : j["leaf_inputs_hex"]) {
    auto bytes = HexDecode(hex.get<std::string>());
    ASSERT_TRUE(bytes);
    leaves.push_back(LeafHash(*bytes));
  }
  const json& roots = j["roots_hex_by_size"];
  ASSERT_EQ(roots.size(), 9u);
  ASSERT_EQ(leaves.size(), 8u);
  CompactRange range;
  MemoryTree tree;
  for (size_t n = 0; n <= 8; ++n) {
    const std::string want = roots[n].get<std::string>();
    EXPECT_EQ(testing::Hex(RootFromLeaves(std::span(leaves).first(n))), want) << n;
    EXPECT_EQ(testing::Hex(range.Root()), want) << n;
    EXPECT_EQ(testing::Hex(tree.Root()), want) << n;
    if (n < 8) {
      range.Append(leaves[n]);
      tree.Append(leaves[n]);
    }
  }
}

TEST(Vectors, InclusionFiles) {
  Tally t;
  RunDirectory(VectorDir() / "inclusion", /*inclusion=*/true, t);
  EXPECT_GE(t.files, 98);  // 98 files today: guards against a missing or truncated copy
  EXPECT_EQ(t.happy, 5);
  RecordProperty("files", t.files);
  RecordProperty("rejected", t.rejected);
  std::cout << "inclusion vectors: " << t.files << " files, " << t.rejected << " rejected\n";
}

TEST(Vectors, ConsistencyFiles) {
  Tally t;
  RunDirectory(VectorDir() / "consistency", /*inclusion=*/false, t);
  EXPECT_GE(t.files, 98);
  EXPECT_EQ(t.happy, 5);
  RecordProperty("files", t.files);
  RecordProperty("rejected", t.rejected);
  std::cout << "consistency vectors: " << t.files << " files, " << t.rejected << " rejected\n";
}

// The subtreeinclusion/ and subtreeconsistency/ folders test proofs for arbitrary subtrees
// [start, end) (an extension beyond RFC 9162 used by some witnesses). The log does not offer
// subtree proofs, so they are not run.

}  // namespace
}  // namespace undersigned::log
