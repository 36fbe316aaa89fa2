#include "store/random.h"

#include <pthread.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "store/public_ids.h"

namespace undersigned::store {
namespace {

// Counts forks (a pthread_atfork child handler), so that random pools are refilled in a child.
std::atomic<unsigned> g_forks{0};
unsigned Forks() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_forks.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  return g_forks.load(std::memory_order_relaxed);
}

}  // namespace

void RandomBytes(void* out, std::size_t n) {
  struct Pool {
    unsigned char bytes[4096];
    std::size_t used = sizeof bytes;
    unsigned forks = 0;
  };
  thread_local Pool pool;
  if (n > sizeof pool.bytes / 4) {
    randombytes_buf(out, n);
    return;
  }
  const unsigned forks = Forks();
  if (pool.used + n > sizeof pool.bytes || pool.forks != forks) {
    randombytes_buf(pool.bytes, sizeof pool.bytes);
    pool.used = 0;
    pool.forks = forks;
  }
  std::memcpy(out, pool.bytes + pool.used, n);
  sodium_memzero(pool.bytes + pool.used, n);  // handed out once
  pool.used += n;
}

std::string NewUuid() {
  std::array<unsigned char, 16> b;
  RandomBytes(b.data(), b.size());
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return FormatUuid(b);
}

}  // namespace undersigned::store
