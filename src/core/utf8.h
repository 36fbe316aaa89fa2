// Small text helpers shared by validation code: UTF-8 checks and trimming.
#pragma once

#include <string>
#include <string_view>

namespace undersigned {

// True if s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);
// True if s contains ASCII control characters other than \t, \n, \r (or DEL).
bool HasControlChars(std::string_view s, bool allow_newlines);
// Strips ASCII whitespace at both ends.
std::string Trim(std::string_view s);
std::string ToLowerAscii(std::string_view s);

}  // namespace undersigned
