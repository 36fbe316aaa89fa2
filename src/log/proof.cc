#include "log/proof.h"

#include <algorithm>
#include <bit>
#include <string>

namespace undersigned::log {
namespace {

// A half-open leaf range [begin, end) whose MTH is one proof element.
struct Range {
  uint64_t begin;
  uint64_t end;
};

// Reads the perfect subtrees of each range in one batch and folds each range to its MTH. Ranges
// are visited by the RFC 6962 recursion, so each one starts at a multiple of its largest
// perfect subtree (PerfectSubtrees' precondition).
Result<std::vector<Hash>> ResolveRanges(NodeReader& reader, const std::vector<Range>& ranges) {
  std::vector<NodeAddress> addresses;
  std::vector<size_t> counts;
  counts.reserve(ranges.size());
  for (const Range& r : ranges) {
    auto parts = PerfectSubtrees(r.begin, r.end);
    counts.push_back(parts.size());
    addresses.insert(addresses.end(), parts.begin(), parts.end());
  }
  auto nodes = reader.Nodes(addresses);
  if (!nodes) return Fail(nodes.error());
  if (nodes->size() != addresses.size()) {
    return Fail(Code::kInternal, "node reader returned the wrong number of hashes");
  }
  std::vector<Hash> out;
  out.reserve(ranges.size());
  size_t pos = 0;
  for (size_t count : counts) {
    // The MTH of a non-perfect range nests to the right: fold from the smallest subtree.
    Hash h = (*nodes)[pos + count - 1];
    for (size_t j = count - 1; j-- > 0;) h = NodeHash((*nodes)[pos + j], h);
    out.push_back(h);
    pos += count;
  }
  return out;
}

// Bit length of x (0 for 0).
inline unsigned BitLen(uint64_t x) { return static_cast<unsigned>(std::bit_width(x)); }

tl::unexpected<Error> Reject(std::string why) {
  return Fail(Code::kInvalidArgument, std::move(why));
}

}  // namespace

Result<std::vector<Hash>> NodeReader::Nodes(std::span<const NodeAddress> addresses) {
  std::vector<Hash> out;
  out.reserve(addresses.size());
  for (const NodeAddress& a : addresses) {
    auto h = Node(a.level, a.index);
    if (!h) return Fail(h.error());
    out.push_back(*h);
  }
  return out;
}

MemoryTree::MemoryTree(std::span<const Hash> leaf_hashes) {
  for (const Hash& h : leaf_hashes) Append(h);
}

void MemoryTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Deliberately not CompactRange: an independent construction that the tests compare with it.
  for (size_t l = 0; levels_[l].size() % 2 == 0; ++l) {
    if (l + 1 == levels_.size()) levels_.emplace_back();
    const auto& row = levels_[l];
    levels_[l + 1].push_back(NodeHash(row[row.size() - 2], row[row.size() - 1]));
  }
}

Hash MemoryTree::Root() const { return RootAt(Size()); }

Hash MemoryTree::RootAt(uint64_t size) const {
  if (size == 0) return EmptyRoot();
  auto parts = PerfectSubtrees(0, size);
  Hash h = levels_[parts.back().level][parts.back().index];
  for (size_t j = parts.size() - 1; j-- > 0;) {
    h = NodeHash(levels_[parts[j].level][parts[j].index], h);
  }
  return h;
}

Result<Hash> MemoryTree::Node(uint8_t level, uint64_t index) {
  if (level >= levels_.size() || index >= levels_[level].size()) {
    return Fail(Code::kNotFound,
                "no node at level " + std::to_string(level) + " index " + std::to_string(index));
  }
  return levels_[level][index];
}

Result<Hash> RootFromReader(NodeReader& reader, uint64_t tree_size) {
  if (tree_size == 0) return EmptyRoot();
  auto r = ResolveRanges(reader, {Range{0, tree_size}});
  if (!r) return Fail(r.error());
  return r->front();
}

Result<CompactRange> RestoreCompactRange(NodeReader& reader, uint64_t tree_size,
                                         NodeVisitor visitor) {
  CompactRange range(std::move(visitor));
  if (tree_size == 0) return range;
  auto parts = PerfectSubtrees(0, tree_size);
  auto hashes = reader.Nodes(parts);
  if (!hashes) return Fail(hashes.error());
  if (!range.Reset(tree_size, std::move(*hashes))) {
    return Fail(Code::kInternal, "node reader returned the wrong number of hashes");
  }
  return range;
}

Result<std::vector<Hash>> InclusionProof(NodeReader& reader, uint64_t leaf_index,
                                         uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return Reject("leaf index " + std::to_string(leaf_index) + " is not below tree size " +
                  std::to_string(tree_size));
  }
  // PATH(m, D[lo:hi]) iteratively: descend toward the leaf, collecting the sibling range at each
  // split; the RFC lists them leaf-first, so reverse at the end.
  std::vector<Range> siblings;
  uint64_t lo = 0, hi = tree_size, m = leaf_index;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    if (m < k) {
      siblings.push_back({lo + k, hi});
      hi = lo + k;
    } else {
      siblings.push_back({lo, lo + k});
      lo += k;
      m -= k;
    }
  }
  std::reverse(siblings.begin(), siblings.end());
  return ResolveRanges(reader, siblings);
}

Result<std::vector<Hash>> ConsistencyProof(NodeReader& reader, uint64_t m, uint64_t n) {
  if (m == 0 || m >= n) {
    return Reject("consistency proofs are defined for 0 < m < n, got m=" + std::to_string(m) +
                  " n=" + std::to_string(n));
  }
  // SUBPROOF(m, D[lo:hi], b) iteratively; `m` is relative to lo.
  std::vector<Range> parts;
  uint64_t lo = 0, hi = n;
  bool b = true;
  for (;;) {
    if (m == hi - lo) {
      if (!b) parts.push_back({lo, hi});  // MTH(D[lo:hi]), the old tree's own subtree
      break;
    }
    const uint64_t k = SplitPoint(hi - lo);
    if (m <= k) {
      parts.push_back({lo + k, hi});
      hi = lo + k;
    } else {
      parts.push_back({lo, lo + k});
      lo += k;
      m -= k;
      b = false;
    }
  }
  std::reverse(parts.begin(), parts.end());
  return ResolveRanges(reader, parts);
}

size_t InclusionProofLength(uint64_t leaf_index, uint64_t tree_size) {
  // Below the level where the paths to leaf_index and to the last leaf diverge, every level
  // contributes one sibling ("inner"); above it, one per left-hand perfect subtree on the path
  // ("border").
  const unsigned inner = BitLen(leaf_index ^ (tree_size - 1));
  const unsigned border = std::popcount(inner >= 64 ? 0 : leaf_index >> inner);
  return inner + border;
}

size_t ConsistencyProofLength(uint64_t m, uint64_t n) {
  const unsigned shift = std::countr_zero(m);
  // The old tree's rightmost perfect subtree (2^shift leaves) seeds the computation; it is sent
  // unless it is the whole old tree (m a power of two), whose root the verifier already has.
  const size_t seed = (m == (uint64_t{1} << shift)) ? 0 : 1;
  return seed + InclusionProofLength(m - 1, n) - shift;
}

Result<void> VerifyInclusion(const Hash& leaf_hash, uint64_t leaf_index, uint64_t tree_size,
                             std::span<const Hash> proof, const Hash& root) {
  if (leaf_index >= tree_size) {
    return Reject("leaf index " + std::to_string(leaf_index) + " is not below tree size " +
                  std::to_string(tree_size));
  }
  const size_t want = InclusionProofLength(leaf_index, tree_size);
  if (proof.size() != want) {
    return Reject("inclusion proof has " + std::to_string(proof.size()) + " hashes, want " +
                  std::to_string(want));
  }
  uint64_t fn = leaf_index, sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Reject("inclusion proof is too long");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      // Skip the levels where this node has no right sibling. Stop at fn == 0 too: testing only
      // the low bit would loop forever on the leftmost path.
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Without this check one proof would verify against several tree sizes.
  if (sn != 0) return Reject("inclusion proof is too short");
  if (r != root) return Reject("inclusion proof does not lead to the root");
  return {};
}

Result<void> VerifyConsistency(uint64_t m, uint64_t n, std::span<const Hash> proof,
                               const Hash& root_m, const Hash& root_n) {
  if (m == 0) return Reject("a consistency proof from the empty tree proves nothing");
  if (m > n) {
    return Reject("old size " + std::to_string(m) + " is larger than new size " +
                  std::to_string(n));
  }
  if (m == n) {
    if (!proof.empty()) return Reject("equal sizes need an empty consistency proof");
    if (root_m != root_n) return Reject("equal sizes but different roots");
    return {};
  }
  const size_t want = ConsistencyProofLength(m, n);
  if (proof.size() != want) {
    return Reject("consistency proof has " + std::to_string(proof.size()) + " hashes, want " +
                  std::to_string(want));
  }
  // Step 2: when m is a power of two the old root is the first node of the path.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(m)) path.push_back(root_m);
  path.insert(path.end(), proof.begin(), proof.end());

  uint64_t fn = m - 1, sn = n - 1;
  // Step 4: skip the levels where the old tree's last node is a right child of a full subtree.
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return Reject("consistency proof is too long");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Reject("consistency proof is too short");
  if (fr != root_m) return Reject("consistency proof does not lead to the old root");
  if (sr != root_n) return Reject("consistency proof does not lead to the new root");
  return {};
}

}  // namespace undersigned::log
