// Plain HTTP request/response values that handlers see. Handlers are ordinary functions
// (Request -> Response); the server (http/server.h) owns sockets, parsing, limits and timeouts,
// and runs handlers marked blocking on the blocking executor so the network threads never wait
// for the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace undersigned::http {

// Case-insensitive header lookups; names stored lower-cased.
struct Request {
  std::string method;                             // "GET", "POST", ...
  std::string target;                             // raw "/c/x?a=b"
  std::string path;                               // percent-decoded path, "/c/x"
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // lower-cased names
  std::map<std::string, std::string> cookies;
  std::map<std::string, std::string> params;  // from the route pattern, "/c/{slug}"
  std::string body;
  std::string remote_address;  // peer IP, or X-Forwarded-For's last entry (the
                               // address our proxy saw) when the server trusts
                               // the proxy

  // Empty string if absent.
  std::string Header(std::string_view lower_name) const;
  std::optional<std::string> Query(std::string_view name) const;
  std::string Param(std::string_view name) const;
  std::string Cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string content_type = "text/html; charset=utf-8";
  std::string body;

  Response& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static Response Html(std::string body, int status = 200);
  static Response Json(std::string body, int status = 200,
                       std::string content_type = "application/json");
  static Response Text(std::string body, int status = 200);
  static Response Redirect(std::string location, int status = 303);
};

// Maps an Error to a status (the only place that does): kInvalidArgument 400,
// kUnauthenticated 401, kForbidden 403, kNotFound 404, kConflict 409, kPayloadTooLarge 413,
// kTooManyRequests 429 (+Retry-After), kUnavailable 503, kInternal 500.
int StatusFor(Code code);

// {"error": "..."} with the mapped status (and Retry-After on 429).
Response JsonError(const Error& e);

// Parses an application/x-www-form-urlencoded body. Fails (kInvalidArgument) on bad
// percent-encoding or invalid UTF-8.
Result<std::multimap<std::string, std::string>> ParseForm(std::string_view body);

using Handler = std::function<Response(const Request&)>;

}  // namespace undersigned::http
