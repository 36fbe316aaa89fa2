// Strict byte encodings used by the log formats: standard base64 (RFC 4648 section 4, with
// padding) as required by the C2SP signed-note, tlog-checkpoint and tlog-tiles specifications,
// and lowercase hex. Pure functions over libsodium's codecs; thread-safe (call sodium_init()
// first, which every public entry point of us_log does for you through EnsureSodium()).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace undersigned::log {

// Initialises libsodium once (thread-safe, idempotent). Throws std::runtime_error if libsodium
// cannot initialise, which only happens on a broken system (a start-up failure).
void EnsureSodium();

// Standard base64 with '=' padding.
std::string Base64Encode(std::span<const uint8_t> bytes);
inline std::string Base64Encode(std::string_view bytes) {
  return Base64Encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// Decodes standard padded base64. Strict: rejects whitespace, missing or extra padding, the URL
// alphabet and non-canonical encodings (non-zero unused bits), so that every byte string has
// exactly one accepted text form. nullopt when malformed.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);

// Lowercase hex.
std::string HexEncode(std::span<const uint8_t> bytes);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::vector<uint8_t>> HexDecode(std::string_view text);

}  // namespace undersigned::log
