// Percent-decoding shared by the router, the query parser and ParseForm. (UTF-8 checks and
// percent-encoding are core's: core/utf8.h, included here.)
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/utf8.h"

namespace undersigned::http {

// Strict percent-decoding: every '%' must be followed by two hex digits. With plus_as_space
// (query strings and form bodies) '+' decodes to ' '. Appends to *out. Returns false on bad
// encoding (then *out holds a partial result).
bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out);

}  // namespace undersigned::http
