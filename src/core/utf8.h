// Small text helpers shared by every module: UTF-8 checks, trimming, percent-encoding.
#pragma once

#include <string>
#include <string_view>

namespace undersigned {

// True if s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);
// True if s contains ASCII control characters other than \t, \n, \r (or DEL).
bool HasControlChars(std::string_view s, bool allow_newlines);
// Strips ASCII whitespace at both ends.
// True if s holds a bidirectional embedding, override or isolate control (U+202A-U+202E,
// U+2066-U+2069): invisible characters that make the text after them display in another order,
// so that a name or comment could look like something else ("RLO" U+202E is the usual one).
bool HasBidiControls(std::string_view s);
std::string Trim(std::string_view s);
std::string ToLowerAscii(std::string_view s);
// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), like
// JavaScript's encodeURIComponent: safe in paths, query strings and mailto: bodies alike.
std::string PercentEncode(std::string_view s);

}  // namespace undersigned
