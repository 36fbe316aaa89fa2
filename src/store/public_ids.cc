#include "store/public_ids.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "log/encoding.h"

namespace undersigned::store {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "us-ids__";
constexpr std::uint64_t kTagMask = (std::uint64_t{1} << 58) - 1;

std::uint64_t SipHash(const std::array<unsigned char, 16>& key, const unsigned char* in,
                      std::size_t n) {
  static_assert(crypto_shorthash_siphash24_KEYBYTES == 16);
  unsigned char out[crypto_shorthash_siphash24_BYTES];
  crypto_shorthash_siphash24(out, in, n, key.data());
  std::uint64_t v;
  std::memcpy(&v, out, sizeof v);
  return v;
}

std::uint32_t Round(const std::array<unsigned char, 16>& key, std::uint32_t half) {
  unsigned char in[4] = {static_cast<unsigned char>(half >> 24),
                         static_cast<unsigned char>(half >> 16),
                         static_cast<unsigned char>(half >> 8), static_cast<unsigned char>(half)};
  return static_cast<std::uint32_t>(SipHash(key, in, sizeof in));
}

}  // namespace

std::string FormatUuid(const std::array<unsigned char, 16>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

std::optional<std::array<unsigned char, 16>> ParseUuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string hex;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
    } else {
      hex.push_back(text[i]);
    }
  }
  auto bytes = log::HexDecode(hex);
  if (!bytes || bytes->size() != 16) return std::nullopt;
  std::array<unsigned char, 16> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

PublicIds::PublicIds(std::string_view key) {
  if (key.size() < crypto_kdf_KEYBYTES) throw std::invalid_argument("id key too short");
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
  const auto* master = reinterpret_cast<const unsigned char*>(key.data());
  for (Keys* k : {&person_, &signature_}) {
    // Subkey ids: kind * 8 + 0..3 for the rounds, + 4 for the tag.
    const std::uint64_t base = (k == &person_ ? 1 : 2) * 8;
    for (int i = 0; i < 4; ++i) {
      crypto_kdf_derive_from_key(k->rounds[i].data(), k->rounds[i].size(), base + i, kKdfContext,
                                 master);
    }
    crypto_kdf_derive_from_key(k->tag.data(), k->tag.size(), base + 4, kKdfContext, master);
  }
}

std::uint64_t PublicIds::Encrypt(const Keys& k, std::uint64_t v) {
  auto left = static_cast<std::uint32_t>(v >> 32);
  auto right = static_cast<std::uint32_t>(v);
  for (const auto& round : k.rounds) {
    const std::uint32_t next = left ^ Round(round, right);
    left = right;
    right = next;
  }
  return (std::uint64_t{left} << 32) | right;
}

std::uint64_t PublicIds::Decrypt(const Keys& k, std::uint64_t v) {
  auto left = static_cast<std::uint32_t>(v >> 32);
  auto right = static_cast<std::uint32_t>(v);
  for (int i = 3; i >= 0; --i) {
    const std::uint32_t prev = right ^ Round(k.rounds[i], left);
    right = left;
    left = prev;
  }
  return (std::uint64_t{left} << 32) | right;
}

std::uint64_t PublicIds::Tag(const Keys& k, std::uint64_t ciphertext) {
  unsigned char in[8];
  for (int i = 0; i < 8; ++i) in[i] = static_cast<unsigned char>(ciphertext >> (56 - 8 * i));
  return SipHash(k.tag, in, sizeof in) & kTagMask;
}

std::string PublicIds::Uuid(IdKind kind, std::int64_t row_id) const {
  const Keys& k = KeysOf(kind);
  const std::uint64_t c = Encrypt(k, static_cast<std::uint64_t>(row_id));
  const std::uint64_t t = Tag(k, c);
  std::array<unsigned char, 16> b;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(c >> (56 - 8 * i));
  b[6] = static_cast<unsigned char>(0x80 | ((t >> 54) & 0x0f));
  b[7] = static_cast<unsigned char>(c >> 8);
  b[8] = static_cast<unsigned char>(0x80 | ((t >> 48) & 0x3f));
  b[9] = static_cast<unsigned char>(c);
  for (int i = 0; i < 6; ++i) b[10 + i] = static_cast<unsigned char>(t >> (40 - 8 * i));
  return FormatUuid(b);
}

std::optional<std::int64_t> PublicIds::RowId(IdKind kind, std::string_view uuid) const {
  const auto parsed = ParseUuid(uuid);
  if (!parsed) return std::nullopt;
  const std::array<unsigned char, 16>& b = *parsed;
  if ((b[6] & 0xf0) != 0x80 || (b[8] & 0xc0) != 0x80) return std::nullopt;
  std::uint64_t c = 0;
  for (int i = 0; i < 6; ++i) c = c << 8 | b[i];
  c = c << 8 | b[7];
  c = c << 8 | b[9];
  std::uint64_t t = (std::uint64_t{b[6]} & 0x0f) << 54 | (std::uint64_t{b[8]} & 0x3f) << 48;
  for (int i = 0; i < 6; ++i) t |= std::uint64_t{b[10 + i]} << (40 - 8 * i);
  const Keys& k = KeysOf(kind);
  if (t != Tag(k, c)) return std::nullopt;
  const std::uint64_t row = Decrypt(k, c);
  if (row == 0 || row > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(row);
}

}  // namespace undersigned::store
