// The campaign page (campaign_page.cc): escaping, its per-version cache with the per-visitor CSRF
// token, who runs it, thresholds, closed and draft campaigns, the order of its parts.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>

#include <nlohmann/json.hpp>

#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

namespace fs = std::filesystem;

using test::Contains;
using test::FormEncode;
using test::HeaderOf;
using test::kBase;
using test::kSecret;
using test::kXss;
using test::PagesTest;

TEST_F(PagesTest, CampaignPageRendersSafely) {
  Response r = Call("GET", "/c/drop-ice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(cookie_.empty());
  EXPECT_NE(HeaderOf(r, "Set-Cookie").find("HttpOnly; SameSite=Lax; Secure"), std::string::npos);
  const std::string& b = r.body;
  EXPECT_TRUE(Contains(b, "<html lang=\"fr\">"));
  EXPECT_TRUE(Contains(b, "<h1>Drop the &lt;ICE&gt; contract</h1>"));
  EXPECT_TRUE(Contains(b, "Cancel it &amp; speak out"));
  EXPECT_TRUE(Contains(b, "<strong>Marc</strong>"));
  EXPECT_FALSE(Contains(b, "<script>alert"));
  EXPECT_FALSE(Contains(b, "href=\"javascript:"));
  EXPECT_FALSE(Contains(b, "style="));
  EXPECT_FALSE(Contains(b, "\x01"));
  EXPECT_TRUE(Contains(b, "<script src=\"/static/live.js\" defer></script>"));
  EXPECT_TRUE(Contains(b, "name=\"csrf\" value=\"" + Token() + "\""));
  EXPECT_TRUE(Contains(b, "data-events=\"/c/drop-ice/events\""));
  EXPECT_TRUE(Contains(b, "<progress class=\"tally-bar\" max=\"12000\" value=\"0\""));
  EXPECT_TRUE(Contains(b, "12,000"));
  EXPECT_TRUE(Contains(b, "aria-live=\"polite\""));
  EXPECT_TRUE(Contains(b, "Marc Benioff"));
  EXPECT_TRUE(Contains(b, "CEO, Salesforce"));
  // Share links name the handles, URL-encoded, and are HTML-escaped in the attribute.
  EXPECT_TRUE(Contains(b, "https://x.com/intent/tweet?text="));
  EXPECT_TRUE(Contains(b, "%40Benioff"));
  EXPECT_TRUE(Contains(b, "%40benioff.bsky.social"));
  EXPECT_TRUE(Contains(b, "https%3A%2F%2Fsign.example.org%2Fc%2Fdrop-ice"));
  EXPECT_TRUE(Contains(b, "mailto:?subject="));
  EXPECT_TRUE(Contains(b, "&amp;body="));
  EXPECT_TRUE(Contains(b, "href=\"/c/drop-ice/share/mastodon\""));
  // Every form control has a label.
  for (const char* id : {"f-name", "f-email", "f-postal_code", "f-country", "f-comment",
                         "f-public_name", "f-wants_updates"}) {
    EXPECT_TRUE(Contains(b, std::string("<label for=\"") + id + "\"")) << id;
    EXPECT_TRUE(Contains(b, std::string("id=\"") + id + "\"")) << id;
  }
  EXPECT_TRUE(Contains(b, "<option value=\"GB\">United Kingdom</option>"));
  // UI text in English is marked as such on a French campaign.
  EXPECT_TRUE(Contains(b,
                       "<section class=\"sign\" id=\"sign\" aria-labelledby=\"sign-h\" "
                       "lang=\"en\">"));
}

TEST_F(PagesTest, CampaignPageIsCachedButTokenIsPerVisitor) {
  Response a = Call("GET", "/c/drop-ice");
  const std::string first_cookie = cookie_;
  cookie_.clear();
  Response b = Call("GET", "/c/drop-ice");
  ASSERT_NE(first_cookie, cookie_);
  EXPECT_NE(a.body, b.body);
  // The same visitor keeps the same cookie and token.
  Response c = Call("GET", "/c/drop-ice");
  EXPECT_EQ(HeaderOf(c, "Set-Cookie"), "");
  EXPECT_EQ(b.body, c.body);
  EXPECT_EQ(HeaderOf(c, "Cache-Control"), "private, no-cache");
}

TEST_F(PagesTest, CachedPageFollowsCountsAndEdits) {
  Response before = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(before.body, "data-count>0<"));
  // Two confirmed signatures, one public: the count moves at once.
  for (const char* email : {"one@example.org", "two@example.org"}) {
    ASSERT_EQ(SignAs(email, "Signer", std::string(email) == "one@example.org").status, 200);
    const std::string t = LastMail(email)["token"];
    ASSERT_TRUE(signing_->Confirm(t));
  }
  Response now = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(now.body, "data-count>2<"));
  EXPECT_TRUE(Contains(now.body, "data-count-noun>signatures<"));
  EXPECT_TRUE(Contains(now.body, "<progress class=\"tally-bar\" max=\"12000\" value=\"2\""));
  clock_.AdvanceMillis(1001);
  EXPECT_TRUE(Contains(Call("GET", "/c/drop-ice").body, "<bdi class=\"signer-name\">Signer<"));
  // An edit of the campaign shows at once.
  auto c = campaigns_->GetBySlug("drop-ice");
  ASSERT_TRUE(c);
  c->title = "A new title";
  ASSERT_TRUE(campaigns_->Update(*c));
  Response edited = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(edited.body, "<h1>A new title</h1>"));
  EXPECT_TRUE(Contains(edited.body, "data-count>2<"));
  // A delivery (its fields and counts unchanged otherwise) shows once the campaign is refreshed:
  // the cached page is not kept for a snapshot whose delivery note changed.
  c = campaigns_->GetBySlug("drop-ice");
  c->targets[0].email = "marc@salesforce.example";
  ASSERT_TRUE(campaigns_->Update(*c));
  EXPECT_FALSE(Contains(Call("GET", "/c/drop-ice").body, "Delivered to"));
  NewDelivery d;
  d.record.campaign_id = c->id;
  d.record.recipients = {"marc@salesforce.example"};
  d.record.confirmed = 2;
  d.now = clock_.Now();
  ASSERT_TRUE(store_->outreach().RecordDelivery(d));
  clock_.AdvanceMillis(3000);
  ASSERT_TRUE(campaigns_->Refresh());
  EXPECT_TRUE(Contains(Call("GET", "/c/drop-ice").body, "Delivered to Marc Benioff on"));
}

// Signers see whom they give their address to: the campaign's organizers (or that they did not
// say), and the site's operator (or a notice that the site does not say who runs it).
TEST_F(PagesTest, OrganizedByAndWhoRunsTheSite) {
  Response anonymous = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(anonymous.body, "have not said who they are"));
  EXPECT_TRUE(Contains(anonymous.body, "This site does not say who runs it."));
  auto c = campaigns_->GetBySlug("drop-ice");
  ASSERT_TRUE(c);
  c->organized_by = "Tech Workers <Coalition>";
  ASSERT_TRUE(campaigns_->Update(*c));
  Response named = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(named.body,
                       "Organized by <span class=\"organizer-name\">Tech Workers "
                       "&lt;Coalition&gt;</span>"));
  EXPECT_FALSE(Contains(named.body, "have not said who they are"));

  Router router;
  pages::SiteInfo site{"Sign Here", "Acme Workers United", "privacy@acme.example",
                       "https://acme.example/privacy"};
  RegisterPages(router, PagesDeps{*campaigns_, *signing_, *templates_, kBase, kSecret, site,
                                  &clock_, nullptr, "", "", nullptr});
  for (const char* target : {"/", "/c/drop-ice"}) {
    Response r = test::Dispatch(router, "GET", target, "", {}, &cookie_);
    ASSERT_EQ(r.status, 200) << target;
    EXPECT_TRUE(Contains(r.body, "<a class=\"brand\" href=\"/\">Sign Here</a>")) << target;
    EXPECT_TRUE(Contains(r.body, "run by Acme Workers United")) << target;
    EXPECT_TRUE(Contains(r.body, "<a href=\"mailto:privacy@acme.example\">")) << target;
    EXPECT_TRUE(Contains(r.body, "<a href=\"https://acme.example/privacy\">Privacy policy</a>"))
        << target;
    EXPECT_FALSE(Contains(r.body, "does not say who runs it")) << target;
  }
}

TEST_F(PagesTest, AThresholdIsAnnouncedAndItsOutcomeShown) {
  auto c = campaigns_->GetBySlug("drop-ice");
  ASSERT_TRUE(c);
  c->threshold = 2;
  c->deadline = clock_.Now() + 7 * 86400;
  ASSERT_TRUE(campaigns_->Update(*c));
  Response before = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(before.body, "tally-threshold-pending")) << before.body;
  EXPECT_TRUE(Contains(before.body, "It goes ahead only if 2 people confirm"));
  auto json = nlohmann::json::parse(Call("GET", "/c/drop-ice.json").body);
  EXPECT_EQ(json["threshold"], 2);
  EXPECT_EQ(json["outcome"], "pending");
  for (const char* email : {"one@example.org", "two@example.org"}) {
    ASSERT_EQ(SignAs(email).status, 200);
    ASSERT_TRUE(signing_->Confirm(LastMail(email)["token"]));
  }
  Response after = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(after.body, "tally-threshold-succeeded")) << after.body;
  EXPECT_TRUE(Contains(after.body, "More signatures are welcome until"));
  EXPECT_EQ(nlohmann::json::parse(Call("GET", "/c/drop-ice.json").body)["outcome"], "succeeded");
}

TEST_F(PagesTest, UnknownAndDraftCampaignsAre404) {
  Response r = Call("GET", "/c/nope-nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(Contains(r.body, "Campaign not found"));
  Campaign d;
  d.slug = "secret-draft";
  d.title = "Draft";
  d.targets = {Target{"T", "", "", "", "", "", ""}};
  d.goal = 10;
  ASSERT_TRUE(campaigns_->Create(d));
  EXPECT_EQ(Call("GET", "/c/secret-draft").status, 404);
  EXPECT_EQ(Call("GET", "/c/secret-draft.json").status, 404);
  EXPECT_EQ(Call("GET", "/no/such/page").status, 404);
}

TEST_F(PagesTest, ClosedCampaignShowsCountWithoutForm) {
  ASSERT_TRUE(campaigns_->SetStatus("drop-ice", CampaignStatus::kClosed));
  Response r = Call("GET", "/c/drop-ice");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Contains(r.body, "This campaign is closed"));
  EXPECT_FALSE(Contains(r.body, "class=\"sign-form\""));
  EXPECT_TRUE(Contains(r.body, "data-count>0<"));
  Response s = Post("/c/drop-ice/sign", {{"csrf", Token()}, {"name", "A"}, {"email", "a@b.org"}});
  EXPECT_EQ(s.status, 409);
  EXPECT_TRUE(Contains(s.body, "This campaign is closed"));
}

TEST_F(PagesTest, PastDeadlineIsClosed) {
  auto c = campaigns_->GetBySlug("drop-ice");
  ASSERT_TRUE(c);
  c->deadline = clock_.Now() + 60;
  ASSERT_TRUE(campaigns_->Update(*c));
  EXPECT_TRUE(Contains(Call("GET", "/c/drop-ice").body, "class=\"sign-form\""));
  EXPECT_TRUE(Contains(Call("GET", "/").body, "/c/drop-ice"));
  EXPECT_EQ(nlohmann::json::parse(Call("GET", "/c/drop-ice.json").body)["status"], "open");
  clock_.Advance(120);
  Response r = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(r.body, "This campaign is closed"));
  EXPECT_TRUE(Contains(r.body, "Closed since"));
  // Every surface agrees: the home page no longer lists it, its JSON says closed.
  EXPECT_FALSE(Contains(Call("GET", "/").body, "/c/drop-ice"));
  EXPECT_EQ(nlohmann::json::parse(Call("GET", "/c/drop-ice.json").body)["status"], "closed");
}

// On a phone the page is read in its order: the demand and the letter, then the form.
TEST_F(PagesTest, TheLetterComesBeforeTheForm) {
  const std::string b = Call("GET", "/c/drop-ice").body;
  const std::size_t demand = b.find("class=\"demand\"");
  const std::size_t letter = b.find("id=\"letter-h\"");
  const std::size_t form = b.find("class=\"sign-form\"");
  const std::size_t count = b.find("class=\"tally\"");
  ASSERT_NE(form, std::string::npos);
  EXPECT_LT(demand, letter);
  EXPECT_LT(letter, form);
  EXPECT_LT(form, count);
  // The optional fields are folded until something is in them.
  EXPECT_TRUE(Contains(b, "<details class=\"optional-fields\">"));
  Call("GET", "/c/drop-ice");
  Response typed = Post("/c/drop-ice/sign",
                        {{"csrf", Token()}, {"name", "N"}, {"email", "x"}, {"comment", "Why"}});
  EXPECT_TRUE(Contains(typed.body, "<details class=\"optional-fields\" open>"));
}

TEST_F(PagesTest, LongCommentsAreCutWithMore) {
  std::string long_comment;
  for (int i = 0; i < 80; ++i) long_comment += "word ";
  long_comment += "END";
  ASSERT_EQ(SignAs("long@example.org", "Long", true, long_comment).status, 200);
  ASSERT_EQ(SignAs("short@example.org", "Short", true, "Brief.").status, 200);
  ASSERT_TRUE(signing_->Confirm(LastMail("long@example.org")["token"]));
  ASSERT_TRUE(signing_->Confirm(LastMail("short@example.org")["token"]));
  clock_.AdvanceMillis(1001);
  const std::string b = Call("GET", "/c/drop-ice").body;
  EXPECT_TRUE(Contains(b, "dir=\"auto\">Brief.</blockquote>"));
  const std::size_t at = b.find("dir=\"auto\">word word");
  ASSERT_NE(at, std::string::npos);
  const std::size_t more = b.find("\u2026<details class=\"more\"><summary>more</summary>word", at);
  ASSERT_NE(more, std::string::npos);
  EXPECT_LE(more - at, 260u);  // about 240 characters, cut at a space
  EXPECT_NE(b.find("END</details></blockquote>", more), std::string::npos);
}

}  // namespace
}  // namespace undersigned::http
