#include "service/ids.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "log/merkle.h"

namespace undersigned::service {
namespace {

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

std::uint64_t NowMillis() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// 48 bits of milliseconds, big-endian, into out[0..5].
void PutMillis(unsigned char* out, std::uint64_t ms) {
  for (int i = 5; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(ms & 0xFF);
    ms >>= 8;
  }
}

constexpr char kHexDigits[] = "0123456789abcdef";

void PutHex(char* out, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[p[i] >> 4];
    out[2 * i + 1] = kHexDigits[p[i] & 0x0F];
  }
}

}  // namespace

void RandomBytes(unsigned char* out, std::size_t n) {
  EnsureSodium();
  // Keystream is made a block of kBuffer bytes at a time (one ChaCha20 set-up for many
  // tokens) and each byte is handed out once, then wiped.
  constexpr std::size_t kBuffer = 1024;
  struct Stream {
    unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
    unsigned char buffer[kBuffer];
    std::size_t used = kBuffer;
    std::uint64_t counter = 0;
    bool keyed = false;
  };
  thread_local Stream s;
  while (n > 0) {
    if (s.used == kBuffer) {
      if (!s.keyed || s.counter >= (1u << 20)) {
        randombytes_buf(s.key, sizeof s.key);
        s.counter = 0;
        s.keyed = true;
      }
      unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
      for (int i = 0; i < 8; ++i) nonce[i] = static_cast<unsigned char>(s.counter >> (8 * i));
      ++s.counter;
      crypto_stream_chacha20_ietf(s.buffer, kBuffer, nonce, s.key);
      s.used = 0;
    }
    const std::size_t take = std::min(n, kBuffer - s.used);
    std::memcpy(out, s.buffer + s.used, take);
    sodium_memzero(s.buffer + s.used, take);
    s.used += take;
    out += take;
    n -= take;
  }
}

std::string NewToken() {
  EnsureSodium();
  static std::atomic<std::uint16_t> counter{0};
  unsigned char raw[32];
  RandomBytes(raw, sizeof raw);
  PutMillis(raw, NowMillis());
  const std::uint16_t n = counter.fetch_add(1, std::memory_order_relaxed);
  raw[6] = static_cast<unsigned char>(n >> 8);
  raw[7] = static_cast<unsigned char>(n & 0xFF);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

// The value of a base64url digit, or -1.
int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string HashToken(std::string_view token) {
  EnsureSodium();
  const log::Hash digest = log::Sha256(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
  // A token of NewToken's shape (43 base64url digits) starts with its 8 time bytes: the first
  // 64 of the 66 bits its first 11 digits carry. Anything else gets no prefix (and so matches
  // no stored token, as no issued token hashes to it).
  unsigned char prefix[8];
  bool timed = token.size() == 43;
  std::uint64_t bits = 0;  // the first 10 digits, then the top 4 bits of the 11th
  for (std::size_t i = 0; i < token.size() && timed; ++i) {
    const int v = Base64UrlValue(token[i]);
    timed = v >= 0;
    if (i < 10) bits = (bits << 6) | static_cast<std::uint64_t>(v);
    if (i == 10) bits = (bits << 4) | static_cast<std::uint64_t>(v >> 2);
  }
  for (int i = 7; i >= 0; --i, bits >>= 8) prefix[i] = static_cast<unsigned char>(bits & 0xFF);
  const std::size_t prefix_len = timed ? sizeof prefix : 0;
  std::string out(2 * (prefix_len + digest.size()), '\0');
  PutHex(out.data(), prefix, prefix_len);
  PutHex(out.data() + 2 * prefix_len, digest.data(), digest.size());
  return out;
}

std::string NewUuid() {
  EnsureSodium();
  unsigned char b[16];
  RandomBytes(b, sizeof b);
  PutMillis(b, NowMillis());
  b[6] = (b[6] & 0x0F) | 0x70;
  b[8] = (b[8] & 0x3F) | 0x80;
  std::string out(36, '-');  // 8-4-4-4-12
  PutHex(out.data(), b, 4);
  PutHex(out.data() + 9, b + 4, 2);
  PutHex(out.data() + 14, b + 6, 2);
  PutHex(out.data() + 19, b + 8, 2);
  PutHex(out.data() + 24, b + 10, 6);
  return out;
}

}  // namespace undersigned::service
