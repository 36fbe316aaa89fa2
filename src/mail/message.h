// An outgoing email as plain data (MailMessage) and its RFC 5322 / MIME wire form
// (FormatRfc5322). Pure functions, no I/O; thread-safe (the only shared state is a
// thread-local random generator for Message-IDs and MIME boundaries).
//
// Header injection is impossible by construction: every value that ends up in a header is
// checked, and a CR, LF or NUL in any of them makes FormatRfc5322 fail with kInvalidArgument
// instead of being passed through or silently altered. Non-ASCII display names, subjects and
// extra header values are written as RFC 2047 encoded-words; bodies are UTF-8 in
// quoted-printable, so the output is 7-bit clean and every line ends with CRLF.
//
// The shapes written: text/plain alone; multipart/alternative (text, html) with an html body;
// with attachments, multipart/mixed around either of them, then one base64 part per attachment
// (76-character lines) with its file name as RFC 2231 parameters (filename*=utf-8''... when not
// plain ASCII or too long for one line) and, for older readers, an RFC 2047 "name".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned::mail {

// A file carried by a message, e.g. the letter as a PDF.
struct MailAttachment {
  // What the recipient's client offers to save it as: any UTF-8 but no control or direction
  // characters (U+202E...) and no '/' or '\\' (not a path), at most 255 bytes. Required.
  std::string filename;
  // "type/subtype" in lowercase ASCII without parameters, e.g. "application/pdf".
  std::string content_type;
  std::string data;  // the bytes, any; at most kMaxAttachmentBytes for all of a message's
};

// The most bytes a message's attachments may hold together (before base64): 15 MiB, about
// 20 MB on the wire, under the 25 MB most mail servers accept.
inline constexpr std::size_t kMaxAttachmentBytes = 15u << 20;

struct MailMessage {
  std::string from_address;  // addr-spec, e.g. "undersigned@example.org"
  std::string from_name;     // display name, any UTF-8; may be empty
  std::string to;            // addr-spec of the one recipient
  std::string subject;       // UTF-8
  std::string text_body;     // UTF-8; required
  std::string html_body;     // UTF-8; optional, makes the message multipart/alternative
  // Domain used for a generated Message-ID; empty = the domain of from_address.
  std::string message_id_domain;
  // "local@domain" without angle brackets; empty = generated at random. OutboxSender sets a
  // stable one per outbox row, so a message re-sent after an uncertain failure has the same
  // Message-ID and mail clients fold the duplicates.
  std::string message_id;
  // Added after the standard headers, e.g. {"List-Unsubscribe", "<https://...>"}. Names must
  // be valid field names and may not repeat a header FormatRfc5322 writes itself.
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // Files after the body, in this order; makes the message multipart/mixed.
  std::vector<MailAttachment> attachments;
};

// Adds the one-click unsubscribe headers of a bulk message (an update to signers):
//   List-Unsubscribe: <https://...>, <mailto:...>
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// RFC 2369 and RFC 8058: a mail client unsubscribes by POSTing "List-Unsubscribe=One-Click" to
// the https URL, with no sign-in and no page to confirm on; mailto (optional, may be empty) is
// for clients that only send mail. RFC 8058 also needs a DKIM signature covering both headers:
// that is the outgoing mail server's to add. Errors (kInvalidArgument): https_url not an
// https:// URL, mailto not a mailto: URL, either with spaces, '<', '>', ',', non-ASCII or
// control characters (percent-encode them), longer than 900 characters, or the headers already
// there.
Result<void> AddListUnsubscribe(MailMessage& m, std::string_view https_url,
                                std::string_view mailto = {});

// The complete message (headers, blank line, body), CRLF line endings, 7-bit, ready for SMTP
// DATA or an .eml file. date is the Date header.
// Errors (all kInvalidArgument, permanent): an address that is not a plain addr-spec, CR/LF/NUL
// in any header value, invalid UTF-8, a bad or reserved extra header name, an empty text body,
// an attachment's bad file name or content type, attachments over kMaxAttachmentBytes.
Result<std::string> FormatRfc5322(const MailMessage& m, UnixTime date);

// --- building blocks, public for tests and for other modules that need them

// "Tue, 14 Nov 2023 22:13:20 +0000"
std::string FormatRfc5322Date(UnixTime t);
// True for a plain ASCII addr-spec "local@domain" (dot-atom local part, hostname or
// [literal] domain), at most 254 characters.
bool IsValidAddrSpec(std::string_view address);
// The domain for a generated Message-ID: m.message_id_domain, else the domain of
// m.from_address, else "localhost".
std::string MessageIdDomain(const MailMessage& m);
// Quoted-printable (RFC 2045) of UTF-8 text: line breaks become CRLF, lines at most 76
// characters, "." and "From " at the start of a line escaped. Always ends with CRLF.
std::string EncodeQuotedPrintable(std::string_view text);
// RFC 2047 "B" encoded-words for s ("=?utf-8?B?...?="), split at character boundaries so
// each word is at most 75 characters, joined by CRLF SP (a header fold).
std::string EncodeWords(std::string_view s);
std::string Base64Encode(std::string_view bytes);
// Base64 in lines of at most 76 characters (RFC 2045 6.8), each ending with CRLF; "" for "".
std::string Base64Lines(std::string_view bytes);
// The Content-Disposition and Content-Type "name" parameters for a file name: ASCII names as
// quoted strings, others as RFC 2231 extended values (filename*=utf-8''%E2%82%AC.pdf), split
// into numbered sections (filename*0*=...; filename*1*=...) folded onto lines of at most 78
// characters. Returns the header lines without their final CRLF. REQUIRES: filename valid
// UTF-8 without CR, LF or NUL.
std::string AttachmentHeaders(std::string_view filename, std::string_view content_type);
// 2*bytes lowercase hex digits from a per-thread PRNG seeded by std::random_device. Unique,
// not secret: for Message-IDs, boundaries and file names, never for tokens.
std::string RandomHex(int bytes);

}  // namespace undersigned::mail
