// Response serialization and the security headers every response carries. Pure functions,
// thread-safe (the Date cache is thread_local).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/message.h"

namespace undersigned::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// Content-Security-Policy, X-Content-Type-Options, Referrer-Policy, X-Frame-Options,
// Permissions-Policy, Cross-Origin-Opener-Policy, with their values. The server adds each one to
// every response unless the handler set a header of the same name (case-insensitive), which
// wins: e.g. a handler may relax Content-Security-Policy for one page. A security header the
// handler sets to an empty value is left out altogether: a page made to be framed by other sites
// (http/pages/embed.h) drops X-Frame-Options, which has no value that allows that.
std::span<const HeaderField> SecurityHeaders();

// The site's Content-Security-Policy with form-action widened to `also` (e.g. "https: mailto:"),
// for a page whose form leads elsewhere: a form answered by a redirect to another site (a share
// intent, a payment page) is blocked by browsers unless form-action allows where it ends up.
std::string PolicyWithFormAction(std::string_view also);

// Adds to r.headers the security headers it does not already have (for code that builds
// responses outside the server; the server does the same while serializing).
void ApplySecurityHeaders(Response& r);

enum class ConnectionHeader { kNone, kClose, kKeepAlive };

// Appends "HTTP/1.1 <status> <reason>\r\n", Date, Content-Type (unless r.content_type is
// empty or a handler header sets it), Content-Length: content_length (omitted for 1xx, 204, 304
// and when content_length is nullopt: a body that ends when the connection closes),
// Connection, the handler's headers (framing headers such as Content-Length, Transfer-Encoding
// and Connection, any header containing CR, LF or NUL, and a security header set to "" are
// dropped) and the security headers, then the blank line.
void AppendResponseHead(const Response& r, std::optional<std::size_t> content_length,
                        ConnectionHeader conn, std::string* out);

// True if the status forbids a body (1xx, 204, 304).
inline bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// The reason phrase, "Not Found" for 404; "Unknown" if the code is not standard.
std::string_view ReasonPhrase(int status);

}  // namespace undersigned::http
