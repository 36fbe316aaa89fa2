#include "log/tiles.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "log/test_util.h"

namespace undersigned::log {
namespace {

using testing::TestLeaves;

TEST(TilePath, EncodesIndexesAsTheSpecSays) {
  // Examples from c2sp.org/tlog-tiles.
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(5), "005");
  EXPECT_EQ(TileIndexPath(999), "999");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(TileIndexPath(1000000), "x001/x000/000");
  EXPECT_EQ(TileIndexPath(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
  EXPECT_EQ(TilePath({0, 1234067}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({1, 5, 17}), "tile/1/005.p/17");
  EXPECT_EQ(TilePath({2, 0, 1}), "tile/2/000.p/1");
  EXPECT_EQ(EntryBundlePath({0, 1234067, 8}), "tile/entries/x001/x234/067.p/8");
  EXPECT_EQ(EntryBundlePath({0, 3}), "tile/entries/003");
}

TEST(TilePath, ParsesCanonicalPathsBack) {
  for (const TileId& t : std::vector<TileId>{{0, 0},
                                             {0, 1234067},
                                             {1, 5, 17},
                                             {63, 7, 255},
                                             {2, 1000, 1},
                                             {0, UINT64_MAX},
                                             {7, 999999, 128}}) {
    auto back = ParseTilePath(TilePath(t));
    ASSERT_TRUE(back) << TilePath(t);
    EXPECT_EQ(*back, t);
    auto entries = ParseEntryBundlePath(EntryBundlePath(t));
    ASSERT_TRUE(entries);
    EXPECT_EQ(*entries, (TileId{0, t.index, t.width}));
  }
}

TEST(TilePath, RejectsNonCanonicalPaths) {
  for (const char* bad : {"",
                          "tile",
                          "tile/",
                          "tile/0",
                          "tile/0/",
                          "tile//000",
                          "/tile/0/000",
                          "tile/00/000",
                          "tile/01/000",
                          "tile/64/000",
                          "tile/100/000",
                          "tile/-1/000",
                          "tile/0/0",
                          "tile/0/00",
                          "tile/0/0000",
                          "tile/0/x000/001",
                          "tile/0/x001",
                          "tile/0/x001/",
                          "tile/0/001/002",
                          "tile/0/x1234/000",
                          "tile/0/x01/000",
                          "tile/0/000/",
                          "tile/0/000.p",
                          "tile/0/000.p/",
                          "tile/0/000.p/0",
                          "tile/0/000.p/256",
                          "tile/0/000.p/017",
                          "tile/0/000.p/1x",
                          "tile/0/000.P/1",
                          "tile/0/000.p/+1",
                          "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
                          "tile/0/x018/x446/x744/x073/x709/x551/616",
                          "tile/0/abc",
                          "tile/0/ 000",
                          "tile/entries/000",
                          "tile/0/000?x=1"}) {
    EXPECT_FALSE(ParseTilePath(bad)) << bad;
  }
  for (const char* bad : {"tile/entries/", "tile/entries/0", "tile/entries/x000/001",
                          "tile/entries/000.p/0", "tile/0/000", "tile/entries/000.p/256"}) {
    EXPECT_FALSE(ParseEntryBundlePath(bad)) << bad;
  }
}

TEST(TilesForSize, MatchesTheSpecExamples) {
  EXPECT_TRUE(TilesForSize(0).empty());
  EXPECT_EQ(TilesForSize(1), (std::vector<TileId>{{0, 0, 1}}));
  // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
  // of width 1"
  EXPECT_EQ(TilesForSize(256), (std::vector<TileId>{{0, 0, 256}, {1, 0, 1}}));
  // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
  // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
  // partial level 2 tile of width 1"
  auto tiles = TilesForSize(70000);
  ASSERT_EQ(tiles.size(), 273u + 1 + 1 + 1 + 1);
  for (uint64_t i = 0; i < 273; ++i) EXPECT_EQ(tiles[i], (TileId{0, i}));
  EXPECT_EQ(tiles[273], (TileId{0, 273, 112}));
  EXPECT_EQ(tiles[274], (TileId{1, 0}));
  EXPECT_EQ(tiles[275], (TileId{1, 1, 17}));
  EXPECT_EQ(tiles[276], (TileId{2, 0, 1}));
}

// Serves the tiles of `tree` as a log would, recording which paths were asked for and failing
// for any path that is not a tile of a tree of `size` (clients must not guess partial tiles).
struct TileServer {
  MemoryTree& tree;
  uint64_t size;
  std::set<std::string> valid;
  std::vector<std::string> requests;

  TileServer(MemoryTree& t, uint64_t s) : tree(t), size(s) {
    for (const TileId& id : TilesForSize(size)) valid.insert(TilePath(id));
  }
  TileFetcher Fetcher() {
    return [this](const std::string& path) -> Result<std::string> {
      requests.push_back(path);
      if (!valid.count(path)) return Fail(Code::kNotFound, "no tile " + path);
      auto id = ParseTilePath(path);
      if (!id) return Fail(id.error());
      auto hashes = TileHashes(tree, *id);
      if (!hashes) return Fail(hashes.error());
      return EncodeTile(*hashes);
    };
  }
};

TEST(TileHashes, AreTheNodesOfTheTileRow) {
  auto leaves = TestLeaves(70000);
  MemoryTree tree(leaves);
  auto t0 = TileHashes(tree, {0, 3});
  ASSERT_TRUE(t0);
  ASSERT_EQ(t0->size(), 256u);
  EXPECT_EQ((*t0)[0], leaves[768]);
  EXPECT_EQ((*t0)[255], leaves[1023]);
  auto t1 = TileHashes(tree, {1, 1, 17});
  ASSERT_TRUE(t1);
  ASSERT_EQ(t1->size(), 17u);
  // Entry i of tile (1, 1) is the MTH of 256 leaves starting at (256 + i) * 256.
  EXPECT_EQ((*t1)[16], RootFromLeaves(std::span(leaves).subspan((256 + 16) * 256, 256)));
  auto t2 = TileHashes(tree, {2, 0, 1});
  ASSERT_TRUE(t2);
  EXPECT_EQ((*t2)[0], RootFromLeaves(std::span(leaves).first(65536)));
  // A tile the tree does not have yet.
  EXPECT_EQ(TileHashes(tree, {1, 1}).error().code, Code::kNotFound);
  EXPECT_EQ(TileHashes(tree, {8, 0}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(TileHashes(tree, {0, 0, 0}).error().code, Code::kInvalidArgument);
}

TEST(TileCodec, RoundTripsAndChecksLength) {
  auto leaves = TestLeaves(5);
  const std::string bytes = EncodeTile(leaves);
  EXPECT_EQ(bytes.size(), 160u);
  auto back = DecodeTile(bytes, 5);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, leaves);
  EXPECT_FALSE(DecodeTile(bytes, 4));
  EXPECT_FALSE(DecodeTile(bytes.substr(1), 5));
}

TEST(EntryBundle, RoundTripsAndRejectsTruncation) {
  std::vector<std::string> entries = {"", "a", std::string(300, 'x'), std::string(65535, 'y')};
  auto bytes = EncodeEntryBundle(entries);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->substr(0, 5), std::string("\0\0\0\x01"
                                             "a",
                                             5));
  auto back = DecodeEntryBundle(*bytes, 4);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, entries);
  EXPECT_FALSE(DecodeEntryBundle(*bytes, 3));
  EXPECT_FALSE(DecodeEntryBundle(*bytes, 5));
  EXPECT_FALSE(DecodeEntryBundle(bytes->substr(0, bytes->size() - 1), 4));
  EXPECT_FALSE(DecodeEntryBundle(std::string("\0", 1), 0));
  EXPECT_FALSE(EncodeEntryBundle(std::vector<std::string>{std::string(65536, 'z')}));
}

TEST(RootFromTiles, EqualsTheDirectRootForManySizes) {
  const uint64_t max = 70000;
  auto leaves = TestLeaves(max);
  MemoryTree tree(leaves);
  for (uint64_t n : {0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 65535, 65536, 65537, 70000}) {
    TileServer server(tree, n);
    uint64_t seen = 0;
    bool in_order = true;
    auto root = RootFromTiles(server.Fetcher(), n, [&](uint64_t i, const Hash& h) {
      in_order = in_order && i == seen && h == leaves[i];
      ++seen;
    });
    ASSERT_TRUE(root) << n << ": " << root.error().message;
    EXPECT_EQ(*root, tree.RootAt(n)) << n;
    EXPECT_EQ(seen, n);
    EXPECT_TRUE(in_order);
    EXPECT_EQ(server.requests.size(), TilesForSize(n).size());  // each tile once
  }
}

TEST(TiledReader, ProofsAndRootsFromTilesAloneEqualTheDirectOnes) {
  auto leaves = TestLeaves(70000);
  MemoryTree tree(leaves);
  std::mt19937_64 rng(4096);
  for (uint64_t n : {1, 2, 255, 256, 257, 1000, 65536, 70000}) {
    TileServer server(tree, n);
    TiledReader tiled(server.Fetcher(), n);
    auto root = RootFromReader(tiled, n);
    ASSERT_TRUE(root) << n << ": " << root.error().message;
    EXPECT_EQ(*root, tree.RootAt(n));
    for (int k = 0; k < 20; ++k) {
      const uint64_t i = rng() % n;
      auto want = InclusionProof(tree, i, n);
      auto got = InclusionProof(tiled, i, n);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, *want);
      EXPECT_TRUE(VerifyInclusion(leaves[i], i, n, *got, *root));
      if (i > 0) {
        auto cwant = ConsistencyProof(tree, i, n);
        auto cgot = ConsistencyProof(tiled, i, n);
        ASSERT_TRUE(cgot) << cgot.error().message;
        EXPECT_EQ(*cgot, *cwant);
      }
    }
    // Each tile is fetched at most once however many nodes are read from it.
    std::set<std::string> unique(server.requests.begin(), server.requests.end());
    EXPECT_EQ(unique.size(), server.requests.size());
    EXPECT_EQ(tiled.fetches(), server.requests.size());
  }
}

TEST(TiledReader, RejectsNodesOutsideTheTreeAndBadTiles) {
  MemoryTree tree(TestLeaves(300));
  TileServer server(tree, 300);
  TiledReader tiled(server.Fetcher(), 300);
  EXPECT_EQ(tiled.Node(0, 300).error().code, Code::kNotFound);
  EXPECT_EQ(tiled.Node(9, 0).error().code, Code::kNotFound);  // 512 > 300
  EXPECT_EQ(tiled.Node(64, 0).error().code, Code::kNotFound);
  EXPECT_EQ(*tiled.Node(8, 0), *tree.Node(8, 0));  // from the partial level-1 tile of width 1
  EXPECT_EQ(*tiled.Node(5, 8), *tree.Node(5, 8));  // from the partial level-0 tile of width 44
  EXPECT_TRUE(server.requests.size() >= 1);

  TiledReader short_tiles([](const std::string&) -> Result<std::string> { return "abc"; }, 300);
  EXPECT_EQ(short_tiles.Node(0, 0).error().code, Code::kInvalidArgument);
  TiledReader failing(
      [](const std::string&) -> Result<std::string> { return Fail(Code::kUnavailable, "down"); },
      300);
  EXPECT_EQ(failing.Node(0, 0).error().code, Code::kUnavailable);
}

TEST(RootFromTiles, DetectsTamperedTiles) {
  auto leaves = TestLeaves(70000);
  MemoryTree tree(leaves);
  const uint64_t n = 70000;
  TileServer server(tree, n);
  auto honest = server.Fetcher();
  auto tamper = [&](const std::string& target, size_t byte) -> TileFetcher {
    return [&, target, byte](const std::string& path) -> Result<std::string> {
      auto r = honest(path);
      if (r && path == target) (*r)[byte] ^= 1;
      return r;
    };
  };
  // An upper tile that disagrees with the tiles below it is an error naming the tile.
  for (const char* path : {"tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"}) {
    auto r = RootFromTiles(tamper(path, 5), n);
    ASSERT_FALSE(r) << path;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  }
  // A changed leaf hash gives a different root (and the level-1 tile no longer matches).
  auto r = RootFromTiles(tamper("tile/0/273.p/112", 40), n);
  if (r) {
    EXPECT_NE(*r, tree.Root());
  }
  auto r0 = RootFromTiles(tamper("tile/0/000", 0), n);
  ASSERT_FALSE(r0);
  // Wrong sizes and fetch errors.
  auto truncating = [&](const std::string& path) -> Result<std::string> {
    auto r = honest(path);
    if (r && path == "tile/0/005") r->pop_back();
    return r;
  };
  EXPECT_EQ(RootFromTiles(truncating, n).error().code, Code::kInvalidArgument);
  auto failing = [](const std::string&) -> Result<std::string> {
    return Fail(Code::kUnavailable, "down");
  };
  EXPECT_EQ(RootFromTiles(failing, n).error().code, Code::kUnavailable);
}

}  // namespace
}  // namespace undersigned::log
