// JSON text written directly, for the few hot paths (mail payloads, sealed fields) where
// building an nlohmann::json object per signature showed in profiles. Reading stays with
// nlohmann::json.
#pragma once

#include <string>
#include <string_view>

namespace undersigned::store {

// Appends s as a JSON string literal: quotes, backslashes and control characters (and DEL)
// escaped, everything else (UTF-8 included) as is. s must be valid UTF-8 for the result to be
// valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace undersigned::store
