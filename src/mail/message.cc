#include "mail/message.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>

#include "core/utf8.h"

namespace undersigned::mail {
namespace {

constexpr std::size_t kPreferredLine = 78;  // RFC 5322 2.1.1 SHOULD
constexpr std::size_t kMaxLine = 998;       // RFC 5322 2.1.1 MUST
constexpr std::string_view kCrlf = "\r\n";

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  return rng;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// RFC 5322 atext: the characters an atom (and dot-atom) may hold.
bool IsAtext(unsigned char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool IsHostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

bool IsDomainLiteral(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  for (char c : s.substr(1, s.size() - 2)) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == '.' || c == ':' || c == 'v' || c == 'V' || c == 'I' || c == 'P';
    if (!ok) return false;
  }
  return true;
}

// An unstructured header value (Subject, extra headers): printable ASCII is kept readable
// and folded at spaces; anything else becomes encoded-words.
std::string UnstructuredHeader(std::string_view name, std::string_view value) {
  std::string line(name);
  line += ": ";
  bool plain = IsPrintableAscii(value) && value.find("=?") == std::string_view::npos;
  if (!plain) {
    line += EncodeWords(value);
    return line;
  }
  // Fold at spaces so lines stay near 78 characters; a single word longer than that stays
  // on its own line (allowed up to 998).
  std::size_t line_start = 0;
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t next_space = value.find(' ', pos + 1);
    std::size_t word_end = next_space == std::string_view::npos ? value.size() : next_space;
    std::size_t current_len = line.size() - line_start;
    std::size_t word_len = word_end - pos;
    if (pos > 0 && value[pos] == ' ' && current_len + word_len > kPreferredLine &&
        current_len > 1) {
      line += kCrlf;
      line_start = line.size();
    }
    line.append(value.substr(pos, word_len));
    pos = word_end;
    if (line.size() - line_start > kMaxLine) {
      // A "word" too long for any line: encoded-words can be split anywhere.
      return std::string(name) + ": " + EncodeWords(value);
    }
  }
  return line;
}

bool NeedsQuoting(std::string_view phrase) {
  if (phrase.empty()) return true;
  if (phrase.front() == ' ' || phrase.back() == ' ') return true;
  char prev = 0;
  for (char c : phrase) {
    if (c == ' ') {
      if (prev == ' ') return true;
    } else if (!IsAtext(static_cast<unsigned char>(c))) {
      return true;
    }
    prev = c;
  }
  return false;
}

// A display name as an RFC 5322 phrase: an atom sequence, a quoted-string, or encoded-words.
std::string DisplayName(std::string_view name) {
  // Text that looks like an encoded-word is encoded too: some readers decode them even
  // inside quoted strings.
  if (!IsPrintableAscii(name) || name.find("=?") != std::string_view::npos) {
    return EncodeWords(name);
  }
  if (!NeedsQuoting(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool IsFieldName(std::string_view s) {
  if (s.empty() || s.size() > 76) return false;
  for (unsigned char c : s) {
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 12> kReservedHeaders = {
    "Date",         "From",   "To", "Subject", "Message-ID",          "MIME-Version",
    "Content-Type", "Sender", "Cc", "Bcc",     "Content-Disposition", "Content-Transfer-Encoding"};

Result<void> CheckHeaderText(std::string_view what, std::string_view value) {
  if (HasLineBreakOrNul(value)) {
    return Fail(Code::kInvalidArgument, std::string(what) + " contains CR, LF or NUL");
  }
  if (!IsValidUtf8(value)) {
    return Fail(Code::kInvalidArgument, std::string(what) + " is not valid UTF-8");
  }
  return {};
}

void AppendTextPart(std::string& out, std::string_view subtype, std::string_view body) {
  out += "Content-Type: text/";
  out += subtype;
  out += "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += EncodeQuotedPrintable(body);
}

void AddLine(std::string& out, std::string_view line) {
  out += line;
  out += kCrlf;
}

// "=_" cannot occur in quoted-printable or base64 output, so a boundary never collides.
std::string NewBoundary() { return "=_us_" + RandomHex(12); }

// The body proper: a text/plain part, or multipart/alternative of text and html. Starts with
// its Content-Type header, so it serves as the message's own body or as a part of another
// multipart.
void AppendBody(std::string& out, const MailMessage& m) {
  if (m.html_body.empty()) {
    AppendTextPart(out, "plain", m.text_body);
    return;
  }
  std::string boundary = NewBoundary();
  AddLine(out, "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"");
  AddLine(out, "");
  AddLine(out, "This is a multi-part message in MIME format.");
  // The CRLF before a boundary line belongs to the boundary (RFC 2046 5.1.1), hence the
  // empty line after each part: it keeps the part's own final line break.
  AddLine(out, "--" + boundary);
  AppendTextPart(out, "plain", m.text_body);
  AddLine(out, "");
  AddLine(out, "--" + boundary);
  AppendTextPart(out, "html", m.html_body);
  AddLine(out, "");
  AddLine(out, "--" + boundary + "--");
}

// RFC 2045 token characters, lowercase only (what a content type's type and subtype may be).
bool IsLowerToken(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Result<void> CheckAttachments(const std::vector<MailAttachment>& attachments) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    const MailAttachment& a = attachments[i];
    const std::string what = "attachment " + std::to_string(i + 1);
    if (a.filename.empty()) return Fail(Code::kInvalidArgument, what + " has no file name");
    if (auto ok = CheckHeaderText(what + "'s file name", a.filename); !ok) {
      return Fail(ok.error());
    }
    // Bidi controls too: U+202E turns "letter\u202Efdp.exe" into "letterexe.pdf" on screen.
    if (HasControlChars(a.filename, false) || HasBidiControls(a.filename) ||
        a.filename.find_first_of("/\\\t") != std::string::npos || a.filename.size() > 255) {
      return Fail(Code::kInvalidArgument,
                  what +
                      "'s file name must be a name, not a path: no '/', '\\', control or "
                      "direction characters, at most 255 bytes");
    }
    std::size_t slash = a.content_type.find('/');
    if (slash == std::string::npos || !IsLowerToken(a.content_type.substr(0, slash)) ||
        !IsLowerToken(a.content_type.substr(slash + 1))) {
      return Fail(Code::kInvalidArgument,
                  what +
                      "'s content type must be a lowercase type/subtype such as "
                      "application/pdf, without parameters");
    }
    total += a.data.size();
  }
  if (total > kMaxAttachmentBytes) {
    return Fail(Code::kInvalidArgument, "attachments hold " + std::to_string(total) +
                                            " bytes; at most " +
                                            std::to_string(kMaxAttachmentBytes) + " may go");
  }
  return {};
}

// An RFC 2231 attribute-char, written as itself in an extended parameter value.
bool IsAttributeChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A parameter: name="value" when the value is printable ASCII and fits on its line, else
// name*=utf-8''%XX... in numbered sections (RFC 2231 3 and 4), each on a line of its own
// within 78 characters, split only between characters. Every line but the first starts with
// a space (a fold); the first starts with a space too, following "type;" + CRLF.
std::string Parameter(std::string_view name, std::string_view value) {
  if (IsPrintableAscii(value)) {
    std::string quoted = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    std::string line = " " + std::string(name) + "=" + quoted;
    if (line.size() <= kPreferredLine) return line;
  }
  // Percent-encode character by character, so that sections can end between characters.
  std::vector<std::string> chars;
  for (std::size_t i = 0; i < value.size();) {
    std::size_t len = 1;
    auto lead = static_cast<unsigned char>(value[i]);
    if (lead >= 0xF0) {
      len = 4;
    } else if (lead >= 0xE0) {
      len = 3;
    } else if (lead >= 0xC0) {
      len = 2;
    }
    len = std::min(len, value.size() - i);
    std::string enc;
    for (std::size_t j = i; j < i + len; ++j) {
      auto c = static_cast<unsigned char>(value[j]);
      if (IsAttributeChar(c)) {
        enc += static_cast<char>(c);
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        enc += '%';
        enc += kHex[c >> 4];
        enc += kHex[c & 0xf];
      }
    }
    chars.push_back(std::move(enc));
    i += len;
  }
  std::string all = "utf-8''";
  for (const auto& c : chars) all += c;
  std::string single = " " + std::string(name) + "*=" + all;
  if (single.size() <= kPreferredLine) return single;

  std::vector<std::string> sections;
  std::string current = "utf-8''";
  for (const auto& c : chars) {
    // " name*NN*=" + section + ";" within the line.
    std::size_t prefix = name.size() + 6 + std::to_string(sections.size()).size();
    if (current.size() + c.size() + prefix > kPreferredLine && !current.empty() &&
        current != "utf-8''") {
      sections.push_back(std::move(current));
      current.clear();
    }
    current += c;
  }
  if (!current.empty()) sections.push_back(std::move(current));
  std::string out;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    if (i > 0) out += ";\r\n";
    out += " " + std::string(name) + "*" + std::to_string(i) + "*=" + sections[i];
  }
  return out;
}

void AppendAttachment(std::string& out, const MailAttachment& a) {
  out += AttachmentHeaders(a.filename, a.content_type);
  out += kCrlf;
  AddLine(out, "");
  out += Base64Lines(a.data);
}

// A URL for List-Unsubscribe: the scheme, then printable ASCII without the characters that
// delimit it in the header.
bool IsHeaderUrl(std::string_view url, std::string_view scheme) {
  if (url.size() <= scheme.size() || url.size() > 900 || url.rfind(scheme, 0) != 0) {
    return false;
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"') return false;
  }
  return true;
}

}  // namespace

std::string RandomHex(int bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  auto& rng = Rng();
  for (int i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                      (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                      static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  constexpr std::size_t kLine = 76;
  const std::string encoded = Base64Encode(bytes);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / kLine * 2 + 2);
  for (std::size_t pos = 0; pos < encoded.size(); pos += kLine) {
    out.append(encoded, pos, kLine);
    out += kCrlf;
  }
  return out;
}

std::string AttachmentHeaders(std::string_view filename, std::string_view content_type) {
  std::string out = "Content-Type: ";
  out += content_type;
  out += ";\r\n";
  // Older clients read the name from Content-Type, as an RFC 2047 encoded-word in a quoted
  // string (not standard there, but what they understand); current ones read the RFC 2231
  // filename of Content-Disposition. Kept on one line: a 255-byte name fits.
  if (IsPrintableAscii(filename)) {
    out += Parameter("name", filename);
  } else {
    std::string words = EncodeWords(filename);
    for (std::size_t p = words.find("\r\n"); p != std::string::npos; p = words.find("\r\n", p)) {
      words.erase(p, 2);
    }
    out += " name=\"" + words + "\"";
  }
  out += "\r\nContent-Disposition: attachment;\r\n";
  out += Parameter("filename", filename);
  out += "\r\nContent-Transfer-Encoding: base64";
  return out;
}

Result<void> AddListUnsubscribe(MailMessage& m, std::string_view https_url,
                                std::string_view mailto) {
  if (!IsHeaderUrl(https_url, "https://")) {
    return Fail(Code::kInvalidArgument,
                "the unsubscribe link must be an https:// URL of printable ASCII without spaces, "
                "'<', '>', ',' or '\"' (percent-encode them), at most 900 characters");
  }
  if (!mailto.empty() && !IsHeaderUrl(mailto, "mailto:")) {
    return Fail(Code::kInvalidArgument,
                "the unsubscribe address must be a mailto: URL of printable ASCII without "
                "spaces, '<', '>', ',' or '\"' (percent-encode them), at most 900 characters");
  }
  for (const auto& [name, value] : m.extra_headers) {
    if (EqualsIgnoreCase(name, "List-Unsubscribe") ||
        EqualsIgnoreCase(name, "List-Unsubscribe-Post")) {
      return Fail(Code::kInvalidArgument, "the message already has " + name);
    }
  }
  std::string value = "<" + std::string(https_url) + ">";
  if (!mailto.empty()) value += ", <" + std::string(mailto) + ">";
  m.extra_headers.emplace_back("List-Unsubscribe", std::move(value));
  m.extra_headers.emplace_back("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  return {};
}

std::string EncodeWords(std::string_view s) {
  // "=?utf-8?B?" + base64 + "?=" <= 75 leaves 63 base64 characters: 60, i.e. 45 raw bytes.
  constexpr std::size_t kMaxRaw = 45;
  std::string out;
  std::size_t pos = 0;
  do {
    std::size_t end = std::min(s.size(), pos + kMaxRaw);
    // Back up to a character boundary (never split a UTF-8 sequence across words).
    while (end < s.size() && end > pos && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (end == pos) end = std::min(s.size(), pos + kMaxRaw);  // not UTF-8; split anywhere
    if (!out.empty()) out += "\r\n ";
    out += "=?utf-8?B?";
    out += Base64Encode(s.substr(pos, end - pos));
    out += "?=";
    pos = end;
  } while (pos < s.size());
  return out;
}

std::string EncodeQuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  constexpr std::size_t kMaxEncodedLine = 76;
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 4);

  auto encode_line = [&](std::string_view line) {
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      bool at_line_start = col == 0;
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      if (at_line_start && c == '.') literal = false;
      if (at_line_start && c == 'F' && line.substr(i, 5) == "From ") literal = false;
      std::size_t width = literal ? 1 : 3;
      // Leave room for the soft break "=" unless this is the last character of the line.
      std::size_t limit = last ? kMaxEncodedLine : kMaxEncodedLine - 1;
      if (col + width > limit) {
        out += "=\r\n";
        col = 0;
        // A character now at the start of a new physical line gets the same treatment.
        if (c == '.' || (c == 'F' && line.substr(i, 5) == "From ")) literal = false;
        width = literal ? 1 : 3;
      }
      if (literal) {
        out += static_cast<char>(c);
      } else {
        out += '=';
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
      col += width;
    }
    out += kCrlf;
  };

  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find_first_of("\r\n", pos);
    if (nl == std::string_view::npos) {
      if (pos < text.size()) encode_line(text.substr(pos));
      break;
    }
    encode_line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (text[nl] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
  }
  if (out.empty()) out = kCrlf;
  return out;
}

std::string FormatRfc5322Date(UnixTime t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

bool IsValidAddrSpec(std::string_view address) {
  if (address.size() > 254) return false;
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  return IsDotAtom(local) && (IsHostname(domain) || IsDomainLiteral(domain));
}

std::string MessageIdDomain(const MailMessage& m) {
  if (!m.message_id_domain.empty()) return m.message_id_domain;
  std::size_t at = m.from_address.rfind('@');
  if (at != std::string::npos && at + 1 < m.from_address.size()) {
    return m.from_address.substr(at + 1);
  }
  return "localhost";
}

Result<std::string> FormatRfc5322(const MailMessage& m, UnixTime date) {
  // Every header value is checked before anything is written.
  const std::pair<std::string_view, std::string_view> header_values[] = {
      {"from address", m.from_address},
      {"from name", m.from_name},
      {"recipient", m.to},
      {"subject", m.subject},
      {"message id domain", m.message_id_domain},
      {"message id", m.message_id}};
  for (const auto& [what, value] : header_values) {
    if (auto ok = CheckHeaderText(what, value); !ok) return Fail(ok.error());
  }
  if (!IsValidAddrSpec(m.from_address)) {
    return Fail(Code::kInvalidArgument, "from address is not a valid email address");
  }
  if (!IsValidAddrSpec(m.to)) {
    return Fail(Code::kInvalidArgument, "recipient is not a valid email address");
  }
  std::string message_id = m.message_id;
  if (message_id.empty()) {
    message_id = RandomHex(16) + "@" + MessageIdDomain(m);
  }
  if (!IsValidAddrSpec(message_id)) {
    return Fail(Code::kInvalidArgument, "message id must look like local@domain");
  }
  if (m.text_body.empty()) return Fail(Code::kInvalidArgument, "text body is empty");
  if (!IsValidUtf8(m.text_body) || !IsValidUtf8(m.html_body)) {
    return Fail(Code::kInvalidArgument, "body is not valid UTF-8");
  }
  for (const auto& [name, value] : m.extra_headers) {
    if (!IsFieldName(name)) {
      return Fail(Code::kInvalidArgument, "invalid header name");
    }
    for (std::string_view reserved : kReservedHeaders) {
      if (EqualsIgnoreCase(name, reserved)) {
        return Fail(Code::kInvalidArgument, "header " + name + " is set by the formatter");
      }
    }
    if (auto ok = CheckHeaderText("header " + name, value); !ok) return Fail(ok.error());
  }
  if (auto ok = CheckAttachments(m.attachments); !ok) return Fail(ok.error());

  std::size_t attached = 0;
  for (const auto& a : m.attachments) attached += a.data.size() / 3 * 4 + 512;
  std::string out;
  out.reserve(1024 + m.text_body.size() * 2 + m.html_body.size() * 2 + attached * 79 / 76);
  auto add = [&out](std::string_view line) { AddLine(out, line); };
  add("Date: " + FormatRfc5322Date(date));
  if (m.from_name.empty()) {
    add("From: " + m.from_address);
  } else {
    add("From: " + DisplayName(m.from_name) + " <" + m.from_address + ">");
  }
  add("To: " + m.to);
  add(UnstructuredHeader("Subject", m.subject));
  add("Message-ID: <" + message_id + ">");
  add("MIME-Version: 1.0");
  for (const auto& [name, value] : m.extra_headers) add(UnstructuredHeader(name, value));

  if (m.attachments.empty()) {
    AppendBody(out, m);
  } else {
    std::string boundary = NewBoundary();
    add("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"");
    add("");
    add("This is a multi-part message in MIME format.");
    add("--" + boundary);
    AppendBody(out, m);
    for (const auto& a : m.attachments) {
      add("");
      add("--" + boundary);
      AppendAttachment(out, a);
    }
    add("");
    add("--" + boundary + "--");
  }
  // Belt and braces: no header line may exceed the hard limit.
  std::size_t header_end = out.find("\r\n\r\n");
  std::size_t line_start = 0;
  while (line_start < header_end) {
    std::size_t eol = out.find(kCrlf, line_start);
    if (eol - line_start > kMaxLine) {
      return Fail(Code::kInvalidArgument, "a header line is too long");
    }
    line_start = eol + 2;
  }
  return out;
}

}  // namespace undersigned::mail
