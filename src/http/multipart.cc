#include "http/multipart.h"

#include <boost/beast/core/string.hpp>
#include <utility>

#include "core/utf8.h"

namespace undersigned::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 section 5.1.1

tl::unexpected<Error> BadBody(std::string what) {
  return Fail(Code::kInvalidArgument, "Malformed multipart/form-data body: " + std::move(what));
}

tl::unexpected<Error> BadContentType(std::string what) {
  return Fail(Code::kInvalidArgument, "Bad Content-Type for a form upload: " + std::move(what));
}

// Client text quoted in an error message: printable ASCII only, at most 40 bytes.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
    out.push_back(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
  }
  if (s.size() > 40) out += "...";
  return out + "'";
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bchars.
bool IsBoundaryChar(char c) {
  return IsAlnum(c) || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

// ASCII case-insensitive, as Beast compares header names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return boost::beast::iequals(boost::beast::string_view(a.data(), a.size()),
                               boost::beast::string_view(b.data(), b.size()));
}

void SkipWhitespace(std::string_view s, std::size_t* i) {
  while (*i < s.size() && IsWhitespace(s[*i])) ++*i;
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t ScanToken(std::string_view s, std::size_t i) {
  while (i < s.size() && IsTokenChar(s[i])) ++i;
  return i;
}

struct Param {
  std::string name;  // lower-cased
  std::string value;
};

// Parses the parameter list after a media type or disposition type:
// *( OWS ";" OWS token "=" ( token / quoted-string ) ) OWS. Quoted-strings take backslash
// escapes. Each name may appear once. On failure returns a message (without prefix).
Result<std::vector<Param>> ParseParams(std::string_view s) {
  std::vector<Param> params;
  std::size_t i = 0;
  while (true) {
    SkipWhitespace(s, &i);
    if (i == s.size()) return params;
    if (s[i] != ';') return Fail(Code::kInvalidArgument, "expected ';' between parameters");
    ++i;
    SkipWhitespace(s, &i);
    std::size_t name_end = ScanToken(s, i);
    if (name_end == i) return Fail(Code::kInvalidArgument, "a parameter has no name");
    Param p;
    p.name = ToLowerAscii(s.substr(i, name_end - i));
    i = name_end;
    if (i == s.size() || s[i] != '=') {
      return Fail(Code::kInvalidArgument, "parameter " + Quote(p.name) + " has no '=value'");
    }
    ++i;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        if (c == '\\') {
          if (i + 1 == s.size()) break;  // unterminated
          c = static_cast<unsigned char>(s[i + 1]);
          i += 2;
        } else {
          ++i;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          return Fail(Code::kInvalidArgument,
                      "parameter " + Quote(p.name) + " contains a control character");
        }
        p.value.push_back(static_cast<char>(c));
      }
      if (!closed) {
        return Fail(Code::kInvalidArgument,
                    "the quoted value of parameter " + Quote(p.name) + " is not terminated");
      }
    } else {
      std::size_t value_end = ScanToken(s, i);
      if (value_end == i) {
        return Fail(Code::kInvalidArgument,
                    "parameter " + Quote(p.name) + " has an empty or invalid value");
      }
      p.value.assign(s.substr(i, value_end - i));
      i = value_end;
    }
    for (const Param& q : params) {
      if (q.name == p.name) {
        return Fail(Code::kInvalidArgument, "parameter " + Quote(p.name) + " appears twice");
      }
    }
    params.push_back(std::move(p));
  }
}

// Splits "type; params" into the type (trimmed) and the rest starting at the first ';'.
std::pair<std::string_view, std::string_view> SplitType(std::string_view value) {
  value = TrimWhitespace(value);
  std::size_t semi = value.find(';');
  if (semi == std::string_view::npos) return {value, std::string_view()};
  return {TrimWhitespace(value.substr(0, semi)), value.substr(semi)};
}

// Fills the part from its header block: the lines between the delimiter line and the empty
// line, without the final CRLF.
Result<void> ParsePartHeaders(std::string_view block, std::size_t index, FormPart* part) {
  const std::string where = "part " + std::to_string(index + 1);
  // First the shape of every line, so a folded or broken line is reported as such.
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  std::size_t pos = 0;
  while (pos <= block.size()) {
    std::size_t eol = block.find(kCrlf, pos);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + kCrlf.size();
    if (line.empty()) return BadBody(where + " has an empty header line");
    if (IsWhitespace(line.front())) {
      return BadBody(where + " has a folded header line (continuation lines are not allowed)");
    }
    for (char c : line) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return BadBody(where + " has a control character (a lone CR or LF?) in its headers");
      }
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return BadBody(where + " has a header line without ':'");
    }
    std::string_view name = line.substr(0, colon);
    if (name.empty() || ScanToken(name, 0) != name.size()) {
      return BadBody(where + " has an invalid header name");
    }
    std::string_view value = TrimWhitespace(line.substr(colon + 1));
    if (!IsValidUtf8(value)) return BadBody(where + " has a header that is not valid UTF-8");
    fields.emplace_back(name, value);
    if (eol == block.size()) break;
  }

  bool seen_disposition = false, seen_type = false, seen_encoding = false;
  for (const auto& [name, value] : fields) {
    if (EqualsIgnoreCase(name, "Content-Disposition")) {
      if (seen_disposition) return BadBody(where + " has two Content-Disposition headers");
      seen_disposition = true;
      auto [type, rest] = SplitType(value);
      if (!EqualsIgnoreCase(type, "form-data")) {
        return BadBody(where + " has Content-Disposition " + Quote(type) +
                       "; expected 'form-data'");
      }
      auto params = ParseParams(rest);
      if (!params) return BadBody(where + " Content-Disposition: " + params.error().message);
      bool has_name = false;
      for (Param& p : *params) {
        if (p.name == "name") {
          has_name = true;
          part->name = std::move(p.value);
        } else if (p.name == "filename") {
          part->has_filename = true;
          part->filename = std::move(p.value);
        }  // filename* and unknown parameters are ignored (RFC 7578 section 4.2)
      }
      if (!has_name) return BadBody(where + " has no name in its Content-Disposition");
      if (!IsValidUtf8(part->name) || HasControlChars(part->name, false) ||
          !IsValidUtf8(part->filename) || HasControlChars(part->filename, false)) {
        return BadBody(where + " has a name or filename that is not clean UTF-8 text");
      }
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      if (seen_type) return BadBody(where + " has two Content-Type headers");
      seen_type = true;
      if (value.empty()) return BadBody(where + " has an empty Content-Type");
      part->content_type.assign(value);
    } else if (EqualsIgnoreCase(name, "Content-Transfer-Encoding")) {
      if (seen_encoding) return BadBody(where + " has two Content-Transfer-Encoding headers");
      seen_encoding = true;
      if (!EqualsIgnoreCase(value, "binary") && !EqualsIgnoreCase(value, "8bit") &&
          !EqualsIgnoreCase(value, "7bit")) {
        return BadBody(where + " uses Content-Transfer-Encoding " + Quote(value) +
                       "; only binary, 8bit and 7bit are accepted");
      }
    }  // other headers are ignored
  }
  if (!seen_disposition) {
    return BadBody(where + " has no Content-Disposition: form-data header");
  }
  return {};
}

}  // namespace

Result<std::string> MultipartBoundary(std::string_view content_type_header) {
  auto [type, rest] = SplitType(content_type_header);
  if (!EqualsIgnoreCase(type, "multipart/form-data")) {
    return BadContentType("expected multipart/form-data, got " + Quote(type));
  }
  auto params = ParseParams(rest);
  if (!params) return BadContentType(params.error().message);
  for (const Param& p : *params) {
    if (p.name != "boundary") continue;
    const std::string& b = p.value;
    if (b.empty() || b.size() > kMaxBoundary) {
      return BadContentType("the boundary must be 1 to 70 characters long");
    }
    for (char c : b) {
      if (!IsBoundaryChar(c)) {
        return BadContentType("the boundary contains a character RFC 2046 does not allow");
      }
    }
    if (b.back() == ' ') return BadContentType("the boundary must not end with a space");
    return b;
  }
  return BadContentType("multipart/form-data without a boundary parameter");
}

Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type_header,
                                             std::string_view body, const MultipartLimits& limits) {
  auto boundary = MultipartBoundary(content_type_header);
  if (!boundary) return Fail(boundary.error());
  if (body.size() > limits.max_total_bytes) {
    return BadBody("it is " + std::to_string(body.size()) + " bytes; at most " +
                   std::to_string(limits.max_total_bytes) + " are allowed");
  }

  const std::string dash_boundary = "--" + *boundary;
  const std::string delimiter = "\r\n" + dash_boundary;

  // pos: just after a dash-boundary. The first one opens the body or follows the preamble.
  std::size_t pos;
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    pos = dash_boundary.size();
  } else {
    std::size_t first = body.find(delimiter);
    if (first == std::string_view::npos) return BadBody("the boundary never appears");
    pos = first + delimiter.size();
  }

  std::vector<FormPart> parts;
  while (true) {
    // After "--boundary": "--" closes, else transport padding and CRLF open a part.
    if (body.substr(pos, 2) == "--") {
      pos += 2;
      SkipWhitespace(body, &pos);
      if (pos != body.size() && body.substr(pos, 2) != kCrlf) {
        return BadBody("unexpected bytes after the closing delimiter");
      }
      return parts;  // the epilogue after CRLF is ignored
    }
    SkipWhitespace(body, &pos);
    if (body.substr(pos, 2) != kCrlf) {
      if (pos >= body.size())
        return BadBody("it ends right after a delimiter, with no closing one");
      return BadBody("a boundary line is followed by unexpected bytes (boundary text in a part?)");
    }
    pos += 2;
    if (parts.size() == limits.max_parts) {
      return BadBody("it has more than " + std::to_string(limits.max_parts) + " parts");
    }

    std::size_t next = body.find(delimiter, pos);
    if (next == std::string_view::npos) {
      return BadBody("the closing delimiter '--" + *boundary + "--' is missing");
    }
    if (body.substr(pos, 2) == kCrlf) {
      return BadBody("part " + std::to_string(parts.size() + 1) +
                     " has no headers; each part needs Content-Disposition: form-data");
    }
    // The header block ends at the first empty line; it cannot reach past the next delimiter,
    // whose leading CRLF may double as the empty line (a part with headers and no body).
    std::string_view window = body.substr(pos, next + kCrlf.size() - pos);
    const std::string which = "part " + std::to_string(parts.size() + 1);
    std::size_t header_end = window.substr(0, limits.max_header_bytes + 4).find("\r\n\r\n");
    if (header_end == std::string_view::npos) {
      if (window.size() > limits.max_header_bytes + 4) {
        return BadBody(which + " has more than " + std::to_string(limits.max_header_bytes) +
                       " bytes of headers (or no empty line after them)");
      }
      return BadBody("the headers of " + which + " are not followed by an empty line");
    }
    if (header_end > limits.max_header_bytes) {
      return BadBody(which + " has more than " + std::to_string(limits.max_header_bytes) +
                     " bytes of headers");
    }
    FormPart part;
    if (auto ok = ParsePartHeaders(window.substr(0, header_end), parts.size(), &part); !ok) {
      return Fail(ok.error());
    }
    std::size_t content = pos + header_end + 4;
    if (content < next) part.body.assign(body.substr(content, next - content));
    parts.push_back(std::move(part));
    pos = next + delimiter.size();
  }
}

}  // namespace undersigned::http
