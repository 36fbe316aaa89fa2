// Keyed MACs for the links mailed to people (an unsubscribe link, an RSVP's cancel link, a
// pledge's link), for personal share codes and for keyed hashes of addresses: HMAC-SHA-256
// (libsodium) under an instance secret, so that a link carries its own proof and nothing is
// stored per mail. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace undersigned::service {

// The HMAC-SHA-256 of msg under key: its 32 bytes.
std::string HmacBytes(std::string_view key, std::string_view msg);
// The same in lower-case hex (64 digits).
std::string HmacHex(std::string_view key, std::string_view msg);

// How many hex digits of the MAC a link token carries: 128 bits.
inline constexpr std::size_t kLinkMacHexDigits = 32;

// "<id>.<the first kLinkMacHexDigits of HmacHex(key, "<purpose>:<id>")>", e.g. "42.9f0c...".
std::string IdLinkToken(std::string_view key, std::string_view purpose, std::int64_t id);
// The id of a token IdLinkToken made with this key and purpose; nullopt for a malformed or
// forged one (compared in constant time).
std::optional<std::int64_t> CheckIdLinkToken(std::string_view key, std::string_view purpose,
                                             std::string_view token);

}  // namespace undersigned::service
