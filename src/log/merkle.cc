#include "log/merkle.h"

#include <sodium.h>

#include <bit>
#include <cstring>

#include "log/encoding.h"

namespace undersigned::log {

Hash LeafHash(std::span<const uint8_t> data) {
  EnsureSodium();
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  const uint8_t prefix = 0x00;
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, data.data(), data.size());
  Hash out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

Hash LeafHash(std::string_view data) {
  return LeafHash(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // No EnsureSodium(): libsodium's SHA-256 needs no initialisation, and this is the hot path.
  // One contiguous 65-byte message: a single libsodium call is measurably faster than three
  // updates on this hot path (about one NodeHash per appended leaf).
  uint8_t buf[1 + 2 * 32];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  Hash out;
  crypto_hash_sha256(out.data(), buf, sizeof buf);
  return out;
}

Hash EmptyRoot() {
  EnsureSodium();
  Hash out;
  crypto_hash_sha256(out.data(), nullptr, 0);
  return out;
}

uint64_t SplitPoint(uint64_t n) {
  // std::bit_floor(n - 1) is the largest power of two <= n - 1, i.e. strictly below n.
  return std::bit_floor(n - 1);
}

Hash RootFromLeaves(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  const uint64_t k = SplitPoint(leaves.size());
  return NodeHash(RootFromLeaves(leaves.subspan(0, k)), RootFromLeaves(leaves.subspan(k)));
}

bool CompactRange::Reset(uint64_t size, std::vector<Hash> hashes) {
  if (hashes.size() != static_cast<size_t>(std::popcount(size))) return false;
  size_ = size;
  hashes_ = std::move(hashes);
  return true;
}

void CompactRange::Append(const Hash& leaf_hash) {
  uint64_t index = size_;
  if (visitor_) visitor_(0, index, leaf_hash);
  Hash h = leaf_hash;
  uint8_t level = 0;
  // Each trailing one-bit of the old size is a perfect subtree of the same height as the one
  // being carried: merge it (it is the left sibling) and carry the parent up.
  while (index & 1) {
    h = NodeHash(hashes_.back(), h);
    hashes_.pop_back();
    ++level;
    index >>= 1;
    if (visitor_) visitor_(level, index, h);
  }
  hashes_.push_back(h);
  ++size_;
}

Hash CompactRange::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  // The right-hand subtrees of an RFC 6962 tree nest to the right: fold from the smallest.
  Hash h = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) h = NodeHash(hashes_[i], h);
  return h;
}

std::vector<NodeAddress> PerfectSubtrees(uint64_t begin, uint64_t end) {
  std::vector<NodeAddress> out;
  uint64_t pos = begin;
  uint64_t n = end - begin;
  // One perfect subtree per set bit of n, largest first.
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if (n & width) {
      out.push_back(NodeAddress{static_cast<uint8_t>(level), pos >> level});
      pos += width;
    }
  }
  return out;
}

}  // namespace undersigned::log
