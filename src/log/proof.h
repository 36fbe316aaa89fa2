// Merkle proofs for the signature log: where node hashes come from (NodeReader), proof
// generation (RFC 6962 section 2.1.1 PATH and 2.1.2 SUBPROOF) and verification (RFC 9162
// sections 2.1.3.2 and 2.1.4.2).
//
// Generation reads only *perfect* subtrees (see merkle.h for the (level, index) addressing).
// A proof element that is the root of a non-perfect subtree (the right edge of a tree whose size
// is not a power of two) is an "ephemeral" node, recomputed here from the perfect subtrees it is
// made of. A proof therefore costs O(log n) node reads, issued as one batch (NodeReader::Nodes)
// so that a database-backed reader can answer with a single query.
//
// Verification is pure: it needs only the hashes, sizes and proof. Errors are
// Code::kInvalidArgument with a message saying what did not match.
//
// Thread-safety: the free functions are thread-safe as long as the reader they are given is safe
// to call from the calling thread. MemoryTree is not thread-safe for writers (Append); concurrent
// const use is fine.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "log/merkle.h"

namespace undersigned::log {

// Source of perfect-subtree hashes. Node(level, index) is the MTH of leaves
// [index * 2^level, (index + 1) * 2^level); level 0 returns leaf hashes. Callers only ask for
// nodes that lie entirely inside the tree size they are working on, so an implementation backed
// by an append-only store may answer from whatever it has persisted (those hashes never change);
// it returns Code::kNotFound for a node it does not have.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  virtual Result<Hash> Node(uint8_t level, uint64_t index) = 0;
  // Batch read, results in the order of `addresses`. The default calls Node() in a loop;
  // override it to read many nodes in one round trip.
  virtual Result<std::vector<Hash>> Nodes(std::span<const NodeAddress> addresses);
};

// An in-memory tree that keeps every perfect node hash, level by level: the reference NodeReader
// for tests and small tools, and a model of what a store persists. Append is amortised O(1).
// Invariant: levels_[l].size() == Size() >> l for every l < levels_.size(), and levels_[l][i] is
// the hash at (l, i). Copyable.
class MemoryTree final : public NodeReader {
 public:
  MemoryTree() = default;
  explicit MemoryTree(std::span<const Hash> leaf_hashes);

  void Append(const Hash& leaf_hash);
  uint64_t Size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  // MTH of the whole tree (EmptyRoot() when empty). O(log n).
  Hash Root() const;
  // MTH of the first `size` leaves. REQUIRES: size <= Size().
  Hash RootAt(uint64_t size) const;

  Result<Hash> Node(uint8_t level, uint64_t index) override;

 private:
  std::vector<std::vector<Hash>> levels_;
};

// MTH of the first tree_size leaves, computed from at most 64 perfect-subtree reads. EmptyRoot()
// for size 0.
Result<Hash> RootFromReader(NodeReader& reader, uint64_t tree_size);

// Rebuilds the CompactRange of a tree of tree_size leaves from its perfect-subtree roots (at most
// 64 reads, one batch), e.g. when a store reopens, so that appending can continue. The visitor
// is installed on the returned range.
Result<CompactRange> RestoreCompactRange(NodeReader& reader, uint64_t tree_size,
                                         NodeVisitor visitor = {});

// RFC 6962 PATH(m, D[0:n]): the audit path of leaf m in the tree of n leaves, ordered from the
// leaf's sibling up to the root's child. Empty for n == 1.
// Errors: kInvalidArgument unless leaf_index < tree_size; the reader's error when a node is
// missing.
Result<std::vector<Hash>> InclusionProof(NodeReader& reader, uint64_t leaf_index,
                                         uint64_t tree_size);

// RFC 6962 PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true): proves the tree of m leaves is a prefix
// of the tree of n leaves. Errors: kInvalidArgument unless 0 < m < n (a proof from the empty tree
// or between equal sizes is not defined: the caller compares roots instead); the reader's error
// when a node is missing.
Result<std::vector<Hash>> ConsistencyProof(NodeReader& reader, uint64_t m, uint64_t n);

// The number of hashes in a valid inclusion proof of leaf_index in a tree of tree_size leaves.
// REQUIRES: leaf_index < tree_size.
size_t InclusionProofLength(uint64_t leaf_index, uint64_t tree_size);
// The number of hashes in a valid consistency proof from m to n. REQUIRES: 0 < m < n.
size_t ConsistencyProofLength(uint64_t m, uint64_t n);

// RFC 9162 section 2.1.3.2. Succeeds iff `proof` proves that leaf_hash is leaf number
// leaf_index of the tree of tree_size leaves whose root is `root`. Rejects leaf_index >=
// tree_size (and so any proof against the empty tree) and proofs of the wrong length. The final
// check that the size counter reached zero is performed, so a proof verifies for one tree size
// only.
Result<void> VerifyInclusion(const Hash& leaf_hash, uint64_t leaf_index, uint64_t tree_size,
                             std::span<const Hash> proof, const Hash& root);

// RFC 9162 section 2.1.4.2. Succeeds iff `proof` proves that the tree of m leaves with root
// root_m is a prefix of the tree of n leaves with root root_n.
//   m == 0          rejected: every tree extends the empty one, so such a "proof" proves nothing;
//                   this includes m == n == 0.
//   m > n           rejected.
//   0 < m == n      accepted iff the proof is empty and root_m == root_n. RFC 9162 defines no
//                   proof here; the shared test vectors (consistency/0/happy-path.json) require
//                   this trivial case to verify, and it is sound: a tree is consistent with
//                   itself and with nothing else of the same size.
//   0 < m < n       the RFC 9162 algorithm, with an exact proof-length check and the final
//                   size-counter check.
Result<void> VerifyConsistency(uint64_t m, uint64_t n, std::span<const Hash> proof,
                               const Hash& root_m, const Hash& root_n);

}  // namespace undersigned::log
