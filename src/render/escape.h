// Escaping for the places visitor-typed text ends up in: HTML text and attributes, URL query
// values. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/utf8.h"  // PercentEncode

namespace undersigned::render {

// Escapes & < > " ' so the result is safe in HTML text and in quoted attribute values.
std::string EscapeHtml(std::string_view s);
// Appends the escaped form of s to out (no temporary string).
void AppendEscapedHtml(std::string& out, std::string_view s);

}  // namespace undersigned::render
