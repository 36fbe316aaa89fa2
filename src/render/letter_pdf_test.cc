#include "render/letter_pdf.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "render/test_files.h"

namespace undersigned::render {
namespace {

constexpr UnixTime kMade = 1'796'000'000;  // 2026-11-30
const std::string kRoot = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

LetterPdfInput Sample(int names) {
  LetterPdfInput in;
  in.title = "End the contract";
  in.demand = "Acme must end its contract with the border agency.";
  in.letter_markdown =
      "# Dear Dana\n\nWe, the *undersigned*, ask **you** to act.\n\n"
      "## What we ask\n\n1. End the contract\n2. Publish the terms\n\n"
      "- a bullet point\n- another one, with `code`\n\n"
      "> A quotation from the workers.\n\n"
      "See [our site](https://example.org/why).\n\n"
      "<script>alert('raw html')</script>\n\n---\n\nSincerely.\n";
  in.targets = {{"Dana Rivera", "CEO", "Acme"}, {"Board of Directors", "", "Acme"}};
  in.organizer = "Organized by Acme Workers United";
  in.confirmed = 1234567;
  in.unnamed = 1234567 - names;
  in.groups = {{"Acme staff", 1200, 0, "12 named below"}, {"Shareholders", std::nullopt, 5, ""}};
  for (int i = 0; i < names; ++i) {
    LetterPdfSigner s;
    s.name = "Signer Number " + std::to_string(i + 1);
    s.place = i % 3 == 0 ? "10115, Germany" : "";
    s.group = i % 2 == 0 ? "Acme staff" : "";
    s.verified = i % 2 == 0;
    s.day = kMade - 86400;
    if (i % 7 == 0) s.comment = "Because it matters to me.";
    in.signers.push_back(s);
  }
  in.organizations = {{"Friends of the Earth", "https://foe.example", "We stand with them."}};
  LetterPdfCheckpoint c;
  c.origin = "sign.example.org/log";
  c.tree_size = 2345678;
  c.root_hash_hex = kRoot;
  c.signed_at = kMade - 60;
  c.log_url = "https://sign.example.org";
  c.confirmed = 1234567;
  c.note =
      "sign.example.org/log\n2345678\nn4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=\n\n"
      "— sign.example.org/log Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhc"
      "Hh9SERZ6VHcvfm3aYkvI8nJdR2ZzdSQ=\n";
  c.audit_command = "undersigned log audit https://sign.example.org";
  in.checkpoint = c;
  in.campaign_url = "https://sign.example.org/c/end-the-contract";
  in.language = "en";
  in.made = kMade;
  return in;
}

using test::InfoField;
using test::PdfInfo;
using test::PdfText;

bool HavePoppler() { return test::Have("pdftotext") && test::Have("pdfinfo"); }

// Page objects, counted in the file itself ("/Type /Page" and not "/Type /Pages").
int CountPageObjects(const std::string& pdf) {
  int pages = 0;
  const std::string key = "/Type /Page";
  for (std::size_t pos = pdf.find(key); pos != std::string::npos;
       pos = pdf.find(key, pos + key.size())) {
    if (pos + key.size() < pdf.size() && pdf[pos + key.size()] != 's') ++pages;
  }
  return pages;
}

TEST(LetterPdf, IsAPdfWithItsTextAndMetadata) {
  auto pdf = RenderLetterPdf(Sample(20));
  ASSERT_TRUE(pdf) << pdf.error().message;
  ASSERT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf->find("%%EOF"), std::string::npos);
  EXPECT_GE(CountPageObjects(*pdf), 1);
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo) not installed";

  std::string info = PdfInfo(*pdf);
  EXPECT_EQ(InfoField(info, "Title"), "End the contract");
  EXPECT_EQ(InfoField(info, "Creator"), "undersigned");
  EXPECT_EQ(InfoField(info, "Author"), "Organized by Acme Workers United");
  EXPECT_EQ(InfoField(info, "Subject"), "Acme must end its contract with the border agency.");
  EXPECT_EQ(InfoField(info, "CreationDate"), "Mon Nov 30 00:53:20 2026 UTC");
  EXPECT_EQ(InfoField(info, "Page size"), "595.276 x 841.89 pts (A4)");

  std::string text = PdfText(*pdf);
  for (const char* expected : {"End the contract",
                               "Dana Rivera, CEO, Acme",
                               "Board of Directors, Acme",
                               "Dear Dana",
                               "What we ask",
                               "End the contract",
                               "Publish the terms",
                               "a bullet point",
                               "A quotation from the workers.",
                               "our site (https://example.org/why)",
                               "1,234,567",
                               "Acme staff",
                               "1,200 signatures",
                               "fewer than 5 signatures",
                               "Signer Number 1",
                               "Signer Number 20",
                               "10115, Germany",
                               "Because it matters to me.",
                               "Friends of the Earth",
                               "We stand with them.",
                               "2,345,678",
                               kRoot.c_str(),
                               "2026-11-30T",
                               "https://sign.example.org",
                               "undersigned log audit",
                               "https://sign.example.org/c/end-the-contract",
                               "Page 1 of"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  }
  // Raw HTML in the letter is dropped, not printed.
  EXPECT_EQ(text.find("alert("), std::string::npos) << text;
  EXPECT_EQ(text.find("<script>"), std::string::npos) << text;
}

TEST(LetterPdf, ManyNamesFlowOverNumberedPages) {
  auto small = RenderLetterPdf(Sample(5));
  auto large = RenderLetterPdf(Sample(1500));
  ASSERT_TRUE(small) << small.error().message;
  ASSERT_TRUE(large) << large.error().message;
  const int small_pages = CountPageObjects(*small);
  const int large_pages = CountPageObjects(*large);
  // Two columns of about 55 short names a page: 1,500 names need well over ten pages.
  EXPECT_GE(large_pages, small_pages + 10) << small_pages << " vs " << large_pages;
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo) not installed";
  std::string info = PdfInfo(*large);
  EXPECT_EQ(InfoField(info, "Pages"), std::to_string(large_pages));
  std::string text = PdfText(*large);
  const std::string last =
      "Page " + std::to_string(large_pages) + " of " + std::to_string(large_pages);
  EXPECT_NE(text.find(last), std::string::npos) << "no footer '" << last << "'";
  EXPECT_NE(text.find("Page 2 of " + std::to_string(large_pages)), std::string::npos);
  // Every name is there, the last one too.
  EXPECT_NE(text.find("Signer Number 1500"), std::string::npos);
  EXPECT_NE(text.find("1,500."), std::string::npos);  // its number in the list
}

TEST(LetterPdf, AnyScriptComesOutWithoutCrashing) {
  LetterPdfInput in = Sample(0);
  for (const char* name :
       {"Zoë Müller-Lüdenscheidt", "Łukasz Ściański", "Ελένη Παπαδοπούλου", "Сергей Иванов",
        "محمد عبد الله", "דוד כהן", "王秀英", "佐藤 花子", "김민준", "Ana 🌍✊🏽", "नमस्ते शर्मा",
        "a\u200db\u0301 combining", "l\x01oud"}) {
    LetterPdfSigner s;
    s.name = name;
    s.place = "Ciudad de México, México";
    s.comment = "Ça compte — это важно — هذا مهم";
    in.signers.push_back(s);
  }
  in.title = "Lettre ouverte — رسالة مفتوحة — 公開書簡";
  in.letter_markdown = "Текст письма. نص الرسالة. 信の本文。 😀\n";
  auto pdf = RenderLetterPdf(in);
  ASSERT_TRUE(pdf) << pdf.error().message;
  ASSERT_EQ(pdf->rfind("%PDF-", 0), 0u);
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo) not installed";
  std::string text = PdfText(*pdf);
  for (const char* expected : {"Zoë Müller-Lüdenscheidt", "Łukasz Ściański", "Ελένη Παπαδοπούλου",
                               "Сергей Иванов", "Ciudad de México"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  }
  std::string info = PdfInfo(*pdf);
  EXPECT_EQ(InfoField(info, "Title"), "Lettre ouverte — رسالة مفتوحة — 公開書簡");
}

TEST(LetterPdf, WithoutCheckpointSaysSo) {
  LetterPdfInput in = Sample(3);
  in.checkpoint.reset();
  in.organizations.clear();
  in.groups.clear();
  in.letter_markdown.clear();
  auto pdf = RenderLetterPdf(in);
  ASSERT_TRUE(pdf) << pdf.error().message;
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo) not installed";
  std::string text = PdfText(*pdf);
  EXPECT_NE(text.find("This site keeps no signature log."), std::string::npos) << text;
  EXPECT_EQ(text.find("Co-signed by"), std::string::npos) << text;
}

TEST(LetterPdf, RefusesBadInputNamingTheField) {
  LetterPdfInput in = Sample(3);
  in.title.clear();
  auto r = RenderLetterPdf(in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("title"), std::string::npos) << r.error().message;

  in = Sample(3);
  in.signers[2].name = "bad \xff\xfe name";
  r = RenderLetterPdf(in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("signers[2].name"), std::string::npos) << r.error().message;

  in = Sample(3);
  in.checkpoint->root_hash_hex = "not-hex";
  r = RenderLetterPdf(in);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("root_hash_hex"), std::string::npos) << r.error().message;

  in = Sample(3);
  in.targets.push_back({});
  r = RenderLetterPdf(in);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("targets[2].name"), std::string::npos) << r.error().message;
}

TEST(LetterPdf, SameInputSameBytes) {
  // The creation date is the input's, so the same letter renders to the same file (cairo
  // writes no other clock or random value).
  auto a = RenderLetterPdf(Sample(10));
  auto b = RenderLetterPdf(Sample(10));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace undersigned::render
