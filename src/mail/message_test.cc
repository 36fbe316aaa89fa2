#include "mail/message.h"

#include <fstream>
#include <map>
#include <random>
#include <regex>

#include <gtest/gtest.h>

#include "core/signature.h"
#include "mail/test_support.h"

namespace undersigned::mail {
namespace {

using testing::ParseEml;
using testing::TempDir;

constexpr UnixTime kDate = 1'700'000'000;  // Tue, 14 Nov 2023 22:13:20 UTC

MailMessage Basic() {
  MailMessage m;
  m.from_address = "petitions@example.org";
  m.from_name = "undersigned";
  m.to = "jane.doe+tag@example.com";
  m.subject = "Please confirm your signature";
  m.text_body = "Hello Jane,\n\nconfirm here: https://example.org/confirm/abc\n";
  return m;
}

std::string Headers(const std::string& msg) { return msg.substr(0, msg.find("\r\n\r\n") + 2); }

// Writes the message to a file and returns what Python's email package sees.
nlohmann::json RoundTrip(const std::string& formatted) {
  TempDir dir;
  std::string path = dir.path() + "/m.eml";
  std::ofstream(path, std::ios::binary) << formatted;
  return ParseEml(path);
}

void ExpectWellFormed(const std::string& msg) {
  for (std::size_t i = 0; i < msg.size(); ++i) {
    auto c = static_cast<unsigned char>(msg[i]);
    ASSERT_LT(c, 0x80) << "8-bit byte at " << i;
    ASSERT_NE(c, 0) << "NUL at " << i;
    if (c == '\n') {
      ASSERT_TRUE(i > 0 && msg[i - 1] == '\r') << "bare LF at " << i;
    }
    if (c == '\r') {
      ASSERT_TRUE(i + 1 < msg.size() && msg[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  ASSERT_TRUE(msg.size() >= 2 && msg.substr(msg.size() - 2) == "\r\n");
  std::size_t start = 0;
  while (start < msg.size()) {
    std::size_t eol = msg.find("\r\n", start);
    EXPECT_LE(eol - start, 998u);
    start = eol + 2;
  }
}

TEST(FormatRfc5322Date, FormatsUtc) {
  EXPECT_EQ(FormatRfc5322Date(kDate), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(FormatRfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(FormatRfc5322, WritesTheStandardHeadersWithCrlf) {
  auto msg = FormatRfc5322(Basic(), kDate);
  ASSERT_TRUE(msg) << msg.error().message;
  ExpectWellFormed(*msg);
  std::string h = Headers(*msg);
  EXPECT_NE(h.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos);
  EXPECT_NE(h.find("From: undersigned <petitions@example.org>\r\n"), std::string::npos);
  EXPECT_NE(h.find("To: jane.doe+tag@example.com\r\n"), std::string::npos);
  EXPECT_NE(h.find("Subject: Please confirm your signature\r\n"), std::string::npos);
  EXPECT_NE(h.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(h.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(h.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  EXPECT_TRUE(std::regex_search(h, std::regex("\r\nMessage-ID: <[0-9a-f]{32}@example\\.org>\r\n")))
      << h;

  auto parsed = RoundTrip(*msg);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  EXPECT_EQ(parsed["subject"], "Please confirm your signature");
  EXPECT_EQ(parsed["to"], "jane.doe+tag@example.com");
  EXPECT_EQ(parsed["from_address"], "petitions@example.org");
  EXPECT_EQ(parsed["content_type"], "text/plain");
  EXPECT_EQ(parsed["text"], Basic().text_body);
}

TEST(FormatRfc5322, GeneratedMessageIdsDifferAndUseTheConfiguredDomain) {
  MailMessage m = Basic();
  m.message_id_domain = "mail.example.net";
  auto a = FormatRfc5322(m, kDate);
  auto b = FormatRfc5322(m, kDate);
  ASSERT_TRUE(a && b);
  std::regex id("Message-ID: <([0-9a-f]{32})@mail\\.example\\.net>");
  std::smatch ma, mb;
  ASSERT_TRUE(std::regex_search(*a, ma, id));
  ASSERT_TRUE(std::regex_search(*b, mb, id));
  EXPECT_NE(ma[1], mb[1]);

  m.message_id = "outbox.7.1700000000@example.org";
  auto c = FormatRfc5322(m, kDate);
  ASSERT_TRUE(c);
  EXPECT_NE(c->find("\r\nMessage-ID: <outbox.7.1700000000@example.org>\r\n"), std::string::npos);
}

TEST(FormatRfc5322, EncodesNonAsciiSubjectAndNameAsEncodedWords) {
  MailMessage m = Basic();
  m.from_name = "Zoë Ñandú – Grünes Bündnis";
  m.subject =
      "Bestätigen Sie Ihre Unterschrift für „Saubere Luft in Köln“ — jetzt, bitte! ✍️";
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg) << msg.error().message;
  ExpectWellFormed(*msg);
  std::string h = Headers(*msg);
  EXPECT_NE(h.find("Subject: =?utf-8?B?"), std::string::npos);
  EXPECT_NE(h.find("From: =?utf-8?B?"), std::string::npos);
  // Each encoded word fits the 75-character limit; the long subject is folded.
  std::regex word("=\\?utf-8\\?B\\?[A-Za-z0-9+/=]*\\?=");
  int words = 0;
  for (auto it = std::sregex_iterator(h.begin(), h.end(), word); it != std::sregex_iterator();
       ++it) {
    EXPECT_LE(it->length(), 75);
    ++words;
  }
  EXPECT_GE(words, 3);

  auto parsed = RoundTrip(*msg);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  EXPECT_EQ(parsed["subject"], m.subject);
  EXPECT_EQ(parsed["from_name"], m.from_name);
  EXPECT_EQ(parsed["from_address"], m.from_address);
}

TEST(FormatRfc5322, QuotesDisplayNamesWithSpecials) {
  MailMessage m = Basic();
  m.from_name = "Doe, Jane \"JD\" \\ Team";
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find("From: \"Doe, Jane \\\"JD\\\" \\\\ Team\" <petitions@example.org>\r\n"),
            std::string::npos);
  auto parsed = RoundTrip(*msg);
  EXPECT_EQ(parsed["from_name"], m.from_name);
  // ASCII text that looks like an encoded word is not left to be decoded by accident.
  m.from_name = "=?utf-8?B?SGFjaw==?=";
  m.subject = "=?utf-8?B?SGFjaw==?=";
  msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg);
  parsed = RoundTrip(*msg);
  EXPECT_EQ(parsed["from_name"], m.from_name);
  EXPECT_EQ(parsed["subject"], m.subject);
}

TEST(FormatRfc5322, FoldsLongAsciiSubjects) {
  MailMessage m = Basic();
  m.subject.clear();
  for (int i = 0; i < 30; ++i) m.subject += "word" + std::to_string(i) + " ";
  m.subject += "end";
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg);
  std::string h = Headers(*msg);
  std::size_t start = 0;
  while (start < h.size()) {
    std::size_t eol = h.find("\r\n", start);
    EXPECT_LE(eol - start, 78u) << h.substr(start, eol - start);
    start = eol + 2;
  }
  EXPECT_EQ(RoundTrip(*msg)["subject"], m.subject);
}

TEST(FormatRfc5322, RejectsHeaderInjection) {
  auto expect_rejected = [](const MailMessage& m) {
    auto r = FormatRfc5322(m, kDate);
    ASSERT_FALSE(r) << "accepted: " << *r;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  };
  MailMessage m = Basic();
  m.subject = "Hello\r\nBcc: victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.subject = "Hello\nBcc: victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.subject = "Hello\rBcc: victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.subject = std::string("Hello\0Bcc", 9);
  expect_rejected(m);
  m = Basic();
  m.from_name = "Eve\r\nBcc: victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.to = "jane@example.com\r\nBcc: victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.to = "jane@example.com, victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.from_address = "a@example.org>\r\nBcc: <victim@example.net";
  expect_rejected(m);
  m = Basic();
  m.message_id_domain = "example.org>\r\nBcc: x";
  expect_rejected(m);
  m = Basic();
  m.extra_headers = {{"List-Unsubscribe", "<https://x/u>\r\nBcc: victim@example.net"}};
  expect_rejected(m);
  m = Basic();
  m.extra_headers = {{"Bcc", "victim@example.net"}};
  expect_rejected(m);
  m = Basic();
  m.extra_headers = {{"x-ok: injected", "v"}};
  expect_rejected(m);
  m = Basic();
  m.extra_headers = {{"content-type", "text/html"}};
  expect_rejected(m);
}

TEST(FormatRfc5322, RejectsInvalidAddressesAndText) {
  for (const char* bad : {"", "jane", "@example.com", "jane@", "jane doe@example.com",
                          "<jane@example.com>", "jane@exa mple.com", "jane..doe@example.com",
                          "jäne@example.com", "jane@-example.com", "\"jane\"@example.com"}) {
    MailMessage m = Basic();
    m.to = bad;
    auto r = FormatRfc5322(m, kDate);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_TRUE(IsValidAddrSpec("o'brien+x_y=z@sub.example.co.uk"));
  EXPECT_TRUE(IsValidAddrSpec("a@[127.0.0.1]"));
  MailMessage m = Basic();
  m.subject = "bad \xff utf-8";
  EXPECT_FALSE(FormatRfc5322(m, kDate));
  m = Basic();
  m.text_body = "bad \xc3";
  EXPECT_FALSE(FormatRfc5322(m, kDate));
  m = Basic();
  m.text_body.clear();
  EXPECT_FALSE(FormatRfc5322(m, kDate));
}

TEST(FormatRfc5322, QuotedPrintableBodyRoundTrips) {
  MailMessage m = Basic();
  std::string long_line;
  for (int i = 0; i < 40; ++i) long_line += "Grüße=";
  m.text_body = "Zeile mit Leerzeichen am Ende   \n" + long_line +
                "\n.a line starting with a dot\nFrom the start of a line\n\ttab\n"
                "https://example.org/c/saubere-luft/confirm?token=AbC_123-xyz\r\nCRLF line\r\n"
                "no final newline";
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg);
  ExpectWellFormed(*msg);
  std::string body = msg->substr(msg->find("\r\n\r\n") + 4);
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t eol = body.find("\r\n", start);
    std::string line = body.substr(start, eol - start);
    EXPECT_LE(line.size(), 76u) << line;
    EXPECT_NE(line.front(), '.') << line;
    EXPECT_NE(line.rfind("From ", 0), 0u) << line;
    if (!line.empty()) {
      EXPECT_NE(line.back(), ' ') << line;
    }
    start = eol + 2;
  }
  auto parsed = RoundTrip(*msg);
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  std::string expected = m.text_body;
  // Python hands back \n line endings and a final newline.
  for (std::size_t p; (p = expected.find("\r\n")) != std::string::npos;) expected.erase(p, 1);
  EXPECT_EQ(parsed["text"], expected + "\n");
}

TEST(FormatRfc5322, HtmlBodyMakesMultipartAlternative) {
  MailMessage m = Basic();
  m.html_body =
      "<p>Hello <b>Jane</b>, <a href=\"https://example.org/confirm/abc\">confirm</a> "
      "— merci!</p>\n";
  m.extra_headers = {{"Auto-Submitted", "auto-generated"}, {"X-Campaign", "Saubere Luft für alle"}};
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg) << msg.error().message;
  ExpectWellFormed(*msg);
  EXPECT_TRUE(std::regex_search(
      Headers(*msg),
      std::regex("Content-Type: multipart/alternative; boundary=\"=_us_[0-9a-f]+\"")));
  EXPECT_NE(msg->find("\r\nAuto-Submitted: auto-generated\r\n"), std::string::npos);
  auto parsed = RoundTrip(*msg);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  EXPECT_EQ(parsed["content_type"], "multipart/alternative");
  EXPECT_EQ(parsed["text"], m.text_body);
  EXPECT_EQ(parsed["html"], m.html_body);
  bool found = false;
  for (const auto& h : parsed["headers"]) {
    if (h[0] == "X-Campaign") {
      EXPECT_EQ(h[1], "Saubere Luft für alle");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

// Bytes a PDF might hold: its header, every byte value, CR and LF alone, and its end.
std::string PdfLikeBytes() {
  std::string data = "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n";
  for (int round = 0; round < 40; ++round) {
    for (int b = 0; b < 256; ++b) data += static_cast<char>(b);
    data += "\r\n\r\n.\r\n";
  }
  data += "%%EOF\n";
  return data;
}

std::string Base64Of(const std::string& bytes) { return Base64Encode(bytes); }

TEST(FormatRfc5322, AttachmentMakesMultipartMixedAroundTheAlternative) {
  MailMessage m = Basic();
  m.html_body = "<p>The letter is attached.</p>\n";
  m.attachments.push_back({"letter.pdf", "application/pdf", PdfLikeBytes()});
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg) << msg.error().message;
  ExpectWellFormed(*msg);
  EXPECT_TRUE(std::regex_search(
      Headers(*msg), std::regex("Content-Type: multipart/mixed; boundary=\"=_us_[0-9a-f]+\"")));
  EXPECT_NE(msg->find("Content-Type: application/pdf;\r\n name=\"letter.pdf\"\r\n"
                      "Content-Disposition: attachment;\r\n filename=\"letter.pdf\"\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n"),
            std::string::npos)
      << *msg;
  // Base64 in lines of exactly 76 characters (the last one shorter).
  std::size_t body = msg->find("base64\r\n\r\n") + 10;
  std::size_t end = msg->find("\r\n\r\n", body);
  int full_lines = 0;
  for (std::size_t p = body; p < end;) {
    std::size_t eol = msg->find("\r\n", p);
    EXPECT_LE(eol - p, 76u);
    if (eol - p == 76) ++full_lines;
    p = eol + 2;
  }
  EXPECT_GT(full_lines, 100);

  auto parsed = RoundTrip(*msg);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  EXPECT_EQ(parsed["content_type"], "multipart/mixed");
  EXPECT_EQ(parsed["structure"], nlohmann::json::parse(R"(["multipart/mixed",
      "multipart/alternative", "text/plain", "text/html", "application/pdf"])"));
  EXPECT_EQ(parsed["text"], m.text_body);
  EXPECT_EQ(parsed["html"], m.html_body);
  ASSERT_EQ(parsed["attachments"].size(), 1u);
  const auto& a = parsed["attachments"][0];
  EXPECT_EQ(a["filename"], "letter.pdf");
  EXPECT_EQ(a["name"], "letter.pdf");
  EXPECT_EQ(a["content_type"], "application/pdf");
  EXPECT_EQ(a["disposition"], "attachment");
  EXPECT_EQ(a["data_base64"], Base64Of(PdfLikeBytes()));
}

TEST(FormatRfc5322, TextOnlyWithSeveralAttachments) {
  MailMessage m = Basic();
  m.attachments.push_back({"letter.pdf", "application/pdf", "%PDF-1.5\n%%EOF\n"});
  m.attachments.push_back({"signers.csv", "text/csv", "name,place\r\nZoë,Berlin\r\n"});
  m.attachments.push_back({"empty.bin", "application/octet-stream", ""});
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg) << msg.error().message;
  ExpectWellFormed(*msg);
  auto parsed = RoundTrip(*msg);
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  EXPECT_EQ(parsed["structure"], nlohmann::json::parse(R"(["multipart/mixed", "text/plain",
      "application/pdf", "text/csv", "application/octet-stream"])"));
  EXPECT_EQ(parsed["text"], m.text_body);
  ASSERT_EQ(parsed["attachments"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(parsed["attachments"][i]["filename"], m.attachments[i].filename);
    EXPECT_EQ(parsed["attachments"][i]["data_base64"], Base64Of(m.attachments[i].data));
  }
}

TEST(FormatRfc5322, NonAsciiAndLongFileNamesFollowRfc2231) {
  const std::string names[] = {
      "Offener Brief – Unterschriften.pdf",
      "公開書簡.pdf",
      "رسالة مفتوحة.pdf",
      "the \"letter\"; final=yes.pdf",
      std::string(40, 'x') + " " + std::string(40, 'y') + ".pdf",  // ASCII, too long for a line
      "Zoë " + std::string(60, 'e') + " 🌍 " + std::string(30, 'a') + "ü" + ".pdf",
  };
  for (const std::string& name : names) {
    MailMessage m = Basic();
    m.attachments.push_back({name, "application/pdf", "%PDF-1.5\n"});
    auto msg = FormatRfc5322(m, kDate);
    ASSERT_TRUE(msg) << name << ": " << msg.error().message;
    ExpectWellFormed(*msg);
    std::size_t start = msg->find("Content-Disposition: attachment;");
    ASSERT_NE(start, std::string::npos);
    std::string part_headers = msg->substr(start, msg->find("\r\n\r\n", start) - start);
    for (std::size_t p = 0; p < part_headers.size();) {
      std::size_t eol = part_headers.find("\r\n", p);
      if (eol == std::string::npos) eol = part_headers.size();
      EXPECT_LE(eol - p, 78u) << part_headers;
      p = eol + 2;
    }
    auto parsed = RoundTrip(*msg);
    EXPECT_EQ(parsed["defects"].size(), 0u) << name << parsed["defects"];
    ASSERT_EQ(parsed["attachments"].size(), 1u);
    EXPECT_EQ(parsed["attachments"][0]["filename"], name) << part_headers;
    EXPECT_EQ(parsed["attachments"][0]["name"], name) << *msg;
  }
  MailMessage m = Basic();
  m.attachments.push_back({"公開書簡.pdf", "application/pdf", "x"});
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find(" filename*=utf-8''%E5%85%AC%E9%96%8B%E6%9B%B8%E7%B0%A1.pdf\r\n"),
            std::string::npos)
      << *msg;
  m.attachments[0].filename = std::string(30, 'a') + "é" + std::string(120, 'b') + ".pdf";
  msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find(" filename*0*=utf-8''aaaa"), std::string::npos) << *msg;
  EXPECT_NE(msg->find(";\r\n filename*1*="), std::string::npos) << *msg;
}

TEST(FormatRfc5322, RefusesBadAttachments) {
  auto refused = [](MailAttachment a, const std::string& says) {
    MailMessage m = Basic();
    m.attachments.push_back(std::move(a));
    auto r = FormatRfc5322(m, kDate);
    ASSERT_FALSE(r) << says;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  };
  // Header injection through the file name or the content type.
  refused({"a.pdf\r\nBcc: victim@example.net", "application/pdf", "x"}, "CR, LF or NUL");
  refused({"a.pdf\nX: y", "application/pdf", "x"}, "CR, LF or NUL");
  refused({"a.pdf", "application/pdf\r\nBcc: victim@example.net", "x"}, "content type");
  refused({"", "application/pdf", "x"}, "no file name");
  refused({"../../etc/passwd", "application/pdf", "x"}, "not a path");
  refused({"C:\\letter.pdf", "application/pdf", "x"}, "not a path");
  refused({"tab\there.pdf", "application/pdf", "x"}, "not a path");
  refused({"letter\u202Efdp.exe", "application/pdf", "x"}, "direction");
  refused({std::string(256, 'a'), "application/pdf", "x"}, "at most 255 bytes");
  refused({"bad\xff.pdf", "application/pdf", "x"}, "not valid UTF-8");
  refused({"a.pdf", "application/pdf; name=x", "x"}, "content type");
  refused({"a.pdf", "Application/PDF", "x"}, "content type");
  refused({"a.pdf", "pdf", "x"}, "content type");
  refused({"a.pdf", "application/", "x"}, "content type");
  refused({"a.pdf", "application/pdf", std::string(kMaxAttachmentBytes + 1, 'x')},
          "at most 15728640");
}

TEST(AddListUnsubscribe, WritesRfc8058Headers) {
  MailMessage m = Basic();
  ASSERT_TRUE(AddListUnsubscribe(m, "https://sign.example.org/u/abc123?c=end-the-contract",
                                 "mailto:unsubscribe@example.org?subject=abc123"));
  auto msg = FormatRfc5322(m, kDate);
  ASSERT_TRUE(msg) << msg.error().message;
  ExpectWellFormed(*msg);
  std::string h = Headers(*msg);
  EXPECT_NE(h.find("\r\nList-Unsubscribe: <https://sign.example.org/u/abc123?c=end-the-contract>,"
                   "\r\n <mailto:unsubscribe@example.org?subject=abc123>\r\n"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos)
      << h;
  auto parsed = RoundTrip(*msg);
  EXPECT_EQ(parsed["defects"].size(), 0u);
  std::map<std::string, std::string> headers;
  for (const auto& kv : parsed["headers"]) headers[kv[0]] = kv[1];
  EXPECT_EQ(headers["List-Unsubscribe"],
            "<https://sign.example.org/u/abc123?c=end-the-contract>, "
            "<mailto:unsubscribe@example.org?subject=abc123>");
  EXPECT_EQ(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");

  // Without a mailto, one URL.
  MailMessage only = Basic();
  ASSERT_TRUE(AddListUnsubscribe(only, "https://x.example/u/1"));
  ASSERT_EQ(only.extra_headers.size(), 2u);
  EXPECT_EQ(only.extra_headers[0].second, "<https://x.example/u/1>");
}

TEST(AddListUnsubscribe, RefusesWhatWouldBreakTheHeader) {
  auto refused = [](std::string_view url, std::string_view mailto, const std::string& says) {
    MailMessage m = Basic();
    auto r = AddListUnsubscribe(m, url, mailto);
    ASSERT_FALSE(r) << url << " " << mailto;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
    EXPECT_TRUE(m.extra_headers.empty());
  };
  refused("http://x.example/u/1", "", "https://");
  refused("https://x.example/u/1\r\nBcc: victim@example.net", "", "https://");
  refused("https://x.example/u/1>, <https://evil.example", "", "https://");
  refused("https://x.example/ü", "", "https://");
  refused("https://x.example/a b", "", "https://");
  refused("https://x.example/" + std::string(900, 'a'), "", "900");
  refused("https://x.example/u/1", "unsubscribe@example.org", "mailto:");
  refused("https://x.example/u/1", "mailto:a@example.org\nBcc: b@example.org", "mailto:");
  MailMessage m = Basic();
  ASSERT_TRUE(AddListUnsubscribe(m, "https://x.example/u/1"));
  auto again = AddListUnsubscribe(m, "https://x.example/u/2");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already has List-Unsubscribe"), std::string::npos);
  // Written by hand, the header value is still checked for injection.
  MailMessage raw = Basic();
  raw.extra_headers = {{"List-Unsubscribe", "<https://x/u>\r\nBcc: victim@example.net"}};
  EXPECT_FALSE(FormatRfc5322(raw, kDate));
}

TEST(Base64Lines, SeventySixColumnsWithCrlf) {
  EXPECT_EQ(Base64Lines(""), "");
  EXPECT_EQ(Base64Lines("abc"), "YWJj\r\n");
  std::string data(57, 'a');  // exactly 76 base64 characters
  EXPECT_EQ(Base64Lines(data), Base64Encode(data) + "\r\n");
  data += 'a';
  std::string two = Base64Lines(data);
  EXPECT_EQ(two.find("\r\n"), 76u);
  EXPECT_EQ(two.substr(78), "YQ==\r\n");
}

TEST(EncodeWords, SplitsAtCharacterBoundaries) {
  std::string s;
  for (int i = 0; i < 50; ++i) s += "€";  // 3 bytes each: 45 bytes = 15 characters per word
  std::string encoded = EncodeWords(s);
  std::regex word("=\\?utf-8\\?B\\?([A-Za-z0-9+/=]*)\\?=");
  int words = 0;
  for (auto it = std::sregex_iterator(encoded.begin(), encoded.end(), word);
       it != std::sregex_iterator(); ++it) {
    EXPECT_LE(it->length(), 75);
    // 150 bytes: three words of 45 bytes (60 base64 characters), then 15 bytes.
    EXPECT_EQ((*it)[1].length(), words < 3 ? 60 : 20);
    ++words;
  }
  EXPECT_EQ(words, 4);
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("M"), "TQ==");
}

}  // namespace
}  // namespace undersigned::mail

namespace undersigned::mail {
namespace {

// The sign form (core) and the mailer each check addresses. Every address the form accepts must
// be one the mailer will send to; otherwise that signer's confirmation silently dies.
TEST(AddressRules, EveryAddressTheFormAcceptsTheMailerAccepts) {
  auto form_accepts = [](const std::string& email) {
    SignatureForm f;
    f.name = "N";
    f.email = email;
    return ValidateSignatureForm(f).has_value();
  };
  std::vector<std::string> addresses = {"!#$%&'*+-/=?^_`{|}~@example.org",
                                        "a@ex-ample.org",
                                        "x@xn--p1ai.ru",
                                        "a.b.c@d.e.fg",
                                        std::string(64, 'l') + "@example.org",
                                        "a@" + std::string(63, 'd') + ".org",
                                        "A@EXAMPLE.ORG",
                                        "1@2.co"};
  std::mt19937 rng(42);
  // Random local@label.label shapes: mostly plausible, with dots, hyphens and odd characters
  // where they may or may not be allowed.
  const std::string local_chars = "aZ9.+_-'=!#~";
  const std::string label_chars = "az09-";
  auto pick = [&](const std::string& from, int max_len) {
    std::string out(1 + rng() % max_len, ' ');
    for (char& c : out) c = from[rng() % from.size()];
    return out;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string a = pick(local_chars, 10) + "@" + pick(label_chars, 8);
    for (int labels = rng() % 3; labels >= 0; --labels) a += "." + pick(label_chars, 6);
    addresses.push_back(a);
  }
  int accepted = 0;
  for (const std::string& a : addresses) {
    if (!form_accepts(a)) continue;
    ++accepted;
    EXPECT_TRUE(IsValidAddrSpec(a)) << a;
  }
  EXPECT_GT(accepted, 2000);  // the random part exercised many real addresses
}

}  // namespace
}  // namespace undersigned::mail
