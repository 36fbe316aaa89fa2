#include "store/store_url.h"

#include <cctype>
#include <vector>

namespace undersigned::store {
namespace {

constexpr std::string_view kMask = "***";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A part of the input that is a password: [begin, end).
struct Span {
  std::size_t begin, end;
};

// The passwords of a URI: the user information's and every password= query parameter's.
std::vector<Span> UriPasswords(std::string_view url, std::size_t authority) {
  std::vector<Span> found;
  // The query starts at the first '?'; the user information ends at the last '@' before it (a
  // password may hold an unencoded '/' or '@').
  std::size_t query = url.find_first_of("?#", authority);
  if (query == std::string_view::npos) query = url.size();
  std::size_t at = url.substr(0, query).rfind('@');
  if (at != std::string_view::npos && at >= authority) {
    std::size_t colon = url.substr(0, at).find(':', authority);
    if (colon != std::string_view::npos) found.push_back({colon + 1, at});
  }
  if (query < url.size() && url[query] == '?') {
    std::size_t i = query + 1;
    while (i < url.size() && url[i] != '#') {
      std::size_t end = url.find_first_of("&#", i);
      if (end == std::string_view::npos) end = url.size();
      std::string_view param = url.substr(i, end - i);
      if (param.starts_with("password=")) found.push_back({i + 9, end});
      i = end < url.size() && url[end] == '&' ? end + 1 : end;
    }
  }
  return found;
}

// The passwords of a libpq keyword/value string: password=secret, password = 'se cret'.
std::vector<Span> KeywordPasswords(std::string_view s) {
  std::vector<Span> found;
  std::size_t i = 0;
  while ((i = s.find("password", i)) != std::string_view::npos) {
    const bool word_start = i == 0 || std::isspace(static_cast<unsigned char>(s[i - 1]));
    std::size_t j = i + 8;
    i = j;
    if (!word_start) continue;
    while (j < s.size() && s[j] == ' ') ++j;
    if (j >= s.size() || s[j] != '=') continue;
    ++j;
    while (j < s.size() && s[j] == ' ') ++j;
    std::size_t begin = j, end = j;
    if (j < s.size() && s[j] == '\'') {
      end = j + 1;
      while (end < s.size() && s[end] != '\'') end += s[end] == '\\' ? 2 : 1;
      end = end < s.size() ? end + 1 : s.size();
    } else {
      while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
    }
    found.push_back({begin, end});
    i = end;
  }
  return found;
}

std::vector<Span> Passwords(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos && url.find_first_of(" =") > scheme) {
    return UriPasswords(url, scheme + 3);
  }
  return KeywordPasswords(url);
}

void ReplaceAll(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t i = 0; (i = text.find(what, i)) != std::string::npos; i += with.size()) {
    text.replace(i, what.size(), with);
  }
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Replaces the occurrences of a password that stand alone (not inside a longer word), so that a
// short password such as "b" does not take every "b" out of a message.
void ReplaceSecret(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (std::size_t i = 0; (i = text.find(secret, i)) != std::string::npos;) {
    const std::size_t end = i + secret.size();
    const bool alone = (i == 0 || !IsWordChar(text[i - 1]) || !IsWordChar(secret.front())) &&
                       (end == text.size() || !IsWordChar(text[end]) || !IsWordChar(secret.back()));
    if (alone) {
      text.replace(i, secret.size(), kMask);
      i += kMask.size();
    } else {
      i = end;
    }
  }
}

}  // namespace

bool HasPostgresScheme(std::string_view url) {
  // As libpq: the scheme is compared case-sensitively.
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string RedactUrl(std::string_view url) {
  std::string out;
  std::size_t from = 0;
  for (const Span& s : Passwords(url)) {
    out.append(url.substr(from, s.begin - from));
    out.append(kMask);
    from = s.end;
  }
  out.append(url.substr(from));
  return out;
}

std::string RedactIn(std::string text, std::string_view url) {
  if (url.empty()) return text;
  ReplaceAll(text, url, RedactUrl(url));
  for (const Span& s : Passwords(url)) {
    std::string_view raw = url.substr(s.begin, s.end - s.begin);
    if (raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'') {
      raw = raw.substr(1, raw.size() - 2);
    }
    ReplaceSecret(text, raw);
    ReplaceSecret(text, PercentDecode(raw));
  }
  return text;
}

std::string DescribeStore(std::string_view url, std::string_view data_dir) {
  if (!url.empty()) return "PostgreSQL at " + RedactUrl(url);
  return "SQLite in " + std::string(data_dir);
}

}  // namespace undersigned::store
