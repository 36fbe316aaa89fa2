// Percent-encoding and UTF-8 helpers shared by the router, the query parser and ParseForm.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace undersigned::http {

// Strict percent-decoding: every '%' must be followed by two hex digits. With plus_as_space
// (query strings and form bodies) '+' decodes to ' '. Appends to *out. Returns false on bad
// encoding (then *out holds a partial result).
bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out);

// True if s is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Encodes everything except unreserved characters (A-Z a-z 0-9 - . _ ~), like JavaScript's
// encodeURIComponent; for building links and query strings.
std::string PercentEncode(std::string_view s);

}  // namespace undersigned::http
