// The share images' routes (share_images.cc): the card, the flyer and the poster, their
// caching, and the campaign page's og:image.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

using test::Contains;
using test::HeaderOf;
using test::PagesTest;

// Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian).
std::pair<int, int> PngSize(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(png[at]) << 24) |
           (static_cast<unsigned char>(png[at + 1]) << 16) |
           (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
  };
  return {static_cast<int>(be32(16)), static_cast<int>(be32(20))};
}

std::string PdfText(const std::string& pdf) {
  if (std::system("command -v pdftotext >/dev/null") != 0) return "(no pdftotext)";
  std::string path = (std::filesystem::temp_directory_path() / "share_images_test_XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) return "";
  close(fd);
  std::ofstream(path, std::ios::binary) << pdf;
  std::string out;
  if (FILE* p = popen(("pdftotext -enc UTF-8 '" + path + "' - 2>/dev/null").c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  std::remove(path.c_str());
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

class ShareImagesTest : public PagesTest {
 protected:
  void Confirm(const std::string& email, const std::string& name = "Ada Lovelace") {
    ASSERT_EQ(SignAs(email, name).status, 200);
    ASSERT_TRUE(signing_->Confirm(LastMail(email)["token"]));
  }
};

TEST_F(ShareImagesTest, TheCardIsAPngWithCachingHeaders) {
  Response r = Call("GET", "/c/drop-ice/card.png");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "image/png");
  EXPECT_EQ(PngSize(r.body), std::make_pair(1200, 630));
  const std::string etag = HeaderOf(r, "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "public, max-age=60");
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  // The client's copy is still good: 304, no body.
  Response again = Call("GET", "/c/drop-ice/card.png", "", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(HeaderOf(again, "ETag"), etag);
  Response other = Call("GET", "/c/drop-ice/card.png", "", {{"if-none-match", "\"stale\""}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, r.body);
}

TEST_F(ShareImagesTest, TheCardFollowsTheCountAtMostOncePerIntervalAndEditsAtOnce) {
  Response first = Call("GET", "/c/drop-ice/card.png");
  ASSERT_EQ(first.status, 200);
  Confirm("one@example.org");
  // Within the interval the cached card is served as it was, without rendering.
  Response cached = Call("GET", "/c/drop-ice/card.png");
  EXPECT_EQ(HeaderOf(cached, "ETag"), HeaderOf(first, "ETag"));
  EXPECT_EQ(cached.body, first.body);
  // Once it is 10 s old, the new count is drawn.
  clock_.AdvanceMillis(10'001);
  Response moved = Call("GET", "/c/drop-ice/card.png");
  ASSERT_EQ(moved.status, 200);
  EXPECT_NE(HeaderOf(moved, "ETag"), HeaderOf(first, "ETag"));
  EXPECT_NE(moved.body, first.body);
  // An edit shows at once.
  auto c = campaigns_->GetBySlug("drop-ice");
  ASSERT_TRUE(c);
  c->title = "A new title";
  ASSERT_TRUE(campaigns_->Update(*c));
  Response edited = Call("GET", "/c/drop-ice/card.png");
  EXPECT_NE(HeaderOf(edited, "ETag"), HeaderOf(moved, "ETag"));
}

TEST_F(ShareImagesTest, DraftsAndUnknownCampaignsAre404) {
  Campaign d;
  d.slug = "secret-draft";
  d.title = "Not yet";
  d.goal = 10;
  d.status = CampaignStatus::kDraft;
  d.letter_markdown = "Dear someone,";
  d.targets = {Target{}};
  d.targets[0].name = "Someone";
  auto made = campaigns_->Create(d);
  ASSERT_TRUE(made) << made.error().message;
  for (const char* path : {"/c/secret-draft/card.png", "/c/secret-draft/flyer.pdf",
                           "/c/secret-draft/poster.pdf", "/c/nope/card.png", "/c/nope/flyer.pdf"}) {
    Response r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.content_type, "image/png") << path;
    EXPECT_NE(r.content_type, "application/pdf") << path;
  }
  // The draft's page, seen by nobody, names no card either.
  EXPECT_FALSE(Contains(Call("GET", "/c/secret-draft").body, "og:image"));
}

TEST_F(ShareImagesTest, FlyerAndPosterArePdfsWithTheCountAndNoNames) {
  Confirm("one@example.org", "Ada Lovelace");
  for (const char* path :
       {"/c/drop-ice/flyer.pdf", "/c/drop-ice/flyer.pdf?paper=letter", "/c/drop-ice/poster.pdf"}) {
    Response r = Call("GET", path);
    ASSERT_EQ(r.status, 200) << path << r.body;
    EXPECT_EQ(r.content_type, "application/pdf");
    EXPECT_EQ(r.body.substr(0, 5), "%PDF-");
    EXPECT_FALSE(HeaderOf(r, "ETag").empty());
    EXPECT_TRUE(Contains(HeaderOf(r, "Content-Disposition"), "drop-ice-"));
    const std::string text = PdfText(r.body);
    if (text == "(no pdftotext)") continue;
    EXPECT_TRUE(Contains(text, "Drop the <ICE> contract")) << text;
    EXPECT_TRUE(Contains(text, "Marc Benioff (CEO, Salesforce)")) << text;
    EXPECT_TRUE(Contains(text, "Dear Marc,")) << text;
    EXPECT_TRUE(Contains(text, "1 signature")) << text;
    EXPECT_TRUE(Contains(text, "goal 12,000")) << text;
    EXPECT_TRUE(Contains(text, "sign.example.org/c/drop-ice?s=")) << text;
    EXPECT_FALSE(Contains(text, "Ada")) << text;  // signers are counted, never named
    EXPECT_FALSE(Contains(text, "alert")) << text;
  }
  EXPECT_NE(Call("GET", "/c/drop-ice/flyer.pdf").body,
            Call("GET", "/c/drop-ice/flyer.pdf?paper=letter").body);
  Response bad = Call("GET", "/c/drop-ice/flyer.pdf?paper=tabloid");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Contains(bad.body, "a4 or letter"));
}

TEST_F(ShareImagesTest, TheCampaignPageNamesTheCardAndThePrintables) {
  Response page = Call("GET", "/c/drop-ice");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body,
                       "<meta property=\"og:image\" "
                       "content=\"https://sign.example.org/c/drop-ice/card.png\">"))
      << page.body.substr(0, 2000);
  EXPECT_TRUE(Contains(page.body, "<meta property=\"og:image:width\" content=\"1200\">"));
  EXPECT_TRUE(Contains(page.body, "<meta property=\"og:image:height\" content=\"630\">"));
  EXPECT_TRUE(Contains(
      page.body, "<meta property=\"og:image:alt\" content=\"Drop the &lt;ICE&gt; contract: "));
  EXPECT_TRUE(Contains(page.body, "<meta name=\"twitter:card\" content=\"summary_large_image\">"));
  EXPECT_TRUE(Contains(page.body, "href=\"/c/drop-ice/flyer.pdf\""));
  EXPECT_TRUE(Contains(page.body, "href=\"/c/drop-ice/flyer.pdf?paper=letter\""));
  EXPECT_TRUE(Contains(page.body, "href=\"/c/drop-ice/poster.pdf\""));
  // Pages of no campaign name no card.
  EXPECT_FALSE(Contains(Call("GET", "/").body, "og:image"));
}

}  // namespace
}  // namespace undersigned::http
