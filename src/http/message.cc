#include "http/message.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "http/url.h"

namespace undersigned::http {

std::string Request::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string Request::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

std::string Request::Cookie(std::string_view name) const {
  auto it = cookies.find(std::string(name));
  return it == cookies.end() ? std::string() : it->second;
}

Response Response::Html(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::Json(std::string body, int status, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::Text(std::string body, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

Response Response::Redirect(std::string location, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

int StatusFor(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kPayloadTooLarge:
      return 413;
    case Code::kTooManyRequests:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

Response JsonError(const Error& e) {
  nlohmann::json j;
  j["error"] = e.message;
  if (!e.field_errors.empty()) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [k, v] : e.field_errors) fields[k] = v;
    j["fields"] = std::move(fields);
  }
  int status = StatusFor(e.code);
  // Invalid UTF-8 in a message must not turn an error into an exception.
  Response r =
      Response::Json(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), status);
  if (status == 429 || (status == 503 && e.retry_after_seconds > 0)) {
    r.Header("Retry-After", std::to_string(std::max(1, e.retry_after_seconds)));
  }
  return r;
}

Result<std::multimap<std::string, std::string>> ParseForm(std::string_view body) {
  std::multimap<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;  // "a=1&&b=2"
    std::size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string key, value;
    if (!PercentDecode(raw_key, true, &key) || !PercentDecode(raw_value, true, &value)) {
      return Fail(Code::kInvalidArgument, "Malformed form data: bad percent-encoding");
    }
    if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
      return Fail(Code::kInvalidArgument, "Form data is not valid UTF-8");
    }
    if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return Fail(Code::kInvalidArgument, "Form data contains a NUL character");
    }
    if (key.empty()) continue;  // "=value" carries nothing addressable
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace undersigned::http
