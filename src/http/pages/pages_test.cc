// The public pages, driven through the Router with the real services over a real SQLite store
// in a temporary directory: sign, confirm, withdraw, errors, escaping, CSRF.
#include "http/pages/pages.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>

#include <nlohmann/json.hpp>

#include "http/pages/csrf.h"
#include "http/pages/test_support.h"
#include "http/url.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/signing.h"
#include "store/open_store.h"

namespace undersigned::http {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBase = "https://sign.example.org";
constexpr const char* kSecret = "test-csrf-secret";
constexpr const char* kXss = "<script>alert(\"x\")</script>'&";

using test::Contains;
using test::FormEncode;
using test::HeaderOf;

class PagesTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(service::SigningOptions{}); }

  void Build(service::SigningOptions options) {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("us-pages-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
    auto store = store::OpenStore(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    campaigns_ = std::make_unique<service::CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    signing_ =
        std::make_unique<service::SigningService>(*store_, *campaigns_, clock_, options, nullptr);
    auto templates = render::Templates::Load(render::FindAssetDir("templates"));
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<render::Templates>(std::move(*templates));
    router_ = std::make_unique<Router>();
    RegisterPages(*router_,
                  PagesDeps{*campaigns_, *signing_, *templates_, std::string(kBase) + "/", kSecret,
                            pages::SiteInfo{"Test Site", "", "", ""}, &clock_, nullptr, "", ""});
    Campaign c;
    c.slug = "drop-ice";
    c.title = "Drop the <ICE> contract";
    c.demand = "Cancel it & speak out";
    c.letter_markdown =
        "Dear **Marc**,\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n";
    Target t;
    t.name = "Marc Benioff";
    t.title = "CEO";
    t.organization = "Salesforce";
    t.x_handle = "Benioff";
    t.bluesky_handle = "benioff.bsky.social";
    t.mastodon_handle = "@benioff@mastodon.social";
    c.targets = {t};
    c.goal = 12000;
    c.status = CampaignStatus::kOpen;
    c.language = "fr";
    auto created = campaigns_->Create(c);
    ASSERT_TRUE(created) << created.error().message;
  }

  void TearDown() override {
    router_.reset();
    signing_.reset();
    campaigns_.reset();
    if (store_) store_->Close();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Dispatches like the server: split the target, find the route, fill params and query.
  Response Call(const std::string& method, const std::string& target, const std::string& body = "",
                std::map<std::string, std::string> headers = {}) {
    return test::Dispatch(*router_, method, target, body, std::move(headers), &cookie_, nullptr,
                          &jar_);
  }

  // Like a browser: a 303 is followed with a GET of its Location (the fragment dropped).
  Response Follow(Response r) {
    for (int hops = 0; r.status == 303 && hops < 3; ++hops) {
      const std::string location = HeaderOf(r, "Location");
      r = Call("GET", location.substr(0, location.find('#')));
    }
    return r;
  }

  std::string Token() const { return pages::Csrf(kSecret, true).TokenFor(cookie_); }

  Response Post(const std::string& target, std::vector<std::pair<std::string, std::string>> fields,
                std::map<std::string, std::string> headers = {}) {
    headers.emplace("content-type", "application/x-www-form-urlencoded");
    return Follow(Call("POST", target, FormEncode(fields), std::move(headers)));
  }

  Response SignAs(const std::string& email, const std::string& name = "Ada Lovelace",
                  bool public_name = true, const std::string& comment = "") {
    Call("GET", "/c/drop-ice");  // gets the cookie
    std::vector<std::pair<std::string, std::string>> fields = {
        {"csrf", Token()}, {"name", name}, {"email", email}, {"comment", comment}};
    if (public_name) fields.emplace_back("public_name", "yes");
    return Post("/c/drop-ice/sign", fields);
  }

  // The newest outbox message for a recipient, parsed.
  nlohmann::json LastMail(const std::string& recipient, std::string* kind = nullptr) {
    auto due = store_->DueOutbox(clock_.Now() + 1000, 1000);
    EXPECT_TRUE(due);
    nlohmann::json out;
    for (const auto& m : *due) {
      if (m.recipient == recipient) {
        out = nlohmann::json::parse(m.payload);
        if (kind) *kind = m.kind;
      }
    }
    return out;
  }

  fs::path dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<service::SigningService> signing_;
  std::unique_ptr<render::Templates> templates_;
  std::unique_ptr<Router> router_;
  std::string cookie_;
  std::map<std::string, std::string> jar_;  // cookies other than the CSRF one (the flash)
};

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
                                  &clock_, nullptr, "", ""});
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
  d.targets = {Target{"T", "", "", "", "", ""}};
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

TEST_F(PagesTest, SignRejectsMissingOrWrongCsrf) {
  Call("GET", "/c/drop-ice");
  Response none = Post("/c/drop-ice/sign", {{"name", "A"}, {"email", "a@example.org"}});
  EXPECT_EQ(none.status, 403);
  EXPECT_TRUE(Contains(none.body, "Your form has expired"));
  Response wrong =
      Post("/c/drop-ice/sign", {{"csrf", "x" + Token()}, {"name", "A"}, {"email", "a@b.org"}});
  EXPECT_EQ(wrong.status, 403);
  const std::string token = Token();
  cookie_.clear();  // a forged request has no cookie
  Response no_cookie = Post("/c/drop-ice/sign", {{"csrf", token}, {"email", "a@b.org"}});
  EXPECT_EQ(no_cookie.status, 403);
  auto due = store_->DueOutbox(clock_.Now() + 1000, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());
}

TEST_F(PagesTest, SignChecksOriginAndContentType) {
  Call("GET", "/c/drop-ice");
  std::vector<std::pair<std::string, std::string>> fields = {
      {"csrf", Token()}, {"name", "Ada"}, {"email", "ada@example.org"}};
  Response foreign = Post("/c/drop-ice/sign", fields, {{"origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(Contains(foreign.body, "another website"));
  Response json =
      Call("POST", "/c/drop-ice/sign", "{\"name\":\"x\"}", {{"content-type", "application/json"}});
  EXPECT_EQ(json.status, 415);
  Response missing = Call("POST", "/c/drop-ice/sign", FormEncode(fields));
  EXPECT_EQ(missing.status, 415);
  Response bad_encoding = Call("POST", "/c/drop-ice/sign", "name=%ZZ&email=%FF",
                               {{"content-type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(bad_encoding.status, 400);
  Response ok = Post("/c/drop-ice/sign", fields,
                     {{"origin", "https://sign.example.org"},
                      {"content-type", "application/x-www-form-urlencoded; charset=UTF-8"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  Response null_origin =
      Post("/c/drop-ice/sign", {{"csrf", Token()}, {"name", "Bo"}, {"email", "bo@example.org"}},
           {{"origin", "null"}});
  EXPECT_EQ(null_origin.status, 200);
}

TEST_F(PagesTest, InvalidFormKeepsEverythingTypedEscaped) {
  Call("GET", "/c/drop-ice");
  Response r = Post("/c/drop-ice/sign", {{"csrf", Token()},
                                         {"name", kXss},
                                         {"email", std::string("not-an-email") + kXss},
                                         {"postal_code", kXss},
                                         {"country", "<b>"},
                                         {"comment", kXss},
                                         {"public_name", "yes"}});
  ASSERT_EQ(r.status, 422) << r.body;
  const std::string& b = r.body;
  EXPECT_FALSE(Contains(b, "<script>alert"));
  EXPECT_FALSE(Contains(b, "<b>"));
  const std::string escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;";
  EXPECT_TRUE(Contains(b, "value=\"" + escaped + "\""));  // name kept
  EXPECT_TRUE(Contains(b, "value=\"not-an-email" + escaped + "\""));
  EXPECT_TRUE(Contains(b, ">" + escaped + "</textarea>"));
  EXPECT_TRUE(Contains(b, "<title>Error: "));
  EXPECT_TRUE(Contains(b, "class=\"error-summary\" role=\"alert\""));
  EXPECT_TRUE(Contains(b, "<a href=\"#f-email\">"));
  EXPECT_TRUE(Contains(b, "<a href=\"#f-postal_code\">"));
  EXPECT_TRUE(Contains(b, "<a href=\"#f-country\">"));
  EXPECT_TRUE(Contains(b, "id=\"f-email-error\""));
  EXPECT_TRUE(Contains(b, "aria-describedby=\"f-email-hint f-email-error\" aria-invalid=\"true\""));
  EXPECT_TRUE(Contains(b, "aria-invalid=\"true\" aria-describedby=\"f-postal_code-error\""));
  EXPECT_TRUE(Contains(b,
                       "id=\"f-public_name\" name=\"public_name\" type=\"checkbox\" "
                       "value=\"yes\" checked"));
  EXPECT_FALSE(Contains(b, "value=\"yes\" checked>\n<label for=\"f-wants_updates\""));
  // The re-rendered form carries a valid token, so the visitor can just fix and resend.
  EXPECT_TRUE(Contains(b, "name=\"csrf\" value=\"" + Token() + "\""));
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  auto due = store_->DueOutbox(clock_.Now() + 1000, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());
}

TEST_F(PagesTest, EmptyFormGetsAMessagePerRequiredField) {
  Call("GET", "/c/drop-ice");
  Response r = Post("/c/drop-ice/sign", {{"csrf", Token()}});
  ASSERT_EQ(r.status, 422);
  EXPECT_TRUE(Contains(r.body, "id=\"f-name-error\""));
  EXPECT_TRUE(Contains(r.body, "id=\"f-email-error\""));
  EXPECT_TRUE(Contains(r.body, "Please correct 2 problems"));
}

TEST_F(PagesTest, SignConfirmWithdrawFlow) {
  Response signed_page = SignAs("Ada.L+petitions@example.org", kXss, true, kXss);
  ASSERT_EQ(signed_page.status, 200) << signed_page.body;
  EXPECT_TRUE(Contains(signed_page.body, "Check your email"));
  EXPECT_TRUE(Contains(signed_page.body,
                       "We sent a link to <strong class=\"email\">"
                       "Ada.L+petitions@example.org</strong>"));
  EXPECT_TRUE(Contains(signed_page.body, "Only confirmed signatures are counted"));
  EXPECT_EQ(HeaderOf(signed_page, "Cache-Control"), "no-store");

  std::string kind;
  nlohmann::json mail = LastMail("Ada.L+petitions@example.org", &kind);
  ASSERT_EQ(kind, "confirm");
  // One token: the mail's confirm link and its withdraw link both carry it.
  const std::string confirm = mail["token"];
  const std::string withdraw = confirm;
  EXPECT_FALSE(mail.contains("withdraw_token"));

  // The link's page shows a button and changes nothing (mail scanners fetch it).
  cookie_.clear();
  Response page = Call("GET", "/s/confirm?t=" + confirm);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.body, "Confirm your signature on \u201CDrop the &lt;ICE&gt; contract"));
  EXPECT_TRUE(Contains(page.body, "action=\"/s/confirm\""));
  EXPECT_TRUE(Contains(page.body, "name=\"t\" value=\"" + confirm + "\""));
  EXPECT_EQ(HeaderOf(page, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(HeaderOf(page, "Cache-Control"), "no-store");
  EXPECT_FALSE(cookie_.empty());
  EXPECT_EQ(campaigns_->Snapshot("drop-ice")->counts.confirmed, 0);
  Call("GET", "/s/confirm?t=" + confirm);
  EXPECT_EQ(campaigns_->Snapshot("drop-ice")->counts.confirmed, 0);

  // The POST without the token of this visitor's cookie is refused.
  Response forged = Post("/s/confirm", {{"t", confirm}, {"csrf", "nope"}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_EQ(campaigns_->Snapshot("drop-ice")->counts.confirmed, 0);

  Response done = Post("/s/confirm", {{"t", confirm}, {"csrf", Token()}}, {{"origin", "null"}});
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Contains(done.body, "Thank you! Your signature is confirmed"));
  EXPECT_TRUE(Contains(done.body, "now has 1 confirmed signature."));
  EXPECT_TRUE(Contains(done.body, "withdraw your signature at any time"));
  EXPECT_TRUE(Contains(done.body, "https://x.com/intent/tweet?text="));
  EXPECT_EQ(HeaderOf(done, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(campaigns_->Snapshot("drop-ice")->counts.confirmed, 1);

  // The button's answer is a redirect to the link's page, which shows the result (reloading it
  // presses nothing); confirming twice is harmless.
  Response raw = Call("POST", "/s/confirm", FormEncode({{"t", confirm}, {"csrf", Token()}}),
                      {{"content-type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(raw.status, 303);
  EXPECT_EQ(HeaderOf(raw, "Location"), "/s/confirm?t=" + confirm);
  EXPECT_EQ(HeaderOf(raw, "Referrer-Policy"), "no-referrer");
  Response again = Post("/s/confirm", {{"t", confirm}, {"csrf", Token()}});
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(Contains(again.body, "already confirmed"));

  // The campaign page shows the new count at once, and the public signer (escaped) within a
  // second: the recent signers are re-rendered at most once a second.
  Response campaign = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(campaign.body, "data-count>1<"));
  EXPECT_TRUE(Contains(campaign.body, "data-count-noun>signature<"));
  EXPECT_TRUE(Contains(campaign.body, "value=\"1\""));
  clock_.AdvanceMillis(1001);
  campaign = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(campaign.body, "data-count>1<"));
  EXPECT_TRUE(Contains(campaign.body, "<bdi class=\"signer-name\">&lt;script&gt;"));
  EXPECT_TRUE(
      Contains(campaign.body, "<blockquote class=\"signer-comment\" dir=\"auto\">&lt;script&gt;"));
  EXPECT_FALSE(Contains(campaign.body, "<script>alert"));

  // JSON counts follow.
  Response json = Call("GET", "/c/drop-ice.json");
  auto j = nlohmann::json::parse(json.body);
  EXPECT_EQ(j["confirmed"], 1);

  // Withdraw: page with a button, then the POST.
  Response wpage = Call("GET", "/s/withdraw?t=" + withdraw);
  ASSERT_EQ(wpage.status, 200);
  EXPECT_TRUE(Contains(wpage.body, "Withdraw my signature"));
  EXPECT_TRUE(Contains(wpage.body, "action=\"/s/withdraw\""));
  EXPECT_EQ(HeaderOf(wpage, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(campaigns_->Snapshot("drop-ice")->counts.confirmed, 1);
  Response wdone = Post("/s/withdraw", {{"t", withdraw}, {"csrf", Token()}});
  ASSERT_EQ(wdone.status, 200) << wdone.body;
  EXPECT_TRUE(Contains(wdone.body, "Your signature has been withdrawn"));
  EXPECT_EQ(campaigns_->Snapshot("drop-ice")->counts.confirmed, 0);
  Response after = Call("GET", "/c/drop-ice");
  EXPECT_TRUE(Contains(after.body, "data-count>0<"));
  clock_.AdvanceMillis(1001);
  after = Call("GET", "/c/drop-ice");
  EXPECT_FALSE(Contains(after.body, "signer-name"));
  // The confirm link now leads to a page that says so, not to a button.
  Response stale = Call("GET", "/s/confirm?t=" + confirm);
  EXPECT_FALSE(Contains(stale.body, "action=\"/s/confirm\""));
}

// Post/redirect/get: reloading either page the form leads to sends nothing again, and what
// was typed never goes into a URL.
TEST_F(PagesTest, SigningAnswersWithARedirectSoAReloadSendsNothing) {
  auto mails_to = [&](const std::string& to) {
    auto due = store_->DueOutbox(clock_.Now() + 1000, 1000);
    EXPECT_TRUE(due);
    int n = 0;
    for (const auto& m : *due) n += m.recipient == to ? 1 : 0;
    return n;
  };
  Call("GET", "/c/drop-ice");
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"csrf", Token()}, {"name", "Ada"}, {"email", "prg@example.org"}};
  Response posted = Call("POST", "/c/drop-ice/sign", FormEncode(fields),
                         {{"content-type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(posted.status, 303) << posted.body;
  EXPECT_EQ(HeaderOf(posted, "Location"), "/c/drop-ice/sent");
  const std::string set = HeaderOf(posted, "Set-Cookie");
  EXPECT_EQ(set.rfind("us_flash=", 0), 0u) << set;
  EXPECT_TRUE(Contains(set, "; Path=/c/drop-ice/; Max-Age=600; HttpOnly; SameSite=Lax; Secure"));
  for (int reload = 0; reload < 2; ++reload) {
    Response sent = Call("GET", "/c/drop-ice/sent");
    ASSERT_EQ(sent.status, 200);
    EXPECT_TRUE(Contains(sent.body, "We sent a link to <strong class=\"email\">prg@example.org"));
    EXPECT_EQ(HeaderOf(sent, "Cache-Control"), "no-store");
  }
  EXPECT_EQ(mails_to("prg@example.org"), 1);
  // Another browser, or the same one after ten minutes, is not shown the address.
  auto jar = jar_;
  jar_.clear();
  Response other = Call("GET", "/c/drop-ice/sent");
  ASSERT_EQ(other.status, 200);
  EXPECT_FALSE(Contains(other.body, "prg@example.org"));
  EXPECT_TRUE(Contains(other.body, "the address you gave"));
  jar_ = jar;
  clock_.Advance(10 * 60 + 1);
  EXPECT_FALSE(Contains(Call("GET", "/c/drop-ice/sent").body, "prg@example.org"));

  // A form with errors: redirected to the form, which keeps what was typed on reload.
  Response bad = Call("POST", "/c/drop-ice/sign",
                      FormEncode({{"csrf", Token()}, {"name", "Typed Name"}, {"email", "nope"}}),
                      {{"content-type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(bad.status, 303);
  EXPECT_EQ(HeaderOf(bad, "Location"), "/c/drop-ice/sign#sign");
  for (int reload = 0; reload < 2; ++reload) {
    Response form = Call("GET", "/c/drop-ice/sign");
    ASSERT_EQ(form.status, 422);
    EXPECT_TRUE(Contains(form.body, "value=\"Typed Name\""));
    EXPECT_TRUE(Contains(form.body, "id=\"f-email-error\""));
  }
  EXPECT_EQ(mails_to("nope"), 0);
  clock_.Advance(10 * 60 + 1);
  EXPECT_EQ(Call("GET", "/c/drop-ice/sign").status, 303);
}

// The flash travels in the cookie, sealed under a key derived from the shared secret: the page a
// form redirects to shows it when another node (or this one, restarted) answers the GET; a node
// of another secret does not. A comment too long to keep (and typed past its limit) must be
// typed again, and the form says so.
TEST_F(PagesTest, TheFlashIsReadByAnotherNodeOfTheSameSite) {
  auto node = [&](const std::string& flash_secret) {
    auto router = std::make_unique<Router>();
    const pages::SiteInfo site{"Test Site", "", "", ""};
    PagesDeps deps{*campaigns_,     *signing_,        *templates_, kBase, kSecret, site, &clock_,
                   /*log=*/nullptr, /*mail_note=*/"", flash_secret};
    RegisterPages(*router, std::move(deps));
    return router;
  };
  router_ = node("shared flash secret");
  Call("GET", "/c/drop-ice");
  std::string comment;
  while (comment.size() < 12'000) comment += std::to_string(comment.size() * 7919 % 104729) + " ";
  Response bad = Call(
      "POST", "/c/drop-ice/sign",
      FormEncode(
          {{"csrf", Token()}, {"name", "Typed Name"}, {"email", "nope"}, {"comment", comment}}),
      {{"content-type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(bad.status, 303);
  EXPECT_LE(HeaderOf(bad, "Set-Cookie").size(), 4000u);
  router_ = node("shared flash secret");  // another node
  Response form = Call("GET", "/c/drop-ice/sign");
  ASSERT_EQ(form.status, 422);
  EXPECT_TRUE(Contains(form.body, "value=\"Typed Name\""));
  EXPECT_TRUE(Contains(form.body, "id=\"f-email-error\""));
  EXPECT_TRUE(Contains(form.body, "please type it again"));
  EXPECT_FALSE(Contains(form.body, comment.substr(0, 40)));
  router_ = node("another site's secret");
  EXPECT_EQ(Call("GET", "/c/drop-ice/sign").status, 303);  // no flash: the campaign page

  router_ = node("shared flash secret");
  Call("GET", "/c/drop-ice");
  Response posted = Call("POST", "/c/drop-ice/sign",
                         FormEncode({{"csrf", Token()}, {"name", "N"}, {"email", "n@example.org"}}),
                         {{"content-type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(posted.status, 303);
  router_ = node("shared flash secret");
  EXPECT_TRUE(Contains(Call("GET", "/c/drop-ice/sent").body, "n@example.org"));
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

TEST_F(PagesTest, SigningAgainSaysSoWithoutRevealingConfirmed) {
  ASSERT_EQ(SignAs("bob@example.org").status, 200);
  Response second = SignAs("BOB@example.org");
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(Contains(second.body, "We sent the link again"));
  Response third = SignAs("bob+x@example.org");
  Response fourth = SignAs("bob@example.org");
  EXPECT_TRUE(Contains(fourth.body, "We already sent several links"));
  EXPECT_TRUE(Contains(fourth.body, "spam"));

  // A confirmed signer who signs again sees the same text as a first signature.
  ASSERT_EQ(SignAs("cy@example.org").status, 200);
  const std::string t = LastMail("cy@example.org")["token"];
  Call("GET", "/s/confirm?t=" + t);
  ASSERT_EQ(Post("/s/confirm", {{"t", t}, {"csrf", Token()}}).status, 200);
  Response confirmed_again = SignAs("cy@example.org");
  Response fresh = SignAs("dee@example.org");
  auto strip = [](std::string s, const std::string& email) {
    return s.replace(s.find(email), email.size(), "EMAIL");
  };
  EXPECT_EQ(strip(confirmed_again.body, "cy@example.org"), strip(fresh.body, "dee@example.org"));
  std::string kind;
  nlohmann::json mail = LastMail("cy@example.org", &kind);
  EXPECT_EQ(kind, "already_signed");

  // Its token is withdraw-only: no confirm page or confirmation for it, but a withdraw page.
  const std::string withdraw_only = mail.value("withdraw_token", "");
  ASSERT_FALSE(withdraw_only.empty());
  EXPECT_FALSE(mail.contains("token"));
  EXPECT_EQ(Call("GET", "/s/confirm?t=" + withdraw_only).status, 404);
  EXPECT_EQ(Post("/s/confirm", {{"t", withdraw_only}, {"csrf", Token()}}).status, 404);
  Response wpage = Call("GET", "/s/withdraw?t=" + withdraw_only);
  ASSERT_EQ(wpage.status, 200);
  EXPECT_TRUE(Contains(wpage.body, "action=\"/s/withdraw\""));
}

TEST_F(PagesTest, InvalidTokensAre404) {
  for (const std::string target :
       {"/s/confirm?t=nope", "/s/confirm", "/s/withdraw?t=%3Cx%3E", "/s/withdraw?t="}) {
    Response r = Call("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_TRUE(Contains(r.body, "This link is not valid")) << target;
    EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer");
  }
  Call("GET", "/c/drop-ice");
  EXPECT_EQ(Post("/s/confirm", {{"t", "nope"}, {"csrf", Token()}}).status, 404);
  EXPECT_EQ(Post("/s/withdraw", {{"t", ""}, {"csrf", Token()}}).status, 404);
}

TEST_F(PagesTest, RateLimitedSigningIs429WithRetryAfter) {
  TearDown();
  service::SigningOptions options;
  options.per_address = RateLimit{2, 0.01, true};
  Build(options);
  EXPECT_EQ(SignAs("a1@example.org").status, 200);
  EXPECT_EQ(SignAs("a2@example.org").status, 200);
  Response r = SignAs("a3@example.org");
  EXPECT_EQ(r.status, 429);
  EXPECT_GE(std::stoi(HeaderOf(r, "Retry-After")), 1);
  EXPECT_TRUE(Contains(r.body, "Too many signatures"));
}

TEST_F(PagesTest, CountsJsonForAnyOrigin) {
  clock_.Advance(10);
  Response r = Call("GET", "/c/drop-ice.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["slug"], "drop-ice");
  EXPECT_EQ(j["title"], "Drop the <ICE> contract");
  EXPECT_EQ(j["status"], "open");
  EXPECT_EQ(j["goal"], 12000);
  EXPECT_EQ(j["confirmed"], 0);
  EXPECT_EQ(j["last_change"].get<std::string>().back(), 'Z');
  EXPECT_EQ(r.body, CountsJson(*campaigns_->Snapshot("drop-ice"), clock_.Now()));
  // Keys in a fixed order, so the published events are byte-identical.
  EXPECT_EQ(r.body.rfind("{\"slug\":\"drop-ice\",\"title\":", 0), 0u);
  Response missing = Call("GET", "/c/nope-nope.json");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(HeaderOf(missing, "Access-Control-Allow-Origin"), "*");
}

TEST_F(PagesTest, EventStreamTopic) {
  std::vector<std::string_view> segments;
  SplitPath("/c/drop-ice/events", &segments);
  Request req;
  auto match = router_->Find("GET", segments, &req.params);
  ASSERT_NE(match.route, nullptr);
  ASSERT_EQ(match.route->kind, Router::Kind::kEventStream);
  auto topic = match.route->topic_for(req);
  ASSERT_TRUE(topic);
  EXPECT_EQ(*topic, "campaign:drop-ice");
  EXPECT_EQ(*topic, CampaignTopic("drop-ice"));
  req.params["slug"] = "nope-nope";
  EXPECT_EQ(match.route->topic_for(req).error().code, Code::kNotFound);
}

TEST_F(PagesTest, IndexListsOpenCampaigns) {
  Response r = Call("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Contains(r.body, "<a href=\"/c/drop-ice\">Drop the &lt;ICE&gt; contract</a>"));
  EXPECT_TRUE(Contains(r.body, "Cancel it &amp; speak out"));
  EXPECT_TRUE(Contains(r.body, "12,000"));
  ASSERT_TRUE(campaigns_->SetStatus("drop-ice", CampaignStatus::kClosed));
  Response after = Call("GET", "/");
  EXPECT_FALSE(Contains(after.body, "/c/drop-ice"));
  EXPECT_TRUE(Contains(after.body, "No campaign is open right now"));
}

TEST_F(PagesTest, MastodonSharePage) {
  Response form = Call("GET", "/c/drop-ice/share/mastodon");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(Contains(form.body, "@benioff@mastodon.social"));
  EXPECT_TRUE(Contains(form.body, "<label for=\"f-instance\">"));
  Response ready = Call("GET", "/c/drop-ice/share/mastodon?instance=https%3A%2F%2FHachyderm.io%2F");
  ASSERT_EQ(ready.status, 200);
  EXPECT_TRUE(Contains(ready.body, "href=\"https://hachyderm.io/share?text=I%20signed%20"));
  EXPECT_TRUE(Contains(ready.body, "%40benioff%40mastodon.social"));
  Response bad = Call("GET", "/c/drop-ice/share/mastodon?instance=%22%3E%3Cscript%3E");
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(Contains(bad.body, "value=\"&quot;&gt;&lt;script&gt;\""));
  EXPECT_FALSE(Contains(bad.body, "\"><script>"));
}

TEST_F(PagesTest, SmallRoutes) {
  Response r = Call("GET", "/c/drop-ice/sign");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/c/drop-ice");
  Response f = Call("GET", "/favicon.ico");
  EXPECT_EQ(f.status, 301);
  EXPECT_EQ(HeaderOf(f, "Location"), "/static/favicon.svg");
}

// --- signer groups

class GroupPagesTest : public PagesTest {
 protected:
  void SetUp() override {
    PagesTest::SetUp();
    Campaign c;
    c.slug = "acme-letter";
    c.title = "Letter to Acme";
    Target t;
    t.name = "Acme CEO";
    c.targets = {t};
    c.goal = 1000;
    c.status = CampaignStatus::kOpen;
    SignerGroup employees;
    employees.key = "employees";
    employees.name = "Acme employees";
    employees.kind = GroupKind::kEmployees;
    employees.organization = "Acme";
    employees.domains = {"acme.com"};
    employees.seal_thresholds = {3, 100};
    employees.goal = 500;
    SignerGroup holders;
    holders.key = "shareholders";
    holders.name = "Shareholders";
    holders.kind = GroupKind::kShareholders;
    holders.attestation = "I hold shares in Acme.";
    c.groups = {employees, holders, DefaultPublicGroup()};
    c.anonymity_floor = 3;  // the smallest seal
    auto created = campaigns_->Create(c);
    ASSERT_TRUE(created) << created.error().message;
  }

  Response SignGroup(std::vector<std::pair<std::string, std::string>> fields) {
    Call("GET", "/c/acme-letter");  // gets the cookie
    fields.insert(fields.begin(), {"csrf", Token()});
    return Post("/c/acme-letter/sign", fields);
  }
  Response SignEmployee(const std::string& work, const std::string& name,
                        const std::string& visibility, const std::string& email = "") {
    return SignGroup({{"group", "employees"},
                      {"name", name},
                      {"work_email", work},
                      {"email", email},
                      {"visibility", visibility}});
  }
  // Follows the one-time link sent to a work address through the pages, as its owner would.
  Response Verify(const std::string& work) {
    std::string kind;
    nlohmann::json mail = LastMail(work, &kind);
    EXPECT_EQ(kind, "verify");
    const std::string token = mail.value("token", "");
    Response page = Call("GET", "/s/confirm?t=" + token);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_TRUE(Contains(page.body, "Verify that you work at Acme")) << page.body;
    EXPECT_TRUE(Contains(page.body, "counted among Acme employees"));
    // Whoever reads the work mailbox learns nothing from the page behind the link.
    EXPECT_FALSE(Contains(page.body, "Letter to Acme"));
    EXPECT_FALSE(Contains(page.body, "acme-letter"));
    return Post("/s/confirm", {{"t", token}, {"csrf", Token()}});
  }
  // Everything the public reads about the campaign: the page (with the recent signers
  // re-rendered), the JSON counts (also the body of each live event).
  std::string PublicBodies() {
    clock_.AdvanceMillis(1001);
    std::string page = Call("GET", "/c/acme-letter").body;
    std::string json = Call("GET", "/c/acme-letter.json").body;
    EXPECT_EQ(json, CountsJson(*campaigns_->Snapshot("acme-letter"), clock_.Now()));
    return page + "\n" + json;
  }
  nlohmann::json GroupJson(const std::string& key) {
    auto j = nlohmann::json::parse(Call("GET", "/c/acme-letter.json").body);
    for (const auto& g : j.at("groups")) {
      if (g.at("key") == key) return g;
    }
    ADD_FAILURE() << "no group " << key;
    return {};
  }
};

TEST_F(GroupPagesTest, FormOffersEachGroupWithItsFields) {
  Response r = Call("GET", "/c/acme-letter");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string& b = r.body;
  EXPECT_FALSE(Contains(b, "\x01"));
  EXPECT_FALSE(Contains(b, "style="));
  EXPECT_TRUE(Contains(b, "<legend>I sign as</legend>"));
  EXPECT_FALSE(Contains(b, "name=\"group\" type=\"radio\" value=\"employees\" checked"));
  EXPECT_TRUE(Contains(b, "name=\"group\" type=\"radio\" value=\"shareholders\""));
  EXPECT_FALSE(Contains(b, "value=\"shareholders\" checked"));
  EXPECT_TRUE(Contains(b, "name=\"group\" type=\"radio\" value=\"public\""));
  // The work address, and plainly what it is for and what the employer can see.
  EXPECT_TRUE(
      Contains(b, "<label for=\"f-work_email-employees\">Work address at acme.com</label>"));
  EXPECT_TRUE(Contains(b, "name=\"work_email\""));
  EXPECT_TRUE(Contains(b, "proves that you work at Acme"));
  EXPECT_TRUE(Contains(b, "We never keep the address itself, only a keyed fingerprint"));
  EXPECT_TRUE(Contains(b, "The message is neutral"));
  EXPECT_TRUE(Contains(b, "Acme&rsquo;s mail system can see that a message arrived"));
  EXPECT_TRUE(Contains(b, "sign from a personal device on a personal network"));
  // How the name appears: sealed and anonymous only for the verified group.
  EXPECT_TRUE(Contains(b, "<legend>How your name appears</legend>"));
  EXPECT_TRUE(Contains(b, "name=\"visibility\" type=\"radio\" value=\"public\""));
  EXPECT_TRUE(Contains(b, "name=\"visibility\" type=\"radio\" value=\"private\" checked"));
  EXPECT_TRUE(Contains(b, "Keep my name sealed until 3 verified employees of Acme have signed"));
  EXPECT_TRUE(Contains(b, "Keep my name sealed until 100 verified employees of Acme have signed"));
  EXPECT_TRUE(Contains(b, "value=\"sealed-100\""));
  EXPECT_TRUE(Contains(b, "Count me only as a verified employee of Acme; keep no name"));
  EXPECT_TRUE(Contains(b, "data-only-group=\"employees\""));
  EXPECT_FALSE(Contains(b, "name=\"public_name\""));
  // The shareholders' statement.
  EXPECT_TRUE(Contains(b, "name=\"attested\" type=\"checkbox\" value=\"shareholders\""));
  EXPECT_TRUE(Contains(b, ">I hold shares in Acme.</label>"));
  // The personal address is optional for employees, and the name for anonymous signers.
  EXPECT_TRUE(Contains(b,
                       "Personal email address <span class=\"optional\">(optional for Acme "
                       "employees)</span>"));
  EXPECT_FALSE(Contains(b, "type=\"email\" autocomplete=\"email\" required"));
  EXPECT_FALSE(Contains(b, "autocomplete=\"name\" required"));
  EXPECT_TRUE(Contains(b, "<script src=\"/static/sign.js\" defer></script>"));
  // Every control has its label.
  for (const char* id :
       {"f-group-employees", "f-group-shareholders", "f-group-public", "f-work_email-employees",
        "f-attested-shareholders", "f-visibility-public", "f-visibility-private",
        "f-visibility-sealed-3-employees", "f-visibility-sealed-100-employees",
        "f-visibility-anonymous-employees", "f-name", "f-email", "f-wants_updates"}) {
    EXPECT_TRUE(Contains(b, std::string("<label for=\"") + id + "\"")) << id;
    EXPECT_TRUE(Contains(b, std::string("id=\"") + id + "\"")) << id;
  }
  // Counts by group, each below the anonymity floor.
  EXPECT_TRUE(Contains(b, "Signatures by group"));
  EXPECT_TRUE(Contains(b, "<span class=\"group-name\">Acme employees</span>"));
  EXPECT_TRUE(Contains(b, "data-group-count=\"employees\">fewer than 3</strong> verified"));
  EXPECT_TRUE(Contains(b, "data-group-count=\"shareholders\">fewer than 3<"));
  EXPECT_TRUE(Contains(b, ", goal 500"));
  auto j = nlohmann::json::parse(Call("GET", "/c/acme-letter.json").body);
  ASSERT_EQ(j.at("groups").size(), 3u);
  EXPECT_EQ(
      j["groups"][0],
      nlohmann::json(
          {{"key", "employees"}, {"name", "Acme employees"}, {"fewer_than", 3}, {"goal", 500}}));
  EXPECT_EQ(j["groups"][2]["key"], "public");

  // A campaign without groups keeps the plain form and JSON.
  Response plain = Call("GET", "/c/drop-ice");
  EXPECT_FALSE(Contains(plain.body, "name=\"group\""));
  EXPECT_FALSE(Contains(plain.body, "name=\"visibility\""));
  EXPECT_FALSE(Contains(plain.body, "group-tally"));
  EXPECT_FALSE(Contains(plain.body, "sign.js"));
  EXPECT_FALSE(nlohmann::json::parse(Call("GET", "/c/drop-ice.json").body).contains("groups"));
}

// Nobody is told to enter a work address by default: among several groups none is chosen.
TEST_F(GroupPagesTest, NoGroupIsChosenForTheSigner) {
  const std::string b = Call("GET", "/c/acme-letter").body;
  for (const char* key : {"employees", "shareholders", "public"}) {
    EXPECT_TRUE(Contains(b, std::string("type=\"radio\" value=\"") + key + "\""));
    EXPECT_FALSE(Contains(b, std::string("type=\"radio\" value=\"") + key + "\" checked"));
  }
  // The long explanations are folded.
  EXPECT_TRUE(Contains(b,
                       "<summary>What happens to my data</summary>\n<p>We never keep the "
                       "address itself"));
  Response none = SignGroup({{"name", "Pat"}, {"email", "pat@example.org"}});
  ASSERT_EQ(none.status, 422) << none.body;
  EXPECT_TRUE(Contains(none.body, "<a href=\"#f-group-employees\">Choose who you sign as.</a>"));
  EXPECT_TRUE(LastMail("pat@example.org").is_null());
}

TEST_F(GroupPagesTest, SealedNamesAppearNowhereUntilTheGroupReachesTheirThreshold) {
  Response s1 = SignEmployee("s1@acme.com", "SEALEDMARKER One", "sealed-3", "one@example.org");
  ASSERT_EQ(s1.status, 200) << s1.body;
  // The link went to the work mailbox, and the page says so.
  EXPECT_TRUE(Contains(s1.body, "Check your work email"));
  EXPECT_TRUE(Contains(s1.body,
                       "neutral one-time link to your work address <strong "
                       "class=\"email\">s1@acme.com</strong>"));
  EXPECT_TRUE(Contains(s1.body, "proves you work at Acme"));
  EXPECT_TRUE(LastMail("one@example.org").is_null());
  ASSERT_EQ(SignEmployee("s2@acme.com", "SEALEDMARKER Two", "sealed-3", "two@example.org").status,
            200);
  ASSERT_EQ(SignEmployee("p1@acme.com", "Public Person", "public").status, 200);
  // Signs while the seal is open, follows the link only once it is reached (below).
  ASSERT_EQ(
      SignEmployee("s3@acme.com", "SEALEDMARKER Three", "sealed-3", "three@example.org").status,
      200);

  Response v1 = Verify("s1@acme.com");
  ASSERT_EQ(v1.status, 200) << v1.body;
  EXPECT_TRUE(Contains(v1.body, "Thank you! You are verified"));
  EXPECT_TRUE(
      Contains(v1.body, "Your name stays sealed until 3 verified employees of Acme have signed"));
  EXPECT_TRUE(Contains(v1.body, "Acme employees so far: fewer than 3 verified signers."));
  EXPECT_FALSE(Contains(v1.body, "SEALEDMARKER"));
  // No "I signed" share buttons for a sealed name.
  EXPECT_FALSE(Contains(v1.body, "I signed \u201C"));
  EXPECT_FALSE(Contains(v1.body, "share-link"));
  EXPECT_TRUE(Contains(v1.body, "this page offers no \u201CI signed\u201D share buttons"));
  ASSERT_EQ(Verify("s2@acme.com").status, 200);
  std::string before = PublicBodies();
  EXPECT_FALSE(Contains(before, "SEALEDMARKER"));
  EXPECT_FALSE(Contains(before, "one@example.org"));
  EXPECT_TRUE(Contains(before, "data-group-count=\"employees\">fewer than 3<"));
  EXPECT_EQ(GroupJson("employees").value("fewer_than", 0), 3);
  EXPECT_FALSE(GroupJson("employees").contains("confirmed"));

  // The third verified employee reaches the threshold: both sealed names are shown at once.
  Response v3 = Verify("p1@acme.com");
  ASSERT_EQ(v3.status, 200) << v3.body;
  EXPECT_TRUE(Contains(v3.body, "share-link"));  // a public name may say "I signed"
  std::string after = PublicBodies();
  EXPECT_TRUE(Contains(after, "<bdi class=\"signer-name\">SEALEDMARKER One</bdi>"));
  EXPECT_TRUE(Contains(after, "<bdi class=\"signer-name\">SEALEDMARKER Two</bdi>"));
  EXPECT_TRUE(Contains(after,
                       "SEALEDMARKER One</bdi> <span class=\"signer-verified\">"
                       "Verified employee of Acme</span>"));
  EXPECT_FALSE(Contains(after, "one@example.org"));
  EXPECT_TRUE(Contains(after, "data-group-count=\"employees\">3</strong> verified"));

  // Three have signed: sealed until 3 is no longer offered (it would be public at once), and
  // one who still sends it is told why, not made public.
  Response page = Call("GET", "/c/acme-letter");
  EXPECT_FALSE(Contains(page.body, "value=\"sealed-3\""));
  EXPECT_FALSE(Contains(page.body, "sealed until 3 verified"));
  EXPECT_TRUE(Contains(page.body, "value=\"sealed-100\""));
  Response late = SignEmployee("s9@acme.com", "SEALEDMARKER Late", "sealed-3", "late@example.org");
  ASSERT_EQ(late.status, 422) << late.body;
  EXPECT_TRUE(Contains(late.body,
                       "3 have already signed, so a name sealed until 3 would be shown as soon "
                       "as you confirm. Choose another option."));
  EXPECT_TRUE(LastMail("s9@acme.com").is_null());
  // The one who chose sealed-3 before it was reached is told before pressing the button.
  Response link = Call("GET", "/s/confirm?t=" + LastMail("s3@acme.com").value("token", ""));
  ASSERT_EQ(link.status, 200);
  EXPECT_TRUE(Contains(link.body,
                       "3 have signed since: if you press the button, your name is shown at "
                       "once"));
  EXPECT_FALSE(Contains(PublicBodies(), "SEALEDMARKER Three"));

  // Five verified employees: the count is exact from then on, on the page and in the JSON.
  for (const char* w : {"e4@acme.com", "e5@acme.com"}) {
    ASSERT_EQ(SignEmployee(w, "Employee", "private").status, 200);
    ASSERT_EQ(Verify(w).status, 200);
  }
  std::string exact = PublicBodies();
  EXPECT_TRUE(Contains(exact, "data-group-count=\"employees\">5</strong> verified"));
  EXPECT_EQ(GroupJson("employees").value("confirmed", 0), 5);
  EXPECT_FALSE(GroupJson("employees").contains("fewer_than"));
  EXPECT_EQ(GroupJson("shareholders").value("fewer_than", 0), 3);
}

TEST_F(GroupPagesTest, AnonymousSignersAreShownOnlyAsVerifiedEmployees) {
  ASSERT_EQ(SignEmployee("anon@acme.com", "ANONMARKER", "anonymous").status, 200);
  Response done = Verify("anon@acme.com");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Contains(done.body, "You are shown only as \u201CVerified employee of Acme"));
  EXPECT_FALSE(Contains(done.body, "I signed \u201C"));
  EXPECT_FALSE(Contains(done.body, "share-link"));
  std::string bodies = PublicBodies();
  EXPECT_FALSE(Contains(bodies, "ANONMARKER"));
  EXPECT_TRUE(Contains(bodies,
                       "<bdi class=\"signer-name signer-anonymous\">Verified employee "
                       "of Acme</bdi>"));
  // The day only, not the moment.
  std::size_t at = bodies.find("signer-anonymous");
  ASSERT_NE(at, std::string::npos);
  std::size_t dt = bodies.find("<time datetime=\"", at);
  ASSERT_NE(dt, std::string::npos);
  dt += 16;
  EXPECT_EQ(bodies.find('"', dt) - dt, 10u) << bodies.substr(dt, 30);
}

TEST_F(GroupPagesTest, FieldErrorsKeepWhatWasTyped) {
  Response r = SignEmployee("zed@gmail.com", "Zed <Z>", "sealed-3", "");
  ASSERT_EQ(r.status, 422) << r.body;
  const std::string& b = r.body;
  EXPECT_TRUE(Contains(b, "<title>Error: "));
  // The work address, the missing personal address (needed when sealed), each at its field.
  EXPECT_TRUE(Contains(b,
                       "<a href=\"#f-work_email-employees\">Use an address ending in "
                       "@acme.com.</a>"));
  EXPECT_TRUE(Contains(b, "id=\"f-work_email-employees-error\""));
  EXPECT_TRUE(Contains(b,
                       "value=\"zed@gmail.com\" aria-describedby=\"f-work_email-employees-hint "
                       "f-work_email-employees-error\" aria-invalid=\"true\""));
  EXPECT_TRUE(Contains(b, "<a href=\"#f-email\">Enter a personal email address"));
  EXPECT_TRUE(Contains(b, "value=\"Zed &lt;Z&gt;\""));
  EXPECT_TRUE(Contains(b, "value=\"employees\" checked"));
  EXPECT_TRUE(Contains(b,
                       "id=\"f-visibility-sealed-3-employees\" name=\"visibility\" "
                       "type=\"radio\" value=\"sealed-3\" checked"));
  EXPECT_FALSE(Contains(b, "value=\"private\" checked"));
  EXPECT_TRUE(Contains(b, "name=\"csrf\" value=\"" + Token() + "\""));

  // A statement not ticked; a seal size not offered; a visibility that is none of the choices.
  Response holder = SignGroup({{"group", "shareholders"},
                               {"name", "Holder"},
                               {"email", "holder@example.org"},
                               {"attested", "employees"}});
  ASSERT_EQ(holder.status, 422) << holder.body;
  EXPECT_TRUE(Contains(holder.body, "<a href=\"#f-attested-shareholders\">Tick the statement"));
  EXPECT_TRUE(Contains(holder.body, "id=\"f-attested-shareholders-error\""));
  EXPECT_TRUE(Contains(holder.body, "value=\"shareholders\" checked"));
  EXPECT_TRUE(Contains(holder.body, "value=\"holder@example.org\""));
  Response odd = SignEmployee("odd@acme.com", "Odd", "sealed-7", "odd@example.org");
  ASSERT_EQ(odd.status, 422);
  EXPECT_TRUE(Contains(odd.body, "Choose one of the sizes offered."));
  EXPECT_TRUE(Contains(odd.body, "aria-describedby=\"f-visibility-error\""));
  Response bogus = SignEmployee("bo@acme.com", "Bo", "everyone", "bo@example.org");
  ASSERT_EQ(bogus.status, 422);
  EXPECT_TRUE(Contains(bogus.body,
                       "<a href=\"#f-visibility-public\">Choose how your name "
                       "appears.</a>"));
  EXPECT_TRUE(Contains(bogus.body, "value=\"bo@acme.com\""));
  // Sealed is for verified groups only.
  Response sealed_public = SignGroup({{"group", "public"},
                                      {"name", "Pub"},
                                      {"email", "pub@example.org"},
                                      {"visibility", "sealed-3"}});
  ASSERT_EQ(sealed_public.status, 422);
  EXPECT_TRUE(Contains(sealed_public.body,
                       "<a href=\"#f-visibility-public\">Sealed and "
                       "anonymous signatures are for verified groups only"));
  auto due = store_->DueOutbox(clock_.Now() + 1000, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());

  // Fixed, the statement ticked: signed, with the link to the personal address.
  Response ok = SignGroup({{"group", "shareholders"},
                           {"name", "Holder"},
                           {"email", "holder@example.org"},
                           {"attested", "shareholders"},
                           {"visibility", "public"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(Contains(ok.body, "Check your email"));
  EXPECT_FALSE(Contains(ok.body, "work"));
  std::string kind;
  LastMail("holder@example.org", &kind);
  EXPECT_EQ(kind, "confirm");
}

TEST_F(GroupPagesTest, TheWithdrawPageOfAWorkAddressIsNeutralToo) {
  ASSERT_EQ(SignEmployee("w@acme.com", "Wanda", "public").status, 200);
  // The verify mail's undo link carries its one token.
  const std::string withdraw = LastMail("w@acme.com").value("token", "");
  ASSERT_FALSE(withdraw.empty());
  Response page = Call("GET", "/s/withdraw?t=" + withdraw);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "Withdraw your verified signature?"));
  EXPECT_TRUE(Contains(page.body, "action=\"/s/withdraw\""));
  EXPECT_FALSE(Contains(page.body, "Letter to Acme"));
  EXPECT_FALSE(Contains(page.body, "Wanda"));
  ASSERT_EQ(Verify("w@acme.com").status, 200);
  // Once verified, the link's page still names nothing to anyone but the browser that pressed
  // its button (which holds the flash of the result).
  const std::string confirm = LastMail("w@acme.com").value("token", "");
  EXPECT_TRUE(Contains(Call("GET", "/s/confirm?t=" + confirm).body, "Letter to Acme"));
  jar_.clear();
  Response again = Call("GET", "/s/confirm?t=" + confirm);
  EXPECT_TRUE(Contains(again.body, "This address is already verified"));
  EXPECT_FALSE(Contains(again.body, "Letter to Acme"));
}

TEST_F(GroupPagesTest, WithTwoVerifiedGroupsTheChosenOnesWorkAddressCounts) {
  Campaign c;
  c.slug = "two-firms";
  c.title = "Two firms";
  Target t;
  t.name = "Boards";
  c.targets = {t};
  c.goal = 10;
  c.status = CampaignStatus::kOpen;
  SignerGroup acme;
  acme.key = "acme";
  acme.name = "Acme staff";
  acme.kind = GroupKind::kEmployees;
  acme.organization = "Acme";
  acme.domains = {"acme.com"};
  acme.seal_thresholds = {3};
  c.anonymity_floor = 3;
  SignerGroup beta = acme;
  beta.key = "beta";
  beta.name = "Beta staff";
  beta.organization = "Beta";
  beta.domains = {"beta.org", "beta.co.uk"};
  beta.seal_thresholds = {3, 10};
  c.groups = {acme, beta};
  ASSERT_TRUE(campaigns_->Create(c));

  Response page = Call("GET", "/c/two-firms");
  EXPECT_TRUE(Contains(page.body, "Work address at beta.org or beta.co.uk"));
  EXPECT_TRUE(Contains(page.body, "id=\"f-visibility-sealed-3-acme\""));
  EXPECT_TRUE(Contains(page.body, "id=\"f-visibility-sealed-3-beta\""));
  EXPECT_TRUE(Contains(page.body, "(optional for verified employees)"));
  // Without JavaScript both sections send their field, in the order of the groups.
  const std::vector<std::pair<std::string, std::string>> fields = {{"csrf", Token()},
                                                                   {"group", "beta"},
                                                                   {"name", "Bea"},
                                                                   {"work_email", ""},
                                                                   {"work_email", "bea@beta.co.uk"},
                                                                   {"visibility", "sealed-10"},
                                                                   {"email", "bea@example.org"}};
  Response r = Post("/c/two-firms/sign", fields);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "proves you work at Beta"));
  std::string kind;
  LastMail("bea@beta.co.uk", &kind);
  EXPECT_EQ(kind, "verify");
  // The address typed into the other group's section does not count for the chosen one.
  Response wrong = Post("/c/two-firms/sign", {{"csrf", Token()},
                                              {"group", "acme"},
                                              {"name", "Al"},
                                              {"work_email", ""},
                                              {"work_email", "al@beta.org"},
                                              {"visibility", "sealed-3"},
                                              {"email", "al@example.org"}});
  ASSERT_EQ(wrong.status, 422);
  EXPECT_TRUE(Contains(wrong.body, "<a href=\"#f-work_email-acme\">Enter your work address"));
  EXPECT_TRUE(Contains(wrong.body,
                       "id=\"f-visibility-sealed-3-acme\" name=\"visibility\" "
                       "type=\"radio\" value=\"sealed-3\" checked"));
  EXPECT_FALSE(Contains(wrong.body,
                        "id=\"f-visibility-sealed-3-beta\" name=\"visibility\" "
                        "type=\"radio\" value=\"sealed-3\" checked"));
}

}  // namespace
}  // namespace undersigned::http
