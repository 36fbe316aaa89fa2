// The rules a new organizer password must pass (NIST SP 800-63B: length, not composition).
// Pure function; thread-safe. Hashing is service/accounts.h's business (Argon2id).
#pragma once

#include <cstddef>
#include <string_view>

#include "core/error.h"

namespace undersigned {

inline constexpr std::size_t kMinPasswordChars = 12;    // Unicode code points
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // bounds the hashing work of a request

// kInvalidArgument with field_errors["password"] saying what to change if password is too
// short, too long, not valid UTF-8 or holds control characters. Spaces are allowed anywhere
// (passphrases); nothing is trimmed.
Result<void> CheckPassword(std::string_view password);

}  // namespace undersigned
