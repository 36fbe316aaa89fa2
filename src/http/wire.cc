#include "http/wire.h"

#include <array>
#include <charconv>
#include <ctime>

#include <spdlog/spdlog.h>

#include "http/asio.h"

namespace undersigned::http {
namespace {

#define US_CSP_BEFORE_FORM_ACTION                                                   \
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
  "connect-src 'self'; form-action 'self'"
#define US_CSP_AFTER_FORM_ACTION "; frame-ancestors 'none'; base-uri 'none'"

constexpr std::array<HeaderField, 6> kSecurityHeaders = {{
    {"Content-Security-Policy", US_CSP_BEFORE_FORM_ACTION US_CSP_AFTER_FORM_ACTION},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
}};

// All security headers, pre-joined, for the common case where a handler overrides none.
const std::string& SecurityBlock() {
  static const std::string block = [] {
    std::string s;
    for (const auto& h : kSecurityHeaders) {
      s += h.name;
      s += ": ";
      s += h.value;
      s += "\r\n";
    }
    return s;
  }();
  return block;
}

bool IEquals(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()),
                        beast::string_view(b.data(), b.size()));
}

bool SafeHeaderText(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsFramingHeader(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, "keep-alive") || IEquals(name, "date") ||
         IEquals(name, "upgrade");
}

bool IsSecurityHeader(std::string_view name) {
  for (const auto& h : kSecurityHeaders) {
    if (IEquals(name, h.name)) return true;
  }
  return false;
}

// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", recomputed at most once a second per thread.
const std::string& DateLine() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string line;
  std::time_t now = std::time(nullptr);
  if (now != cached_second || line.empty()) {
    cached_second = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    line.assign(buf, n);
  }
  return line;
}

void AppendNumber(std::string* out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

}  // namespace

std::span<const HeaderField> SecurityHeaders() { return kSecurityHeaders; }

std::string PolicyWithFormAction(std::string_view also) {
  return std::string(US_CSP_BEFORE_FORM_ACTION " ") + std::string(also) + US_CSP_AFTER_FORM_ACTION;
}

void ApplySecurityHeaders(Response& r) {
  for (const auto& h : kSecurityHeaders) {
    bool present = false;
    for (const auto& [name, value] : r.headers) {
      if (IEquals(name, h.name)) {
        present = true;
        break;
      }
    }
    if (!present) r.headers.emplace_back(std::string(h.name), std::string(h.value));
  }
  // A security header set to "" means "leave it out" (see SecurityHeaders).
  std::erase_if(r.headers,
                [](const auto& f) { return f.second.empty() && IsSecurityHeader(f.first); });
}

std::string_view ReasonPhrase(int status) {
  auto s = beast::http::obsolete_reason(static_cast<beast::http::status>(status));
  return std::string_view(s.data(), s.size());
}

void AppendResponseHead(const Response& r, std::optional<std::size_t> content_length,
                        ConnectionHeader conn, std::string* out) {
  out->append("HTTP/1.1 ");
  AppendNumber(out, static_cast<std::uint64_t>(r.status));
  out->push_back(' ');
  out->append(ReasonPhrase(r.status));
  out->append("\r\n");
  out->append(DateLine());

  // Which security headers did the handler override, and did it set Content-Type itself?
  // A security header set to "" is overridden by nothing: left out (omitted below).
  unsigned overridden = 0;
  unsigned omitted = 0;
  bool has_content_type = false;
  for (const auto& [name, value] : r.headers) {
    if (IEquals(name, "content-type")) has_content_type = true;
    for (std::size_t i = 0; i < kSecurityHeaders.size(); ++i) {
      if (IEquals(name, kSecurityHeaders[i].name)) {
        overridden |= 1u << i;
        if (value.empty()) omitted |= 1u << i;
      }
    }
  }

  bool no_body = StatusHasNoBody(r.status);
  if (!no_body) {
    if (!has_content_type && !r.content_type.empty() && SafeHeaderText(r.content_type)) {
      out->append("Content-Type: ");
      out->append(r.content_type);
      out->append("\r\n");
    }
    if (content_length) {
      out->append("Content-Length: ");
      AppendNumber(out, *content_length);
      out->append("\r\n");
    }
  }
  if (conn == ConnectionHeader::kClose) {
    out->append("Connection: close\r\n");
  } else if (conn == ConnectionHeader::kKeepAlive) {
    out->append("Connection: keep-alive\r\n");
  }
  for (const auto& [name, value] : r.headers) {
    if (value.empty() && omitted != 0 && IsSecurityHeader(name)) continue;
    if (name.empty() || IsFramingHeader(name) || !SafeHeaderText(name) || !SafeHeaderText(value)) {
      if (!IsFramingHeader(name)) {
        spdlog::error("http: dropped a response header containing CR, LF or NUL");
      }
      continue;
    }
    out->append(name);
    out->append(": ");
    out->append(value);
    out->append("\r\n");
  }
  if (overridden == 0) {
    out->append(SecurityBlock());
  } else {
    for (std::size_t i = 0; i < kSecurityHeaders.size(); ++i) {
      if (overridden & (1u << i)) continue;
      out->append(kSecurityHeaders[i].name);
      out->append(": ");
      out->append(kSecurityHeaders[i].value);
      out->append("\r\n");
    }
  }
  out->append("\r\n");
}

}  // namespace undersigned::http
