// A strict parser for multipart/form-data request bodies (RFC 7578, delimiters per RFC 2046),
// used by forms that upload a file (the co-signing organization's logo). It takes the whole
// body at once (the server has already bounded it) and returns copies of the parts, so the
// result owns everything and does not point into the body.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace undersigned::http {

// Bounds on what a body may hold. Going over one is a kInvalidArgument like any malformed body.
struct MultipartLimits {
  std::size_t max_parts = 32;
  // Bytes of one part's header block (the lines between the delimiter and the empty line).
  std::size_t max_header_bytes = 8 << 10;  // 8 KiB
  // Bytes of the whole body, preamble and epilogue included.
  std::size_t max_total_bytes = 2 << 20;  // 2 MiB
};

// One part of the form, in the order it appeared. Names may repeat (e.g. checkboxes).
struct FormPart {
  std::string name;           // the Content-Disposition "name" parameter (may be empty)
  std::string filename;       // the "filename" parameter; empty when absent
  bool has_filename = false;  // true when "filename" was present, even as filename=""
  std::string content_type;   // the part's Content-Type header as sent; empty when absent
  std::string body;           // the raw bytes, binary-safe; never transfer-decoded
};

// Extracts the boundary from a request Content-Type header, which must be
// "multipart/form-data" with a boundary parameter (token or quoted-string) of 1..70 RFC 2046
// bchars not ending in a space. Fails with kInvalidArgument otherwise.
Result<std::string> MultipartBoundary(std::string_view content_type_header);

// Parses a multipart/form-data body. Strict: CRLF line ends, every part needs a
// "Content-Disposition: form-data; name=..." header, the closing delimiter "--boundary--" is
// required, header lines may not be folded, a Content-Transfer-Encoding other than
// 7bit/8bit/binary is refused. Preamble and epilogue are ignored. Parameters may be tokens or
// quoted-strings with backslash escapes; "filename*" is ignored (RFC 7578 section 4.2); names
// and filenames must be valid UTF-8 without control characters and are NOT percent-decoded
// (browsers send '"' as %22). A body whose only content is the closing delimiter yields no
// parts. Every failure is kInvalidArgument with a message saying what is wrong.
Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type_header,
                                             std::string_view body,
                                             const MultipartLimits& limits = {});

}  // namespace undersigned::http
