// Embeds (embed.cc, and the widget's form in sign.cc): framing headers, the form checked by its
// Origin and the widget's token instead of a cookie, answers in the frame, the counter, oEmbed,
// the server.embed_ancestors list, and embedding turned off.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/pages/embed.h"
#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

using test::Contains;
using test::FormEncode;
using test::HeaderOf;
using test::kBase;
using test::kSecret;
using test::PagesTest;

constexpr const char* kOurs = "https://sign.example.org";

class EmbedTest : public PagesTest {
 protected:
  // The hidden `csrf` field the widget wrote.
  static std::string FormToken(const std::string& html) {
    const std::string marker = "name=\"csrf\" value=\"";
    const auto at = html.find(marker);
    if (at == std::string::npos) return "";
    const auto start = at + marker.size();
    return html.substr(start, html.find('"', start) - start);
  }

  Response EmbedPost(const std::vector<std::pair<std::string, std::string>>& fields,
                     std::map<std::string, std::string> headers = {{"origin", kOurs}}) {
    headers.emplace("content-type", "application/x-www-form-urlencoded");
    // A frame on another site sends no cookie of ours.
    cookie_.clear();
    jar_.clear();
    return Call("POST", "/c/drop-ice/embed/sign", FormEncode(fields), std::move(headers));
  }

  std::size_t Outbox() {
    auto due = store_->DueOutbox(clock_.Now() + 1000, 100);
    EXPECT_TRUE(due);
    return due ? due->size() : 0;
  }

  static void ExpectFrameable(const Response& r) {
    EXPECT_TRUE(Contains(HeaderOf(r, "Content-Security-Policy"), "frame-ancestors *;"))
        << HeaderOf(r, "Content-Security-Policy");
    EXPECT_TRUE(Contains(HeaderOf(r, "Content-Security-Policy"), "script-src 'self';"));
    // Set to "" by the handler: the server leaves it out (http/wire.h).
    bool found = false;
    for (const auto& [name, value] : r.headers) {
      if (name == "X-Frame-Options") {
        found = true;
        EXPECT_EQ(value, "");
      }
    }
    EXPECT_TRUE(found);
  }
};

TEST_F(EmbedTest, TheWidgetIsFrameableAndPostsToItsOwnForm) {
  Response w = Call("GET", "/c/drop-ice/embed");
  ASSERT_EQ(w.status, 200) << w.body;
  ExpectFrameable(w);
  EXPECT_EQ(HeaderOf(w, "Set-Cookie"), "");  // a third party's cookie would not come back
  EXPECT_TRUE(Contains(w.body, "action=\"/c/drop-ice/embed/sign\""));
  EXPECT_TRUE(Contains(w.body, "Drop the &lt;ICE&gt; contract"));
  EXPECT_FALSE(Contains(w.body, "<ICE>"));
  EXPECT_TRUE(Contains(w.body, "data-events=\"/c/drop-ice/events\""));
  EXPECT_TRUE(Contains(w.body, "href=\"https://sign.example.org/c/drop-ice\" target=\"_blank\""));
  EXPECT_TRUE(Contains(w.body, "<meta name=\"robots\" content=\"noindex\">"));
  EXPECT_FALSE(FormToken(w.body).empty());
  // Every other page still refuses to be framed (the server's default CSP): it sets none.
  Response page = Call("GET", "/c/drop-ice");
  EXPECT_EQ(HeaderOf(page, "Content-Security-Policy"), "");
  EXPECT_EQ(HeaderOf(page, "X-Frame-Options"), "");
  // And advertises its oEmbed address.
  EXPECT_TRUE(Contains(page.body,
                       "<link rel=\"alternate\" type=\"application/json+oembed\" "
                       "href=\"https://sign.example.org/oembed?format=json&amp;url=https%3A%2F%"
                       "2Fsign.example.org%2Fc%2Fdrop-ice\""))
      << page.body.substr(0, 2000);
}

TEST_F(EmbedTest, SigningInTheFrameNeedsNoCookieButOurOriginAndTheToken) {
  const std::string token = FormToken(Call("GET", "/c/drop-ice/embed").body);
  ASSERT_FALSE(token.empty());
  Response ok =
      EmbedPost({{"csrf", token}, {"name", "Ada Lovelace"}, {"email", "ada@example.org"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  ExpectFrameable(ok);
  EXPECT_TRUE(Contains(ok.body, "Check your email"));
  EXPECT_TRUE(Contains(ok.body, "ada@example.org"));
  EXPECT_TRUE(Contains(ok.body, "target=\"_blank\""));
  EXPECT_EQ(HeaderOf(ok, "Set-Cookie"), "");
  EXPECT_EQ(HeaderOf(ok, "Location"), "");  // answered in the frame, not redirected
  EXPECT_FALSE(LastMail("ada@example.org").is_null());
  const std::size_t mails = Outbox();
  EXPECT_EQ(mails, 1u);

  // Each of these is refused, and records nothing.
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"csrf", token}, {"name", "Eve"}, {"email", "eve@example.org"}};
  Response no_origin = EmbedPost(fields, {});
  EXPECT_EQ(no_origin.status, 403);
  EXPECT_TRUE(Contains(no_origin.body, "another website"));
  ExpectFrameable(no_origin);
  EXPECT_EQ(EmbedPost(fields, {{"origin", "null"}}).status, 403);
  EXPECT_EQ(EmbedPost(fields, {{"origin", "https://evil.example"}}).status, 403);
  Response wrong = EmbedPost({{"csrf", "x" + token}, {"name", "Eve"}, {"email", "e@example.org"}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_TRUE(Contains(wrong.body, "Your form has expired"));
  // The page's cookie-bound token is not the widget's.
  Call("GET", "/c/drop-ice");
  const std::string page_token = Token();
  EXPECT_EQ(EmbedPost({{"csrf", page_token}, {"name", "Eve"}, {"email", "e@example.org"}}).status,
            403);
  Response json = Call("POST", "/c/drop-ice/embed/sign", "{}",
                       {{"content-type", "application/json"}, {"origin", kOurs}});
  EXPECT_EQ(json.status, 415);
  EXPECT_EQ(Outbox(), mails);
}

TEST_F(EmbedTest, ASignatureFromTheWidgetSaysSoAndWhereItWasEmbedded) {
  Response w = Call("GET", "/c/drop-ice/embed", "",
                    {{"referer", "https://News.Example.net/2026/12/the-letter?x=1"}});
  const std::string token = FormToken(w.body);
  // The origin field the widget wrote (the host page's host), posted back as a browser would.
  const std::string marker = "name=\"origin\" value=\"";
  const auto at = w.body.find(marker);
  ASSERT_NE(at, std::string::npos) << w.body;
  std::string origin = w.body.substr(at + marker.size());
  origin = origin.substr(0, origin.find('"'));
  ASSERT_EQ(
      EmbedPost(
          {{"csrf", token}, {"origin", origin}, {"name", "Ada"}, {"email", "ada@example.org"}})
          .status,
      200);
  auto snap = campaigns_->Snapshot("drop-ice");
  ASSERT_TRUE(snap);
  auto listed = store_->ListSignatures(snap->campaign.id, {}, {});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].source, "embed");
  EXPECT_EQ(listed->items[0].origin.referrer, "news.example.net");
}

TEST_F(EmbedTest, TheTokenLastsADayAndTheNext) {
  const std::string token = FormToken(Call("GET", "/c/drop-ice/embed").body);
  clock_.Advance(86400);
  EXPECT_EQ(EmbedPost({{"csrf", token}, {"name", "Ada"}, {"email", "ada@example.org"}}).status,
            200);
  clock_.Advance(2 * 86400);
  Response old = EmbedPost({{"csrf", token}, {"name", "Bo"}, {"email", "bo@example.org"}});
  EXPECT_EQ(old.status, 403);
  // Another campaign's token is not this one's.
  pages::Csrf csrf(kSecret, true);
  pages::EmbedTokens tokens(csrf);
  EXPECT_TRUE(tokens.Verify("drop-ice", tokens.TokenFor("drop-ice", clock_.Now()), clock_.Now()));
  EXPECT_FALSE(tokens.Verify("other", tokens.TokenFor("drop-ice", clock_.Now()), clock_.Now()));
}

TEST_F(EmbedTest, AFormWithErrorsComesBackInTheFrameAsTyped) {
  const std::string token = FormToken(Call("GET", "/c/drop-ice/embed").body);
  Response bad = EmbedPost({{"csrf", token}, {"name", "Grace Hopper"}, {"email", "not-an-email"}});
  ASSERT_EQ(bad.status, 422) << bad.body;
  ExpectFrameable(bad);
  EXPECT_TRUE(Contains(bad.body, "value=\"Grace Hopper\""));
  EXPECT_TRUE(Contains(bad.body, "value=\"not-an-email\""));
  EXPECT_TRUE(Contains(bad.body, "aria-invalid=\"true\""));
  EXPECT_TRUE(Contains(bad.body, "class=\"error-summary\""));
  EXPECT_FALSE(Contains(bad.body, "autofocus"));  // refused in a cross-origin frame
  EXPECT_TRUE(Contains(bad.body, "action=\"/c/drop-ice/embed/sign\""));
  // Its new token works.
  const std::string again = FormToken(bad.body);
  EXPECT_EQ(
      EmbedPost({{"csrf", again}, {"name", "Grace Hopper"}, {"email", "grace@example.org"}}).status,
      200);
  EXPECT_EQ(Outbox(), 1u);
}

TEST_F(EmbedTest, TheCounterShowsTheLiveCountAndNoForm) {
  Response c = Call("GET", "/c/drop-ice/embed/count");
  ASSERT_EQ(c.status, 200) << c.body;
  ExpectFrameable(c);
  EXPECT_TRUE(Contains(c.body, "data-count>0<"));
  EXPECT_TRUE(Contains(c.body, "12,000"));
  EXPECT_FALSE(Contains(c.body, "<form"));
  EXPECT_TRUE(
      Contains(c.body, "href=\"https://sign.example.org/c/drop-ice#sign\" target=\"_blank\""));
  Response unknown = Call("GET", "/c/nope/embed/count");
  EXPECT_EQ(unknown.status, 404);
}

TEST_F(EmbedTest, OEmbedHandsOutTheFrames) {
  const std::string url = PercentEncode(std::string(kBase) + "/c/drop-ice");
  Response r = Call("GET", "/oembed?url=" + url);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "*");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["version"], "1.0");
  EXPECT_EQ(j["type"], "rich");
  EXPECT_EQ(j["provider_name"], "Test Site");
  EXPECT_EQ(j["title"], "Drop the <ICE> contract");
  EXPECT_EQ(j["width"], 400);
  EXPECT_EQ(j["height"], 720);
  const std::string html = j["html"];
  EXPECT_TRUE(Contains(html, "src=\"https://sign.example.org/c/drop-ice/embed\""));
  EXPECT_TRUE(Contains(html, "title=\"Sign: Drop the &lt;ICE&gt; contract\""));
  EXPECT_TRUE(Contains(html, "sandbox=\"allow-forms allow-scripts allow-same-origin"));
  EXPECT_FALSE(Contains(html, "style="));  // a strict style-src on the host would refuse it
  EXPECT_EQ(j["thumbnail_url"], "https://sign.example.org/c/drop-ice/card.png");

  // maxwidth and maxheight are respected; the card is left out when it does not fit.
  auto small = nlohmann::json::parse(
      Call("GET", "/oembed?url=" + url + "&maxwidth=300&maxheight=500&format=json").body);
  EXPECT_EQ(small["width"], 300);
  EXPECT_EQ(small["height"], 500);
  EXPECT_TRUE(Contains(small["html"], "width=\"300\" height=\"500\""));
  EXPECT_FALSE(small.contains("thumbnail_url"));

  // The counter's address gives the counter; a query or a trailing slash does not matter.
  auto counter = nlohmann::json::parse(
      Call("GET",
           "/oembed?url=" + PercentEncode(std::string(kBase) + "/c/drop-ice/embed/count/?s=x"))
          .body);
  EXPECT_TRUE(Contains(counter["html"], "src=\"https://sign.example.org/c/drop-ice/embed/count\""));
  EXPECT_EQ(counter["width"], 320);

  EXPECT_EQ(Call("GET", "/oembed?url=" + url + "&format=xml").status, 501);
  EXPECT_EQ(Call("GET", "/oembed").status, 400);
  Response bad_width = Call("GET", "/oembed?url=" + url + "&maxwidth=wide");
  EXPECT_EQ(bad_width.status, 400);
  EXPECT_TRUE(Contains(bad_width.body, "maxwidth"));
  EXPECT_EQ(Call("GET", "/oembed?url=" + PercentEncode("https://evil.example/c/drop-ice")).status,
            404);
  EXPECT_EQ(Call("GET", "/oembed?url=" + PercentEncode(std::string(kBase) + "/c/nope")).status,
            404);
  EXPECT_EQ(
      Call("GET", "/oembed?url=" + PercentEncode(std::string(kBase) + "/c/drop-ice/x/y")).status,
      404);
}

TEST_F(EmbedTest, ADraftIsNotEmbedded) {
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
  EXPECT_EQ(Call("GET", "/c/secret-draft/embed").status, 404);
  EXPECT_EQ(Call("GET", "/c/secret-draft/embed/count").status, 404);
  EXPECT_EQ(
      Call("GET", "/oembed?url=" + PercentEncode(std::string(kBase) + "/c/secret-draft")).status,
      404);
}

TEST_F(EmbedTest, EmbeddingTurnedOff) {
  router_ = std::make_unique<Router>();
  PagesDeps deps{*campaigns_, *signing_,
                 *templates_, std::string(kBase),
                 kSecret,     pages::SiteInfo{"Test Site", "", "", ""},
                 &clock_,     nullptr,
                 "",          "",
                 nullptr};
  deps.embed_ancestors = "";
  RegisterPages(*router_, std::move(deps));
  Response w = Call("GET", "/c/drop-ice/embed");
  EXPECT_EQ(w.status, 404);
  EXPECT_EQ(HeaderOf(w, "Content-Security-Policy"), "");  // the server's: frame-ancestors 'none'
  EXPECT_EQ(HeaderOf(w, "X-Frame-Options"), "");
  EXPECT_EQ(Call("GET", "/c/drop-ice/embed/count").status, 404);
  EXPECT_EQ(EmbedPost({{"csrf", "x"}, {"name", "A"}, {"email", "a@example.org"}}).status, 404);
  EXPECT_EQ(Call("GET", "/oembed?url=" + PercentEncode(std::string(kBase) + "/c/drop-ice")).status,
            404);
  EXPECT_FALSE(Contains(Call("GET", "/c/drop-ice").body, "oembed"));
  EXPECT_EQ(Outbox(), 0u);
}

TEST(FrameAncestors, ParsesTheConfigList) {
  using pages::ParseFrameAncestors;
  EXPECT_EQ(*ParseFrameAncestors("*"), "*");
  EXPECT_EQ(*ParseFrameAncestors("none"), "");
  EXPECT_EQ(*ParseFrameAncestors("  "), "");
  EXPECT_EQ(*ParseFrameAncestors("https://union.example.org, https://*.news.example:8443/"),
            "https://union.example.org https://*.news.example:8443/");
  EXPECT_EQ(*ParseFrameAncestors("http://localhost:3000"), "http://localhost:3000");
  for (const char* bad :
       {"https://a.org; script-src *", "javascript:alert(1)", "a.org", "https://a.*.org",
        "https://a.org/path", "'self'", "* https://a.org", "https://a.org\r\nX: y"}) {
    auto r = ParseFrameAncestors(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace undersigned::http
