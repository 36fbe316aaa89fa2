#include "service/ids.h"

#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

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

std::string Hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

}  // namespace

void RandomBytes(unsigned char* out, std::size_t n) {
  EnsureSodium();
  struct Stream {
    unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
    std::uint64_t counter = 0;
    bool keyed = false;
  };
  thread_local Stream s;
  if (!s.keyed || s.counter >= (1u << 20)) {
    randombytes_buf(s.key, sizeof s.key);
    s.counter = 0;
    s.keyed = true;
  }
  unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<unsigned char>(s.counter >> (8 * i));
  ++s.counter;
  crypto_stream_chacha20_ietf(out, n, nonce, s.key);
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

std::string HashToken(std::string_view token) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  unsigned char raw[32];
  std::size_t len = 0;
  std::string prefix;
  if (sodium_base642bin(raw, sizeof raw, token.data(), token.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
      len == sizeof raw) {
    prefix = Hex(raw, 8);
  }
  return prefix + Hex(digest, sizeof digest);
}

std::string NewUuid() {
  EnsureSodium();
  unsigned char b[16];
  RandomBytes(b, sizeof b);
  PutMillis(b, NowMillis());
  b[6] = (b[6] & 0x0F) | 0x70;
  b[8] = (b[8] & 0x3F) | 0x80;
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace undersigned::service
