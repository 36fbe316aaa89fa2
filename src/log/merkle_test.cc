#include "log/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>

#include "log/proof.h"
#include "log/test_util.h"

namespace undersigned::log {
namespace {

using testing::FromHex;
using testing::Hex;
using testing::TestLeaves;

TEST(Hashing, EmptyLeafAndNodeMatchRfc6962) {
  EXPECT_EQ(Hex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The leaf hash of the empty entry is the root of roots.json for size 1.
  EXPECT_EQ(Hex(LeafHash(std::string_view(""))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  // Size 2 of roots.json: leaves "" and 0x00.
  const uint8_t zero = 0;
  EXPECT_EQ(Hex(NodeHash(LeafHash(std::string_view("")), LeafHash(std::span(&zero, 1)))),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  // The two overloads agree, and the prefix separates leaves from nodes.
  EXPECT_EQ(LeafHash(std::string_view("ab")),
            LeafHash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("ab"), 2)));
  // Domain separation: a leaf holding 0x01 || a || b does not hash like the node (a, b).
  const Hash a = FromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::vector<uint8_t> fake = {0x01};
  fake.insert(fake.end(), a.begin(), a.end());
  fake.insert(fake.end(), a.begin(), a.end());
  EXPECT_NE(LeafHash(fake), NodeHash(a, a));
}

TEST(Hashing, SplitPoint) {
  EXPECT_EQ(SplitPoint(2), 1u);
  EXPECT_EQ(SplitPoint(3), 2u);
  EXPECT_EQ(SplitPoint(4), 2u);
  EXPECT_EQ(SplitPoint(5), 4u);
  EXPECT_EQ(SplitPoint(8), 4u);
  EXPECT_EQ(SplitPoint(9), 8u);
  EXPECT_EQ(SplitPoint(uint64_t{1} << 63), uint64_t{1} << 62);
  EXPECT_EQ(SplitPoint(UINT64_MAX), uint64_t{1} << 63);
}

TEST(Hashing, RootFromLeavesSmallTreesByHand) {
  auto l = TestLeaves(7);
  EXPECT_EQ(RootFromLeaves({}), EmptyRoot());
  EXPECT_EQ(RootFromLeaves(std::span(l).first(1)), l[0]);
  EXPECT_EQ(RootFromLeaves(std::span(l).first(3)), NodeHash(NodeHash(l[0], l[1]), l[2]));
  const Hash left = NodeHash(NodeHash(l[0], l[1]), NodeHash(l[2], l[3]));
  EXPECT_EQ(RootFromLeaves(l), NodeHash(left, NodeHash(NodeHash(l[4], l[5]), l[6])));
}

TEST(CompactRange, RootEqualsReferenceForAllSizesUpTo1000) {
  auto leaves = TestLeaves(1000);
  CompactRange range;
  EXPECT_EQ(range.Root(), EmptyRoot());
  EXPECT_EQ(range.Size(), 0u);
  for (size_t n = 1; n <= leaves.size(); ++n) {
    range.Append(leaves[n - 1]);
    ASSERT_EQ(range.Size(), n);
    ASSERT_EQ(range.Hashes().size(), static_cast<size_t>(std::popcount(n))) << n;
    ASSERT_EQ(range.Root(), RootFromLeaves(std::span(leaves).first(n))) << "size " << n;
  }
}

TEST(CompactRange, VisitorReportsEveryPerfectNodeOnceWithItsAddress) {
  const uint64_t n = 777;
  auto leaves = TestLeaves(n);
  std::map<std::pair<int, uint64_t>, Hash> seen;
  size_t calls = 0;
  CompactRange range([&](uint8_t level, uint64_t index, const Hash& h) {
    ++calls;
    EXPECT_TRUE(seen.emplace(std::make_pair(int{level}, index), h).second)
        << "node (" << int{level} << ", " << index << ") reported twice";
  });
  for (const Hash& h : leaves) range.Append(h);
  // A tree of n leaves has n >> l perfect nodes at level l: 2n - popcount(n) in all.
  EXPECT_EQ(calls, 2 * n - std::popcount(n));
  MemoryTree tree(leaves);
  for (const auto& [addr, h] : seen) {
    auto want = tree.Node(static_cast<uint8_t>(addr.first), addr.second);
    ASSERT_TRUE(want);
    EXPECT_EQ(h, *want) << addr.first << "/" << addr.second;
    // Each reported node is the MTH of the leaves it covers.
    const uint64_t begin = addr.second << addr.first, width = uint64_t{1} << addr.first;
    EXPECT_EQ(h, RootFromLeaves(std::span(leaves).subspan(begin, width)));
  }
}

TEST(CompactRange, ResetRestoresStateAndRejectsWrongHashCount) {
  auto leaves = TestLeaves(300);
  CompactRange a;
  for (size_t i = 0; i < 213; ++i) a.Append(leaves[i]);
  CompactRange b;
  EXPECT_FALSE(b.Reset(213, {}));
  EXPECT_FALSE(b.Reset(213, std::vector<Hash>(a.Hashes().size() + 1)));
  EXPECT_EQ(b.Size(), 0u);
  ASSERT_TRUE(b.Reset(213, a.Hashes()));
  EXPECT_EQ(b.Root(), a.Root());
  for (size_t i = 213; i < leaves.size(); ++i) {
    a.Append(leaves[i]);
    b.Append(leaves[i]);
  }
  EXPECT_EQ(b.Root(), a.Root());
  EXPECT_EQ(b.Root(), RootFromLeaves(leaves));
}

TEST(PerfectSubtrees, DecomposesRangesLargestFirst) {
  using A = NodeAddress;
  EXPECT_EQ(PerfectSubtrees(0, 7), (std::vector<A>{{2, 0}, {1, 2}, {0, 6}}));
  EXPECT_EQ(PerfectSubtrees(4, 7), (std::vector<A>{{1, 2}, {0, 6}}));
  EXPECT_EQ(PerfectSubtrees(8, 16), (std::vector<A>{{3, 1}}));
  EXPECT_EQ(PerfectSubtrees(0, 1), (std::vector<A>{{0, 0}}));
  EXPECT_EQ(PerfectSubtrees(0, UINT64_MAX).size(), 64u);
}

}  // namespace
}  // namespace undersigned::log
