#include "log/merkle.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <bit>
#include <cstring>
#include <initializer_list>

#include "log/encoding.h"

namespace undersigned::log {

namespace {

// SHA-256 of the concatenated parts. Through OpenSSL's EVP interface, which uses the CPU's SHA
// instructions where it has them: about 4x libsodium's portable code on 200-byte leaves, and
// every leaf and node of the log is hashed here (appends, audits, the server's start-up check).
// One context per thread, reused; libsodium if OpenSSL cannot provide SHA-256.
class Sha256 {
 public:
  static Hash Of(std::initializer_list<std::span<const uint8_t>> parts) {
    thread_local Sha256 local;
    return local.Digest(parts);
  }

 private:
  Sha256() : ctx_(Md() != nullptr ? EVP_MD_CTX_new() : nullptr) {}
  ~Sha256() { EVP_MD_CTX_free(ctx_); }

  static const EVP_MD* Md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
  }

  Hash Digest(std::initializer_list<std::span<const uint8_t>> parts) {
    Hash out;
    unsigned int len = 0;
    if (ctx_ != nullptr && EVP_DigestInit_ex2(ctx_, Md(), nullptr) == 1) {
      bool ok = true;
      for (const auto& p : parts) ok = ok && EVP_DigestUpdate(ctx_, p.data(), p.size()) == 1;
      if (ok && EVP_DigestFinal_ex(ctx_, out.data(), &len) == 1 && len == out.size()) return out;
    }
    EnsureSodium();
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (const auto& p : parts) crypto_hash_sha256_update(&st, p.data(), p.size());
    crypto_hash_sha256_final(&st, out.data());
    return out;
  }

  EVP_MD_CTX* ctx_;
};

}  // namespace

Hash Sha256(std::span<const uint8_t> data) { return Sha256::Of({data}); }

Hash LeafHash(std::span<const uint8_t> data) {
  static constexpr uint8_t kPrefix[1] = {0x00};
  return Sha256::Of({kPrefix, data});
}

Hash LeafHash(std::string_view data) {
  return LeafHash(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // One contiguous 65-byte message: one update instead of three on this hot path (about one
  // NodeHash per appended leaf).
  uint8_t buf[1 + 2 * 32];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return Sha256::Of({std::span<const uint8_t>(buf, sizeof buf)});
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
