// Random identifiers and one-time tokens (libsodium). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace undersigned::service {

// Random URL-safe token: 32 bytes of entropy, base64url without padding (43 chars).
std::string NewToken();
// What the store keeps instead of a token: hex SHA-256.
std::string HashToken(std::string_view token);
// Random RFC 4122 version 4 UUID, lower-case.
std::string NewUuid();

}  // namespace undersigned::service
