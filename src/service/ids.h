// Random identifiers and one-time tokens (libsodium; SHA-256 through the log's, which is
// OpenSSL's and uses the CPU's SHA instructions). Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace undersigned::service {

// Cryptographically secure random bytes without a system call per use: each thread keeps a
// ChaCha20 key drawn from the kernel (libsodium randombytes_buf) and a counter, makes 1 KiB of
// keystream at a time, hands each byte out once (wiping it), and re-keys itself every 2^20
// blocks. getrandom(2) on every token cost a third of a page view's time.
void RandomBytes(unsigned char* out, std::size_t n);

// One-time URL-safe token, base64url without padding (43 chars) of 32 bytes: 8 bytes of time
// (milliseconds and a counter, so new tokens sort after old ones) and 24 random bytes
// (192 bits: unguessable).
std::string NewToken();
// What the store keeps instead of a token: hex of the token's 8 time bytes, then hex SHA-256
// of the whole token (the SHA-256 alone for a string not of NewToken's shape). The time prefix
// makes new rows append to the store's unique index instead of touching a random page each
// (measured: about twice the signing rate).
std::string HashToken(std::string_view token);
// RFC 9562 version 7 UUID (time-ordered, 74 random bits), lower-case.
std::string NewUuid();

}  // namespace undersigned::service
