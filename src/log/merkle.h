// RFC 6962 / RFC 9162 Merkle tree hashing for the signature log: leaf and node hashes, the
// reference Merkle Tree Hash (MTH) of a list of leaves, and CompactRange, the O(log n) state
// that appends leaves and yields the root.
//
// Hashing (SHA-256 through OpenSSL, which uses the CPU's SHA instructions; libsodium otherwise):
//   empty tree  MTH({})   = SHA-256("")
//   leaf        LeafHash  = SHA-256(0x00 || data)
//   node        NodeHash  = SHA-256(0x01 || left || right)
//   n > 1       MTH(D[n]) = NodeHash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n.
//
// Node addresses. A *perfect* subtree of 2^level leaves starting at leaf index * 2^level is
// addressed (level, index); level 0 are the leaf hashes themselves. This is the addressing of
// RFC 9162 and C2SP tlog-tiles. Once a tree has grown past (index + 1) * 2^level leaves, the hash
// at (level, index) never changes: these are the only hashes a store needs to keep. Roots of
// trees whose size is not a power of two (and right-hand subtrees of such trees) are "ephemeral":
// recomputed on demand from the perfect subtrees they are made of.
//
// All free functions are pure and thread-safe. CompactRange is a value type and not thread-safe:
// guard it externally if several threads append.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace undersigned::log {

// A SHA-256 digest. Value type, 32 bytes, compared bytewise.
using Hash = std::array<uint8_t, 32>;

// SHA-256(0x00 || data): the hash of one log entry.
// SHA-256 of data, through the same OpenSSL context the log hashes with: for other callers on
// hot paths (the service's token hashes).
Hash Sha256(std::span<const uint8_t> data);

Hash LeafHash(std::span<const uint8_t> data);
Hash LeafHash(std::string_view data);
// SHA-256(0x01 || left || right): an interior node.
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256(""): the root of the empty tree.
Hash EmptyRoot();

// The reference MTH over already-hashed leaves (RFC 6962 section 2.1): recursive split at the
// largest power of two below n. O(n) hashing, O(log n) stack. Used as the oracle in tests and
// for small trees; the log itself uses CompactRange.
Hash RootFromLeaves(std::span<const Hash> leaf_hashes);

// Largest power of two strictly below n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n);

// Called for every node hash a CompactRange creates, with its (level, index) address: once with
// level 0 for the appended leaf hash itself, then once per merge. Each perfect node of the tree
// is reported exactly once, in creation order (children before parents), which is what a store
// persists to answer proofs in O(log n) reads.
using NodeVisitor = std::function<void(uint8_t level, uint64_t index, const Hash& hash)>;

// The right border of a Merkle tree: the roots of the maximal perfect subtrees that make up a
// tree of Size() leaves, largest (leftmost) first, one per set bit of Size(). Appending merges
// once per trailing one-bit of the old size, so Append is amortised O(1) (about one NodeHash per
// leaf) and the state is at most 64 hashes.
//
// Invariant: hashes_.size() == popcount(size_), and hashes_[j] is the root of the perfect
// subtree at the address implied by the j-th set bit of size_ (from the most significant).
class CompactRange {
 public:
  CompactRange() = default;
  // visitor (may be empty) is called for every node hash created by Append.
  explicit CompactRange(NodeVisitor visitor) : visitor_(std::move(visitor)) {}

  // Restores a range from the perfect-subtree roots of a tree of `size` leaves (largest first),
  // as returned by Hashes() or read from a store. Returns false, leaving *this unchanged, when
  // hashes.size() != popcount(size).
  bool Reset(uint64_t size, std::vector<Hash> hashes);

  // Appends one leaf hash (the result of LeafHash, not the raw entry).
  void Append(const Hash& leaf_hash);

  // MTH of the Size() leaves appended so far; EmptyRoot() when empty. O(log n).
  Hash Root() const;
  uint64_t Size() const { return size_; }
  // The perfect-subtree roots, largest first (see the class comment).
  const std::vector<Hash>& Hashes() const { return hashes_; }

  void set_visitor(NodeVisitor visitor) { visitor_ = std::move(visitor); }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
  NodeVisitor visitor_;
};

// The (level, index) addresses of the perfect subtrees that make up leaves [begin, end), left to
// right: the decomposition used to compute the MTH of a range that is not itself a perfect
// subtree. REQUIRES: begin < end, and begin aligned as in an RFC 6962 split (begin is a multiple
// of the largest power of two not exceeding end - begin), which holds for every range the proof
// algorithms visit.
struct NodeAddress {
  uint8_t level = 0;
  uint64_t index = 0;
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};
std::vector<NodeAddress> PerfectSubtrees(uint64_t begin, uint64_t end);

}  // namespace undersigned::log
