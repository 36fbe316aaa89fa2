#include "http/multipart.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace undersigned::http {
namespace {

using namespace std::string_literals;

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ123";

// Builds one part as a browser sends it (without the delimiters).
std::string Part(std::string_view disposition, std::string_view body,
                 std::string_view extra_headers = "") {
  return "Content-Disposition: " + std::string(disposition) + "\r\n" + std::string(extra_headers) +
         "\r\n" + std::string(body);
}

// Joins parts with the delimiters of boundary XyZ123 and closes the body.
std::string Body(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += "--XyZ123\r\n" + p + "\r\n";
  return out + "--XyZ123--\r\n";
}

// Expects the parse to fail with kInvalidArgument and a message containing `needle`.
void ExpectFails(std::string_view content_type, std::string_view body, std::string_view needle,
                 const MultipartLimits& limits = {}) {
  auto r = ParseMultipart(content_type, body, limits);
  ASSERT_FALSE(r.has_value()) << "parsed " << r->size() << " parts, expected: " << needle;
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message: " << r.error().message << "\nexpected to contain: " << needle;
}

TEST(MultipartBoundaryTest, AcceptsTokenAndQuotedForms) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data;BOUNDARY=abc"), "abc");
  EXPECT_EQ(
      *MultipartBoundary("  multipart/form-data ; charset=utf-8 ;  boundary=\"a b'()+_,-./:=?\"  "),
      "a b'()+_,-./:=?");
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=\"q\\x\""), "qx");
}

TEST(MultipartBoundaryTest, LengthBounds) {
  std::string seventy(70, 'b');
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=" + seventy), seventy);
  auto r = MultipartBoundary("multipart/form-data; boundary=" + seventy + "b");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("1 to 70"), std::string::npos);
  r = MultipartBoundary("multipart/form-data; boundary=\"\"");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("1 to 70"), std::string::npos);
}

TEST(MultipartBoundaryTest, RefusesBadHeaders) {
  struct Case {
    std::string header;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"application/x-www-form-urlencoded", "expected multipart/form-data"},
      {"multipart/mixed; boundary=abc", "expected multipart/form-data"},
      {"", "expected multipart/form-data"},
      {"multipart/form-data", "without a boundary"},
      {"multipart/form-data; charset=utf-8", "without a boundary"},
      {"multipart/form-data; boundary=", "empty or invalid value"},
      {"multipart/form-data; boundary", "has no '=value'"},
      {"multipart/form-data; =abc", "has no name"},
      {"multipart/form-data; boundary=abc; boundary=def", "appears twice"},
      {"multipart/form-data; boundary=\"abc", "not terminated"},
      {"multipart/form-data; boundary=\"abc\\", "not terminated"},
      {"multipart/form-data; boundary=\"a\tb\"", "RFC 2046 does not allow"},
      {"multipart/form-data; boundary=\"a\x01b\"", "control character"},
      {"multipart/form-data; boundary=\"a@b\"", "RFC 2046 does not allow"},
      {"multipart/form-data; boundary=a!b", "RFC 2046 does not allow"},
      {"multipart/form-data; boundary=\"ab \"", "must not end with a space"},
      {"multipart/form-data; boundary=abc def", "expected ';'"},
      {"multipart/form-data; boundary=abc;", "has no name"},
  };
  for (const Case& c : cases) {
    auto r = MultipartBoundary(c.header);
    ASSERT_FALSE(r) << c.header;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos)
        << c.header << " -> " << r.error().message;
    // ParseMultipart reports the same error.
    ExpectFails(c.header, Body({Part("form-data; name=\"a\"", "1")}), c.needle);
  }
}

TEST(MultipartBoundaryTest, ClientTextInMessagesIsShortAndPrintable) {
  auto r = MultipartBoundary("text/\x01\xff" + std::string(500, 'x'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("got 'text/??xxx"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("xxx...'"), std::string::npos) << r.error().message;
  EXPECT_LT(r.error().message.size(), 120u);
}

TEST(MultipartTest, BrowserLikeBody) {
  std::string body =
      "--XyZ123\r\n"
      "Content-Disposition: form-data; name=\"name\"\r\n"
      "\r\n"
      "Ada Lovelace\r\n"
      "--XyZ123\r\n"
      "Content-Disposition: form-data; name=\"comment\"\r\n"
      "\r\n"
      "line one\r\nline two\r\n\r\n"
      "\r\n"
      "--XyZ123\r\n"
      "Content-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\n"
      "Content-Type: image/png\r\n"
      "\r\n"
      "\x89PNG\r\n\x1a\n\0\0\0\r\r\n\r\n"s
      "\r\n"
      "--XyZ123--\r\n";
  auto r = ParseMultipart(kType, body);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].name, "name");
  EXPECT_EQ((*r)[0].body, "Ada Lovelace");
  EXPECT_FALSE((*r)[0].has_filename);
  EXPECT_EQ((*r)[0].filename, "");
  EXPECT_EQ((*r)[0].content_type, "");
  EXPECT_EQ((*r)[1].name, "comment");
  EXPECT_EQ((*r)[1].body, "line one\r\nline two\r\n\r\n");
  EXPECT_EQ((*r)[2].name, "logo");
  EXPECT_TRUE((*r)[2].has_filename);
  EXPECT_EQ((*r)[2].filename, "logo.png");
  EXPECT_EQ((*r)[2].content_type, "image/png");
  EXPECT_EQ((*r)[2].body, "\x89PNG\r\n\x1a\n\0\0\0\r\r\n\r\n"s);
}

TEST(MultipartTest, BinaryBodyWithEveryByteAndBoundaryLikeText) {
  std::string binary;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  }
  // Text that looks like the boundary but is not a delimiter: not preceded by CRLF, only a
  // prefix of it, a single LF before it, the boundary of another body.
  binary += "--XyZ123\r\n";
  binary += "x--XyZ123--\r\n";
  binary += "\r\n--XyZ12\r\n";
  binary += "\n--XyZ123\r\n";
  binary += "\r--XyZ123\r\n";
  binary += "\r\n-XyZ123\r\n";
  binary += "\r\n--xyz123\r\n";  // boundaries compare case-sensitively
  binary += "\r\n\r\n\r\n";
  auto r = ParseMultipart(kType, Body({Part("form-data; name=\"f\"; filename=\"b.bin\"", binary,
                                            "Content-Type: application/octet-stream\r\n"),
                                       Part("form-data; name=\"after\"", "ok")}));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].body, binary);
  EXPECT_EQ((*r)[1].body, "ok");
}

TEST(MultipartTest, BodyStartingAtTheBoundaryAndBodyWithPreambleAndEpilogue) {
  std::string parts = "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ123--";
  auto r = ParseMultipart(kType, "--XyZ123\r\n" + parts);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].body, "1");

  r = ParseMultipart(kType, "This is a preamble.\r\n--XyZ12 is not it\r\n--XyZ123\r\n" + parts +
                                "\r\nThis is the epilogue.\r\n--XyZ123\r\nnot a part\r\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[0].body, "1");
}

TEST(MultipartTest, DuplicateNamesKeepTheirOrder) {
  auto r = ParseMultipart(
      kType,
      Body({Part("form-data; name=\"tag\"", "one"), Part("form-data; name=\"x\"", "between"),
            Part("form-data; name=\"tag\"", "two"), Part("form-data; name=\"tag\"", "three")}));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].body, "one");
  EXPECT_EQ((*r)[1].body, "between");
  EXPECT_EQ((*r)[2].body, "two");
  EXPECT_EQ((*r)[3].body, "three");
}

TEST(MultipartTest, ParameterForms) {
  auto r = ParseMultipart(
      kType,
      Body({Part("form-data; name=plain", "1"),
            Part("FORM-DATA;NAME=\"quoted \\\"x\\\" \\\\ y\";FileName=\"C:\\\\dir\\\\\\u00e9.png\"",
                 "2"),
            Part("form-data ;  name=\"spaced\"  ", "3"),
            Part("form-data; name=\"empty-file\"; filename=\"\"", ""),
            Part("form-data; name=\"\"", "4"),
            Part("form-data; name=\"u\"; filename=\"logo \xc3\xa9t\xc3\xa9.png\"; "
                 "filename*=UTF-8''ignored.png; size=12",
                 "5")}));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[0].name, "plain");
  EXPECT_EQ((*r)[1].name, "quoted \"x\" \\ y");
  EXPECT_EQ((*r)[1].filename, "C:\\dir\\u00e9.png");
  EXPECT_EQ((*r)[2].name, "spaced");
  EXPECT_EQ((*r)[3].name, "empty-file");
  EXPECT_TRUE((*r)[3].has_filename);
  EXPECT_EQ((*r)[3].filename, "");
  EXPECT_EQ((*r)[3].body, "");
  EXPECT_EQ((*r)[4].name, "");
  EXPECT_EQ((*r)[4].body, "4");
  EXPECT_EQ((*r)[5].filename, "logo \xc3\xa9t\xc3\xa9.png");
}

TEST(MultipartTest, HeadersAreCaseInsensitiveAndUnknownOnesIgnored) {
  std::string body =
      "--XyZ123\r\n"
      "X-Whatever: yes\r\n"
      "content-type:text/plain; charset=utf-8\r\n"
      "CONTENT-DISPOSITION:form-data; name=\"a\"   \r\n"
      "Content-Transfer-Encoding: BINARY\r\n"
      "\r\n"
      "v\r\n"
      "--XyZ123--";
  auto r = ParseMultipart(kType, body);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[0].content_type, "text/plain; charset=utf-8");
  EXPECT_EQ((*r)[0].body, "v");
}

TEST(MultipartTest, TransportPaddingAfterDelimiters) {
  std::string body =
      "--XyZ123  \t\r\n"
      "Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
      "--XyZ123 \r\n"
      "Content-Disposition: form-data; name=\"b\"\r\n\r\nw\r\n"
      "--XyZ123--  \r\n";
  auto r = ParseMultipart(kType, body);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].body, "w");
}

TEST(MultipartTest, EmptyFormAndEmptyBodies) {
  auto r = ParseMultipart(kType, "--XyZ123--\r\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->empty());
  // Headers, then the delimiter's own CRLF doubling as the empty line: a part with no body.
  r = ParseMultipart(kType,
                     "--XyZ123\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--XyZ123--");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].body, "");
  r = ParseMultipart(kType, Body({Part("form-data; name=\"a\"", "")}));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].body, "");
}

TEST(MultipartTest, QuotedBoundaryWithSpaces) {
  auto r = ParseMultipart("multipart/form-data; boundary=\"a b:c\"",
                          "--a b:c\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n"
                          "--a b:c\r\nContent-Disposition: form-data; name=y\r\n\r\n2\r\n"
                          "--a b:c--\r\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].body, "2");
}

TEST(MultipartTest, PartCountLimit) {
  MultipartLimits limits;
  limits.max_parts = 3;
  std::vector<std::string> parts(3, Part("form-data; name=\"a\"", "1"));
  auto r = ParseMultipart(kType, Body(parts), limits);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->size(), 3u);
  parts.push_back(Part("form-data; name=\"a\"", "1"));
  ExpectFails(kType, Body(parts), "more than 3 parts", limits);
  // The default is 32.
  ExpectFails(kType, Body(std::vector<std::string>(33, Part("form-data; name=\"a\"", "1"))),
              "more than 32 parts");
}

TEST(MultipartTest, TotalSizeLimit) {
  MultipartLimits limits;
  std::string body = Body({Part("form-data; name=\"a\"", "1")});
  limits.max_total_bytes = body.size();
  EXPECT_TRUE(ParseMultipart(kType, body, limits));
  limits.max_total_bytes = body.size() - 1;
  ExpectFails(kType, body, "are allowed", limits);
}

TEST(MultipartTest, HeaderSizeLimit) {
  MultipartLimits limits;
  limits.max_header_bytes = 100;
  std::string disposition = "form-data; name=\"a\"";
  std::string header = "Content-Disposition: " + disposition;
  // Exactly at the limit passes.
  std::string padded = disposition + "; pad=\"" + std::string(100 - header.size() - 8, 'p') + "\"";
  ASSERT_EQ(("Content-Disposition: " + padded).size(), 100u);
  EXPECT_TRUE(ParseMultipart(kType, Body({Part(padded, "1")}), limits));
  ExpectFails(kType, Body({Part(padded + " ", "1")}), "more than 100 bytes of headers", limits);
  // A huge header with no empty line anywhere is cut off at the limit too.
  ExpectFails(kType, "--XyZ123\r\nX: " + std::string(10000, 'x') + "\r\n--XyZ123--",
              "more than 100 bytes of headers", limits);
}

TEST(MultipartTest, StructuralErrors) {
  const std::string good = Part("form-data; name=\"a\"", "1");
  ExpectFails(kType, "", "the boundary never appears");
  ExpectFails(kType, "hello world", "the boundary never appears");
  ExpectFails(kType, "--XyZ124\r\n" + good + "\r\n--XyZ124--", "the boundary never appears");
  // Truncated bodies.
  ExpectFails(kType, "--XyZ123\r\n" + good, "closing delimiter '--XyZ123--' is missing");
  ExpectFails(kType, "--XyZ123\r\n" + good + "\r\n--XyZ123", "no closing one");
  ExpectFails(kType, "--XyZ123\r\n" + good + "\r\n--XyZ123\r\n",
              "closing delimiter '--XyZ123--' is missing");
  ExpectFails(kType, "--XyZ123", "no closing one");
  ExpectFails(kType, "--XyZ123\r\nContent-Disposition: form-data; name=\"a\"", "closing delimiter");
  // Delimiter followed by something other than padding and CRLF (boundary text in a part).
  ExpectFails(kType, "--XyZ123\r\n" + good + "\r\n--XyZ1234\r\n" + good + "\r\n--XyZ123--",
              "followed by unexpected bytes");
  ExpectFails(kType, "--XyZ123\n" + good + "\r\n--XyZ123--", "followed by unexpected bytes");
  ExpectFails(kType, "--XyZ123\r\n" + good + "\r\n--XyZ123--junk", "after the closing delimiter");
  ExpectFails(kType, "--XyZ123\r\n" + good + "\r\n--XyZ123--\n", "after the closing delimiter");
}

TEST(MultipartTest, HeaderErrors) {
  struct Case {
    std::string part;  // between "--XyZ123\r\n" and "\r\n--XyZ123--"
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"\r\nbody", "part 1 has no headers"},
      {"Content-Disposition: form-data; name=\"a\"\r\nbody", "not followed by an empty line"},
      {"Content-Disposition: form-data; name=\"a\"\nbody", "not followed by an empty line"},
      {"Content-Disposition: form-data; name=\"a\"\n\nbody", "not followed by an empty line"},
      {"Content-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv", "folded header"},
      {"Content-Disposition form-data; name=\"a\"\r\n\r\nv", "without ':'"},
      {"Content Disposition: form-data; name=\"a\"\r\n\r\nv", "invalid header name"},
      {": form-data; name=\"a\"\r\n\r\nv", "invalid header name"},
      {"Content-Disposition: form-data; name=\"a\"\rX: y\r\n\r\nv", "control character"},
      {"Content-Disposition: form-data; name=\"a\"\nX: y\r\n\r\nv", "control character"},
      {"Content-Disposition: form-data; name=\"a\"\r\nX: \x00\r\n\r\nv"s, "control character"},
      {"Content-Disposition: form-data; name=\"a\"\r\nX: \xff\r\n\r\nv", "not valid UTF-8"},
      {"Content-Type: text/plain\r\n\r\nv", "no Content-Disposition"},
      {"Content-Disposition: attachment; name=\"a\"\r\n\r\nv", "expected 'form-data'"},
      {"Content-Disposition: ; name=\"a\"\r\n\r\nv", "expected 'form-data'"},
      {"Content-Disposition: form-data\r\n\r\nv", "has no name"},
      {"Content-Disposition: form-data; filename=\"a.png\"\r\n\r\nv", "has no name"},
      {"Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nv", "appears twice"},
      {"Content-Disposition: form-data; name=\"a\"; NAME=\"b\"\r\n\r\nv", "appears twice"},
      {"Content-Disposition: form-data; name=\"a\r\n\r\nv", "not terminated"},
      {"Content-Disposition: form-data; name=\"a\\\"\r\n\r\nv", "not terminated"},
      {"Content-Disposition: form-data; name=\"a\x7f\"\r\n\r\nv", "control character"},
      {"Content-Disposition: form-data; name=\"a\"; filename=\"\xc3(\"\r\n\r\nv",
       "not valid UTF-8"},
      {"Content-Disposition: form-data; name=\"a\"; filename=\"\xc0\xaf\"\r\n\r\nv",
       "not valid UTF-8"},
      {"Content-Disposition: form-data; name=a b\r\n\r\nv", "expected ';'"},
      {"Content-Disposition: form-data; name=\r\n\r\nv", "empty or invalid value"},
      {"Content-Disposition: form-data; name =\"a\"\r\n\r\nv", "has no '=value'"},
      {"Content-Disposition: form-data; name= \"a\"\r\n\r\nv", "empty or invalid value"},
      {"Content-Disposition: form-data; name=\"a\";\r\n\r\nv", "a parameter has no name"},
      {"Content-Disposition: form-data name=\"a\"\r\n\r\nv", "expected 'form-data'"},
      {"Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; "
       "name=\"b\"\r\n\r\nv",
       "two Content-Disposition"},
      {"Content-Disposition: form-data; name=\"a\"\r\nContent-Type: a/b\r\ncontent-type: "
       "c/d\r\n\r\nv",
       "two Content-Type"},
      {"Content-Disposition: form-data; name=\"a\"\r\nContent-Type:  \r\n\r\nv",
       "empty Content-Type"},
      {"Content-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\nv",
       "Content-Transfer-Encoding 'base64'"},
      {"Content-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: 8bit\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\nv",
       "two Content-Transfer-Encoding"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.part);
    ExpectFails(kType, "--XyZ123\r\n" + c.part + "\r\n--XyZ123--\r\n", c.needle);
  }
  // Errors name the part they are in.
  ExpectFails(kType,
              Body({Part("form-data; name=\"a\"", "1"), "Content-Type: text/plain\r\n\r\nv"}),
              "part 2 has no Content-Disposition");
}

// Hostile input: every prefix, and many random mutations, of a valid body must either parse or
// fail cleanly (run under ASan/UBSan to catch out-of-bounds reads).
TEST(MultipartTest, TruncationsAndMutationsNeverCrash) {
  const std::string valid = Body({Part("form-data; name=\"name\"", "Ada"),
                                  Part("form-data; name=\"logo\"; filename=\"a \\\"b\\\".png\"",
                                       "\x89PNG\r\n\x1a\n\r\n--X", "Content-Type: image/png\r\n"),
                                  Part("form-data; name=\"c\"", "")});
  ASSERT_TRUE(ParseMultipart(kType, valid));
  for (std::size_t n = 0; n < valid.size(); ++n) {
    auto r = ParseMultipart(kType, std::string_view(valid).substr(0, n));
    // The closing CRLF is optional, so only the last two prefixes may parse.
    if (n + 2 < valid.size()) {
      EXPECT_FALSE(r) << "prefix of " << n << " bytes parsed";
    }
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    }
  }
  std::mt19937 rng(12345);
  const std::string alphabet = "\r\n-\"\\;=: XyZ123\0\xff"s;
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !m.empty(); ++e) {
      std::size_t at = rng() % m.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          m[at] = c;
          break;
        case 1:
          m.erase(at, 1 + rng() % 8);
          break;
        default:
          m.insert(at, 1, c);
          break;
      }
    }
    auto r = ParseMultipart(kType, m);
    if (r) {
      ++parsed;
      for (const FormPart& p : *r) EXPECT_LE(p.body.size(), m.size());
    } else {
      EXPECT_EQ(r.error().code, Code::kInvalidArgument);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_GT(parsed, 0);  // mutations inside bodies still parse
}

}  // namespace
}  // namespace undersigned::http
