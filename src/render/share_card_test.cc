#include "render/share_card.h"

#include <png.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "render/test_files.h"

namespace undersigned::render {
namespace {

constexpr UnixTime kMade = 1'796'000'000;  // 2026-11-30
const std::string kUrl = "https://sign.example.org/c/end-the-contract";

ShareCardInput Card(std::int64_t confirmed = 1234, std::int64_t goal = 5000) {
  ShareCardInput in;
  in.title = "End the contract with the border agency";
  in.targets = {"Dana Rivera (CEO, Acme)", "Acme's board"};
  in.confirmed = confirmed;
  in.goal = goal;
  in.site_name = "Sign Example";
  in.language = "en";
  return in;
}

// A PNG decoded by libpng: RGB, row by row.
struct Decoded {
  bool ok = false;
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;
  std::array<int, 3> at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

Decoded DecodePng(const std::string& bytes) {
  Decoded d;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return d;
  image.format = PNG_FORMAT_RGB;
  d.width = static_cast<int>(image.width);
  d.height = static_cast<int>(image.height);
  d.rgb.resize(PNG_IMAGE_SIZE(image));
  d.ok = png_image_finish_read(&image, nullptr, d.rgb.data(), 0, nullptr) != 0;
  png_image_free(&image);
  return d;
}

// The rows from y0 down are the same in both images.
bool SameFrom(const Decoded& a, const Decoded& b, int y0) {
  const std::size_t from = static_cast<std::size_t>(y0) * a.width * 3;
  return a.rgb.size() == b.rgb.size() &&
         std::equal(a.rgb.begin() + from, a.rgb.end(), b.rgb.begin() + from);
}

bool SameUpTo(const Decoded& a, const Decoded& b, int y1) {
  const std::size_t to = static_cast<std::size_t>(y1) * a.width * 3;
  return a.rgb.size() == b.rgb.size() &&
         std::equal(a.rgb.begin(), a.rgb.begin() + to, b.rgb.begin());
}

Decoded RenderDecoded(const ShareCardInput& in) {
  auto png = RenderShareCard(in);
  EXPECT_TRUE(png) << png.error().message;
  if (!png) return {};
  Decoded d = DecodePng(*png);
  EXPECT_TRUE(d.ok);
  return d;
}

// The bar's track and fill, and where the bar is (72 px margins, 28 px high, above the site's
// name): its row is found as the first row from the bottom whose left end is the track or fill.
constexpr std::array<int, 3> kTrack{0xe3, 0xe5, 0xe8};
constexpr std::array<int, 3> kFill{0x1a, 0x7f, 0x37};

// The middle row of the bar (found at x = 600, where it is neither the count's text nor its
// rounded ends), or -1 if there is none.
int BarRow(const Decoded& d) {
  int bottom = -1, top = -1;
  for (int y = d.height - 1; y > d.height / 2; --y) {
    const auto p = d.at(600, y);
    const bool bar = p == kTrack || p == kFill;
    if (bar && bottom < 0) bottom = y;
    if (bar) top = y;
    if (!bar && bottom >= 0) break;
  }
  return bottom < 0 ? -1 : (top + bottom) / 2;
}

TEST(ShowCount, ExactBelowAThousandThenTwoDigits) {
  EXPECT_EQ(ShowCount(0).text, "0");
  EXPECT_EQ(ShowCount(-3).value, 0);
  EXPECT_EQ(ShowCount(999).text, "999");
  EXPECT_EQ(ShowCount(1000).text, "1,000+");
  EXPECT_EQ(ShowCount(1234).text, "1,200+");
  EXPECT_EQ(ShowCount(1234).value, 1200);
  EXPECT_EQ(ShowCount(9999).text, "9,900+");
  EXPECT_EQ(ShowCount(56'789).text, "56,000+");
  EXPECT_EQ(ShowCount(1'234'567).text, "1,200,000+");
  // Between two steps nothing changes.
  EXPECT_EQ(ShowCount(1201).text, ShowCount(1299).text);
}

TEST(ShareCard, IsAPngOfTheRightSize) {
  auto png = RenderShareCard(Card());
  ASSERT_TRUE(png) << png.error().message;
  ASSERT_GT(png->size(), 1000u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  Decoded d = DecodePng(*png);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.width, 1200);
  EXPECT_EQ(d.height, 630);
  // The accent band on top, white below it, and text (dark pixels) somewhere.
  EXPECT_EQ(d.at(600, 5), (std::array<int, 3>{0x0b, 0x57, 0xa4}));
  EXPECT_EQ(d.at(5, 300), (std::array<int, 3>{255, 255, 255}));
  int dark = 0;
  for (std::size_t i = 0; i < d.rgb.size(); i += 3) dark += d.rgb[i] < 80 && d.rgb[i + 1] < 80;
  EXPECT_GT(dark, 2000);
  // Rendering is deterministic: the same input, the same bytes (one ETag on every node).
  EXPECT_EQ(*png, *RenderShareCard(Card()));
}

TEST(ShareCard, TheBarShowsTheShownCountOfTheGoal) {
  Decoded none = RenderDecoded(Card(0, 5000));
  Decoded some = RenderDecoded(Card(2500, 5000));
  Decoded done = RenderDecoded(Card(7000, 5000));
  const int y = BarRow(some);
  ASSERT_GT(y, 0);
  const int left = 90, right = 1110;
  EXPECT_EQ(none.at(left, y), kTrack);
  EXPECT_EQ(none.at(right, y), kTrack);
  EXPECT_EQ(some.at(left, y), kFill);
  EXPECT_EQ(some.at(550, y), kFill);   // 2,500 of 5,000: the first half...
  EXPECT_EQ(some.at(650, y), kTrack);  // ...and not the second
  EXPECT_EQ(done.at(right, y), kFill);
  // No goal: no bar.
  Decoded no_goal = RenderDecoded(Card(2500, 0));
  EXPECT_EQ(BarRow(no_goal), -1);
}

TEST(ShareCard, ACountChangeChangesTheImageOnlyAcrossAStep) {
  auto a = RenderShareCard(Card(10));
  auto b = RenderShareCard(Card(11));
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  // 1,234 and 1,299 both show as "1,200+": the same card.
  EXPECT_EQ(*RenderShareCard(Card(1234)), *RenderShareCard(Card(1299)));
  EXPECT_NE(*RenderShareCard(Card(1234)), *RenderShareCard(Card(1300)));
}

TEST(ShareCard, LongTitlesWrapAndStayAboveTheCount) {
  Decoded short_title = RenderDecoded(Card());
  const int bar = BarRow(short_title);
  ASSERT_GT(bar, 0);
  const int count_top = bar - 120;  // the count line sits above the bar
  for (const std::string& title : {
           // One long German word after another: broken inside the word when nothing else fits.
           std::string("Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz und "
                       "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen "
                       "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung "
                       "Kraftfahrzeughaftpflichtversicherungsbedingungenänderungsmitteilung"),
           // Arabic, right to left.
           std::string("أوقفوا العقد مع وكالة الحدود الآن، ونطالب الإدارة بنشر جميع الشروط "
                       "والتفاصيل المتعلقة بهذه الصفقة أمام الموظفين والجمهور دون تأخير"),
           // CJK (boxes without a CJK font, but laid out and cut all the same).
           std::string(
               "終止與邊境機構的合同，並公開所有條款，讓員工和公眾都能看到這筆交易的全部細節，"
               "我們要求管理層立即回應並承擔責任"),
           std::string(3000, 'x'),
       }) {
    ShareCardInput in = Card();
    in.title = title;
    in.language = title[0] == 'R' ? "de" : "";
    Decoded d = RenderDecoded(in);
    ASSERT_EQ(d.width, 1200);
    EXPECT_TRUE(SameFrom(d, short_title, count_top)) << title.substr(0, 20);
    EXPECT_FALSE(SameUpTo(d, short_title, count_top)) << title.substr(0, 20);
  }
}

TEST(ShareCard, RefusesBadInputNamingTheField) {
  ShareCardInput in = Card();
  in.title.clear();
  auto r = RenderShareCard(in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("title"), std::string::npos);
  in = Card();
  in.targets.push_back("bad \xff utf-8");
  r = RenderShareCard(in);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("targets[2]"), std::string::npos) << r.error().message;
  in = Card();
  in.site_name.clear();
  EXPECT_FALSE(RenderShareCard(in));
}

// --- the flyer and poster

FlyerInput Flyer() {
  FlyerInput in;
  in.title = "End the contract";
  in.demand = "Acme must end its contract with the border agency.";
  in.targets = {"Dana Rivera (CEO, Acme)"};
  in.letter_markdown =
      "Dear **Dana**,\n\nWe, the *undersigned* workers of Acme, ask you to act now.\n\n"
      "<script>alert('raw html')</script>\n\n"
      "See [our reasons](https://example.org/why).\n\n" +
      std::string(400, 'y') + "\n";
  in.confirmed = 1234;
  in.goal = 5000;
  in.sign_url = kUrl;
  in.site_name = "Sign Example";
  in.language = "en";
  in.made = kMade;
  return in;
}

using test::Have;
using test::InfoField;
using test::PdfInfo;
using test::PdfText;
using test::Run;
using test::TempFile;

// The QR codes zbarimg finds on the PDF's first page rendered at dpi, one per line.
std::string DecodeQr(const std::string& pdf, int dpi) {
  TempFile f(pdf);
  const std::string png = f.path() + "-page";
  Run("pdftoppm -r " + std::to_string(dpi) + " -png -singlefile '" + f.path() + "' '" + png +
      "' 2>&1");
  std::string out = Run("zbarimg --raw -q '" + png + ".png' 2>/dev/null");
  std::remove((png + ".png").c_str());
  return out;
}

std::string Squash(std::string s) {  // pdftotext's line breaks and hyphen-free wraps as spaces
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

TEST(FlyerPdf, OnePageOfEachFormat) {
  if (!Have("pdfinfo")) GTEST_SKIP() << "poppler-utils is not installed";
  struct Case {
    PrintFormat format;
    const char* size;
  };
  for (const Case& c : {Case{PrintFormat::kA4, "595.276 x 841.89 pts (A4)"},
                        Case{PrintFormat::kLetter, "612 x 792 pts (letter)"},
                        Case{PrintFormat::kA3Poster, "841.89 x 1190.55 pts (A3)"}}) {
    auto pdf = RenderFlyerPdf(Flyer(), c.format);
    ASSERT_TRUE(pdf) << pdf.error().message;
    EXPECT_EQ(pdf->substr(0, 5), "%PDF-");
    const std::string info = PdfInfo(*pdf);
    EXPECT_EQ(InfoField(info, "Pages"), "1") << info;
    EXPECT_EQ(InfoField(info, "Page size"), c.size) << PrintFormatName(c.format);
    EXPECT_EQ(InfoField(info, "Title"), "End the contract") << info;
  }
}

TEST(FlyerPdf, PrintsTheTitleTargetLetterCountAndUrl) {
  if (!Have("pdftotext")) GTEST_SKIP() << "poppler-utils is not installed";
  auto pdf = RenderFlyerPdf(Flyer(), PrintFormat::kA4);
  ASSERT_TRUE(pdf) << pdf.error().message;
  const std::string text = Squash(PdfText(*pdf));
  for (const char* want :
       {"End the contract", "Acme must end its contract", "Dana Rivera (CEO, Acme)", "Dear Dana,",
        "We, the undersigned workers of Acme", "1,200+ signatures", "goal 5,000",
        "Count on 30 November 2026", "Scan to read the letter and sign", "Sign Example"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
  EXPECT_NE(text.find("sign.example.org/c/end-the-"), std::string::npos) << text;
  EXPECT_EQ(text.find("script"), std::string::npos) << text;
  EXPECT_EQ(text.find("alert"), std::string::npos) << text;
  // The long tail of the letter is cut.
  EXPECT_EQ(text.find(std::string(400, 'y')), std::string::npos);
}

TEST(FlyerPdf, TheQrCodeDecodesToTheSigningUrl) {
  if (!Have("pdftoppm") || !Have("zbarimg")) {
    GTEST_SKIP() << "poppler-utils or zbar-tools is not installed";
  }
  for (PrintFormat f : {PrintFormat::kA4, PrintFormat::kLetter, PrintFormat::kA3Poster}) {
    auto pdf = RenderFlyerPdf(Flyer(), f);
    ASSERT_TRUE(pdf) << pdf.error().message;
    EXPECT_EQ(DecodeQr(*pdf, 100), kUrl + "\n") << PrintFormatName(f);
  }
  FlyerInput other = Flyer();
  other.sign_url = "https://sign.example.org/c/" + std::string(120, 'a') + "?utm_source=flyer";
  auto pdf = RenderFlyerPdf(other, PrintFormat::kA4);
  ASSERT_TRUE(pdf);
  EXPECT_EQ(DecodeQr(*pdf, 150), other.sign_url + "\n");
}

TEST(FlyerPdf, ACountChangeChangesTheFlyer) {
  if (!Have("pdftotext")) GTEST_SKIP() << "poppler-utils is not installed";
  FlyerInput in = Flyer();
  in.confirmed = 7;
  const std::string text = Squash(PdfText(*RenderFlyerPdf(in, PrintFormat::kA4)));
  EXPECT_NE(text.find("7 signatures"), std::string::npos) << text;
  in.confirmed = 1;
  EXPECT_NE(Squash(PdfText(*RenderFlyerPdf(in, PrintFormat::kA4))).find("1 signature "),
            std::string::npos);
}

TEST(FlyerPdf, AClosedCampaignsFlyerNoLongerAsksToSign) {
  if (!Have("pdftotext")) GTEST_SKIP() << "poppler-utils is not installed";
  FlyerInput in = Flyer();
  in.closed = true;
  const std::string text = Squash(PdfText(*RenderFlyerPdf(in, PrintFormat::kA4)));
  EXPECT_NE(text.find("Scan to read the letter"), std::string::npos) << text;
  EXPECT_EQ(text.find("and sign"), std::string::npos) << text;
  EXPECT_NE(text.find("closed"), std::string::npos) << text;
}

TEST(FlyerPdf, RefusesBadInput) {
  FlyerInput in = Flyer();
  in.sign_url = "javascript:alert(1)";
  auto r = RenderFlyerPdf(in, PrintFormat::kA4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("https://"), std::string::npos);
  in = Flyer();
  in.sign_url = "https://x.example/" + std::string(4000, 'a');
  r = RenderFlyerPdf(in, PrintFormat::kA4);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("QR"), std::string::npos) << r.error().message;
  in = Flyer();
  in.demand = "\xc3";
  r = RenderFlyerPdf(in, PrintFormat::kA3Poster);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("demand"), std::string::npos);
}

TEST(LetterOpening, PlainTextOfTheFirstParagraphs) {
  EXPECT_EQ(LetterOpening("# Dear **Dana**\n\nWe *ask*.\n\n<script>alert(1)</script>\n\n"
                          "- one\n- two\n\n> <b>quoted</b>\n",
                          500),
            "Dear Dana\n\nWe ask.\n\none\n\ntwo\n\nquoted");
  EXPECT_EQ(LetterOpening("[a link](https://example.org) and `code`", 500), "a link and code");
  EXPECT_EQ(LetterOpening("one two three four five six", 14), "one two three…");
  EXPECT_EQ(LetterOpening("", 100), "");
  // A cut never splits a character.
  EXPECT_EQ(LetterOpening("ääääääääääääääääääää", 9), "ääää…");
}

}  // namespace
}  // namespace undersigned::render
