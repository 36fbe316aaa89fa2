// Random identifiers and one-time tokens (libsodium). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace undersigned::service {

// One-time URL-safe token, base64url without padding (43 chars) of 32 bytes: 8 bytes of time
// (milliseconds and a counter, so new tokens sort after old ones) and 24 random bytes
// (192 bits: unguessable).
std::string NewToken();
// What the store keeps instead of a token: hex of the token's 8 time bytes, then hex SHA-256
// of the whole token. The time prefix makes new rows append to the store's unique index
// instead of touching a random page each (measured: about twice the signing rate).
std::string HashToken(std::string_view token);
// RFC 9562 version 7 UUID (time-ordered, 74 random bits), lower-case.
std::string NewUuid();

}  // namespace undersigned::service
