// Test-only helpers shared by the page tests (pages_test_fixture.h, organizations_test.cc): drive a
// Router the way the server does, keeping the CSRF cookie like a browser, and small checks on
// responses. Not part of us_http; include only from *_test.cc files.
// Stateless free functions; the caller owns the Router and the cookie string. Thread-safety:
// as safe as the Router's handlers (each call builds its own Request).
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"
#include "http/pages/csrf.h"
#include "http/router.h"
#include "http/url.h"
#include "render/test_images.h"

namespace undersigned::http::test {

// A 4x4 RGBA PNG (for logo uploads).
using render::test::kPng;

// One part of a multipart/form-data body (MultipartBody): a field, or a file with a filename.
struct Part {
  std::string name;
  std::string value;
  std::optional<std::string> filename;  // a file part
  std::string content_type;
};
inline constexpr const char* kBoundary = "----undersignedTestBoundary7MA4YWxk";
// The body a browser sends for parts, delimited by kBoundary.
inline std::string MultipartBody(const std::vector<Part>& parts) {
  std::string out;
  for (const Part& p : parts) {
    out += std::string("--") + kBoundary + "\r\n";
    out += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.filename) out += "; filename=\"" + *p.filename + "\"";
    out += "\r\n";
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n" + p.value + "\r\n";
  }
  out += std::string("--") + kBoundary + "--\r\n";
  return out;
}

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The first value of header name in r ("" if none).
inline std::string HeaderOf(const Response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

// fields as an application/x-www-form-urlencoded body.
inline std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

// Dispatches like the server: split the target, find the route (HEAD as GET), fill params and
// query, send *cookie as the CSRF cookie (if not empty) and keep the one the response sets, as a
// browser would; the same for any other cookie in *jar (if given; their Path is not checked).
// An async route's answer is awaited. *route (if given) is set to the route that ran (nullptr:
// the not-found handler).
inline Response Dispatch(Router& router, const std::string& method, const std::string& target,
                         const std::string& body, std::map<std::string, std::string> headers,
                         std::string* cookie, const Router::Route** route = nullptr,
                         std::map<std::string, std::string>* jar = nullptr) {
  Request req;
  req.method = method;
  req.target = target;
  std::size_t q = target.find('?');
  EXPECT_TRUE(PercentDecode(target.substr(0, q), false, &req.path));
  if (q != std::string::npos) {
    std::string query = target.substr(q + 1);
    std::size_t start = 0;
    while (start < query.size()) {
      std::size_t amp = query.find('&', start);
      std::string part =
          query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      std::size_t eq = part.find('=');
      std::string k, v;
      PercentDecode(part.substr(0, eq), true, &k);
      if (eq != std::string::npos) PercentDecode(part.substr(eq + 1), true, &v);
      req.query.emplace(k, v);
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  req.headers = std::move(headers);
  if (jar != nullptr) req.cookies = *jar;
  if (!cookie->empty()) req.cookies[pages::kCsrfCookie] = *cookie;
  req.body = body;
  req.remote_address = "192.0.2.1";
  std::vector<std::string_view> segments;
  SplitPath(req.path, &segments);
  auto match = router.Find(method == "HEAD" ? "GET" : method, segments, &req.params);
  if (route != nullptr) *route = match.route;
  Response r;
  if (match.route == nullptr) {
    EXPECT_TRUE(router.not_found());
    r = router.not_found()(req);
  } else if (match.route->kind == Router::Kind::kAsync) {
    // Wait for the answer, from whichever thread gives it.
    std::promise<Response> answer;
    match.route->async_handler(req, Respond([&answer](Response a) { answer.set_value(a); }));
    r = answer.get_future().get();
  } else {
    EXPECT_EQ(match.route->kind, Router::Kind::kHandler);
    r = match.route->handler(req);
  }
  // Keep the cookies like a browser would.
  for (const auto& [name, set] : r.headers) {
    if (name != "Set-Cookie") continue;
    const std::size_t eq = set.find('=');
    const std::string key = set.substr(0, eq);
    const std::string value = set.substr(eq + 1, set.find(';') - eq - 1);
    if (key == pages::kCsrfCookie) {
      *cookie = value;
    } else {
      EXPECT_NE(jar, nullptr) << "an unexpected cookie: " << set;
      if (jar != nullptr) (*jar)[key] = value;
    }
  }
  return r;
}

}  // namespace undersigned::http::test
