// Reading JSON request bodies for the OSDI API: content-type check, size/UTF-8/depth checks,
// parsing, and typed field access that names the offending field in its errors.
// Pure functions over nlohmann::json; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace undersigned::http::api {

inline constexpr std::size_t kMaxJsonBodyBytes = std::size_t{64} * 1024;
inline constexpr int kMaxJsonDepth = 32;

// True for application/json, application/hal+json, any application/*+json, with or without
// parameters (charset), case-insensitive. An empty content type is NOT accepted here; callers
// that are lenient about a missing header check for it themselves.
bool IsJsonContentType(std::string_view content_type);

// Parses body as one JSON object. kPayloadTooLarge over kMaxJsonBodyBytes; kInvalidArgument for
// an empty body, invalid UTF-8, nesting deeper than kMaxJsonDepth, a syntax error (the message
// gives the position), a number too large for a double (1e999; the error names its field), or
// a value that is not an object.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

// Reads a write's body as a JSON object, leniently, for clients that do not send JSON where
// they say they do (Parsons sends some PUT bodies form-encoded under Content-Type:
// application/json, and some creates as query parameters with an empty body):
//  - an empty body: the query parameters named in `fields` become the object (as strings);
//    with none of them there, ParseJsonObject's error;
//  - a body that is not JSON but is a form (application/x-www-form-urlencoded) with at least
//    one of `fields`: those fields (the form's others are ignored);
//  - otherwise ParseJsonObject(body), errors included.
// A field given twice keeps its first value.
Result<nlohmann::json> ParseLenientBody(std::string_view body,
                                        const std::multimap<std::string, std::string>& query,
                                        std::span<const std::string_view> fields);

// A field read from an object: absent, explicitly null, or a value.
template <typename T>
struct Field {
  bool present = false;  // the key exists (value may be null)
  bool null = false;     // the key exists and is null
  T value{};
  bool has_value() const { return present && !null; }
};

// Typed getters. `path` is the field's name as shown in errors ("person.given_name"). They fail
// with kInvalidArgument "<path> must be a string" etc. on a wrong type. REQUIRES: obj is an
// object.
Result<Field<std::string>> GetString(const nlohmann::json& obj, const char* key,
                                     const std::string& path);
// Accepts a string, or a number (written back as decimal text), e.g. postal codes.
Result<Field<std::string>> GetStringOrNumber(const nlohmann::json& obj, const char* key,
                                             const std::string& path);
Result<Field<std::int64_t>> GetInteger(const nlohmann::json& obj, const char* key,
                                       const std::string& path);
Result<Field<bool>> GetBool(const nlohmann::json& obj, const char* key, const std::string& path);
// A value (an array element) as a whole number, with the same rules and errors as GetInteger.
Result<std::int64_t> AsInteger(const nlohmann::json& v, const std::string& path);

// nlohmann::json::dump that never throws (invalid UTF-8 is replaced).
std::string Dump(const nlohmann::json& j);

}  // namespace undersigned::http::api
