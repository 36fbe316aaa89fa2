#include "log/proof.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <set>

#include "log/test_util.h"

namespace undersigned::log {
namespace {

using testing::TestLeaf;
using testing::TestLeaves;

// ---- Oracles written straight from the RFC 6962 text, over the leaf list ----

std::vector<Hash> RefPath(uint64_t m, std::span<const Hash> d) {
  if (d.size() <= 1) return {};
  const uint64_t k = SplitPoint(d.size());
  std::vector<Hash> p;
  if (m < k) {
    p = RefPath(m, d.first(k));
    p.push_back(RootFromLeaves(d.subspan(k)));
  } else {
    p = RefPath(m - k, d.subspan(k));
    p.push_back(RootFromLeaves(d.first(k)));
  }
  return p;
}

std::vector<Hash> RefSubproof(uint64_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{RootFromLeaves(d)};
  const uint64_t k = SplitPoint(d.size());
  std::vector<Hash> p;
  if (m <= k) {
    p = RefSubproof(m, d.first(k), b);
    p.push_back(RootFromLeaves(d.subspan(k)));
  } else {
    p = RefSubproof(m - k, d.subspan(k), false);
    p.push_back(RootFromLeaves(d.first(k)));
  }
  return p;
}

// The operations a verifier performs for a proof, from the same recursions: 'L' when the proof
// node is a left sibling, 'R' when it is a right one, 'S' for the old tree's subtree that seeds a
// consistency proof. Two (index, size) or (m, n) pairs with the same shape make the verifier do
// exactly the same hashing, so a proof for one verifies for the other against the same root;
// pairs with different shapes must be rejected. (An inclusion proof does not bind the tree size
// beyond its shape: the root does.)
std::string InclusionShape(uint64_t m, uint64_t n) {
  if (n <= 1) return "";
  const uint64_t k = SplitPoint(n);
  return m < k ? InclusionShape(m, k) + "R" : InclusionShape(m - k, n - k) + "L";
}

std::string ConsistencyShape(uint64_t m, uint64_t n, bool b = true) {
  if (m == n) return b ? "" : "S";
  const uint64_t k = SplitPoint(n);
  return m <= k ? ConsistencyShape(m, k, b) + "R" : ConsistencyShape(m - k, n - k, false) + "L";
}

Hash FlipBit(Hash h, size_t bit) {
  h[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return h;
}

// A reader that counts batch calls and node reads.
class CountingReader final : public NodeReader {
 public:
  explicit CountingReader(NodeReader& inner) : inner_(inner) {}
  Result<Hash> Node(uint8_t level, uint64_t index) override {
    ++reads;
    return inner_.Node(level, index);
  }
  Result<std::vector<Hash>> Nodes(std::span<const NodeAddress> a) override {
    ++batches;
    return NodeReader::Nodes(a);
  }
  size_t batches = 0, reads = 0;

 private:
  NodeReader& inner_;
};

// Sizes for the property tests: every size to 40, the powers of two and their neighbours, and
// random sizes to 300 from a fixed seed.
std::vector<uint64_t> PropertySizes() {
  std::set<uint64_t> sizes;
  for (uint64_t n = 1; n <= 40; ++n) sizes.insert(n);
  for (uint64_t n : {63, 64, 65, 127, 128, 129, 255, 256, 257, 300}) sizes.insert(n);
  std::mt19937_64 rng(6962);
  std::uniform_int_distribution<uint64_t> dist(41, 300);
  for (int i = 0; i < 10; ++i) sizes.insert(dist(rng));
  return {sizes.begin(), sizes.end()};
}

TEST(InclusionProof, EveryLeafOfEverySizeMatchesRfcAndVerifiesAndMutationsFail) {
  std::mt19937_64 rng(9162);
  size_t proofs = 0, rejections = 0, same_shape = 0;
  for (uint64_t n : PropertySizes()) {
    auto leaves = TestLeaves(n);
    MemoryTree tree(leaves);
    const Hash root = tree.Root();
    ASSERT_EQ(root, RootFromLeaves(leaves)) << n;
    const bool exhaustive = n <= 16;  // flip every bit; larger trees flip a random bit per hash
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(tree, i, n);
      ASSERT_TRUE(proof) << proof.error().message;
      ++proofs;
      ASSERT_EQ(proof->size(), InclusionProofLength(i, n));
      if (n <= 100) {
        ASSERT_EQ(*proof, RefPath(i, leaves)) << "i=" << i << " n=" << n;
      }
      ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, *proof, root)) << "i=" << i << " n=" << n;

      auto expect_reject = [&](const Hash& leaf, uint64_t idx, uint64_t size,
                               const std::vector<Hash>& p, const Hash& r, const char* what) {
        ++rejections;
        EXPECT_FALSE(VerifyInclusion(leaf, idx, size, p, r))
            << what << " i=" << i << " n=" << n << " idx=" << idx << " size=" << size;
      };
      auto bits = [&]() -> std::vector<size_t> {
        if (exhaustive) {
          std::vector<size_t> all(256);
          for (size_t b = 0; b < 256; ++b) all[b] = b;
          return all;
        }
        return {static_cast<size_t>(rng() % 256)};
      };
      for (size_t j = 0; j < proof->size(); ++j) {
        for (size_t b : bits()) {
          auto p = *proof;
          p[j] = FlipBit(p[j], b);
          expect_reject(leaves[i], i, n, p, root, "proof bit");
        }
      }
      for (size_t b : bits()) {
        expect_reject(leaves[i], i, n, *proof, FlipBit(root, b), "root bit");
        expect_reject(FlipBit(leaves[i], b), i, n, *proof, root, "leaf bit");
      }
      // Wrong lengths.
      auto longer = *proof;
      longer.push_back(root);
      expect_reject(leaves[i], i, n, longer, root, "extra hash");
      if (!proof->empty()) {
        auto shorter = *proof;
        shorter.pop_back();
        expect_reject(leaves[i], i, n, shorter, root, "missing hash");
      }
      // Other indexes and sizes: accepted exactly when the verifier would do the same hashing.
      const std::string shape = InclusionShape(i, n);
      for (auto [idx, size] : std::vector<std::pair<uint64_t, uint64_t>>{{i + 1, n},
                                                                         {i - 1, n},
                                                                         {i ^ 1, n},
                                                                         {i, n + 1},
                                                                         {i, n - 1},
                                                                         {i, 2 * n},
                                                                         {i, n / 2},
                                                                         {i + n, 2 * n},
                                                                         {0, n},
                                                                         {n - 1, n}}) {
        if (idx == i && size == n) continue;
        const bool same = idx < size && InclusionShape(idx, size) == shape;
        EXPECT_EQ(bool(VerifyInclusion(leaves[i], idx, size, *proof, root)), same)
            << "proof of " << i << "/" << n << " checked as " << idx << "/" << size;
        if (!same) ++rejections;
        if (same) ++same_shape;
      }
    }
  }
  // The shape rule is exercised both ways (e.g. leaf 0 of 5 and of 6 share a shape).
  EXPECT_GT(same_shape, 0u);
  RecordProperty("inclusion_proofs", static_cast<int>(proofs));
  RecordProperty("inclusion_rejections", static_cast<int>(rejections));
}

TEST(ConsistencyProof, EveryPairOfEverySizeMatchesRfcAndVerifiesAndMutationsFail) {
  std::mt19937_64 rng(6962);
  size_t proofs = 0, same_shape = 0;
  for (uint64_t n : PropertySizes()) {
    auto leaves = TestLeaves(n);
    MemoryTree tree(leaves);
    const Hash root_n = tree.Root();
    const bool exhaustive = n <= 12;
    for (uint64_t m = 1; m < n; ++m) {
      const Hash root_m = tree.RootAt(m);
      ASSERT_EQ(root_m, RootFromLeaves(std::span(leaves).first(m)));
      auto proof = ConsistencyProof(tree, m, n);
      ASSERT_TRUE(proof) << proof.error().message;
      ASSERT_EQ(proof->size(), ConsistencyProofLength(m, n)) << m << "/" << n;
      if (n <= 100) {
        ASSERT_EQ(*proof, RefSubproof(m, leaves, true)) << m << "/" << n;
      }
      ASSERT_TRUE(VerifyConsistency(m, n, *proof, root_m, root_n)) << m << "/" << n;
      ++proofs;

      auto bits = [&]() -> std::vector<size_t> {
        if (exhaustive) {
          std::vector<size_t> all(256);
          for (size_t b = 0; b < 256; ++b) all[b] = b;
          return all;
        }
        return {static_cast<size_t>(rng() % 256)};
      };
      for (size_t j = 0; j < proof->size(); ++j) {
        for (size_t b : bits()) {
          auto p = *proof;
          p[j] = FlipBit(p[j], b);
          EXPECT_FALSE(VerifyConsistency(m, n, p, root_m, root_n)) << m << "/" << n << " " << j;
        }
      }
      for (size_t b : bits()) {
        EXPECT_FALSE(VerifyConsistency(m, n, *proof, FlipBit(root_m, b), root_n));
        EXPECT_FALSE(VerifyConsistency(m, n, *proof, root_m, FlipBit(root_n, b)));
      }
      EXPECT_FALSE(VerifyConsistency(m, n, *proof, root_n, root_m));  // swapped roots
      auto longer = *proof;
      longer.push_back(root_n);
      EXPECT_FALSE(VerifyConsistency(m, n, longer, root_m, root_n));
      auto shorter = *proof;
      shorter.pop_back();
      EXPECT_FALSE(VerifyConsistency(m, n, shorter, root_m, root_n));
      const std::string shape = ConsistencyShape(m, n);
      for (auto [m2, n2] : std::vector<std::pair<uint64_t, uint64_t>>{
               {m + 1, n}, {m - 1, n}, {m, n + 1}, {m, n - 1}, {m, 2 * n}, {2 * m, n}, {n, n}}) {
        if (m2 == m && n2 == n) continue;
        const bool same = 0 < m2 && m2 < n2 && ConsistencyShape(m2, n2) == shape;
        if (same) ++same_shape;
        EXPECT_EQ(bool(VerifyConsistency(m2, n2, *proof, root_m, root_n)), same)
            << "proof " << m << "->" << n << " checked as " << m2 << "->" << n2;
      }
    }
  }
  EXPECT_GT(same_shape, 0u);
  RecordProperty("consistency_proofs", static_cast<int>(proofs));
}

TEST(Proofs, ReadOnlyLogarithmicallyManyNodesInOneBatch) {
  auto leaves = TestLeaves(1000);
  MemoryTree tree(leaves);
  for (uint64_t n : {1u, 2u, 3u, 255u, 513u, 999u, 1000u}) {
    for (uint64_t i : {uint64_t{0}, n / 2, n - 1}) {
      CountingReader reader(tree);
      ASSERT_TRUE(InclusionProof(reader, i, n));
      EXPECT_EQ(reader.batches, 1u);
      EXPECT_LE(reader.reads, 2u * std::bit_width(n)) << i << "/" << n;
      if (i > 0) {
        CountingReader reader2(tree);
        ASSERT_TRUE(ConsistencyProof(reader2, i, n));
        EXPECT_EQ(reader2.batches, 1u);
        EXPECT_LE(reader2.reads, 3u * std::bit_width(n)) << i << "/" << n;
      }
    }
  }
  CountingReader reader(tree);
  auto root = RootFromReader(reader, 1000);
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, RootFromLeaves(leaves));
  EXPECT_EQ(reader.reads, static_cast<size_t>(std::popcount(1000u)));
  EXPECT_EQ(*RootFromReader(reader, 0), EmptyRoot());
}

TEST(Proofs, GenerationRejectsUndefinedRequestsAndReportsMissingNodes) {
  MemoryTree tree(TestLeaves(10));
  EXPECT_EQ(InclusionProof(tree, 10, 10).error().code, Code::kInvalidArgument);
  EXPECT_EQ(InclusionProof(tree, 0, 0).error().code, Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(tree, 0, 5).error().code, Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(tree, 5, 5).error().code, Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(tree, 6, 5).error().code, Code::kInvalidArgument);
  // A tree of 20 needs nodes this tree of 10 does not have.
  EXPECT_EQ(InclusionProof(tree, 3, 20).error().code, Code::kNotFound);
  EXPECT_EQ(ConsistencyProof(tree, 3, 20).error().code, Code::kNotFound);
  EXPECT_EQ(RootFromReader(tree, 11).error().code, Code::kNotFound);
  EXPECT_EQ(tree.Node(0, 10).error().code, Code::kNotFound);
  EXPECT_EQ(tree.Node(4, 0).error().code, Code::kNotFound);
  EXPECT_EQ(*tree.Node(3, 0), RootFromLeaves(TestLeaves(8)));
}

TEST(VerifyInclusion, RejectsIndexAtOrBeyondSizeAndTheEmptyTree) {
  const Hash leaf = TestLeaf(0);
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 0, {}, EmptyRoot()));
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 0, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(leaf, 1, 1, {}, leaf));
  EXPECT_TRUE(VerifyInclusion(leaf, 0, 1, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(leaf, UINT64_MAX, UINT64_MAX, {}, leaf));
}

TEST(VerifyInclusion, IndexZeroWithSuperfluousHashesTerminatesAndFails) {
  // The classic endless loop: shifting "until the low bit is set" with an index of zero.
  const Hash leaf = TestLeaf(0);
  for (uint64_t size : {uint64_t{1}, uint64_t{2}, uint64_t{4}, uint64_t{1} << 40, UINT64_MAX}) {
    for (size_t len = 0; len <= 70; ++len) {
      std::vector<Hash> proof(len, TestLeaf(1));
      if (len == InclusionProofLength(0, size)) continue;
      EXPECT_FALSE(VerifyInclusion(leaf, 0, size, proof, leaf)) << size << " " << len;
    }
  }
}

TEST(VerifyInclusion, LastLeafOfHugeTreeUsesOnlyLeftSiblings) {
  // Index n-1 of n = 2^63 + 1: one left sibling (the perfect 2^63 tree).
  const uint64_t n = (uint64_t{1} << 63) + 1;
  EXPECT_EQ(InclusionProofLength(n - 1, n), 1u);
  const Hash left = TestLeaf(7), leaf = TestLeaf(8);
  EXPECT_TRUE(VerifyInclusion(leaf, n - 1, n, std::vector<Hash>{left}, NodeHash(left, leaf)));
  EXPECT_EQ(InclusionProofLength(0, UINT64_MAX), 64u);
}

TEST(VerifyConsistency, EdgeCases) {
  MemoryTree tree(TestLeaves(8));
  const Hash r3 = tree.RootAt(3), r8 = tree.Root();
  // m == n: only an empty proof between equal roots.
  EXPECT_TRUE(VerifyConsistency(3, 3, {}, r3, r3));
  EXPECT_FALSE(VerifyConsistency(3, 3, {}, r3, r8));
  EXPECT_FALSE(VerifyConsistency(3, 3, std::vector<Hash>{r3}, r3, r3));
  // From the empty tree: nothing to prove, rejected whatever the proof.
  EXPECT_FALSE(VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot()));
  EXPECT_FALSE(VerifyConsistency(0, 8, {}, EmptyRoot(), r8));
  EXPECT_FALSE(VerifyConsistency(0, 8, std::vector<Hash>{EmptyRoot()}, EmptyRoot(), r8));
  // Shrinking.
  EXPECT_FALSE(VerifyConsistency(8, 3, {}, r8, r3));
  auto proof = ConsistencyProof(tree, 3, 8);
  ASSERT_TRUE(proof);
  EXPECT_TRUE(VerifyConsistency(3, 8, *proof, r3, r8));
  EXPECT_FALSE(VerifyConsistency(8, 3, *proof, r8, r3));
  EXPECT_FALSE(VerifyConsistency(3, 8, {}, r3, r8));
  // Powers of two: the old root is implicit.
  auto p4 = ConsistencyProof(tree, 4, 8);
  ASSERT_TRUE(p4);
  EXPECT_EQ(p4->size(), 1u);
  EXPECT_TRUE(VerifyConsistency(4, 8, *p4, tree.RootAt(4), r8));
}

TEST(VerifyConsistency, HugeSizesTerminate) {
  const Hash h = TestLeaf(1);
  for (size_t len = 0; len <= 130; ++len) {
    std::vector<Hash> proof(len, h);
    EXPECT_FALSE(VerifyConsistency(1, UINT64_MAX, proof, h, h));
    EXPECT_FALSE(VerifyConsistency(UINT64_MAX - 1, UINT64_MAX, proof, h, h));
    EXPECT_FALSE(VerifyConsistency(uint64_t{1} << 63, UINT64_MAX, proof, h, h));
  }
}

TEST(RestoreCompactRange, ContinuesAppendingWhereTheStoredTreeEnds) {
  auto leaves = TestLeaves(600);
  MemoryTree stored(std::span<const Hash>(leaves).first(437));
  auto range = RestoreCompactRange(stored, 437);
  ASSERT_TRUE(range) << range.error().message;
  EXPECT_EQ(range->Size(), 437u);
  EXPECT_EQ(range->Root(), stored.Root());
  for (size_t i = 437; i < leaves.size(); ++i) range->Append(leaves[i]);
  EXPECT_EQ(range->Root(), RootFromLeaves(leaves));
  EXPECT_EQ(RestoreCompactRange(stored, 0)->Root(), EmptyRoot());
  EXPECT_EQ(RestoreCompactRange(stored, 438).error().code, Code::kNotFound);
}

TEST(MemoryTree, AgreesWithCompactRangeAndCopies) {
  auto leaves = TestLeaves(100);
  MemoryTree tree;
  CompactRange range;
  for (const Hash& h : leaves) {
    tree.Append(h);
    range.Append(h);
    ASSERT_EQ(tree.Root(), range.Root());
  }
  MemoryTree copy = tree;
  copy.Append(TestLeaf(100));
  EXPECT_EQ(tree.Size(), 100u);
  EXPECT_EQ(copy.Size(), 101u);
  EXPECT_EQ(copy.RootAt(100), tree.Root());
}

}  // namespace
}  // namespace undersigned::log
