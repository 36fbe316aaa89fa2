// Time-based one-time passwords (RFC 6238 over HOTP, RFC 4226, with HMAC-SHA1, the algorithm
// every authenticator app supports), their secrets in base32 (RFC 4648) and the otpauth:// URI
// that authenticator apps read from a QR code. Pure functions; thread-safe. HMAC-SHA1 is
// OpenSSL's (libsodium has no SHA-1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace undersigned::totp {

inline constexpr int kDigits = 6;
inline constexpr int kStepSeconds = 30;
inline constexpr std::size_t kSecretBytes = 20;  // 160 bits, as RFC 4226 recommends

// The time step a time falls in: floor(t / step_seconds).
std::int64_t StepAt(UnixTime t, int step_seconds = kStepSeconds);
// The code for a time step: HOTP(secret, step), `digits` decimal digits with leading zeros.
std::string CodeForStep(std::string_view secret, std::int64_t step, int digits = kDigits);
// The code at time t.
std::string CodeAt(std::string_view secret, UnixTime t, int digits = kDigits,
                   int step_seconds = kStepSeconds);

// Checks a typed code against the steps now-1, now and now+1 (a clock a step off either way),
// comparing in constant time. Spaces in code are ignored ("123 456"). Returns the step that
// matched, or nullopt. A step at or before after_step (the last one used) never matches, so a
// code cannot be used twice.
std::optional<std::int64_t> Verify(std::string_view secret, std::string_view code, UnixTime now,
                                   std::optional<std::int64_t> after_step = std::nullopt,
                                   int window = 1);

// RFC 4648 base32, upper case, without padding.
std::string Base32Encode(std::string_view bytes);
// Decodes base32 in either case, ignoring spaces, hyphens and '=' padding; nullopt for any
// other character or a length no encoding has.
std::optional<std::string> Base32Decode(std::string_view text);

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6
// &period=30, with the label and issuer percent-encoded.
std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace undersigned::totp
