// The pages of co-signing organizations, driven through the Router with the real services over a
// real SQLite store in a temporary directory: the form (multipart, CSRF, errors), the contact's
// confirmation, the organizers' review, what the campaign page and its JSON show, and the logos.
#include "http/pages/organizations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "http/pages/csrf.h"
#include "http/pages/pages.h"
#include "http/pages/test_support.h"
#include "http/url.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/organizations.h"
#include "service/signing.h"
#include "store/open_store.h"

namespace undersigned::http {
namespace {

// Every field given, so that -Wmissing-field-initializers has nothing to say.
pages::SiteInfo TestSite() { return pages::SiteInfo{"Test Site", "", "", ""}; }

namespace fs = std::filesystem;

constexpr const char* kBase = "https://sign.example.org";
constexpr const char* kSecret = "test-csrf-secret";

using test::Contains;
using test::FormEncode;
using test::HeaderOf;
using test::kPng;

using test::kBoundary;
using test::MultipartBody;
using test::Part;

class OrganizationPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("us-org-pages-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
    auto store = store::OpenStore(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    campaigns_ = std::make_unique<service::CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    signing_ = std::make_unique<service::SigningService>(*store_, *campaigns_, clock_,
                                                         service::SigningOptions{}, nullptr);
    orgs_ = std::make_unique<service::OrganizationService>(*store_, *campaigns_, clock_, nullptr);
    auto templates = render::Templates::Load(render::FindAssetDir("templates"));
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<render::Templates>(std::move(*templates));
    router_ = std::make_unique<Router>();
    // Both, as the app registers them: no route of one hides a route of the other.
    RegisterPages(*router_, PagesDeps{*campaigns_, *signing_, *templates_, kBase, kSecret,
                                      TestSite(), &clock_, nullptr, "", "", nullptr});
    RegisterOrganizationPages(*router_, OrganizationPagesDeps{*campaigns_,
                                                              *orgs_,
                                                              *templates_,
                                                              std::string(kBase) + "/",
                                                              kSecret,
                                                              TestSite(),
                                                              &clock_,
                                                              {},
                                                              ""});
    Campaign c;
    c.slug = "letter";
    c.title = "Protect the <river>";
    c.targets = {Target{"The Mayor", "", "", "", "", "", ""}};
    c.goal = 100;
    c.status = CampaignStatus::kOpen;
    c.language = "en";
    c.organizers = {"organizer@example.org"};
    auto created = campaigns_->Create(c);
    ASSERT_TRUE(created) << created.error().message;
  }

  void TearDown() override {
    router_.reset();
    orgs_.reset();
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
    return test::Dispatch(*router_, method, target, body, std::move(headers), &cookie_,
                          &last_route_, &jar_);
  }

  std::string Token() const { return pages::Csrf(kSecret, true).TokenFor(cookie_); }

  Response PostMultipart(const std::string& target, const std::vector<Part>& parts,
                         std::map<std::string, std::string> headers = {}) {
    headers.emplace("content-type", std::string("multipart/form-data; boundary=") + kBoundary);
    return Call("POST", target, MultipartBody(parts), std::move(headers));
  }

  Response PostForm(const std::string& target,
                    std::vector<std::pair<std::string, std::string>> fields,
                    std::map<std::string, std::string> headers = {}) {
    headers.emplace("content-type", "application/x-www-form-urlencoded");
    return Call("POST", target, FormEncode(fields), std::move(headers));
  }

  // The parts a browser sends for the form (csrf first, the file last).
  std::vector<Part> FormParts(const std::string& name = "Friends of the Earth",
                              const std::string& contact = "press@foe.example.org",
                              const std::string& logo = kPng,
                              const std::string& website = "https://www.foe.example.org") {
    return {{"csrf", Token(), std::nullopt, ""},
            {"name", name, std::nullopt, ""},
            {"website", website, std::nullopt, ""},
            {"contact_email", contact, std::nullopt, ""},
            {"statement", "We stand with the river & its people.", std::nullopt, ""},
            {"logo", logo, std::string(logo.empty() ? "" : "logo.png"),
             logo.empty() ? "application/octet-stream" : "image/png"}};
  }

  // Opens the form (for the cookie), then sends parts with the form's token.
  Response Submit(std::vector<Part> parts) {
    Call("GET", "/c/letter/organizations/new");
    for (Part& p : parts) {
      if (p.name == "csrf") p.value = Token();
    }
    return PostMultipart("/c/letter/organizations", parts);
  }

  // The payload of the newest outbox message of kind to recipient.
  nlohmann::json Mail(const std::string& kind, const std::string& to) {
    nlohmann::json found;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    EXPECT_TRUE(due);
    for (const OutboxMessage& m : *due) {
      if (m.kind == kind && m.recipient == to) found = nlohmann::json::parse(m.payload);
    }
    return found;
  }

  std::vector<Organization> All() {
    auto list = orgs_->List("letter", std::nullopt);
    EXPECT_TRUE(list);
    return list ? *list : std::vector<Organization>{};
  }

  // Submits and confirms an organization; returns the organizers' review token.
  std::string SubmitAndConfirm(const std::string& contact = "press@foe.example.org") {
    Call("GET", "/c/letter/organizations/new");
    Response r =
        PostMultipart("/c/letter/organizations", FormParts("Friends of the Earth", contact));
    EXPECT_EQ(r.status, 303) << r.body;
    const std::string confirm = Mail("org_confirm", contact).value("confirm_token", "");
    EXPECT_FALSE(confirm.empty());
    Call("GET", "/o/confirm?t=" + PercentEncode(confirm));
    Response done = PostForm("/o/confirm", {{"t", confirm}, {"csrf", Token()}});
    EXPECT_EQ(done.status, 303) << done.body;
    const std::string review =
        Mail("org_review", "organizer@example.org").value("review_token", "");
    EXPECT_FALSE(review.empty());
    return review;
  }

  fs::path dir_;
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<service::SigningService> signing_;
  std::unique_ptr<service::OrganizationService> orgs_;
  std::unique_ptr<render::Templates> templates_;
  std::unique_ptr<Router> router_;
  const Router::Route* last_route_ = nullptr;
  std::string cookie_;
  std::map<std::string, std::string> jar_;  // cookies other than the CSRF one (the flash)
};

TEST_F(OrganizationPagesTest, TheCampaignPageLinksToAFormThatExplainsItself) {
  Response page = Call("GET", "/c/letter");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "href=\"/c/letter/organizations/new\">Sign as an organization"));
  EXPECT_FALSE(Contains(page.body, "Co-signing organizations"));  // none yet

  cookie_.clear();
  Response form = Call("GET", "/c/letter/organizations/new");
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_FALSE(HeaderOf(form, "Set-Cookie").empty());
  EXPECT_EQ(HeaderOf(form, "Cache-Control"), "no-store");
  const std::string& b = form.body;
  EXPECT_TRUE(Contains(b, "enctype=\"multipart/form-data\""));
  EXPECT_TRUE(Contains(b, "action=\"/c/letter/organizations\""));
  EXPECT_TRUE(Contains(b, "name=\"csrf\" value=\"" + Token() + "\""));
  for (const char* field : {"name=\"name\"", "name=\"website\"", "name=\"contact_email\"",
                            "name=\"statement\"", "name=\"logo\" type=\"file\""}) {
    EXPECT_TRUE(Contains(b, field)) << field;
  }
  EXPECT_TRUE(Contains(b, "accept=\"image/png,image/jpeg"));
  EXPECT_TRUE(Contains(b, "at the organization&rsquo;s own domain"));
  EXPECT_TRUE(Contains(b, "shows that the request comes from the organization"));  // why
  EXPECT_TRUE(Contains(b, "at most 1 MB"));
  EXPECT_TRUE(Contains(b, "redraw it as a new PNG"));  // re-encoded
  EXPECT_TRUE(Contains(b, "Protect the &lt;river&gt;"));
  EXPECT_TRUE(Contains(b, "<label for=\"o-logo\">"));
  EXPECT_TRUE(Contains(b, "name=\"viewport\""));

  // A reload of the POST address goes back to the form.
  Response reload = Call("GET", "/c/letter/organizations");
  EXPECT_EQ(reload.status, 303);
  EXPECT_EQ(HeaderOf(reload, "Location"), "/c/letter/organizations/new");

  EXPECT_EQ(Call("GET", "/c/nope/organizations/new").status, 404);
  ASSERT_TRUE(campaigns_->SetStatus("letter", CampaignStatus::kClosed));
  EXPECT_EQ(Call("GET", "/c/letter/organizations/new").status, 409);
  EXPECT_FALSE(Contains(Call("GET", "/c/letter").body, "Sign as an organization"));
}

TEST_F(OrganizationPagesTest, TheSubmissionRouteTakesALogoSizedBody) {
  Call("GET", "/c/letter/organizations/new");
  PostMultipart("/c/letter/organizations", {});
  ASSERT_NE(last_route_, nullptr);
  EXPECT_EQ(last_route_->options.body_limit, kOrganizationBodyLimit);
  EXPECT_GT(kOrganizationBodyLimit, std::size_t{1} << 20);
  EXPECT_TRUE(last_route_->options.blocking);
  // Only that route: the buttons keep a small limit.
  PostForm("/o/confirm", {});
  EXPECT_LE(last_route_->options.body_limit, std::size_t{4096});
}

TEST_F(OrganizationPagesTest, ASubmissionMailsTheContactAndShowsNothingYet) {
  // Post/redirect/get: the answer is a redirect; the page it names says where the link went
  // (from the flash, sealed in a cookie: the address is in neither URL), and a reload sends
  // nothing.
  Response posted = Submit(FormParts());
  ASSERT_EQ(posted.status, 303) << posted.body;
  EXPECT_EQ(HeaderOf(posted, "Location"), "/c/letter/organizations/sent");
  EXPECT_EQ(HeaderOf(posted, "Cache-Control"), "no-store");
  Response r = Call("GET", "/c/letter/organizations/sent");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "Check your email"));
  EXPECT_TRUE(Contains(r.body, "press@foe.example.org"));
  EXPECT_TRUE(Contains(r.body, "Friends of the Earth"));
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  EXPECT_EQ(Call("GET", "/c/letter/organizations/sent").status, 200);  // a reload
  // Another browser (no flash) is told what to do, and nothing about whom.
  jar_.clear();
  Response other = Call("GET", "/c/letter/organizations/sent");
  ASSERT_EQ(other.status, 200);
  EXPECT_TRUE(Contains(other.body, "the contact address you gave"));
  EXPECT_FALSE(Contains(other.body, "press@foe.example.org"));
  EXPECT_TRUE(Mail("org_confirm", "press@foe.example.org").contains("confirm_token"));
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, OrganizationState::kPending);
  EXPECT_TRUE(all[0].has_logo);
  EXPECT_EQ(all[0].form.statement, "We stand with the river & its people.");
  EXPECT_FALSE(Contains(Call("GET", "/c/letter").body, "Friends of the Earth"));
  EXPECT_EQ(Call("GET", "/c/letter/organizations/" + all[0].uuid + "/logo.png").status, 404);

  // The same contact address again: a clear message, nothing new.
  Response twice = Submit(FormParts("Friends of the Earth again"));
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_TRUE(Contains(twice.body, "This address has already asked"));
  EXPECT_TRUE(Contains(twice.body, "value=\"Friends of the Earth again\""));
  EXPECT_EQ(All().size(), 1u);
}

TEST_F(OrganizationPagesTest, WithoutALogoIsFine) {
  Response r =
      Submit(FormParts("Rivers United", "hello@rivers.example", "", "https://rivers.example"));
  ASSERT_EQ(r.status, 303) << r.body;
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].has_logo);
}

TEST_F(OrganizationPagesTest, ErrorsComeBackPerFieldWithWhatWasTyped) {
  const std::string xss = "<script>alert('x')</script>";
  Response r =
      Submit(FormParts(xss, "someone@gmail.com", "GIF89a not really an image", "not a website"));
  ASSERT_EQ(r.status, 422) << r.body;
  const std::string& b = r.body;
  EXPECT_FALSE(Contains(b, xss));
  EXPECT_TRUE(Contains(b, "value=\"&lt;script&gt;"));
  EXPECT_TRUE(Contains(b, "value=\"someone@gmail.com\""));
  EXPECT_TRUE(Contains(b, "value=\"not a website\""));
  EXPECT_TRUE(Contains(b, "We stand with the river &amp; its people.</textarea>"));
  EXPECT_TRUE(Contains(b, "id=\"o-website-error\""));
  EXPECT_TRUE(Contains(b, "id=\"o-logo-error\""));
  EXPECT_TRUE(Contains(b, "PNG or JPEG"));  // the logo's message
  EXPECT_TRUE(Contains(b, "please choose it again"));
  EXPECT_TRUE(Contains(b, "<title>Error: "));
  EXPECT_TRUE(Contains(b, "href=\"#o-logo\""));  // the summary links to the field
  EXPECT_FALSE(Contains(b, "GIF89a"));           // the file is not sent back
  EXPECT_TRUE(All().empty());

  // The contact address at another domain than the website's.
  Response other = Submit(FormParts("Friends", "press@elsewhere.example"));
  ASSERT_EQ(other.status, 422);
  EXPECT_TRUE(Contains(other.body, "id=\"o-contact_email-error\""));
  EXPECT_TRUE(Contains(other.body, "@foe.example.org"));
  EXPECT_FALSE(Contains(other.body, "id=\"o-logo-error\""));

  // A logo over 1 MiB.
  Response big = Submit(
      FormParts("Friends", "press@foe.example.org", kPng + std::string((1 << 20) + 10, 'x')));
  ASSERT_EQ(big.status, 422);
  EXPECT_TRUE(Contains(big.body, "id=\"o-logo-error\""));
  EXPECT_TRUE(Contains(big.body, "larger than 1 MiB"));
  EXPECT_TRUE(All().empty());
}

TEST_F(OrganizationPagesTest, SubmissionsAreCsrfCheckedAndMustBeMultipart) {
  Call("GET", "/c/letter/organizations/new");
  std::vector<Part> parts = FormParts();
  parts.erase(parts.begin());  // no csrf
  Response missing = PostMultipart("/c/letter/organizations", parts);
  EXPECT_EQ(missing.status, 403);
  EXPECT_TRUE(Contains(missing.body, "Your form has expired"));

  std::vector<Part> wrong = FormParts();
  wrong[0].value[0] = wrong[0].value[0] == 'x' ? 'y' : 'x';  // (a token may start with x)
  EXPECT_EQ(PostMultipart("/c/letter/organizations", wrong).status, 403);

  cookie_.clear();  // no cookie at all
  EXPECT_EQ(PostMultipart("/c/letter/organizations", FormParts()).status, 403);

  Call("GET", "/c/letter/organizations/new");
  Response foreign =
      PostMultipart("/c/letter/organizations", FormParts(), {{"origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(Contains(foreign.body, "another website"));

  Response urlencoded = PostForm("/c/letter/organizations", {{"csrf", Token()}, {"name", "X"}});
  EXPECT_EQ(urlencoded.status, 415);

  // A multipart body that is not well formed.
  Response bad =
      Call("POST", "/c/letter/organizations",
           std::string("--") + kBoundary + "\r\nContent-Disposition: form-data\r\n\r\nx",
           {{"content-type", std::string("multipart/form-data; boundary=") + kBoundary}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Contains(bad.body, "We could not read this form"));
  Response no_boundary = Call("POST", "/c/letter/organizations", MultipartBody(FormParts()),
                              {{"content-type", "multipart/form-data"}});
  EXPECT_EQ(no_boundary.status, 415);
  EXPECT_TRUE(All().empty());
  EXPECT_TRUE(Mail("org_confirm", "press@foe.example.org").is_null());
}

TEST_F(OrganizationPagesTest, OnlyThePostOfTheContactsLinkConfirms) {
  ASSERT_EQ(Submit(FormParts()).status, 303);
  const std::string token = Mail("org_confirm", "press@foe.example.org")["confirm_token"];

  // A mail scanner's GET (twice) changes nothing.
  cookie_.clear();
  for (int i = 0; i < 2; ++i) {
    Response page = Call("GET", "/o/confirm?t=" + PercentEncode(token));
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_TRUE(Contains(page.body, "action=\"/o/confirm\""));
    EXPECT_TRUE(Contains(page.body, "Confirm the request"));
    EXPECT_TRUE(Contains(page.body, "Friends of the Earth"));
    EXPECT_EQ(HeaderOf(page, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(HeaderOf(page, "Cache-Control"), "no-store");
  }
  EXPECT_EQ(All()[0].state, OrganizationState::kPending);
  EXPECT_TRUE(Mail("org_review", "organizer@example.org").is_null());

  // Without the CSRF token: refused.
  EXPECT_EQ(PostForm("/o/confirm", {{"t", token}}).status, 403);
  EXPECT_EQ(All()[0].state, OrganizationState::kPending);

  Response pressed = PostForm("/o/confirm", {{"t", token}, {"csrf", Token()}});
  ASSERT_EQ(pressed.status, 303) << pressed.body;
  EXPECT_EQ(HeaderOf(pressed, "Location"), "/o/confirm?t=" + PercentEncode(token));
  EXPECT_EQ(HeaderOf(pressed, "Referrer-Policy"), "no-referrer");
  Response done = Call("GET", HeaderOf(pressed, "Location"));
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Contains(done.body, "the request is confirmed"));
  EXPECT_TRUE(Contains(done.body, "organizers will now review it"));
  EXPECT_EQ(All()[0].state, OrganizationState::kConfirmed);
  EXPECT_TRUE(Mail("org_review", "organizer@example.org").contains("review_token"));
  // Still not shown: the organizers have not decided.
  EXPECT_FALSE(Contains(Call("GET", "/c/letter").body, "Friends of the Earth"));

  // Following the link again says so, without a button.
  Response again = Call("GET", "/o/confirm?t=" + PercentEncode(token));
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(Contains(again.body, "the request is confirmed"));
  EXPECT_FALSE(Contains(again.body, "action=\"/o/confirm\""));

  EXPECT_EQ(Call("GET", "/o/confirm?t=bogus").status, 404);
  EXPECT_EQ(Call("GET", "/o/confirm").status, 404);
  EXPECT_EQ(PostForm("/o/confirm", {{"t", "bogus"}, {"csrf", Token()}}).status, 404);
}

TEST_F(OrganizationPagesTest, AnApprovedOrganizationIsShownWithItsLogoAndCounted) {
  Call("GET", "/c/letter");  // the cached page, before
  const std::string review = SubmitAndConfirm();
  const std::string uuid = All()[0].uuid;

  cookie_.clear();
  Response page = Call("GET", "/o/review?t=" + PercentEncode(review));
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string& b = page.body;
  EXPECT_TRUE(Contains(b, "Friends of the Earth asks to co-sign"));
  EXPECT_TRUE(Contains(b, "href=\"https://www.foe.example.org\" rel=\"nofollow noopener ugc"));
  EXPECT_TRUE(Contains(b, "We stand with the river &amp; its people."));
  EXPECT_TRUE(Contains(b, "press@foe.example.org"));
  EXPECT_TRUE(Contains(b, "A logo was uploaded"));
  EXPECT_TRUE(Contains(b, "name=\"decision\" value=\"approve\""));
  EXPECT_TRUE(Contains(b, "name=\"decision\" value=\"reject\""));
  EXPECT_TRUE(Contains(b, "name=\"csrf\" value=\"" + Token() + "\""));
  EXPECT_EQ(HeaderOf(page, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(HeaderOf(page, "X-Robots-Tag"), "noindex");
  // The store serves unapproved logos to nobody (review_logo is not set here).
  EXPECT_EQ(Call("GET", "/o/review/logo?t=" + PercentEncode(review)).status, 404);
  EXPECT_EQ(All()[0].state, OrganizationState::kConfirmed);  // the GET decided nothing

  // A decision needs the CSRF token and says what it is.
  EXPECT_EQ(PostForm("/o/review", {{"t", review}, {"decision", "approve"}}).status, 403);
  EXPECT_EQ(PostForm("/o/review", {{"t", review}, {"decision", "maybe"}, {"csrf", Token()}}).status,
            400);
  EXPECT_EQ(All()[0].state, OrganizationState::kConfirmed);

  // Post/redirect/get: the button's answer sends the browser back to the link's page, which
  // now shows the decision and no buttons.
  Response pressed =
      PostForm("/o/review", {{"t", review}, {"decision", "approve"}, {"csrf", Token()}});
  ASSERT_EQ(pressed.status, 303) << pressed.body;
  EXPECT_EQ(HeaderOf(pressed, "Location"), "/o/review?t=" + PercentEncode(review));
  Response approved = Call("GET", HeaderOf(pressed, "Location"));
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_TRUE(Contains(approved.body, "Friends of the Earth co-signs"));
  EXPECT_TRUE(Contains(approved.body, "It was approved and is listed on the campaign page."));
  EXPECT_FALSE(Contains(approved.body, "name=\"decision\""));
  EXPECT_EQ(HeaderOf(approved, "Cache-Control"), "no-store");
  EXPECT_EQ(All()[0].state, OrganizationState::kApproved);

  // The campaign page (re-rendered although no signature changed) and its JSON.
  Response campaign = Call("GET", "/c/letter");
  ASSERT_EQ(campaign.status, 200);
  const std::string& c = campaign.body;
  EXPECT_TRUE(Contains(c, "Co-signing organizations (1)"));
  EXPECT_TRUE(Contains(c,
                       "<a href=\"https://www.foe.example.org\" rel=\"nofollow noopener ugc\">"
                       "Friends of the Earth</a>"));
  EXPECT_TRUE(Contains(c, "We stand with the river &amp; its people."));
  const std::string logo_url = "/c/letter/organizations/" + uuid + "/logo.png";
  EXPECT_TRUE(Contains(c, "src=\"" + logo_url + "\" alt=\"Friends of the Earth\""));
  EXPECT_FALSE(Contains(c, "press@foe.example.org"));
  auto j = nlohmann::json::parse(Call("GET", "/c/letter.json").body);
  EXPECT_EQ(j["organizations"], 1);
  EXPECT_EQ(CountsJson(*campaigns_->Snapshot("letter"), clock_.Now()),
            Call("GET", "/c/letter.json").body);

  // The logo: the re-encoded PNG, cached for long.
  Response logo = Call("GET", logo_url);
  ASSERT_EQ(logo.status, 200);
  EXPECT_EQ(logo.content_type, "image/png");
  EXPECT_EQ(logo.body.substr(1, 3), "PNG");
  EXPECT_NE(logo.body, kPng);
  EXPECT_EQ(HeaderOf(logo, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(HeaderOf(logo, "Cache-Control").find("max-age=31536000"), std::string::npos);
  EXPECT_EQ(Call("GET", "/c/nope/organizations/" + uuid + "/logo.png").status, 404);
  EXPECT_EQ(Call("GET", "/c/letter/organizations/not-a-uuid/logo.png").status, 404);

  // The review page now shows the outcome and the logo, and no buttons.
  Response after = Call("GET", "/o/review?t=" + PercentEncode(review));
  EXPECT_EQ(after.status, 200);
  EXPECT_TRUE(Contains(after.body, "It was approved"));
  EXPECT_TRUE(Contains(after.body, "src=\"" + logo_url + "\""));
  EXPECT_FALSE(Contains(after.body, "name=\"decision\""));
  Response review_logo = Call("GET", "/o/review/logo?t=" + PercentEncode(review));
  EXPECT_EQ(review_logo.status, 200);
  EXPECT_EQ(review_logo.content_type, "image/png");
  EXPECT_EQ(HeaderOf(review_logo, "Cache-Control"), "no-store");

  // Approving again is a no-op; rejecting now is refused.
  Response twice =
      PostForm("/o/review", {{"t", review}, {"decision", "approve"}, {"csrf", Token()}});
  EXPECT_EQ(twice.status, 303);
  EXPECT_EQ(
      PostForm("/o/review", {{"t", review}, {"decision", "reject"}, {"csrf", Token()}}).status,
      409);
  EXPECT_EQ(All()[0].state, OrganizationState::kApproved);

  // The contact's link now says it is listed.
  const std::string confirm = Mail("org_confirm", "press@foe.example.org")["confirm_token"];
  EXPECT_TRUE(Contains(Call("GET", "/o/confirm?t=" + PercentEncode(confirm)).body,
                       "is listed on the campaign page"));
}

TEST_F(OrganizationPagesTest, ARejectedOrganizationIsNeverShown) {
  Call("GET", "/c/letter");
  const std::string review = SubmitAndConfirm();
  const std::string uuid = All()[0].uuid;
  Response rejected =
      PostForm("/o/review", {{"t", review}, {"decision", "reject"}, {"csrf", Token()}});
  ASSERT_EQ(rejected.status, 303) << rejected.body;
  EXPECT_EQ(All()[0].state, OrganizationState::kRejected);

  Response campaign = Call("GET", "/c/letter");
  EXPECT_FALSE(Contains(campaign.body, "Friends of the Earth"));
  EXPECT_FALSE(Contains(campaign.body, "Co-signing organizations"));
  EXPECT_FALSE(nlohmann::json::parse(Call("GET", "/c/letter.json").body).contains("organizations"));
  EXPECT_EQ(Call("GET", "/c/letter/organizations/" + uuid + "/logo.png").status, 404);
  EXPECT_EQ(Call("GET", "/o/review/logo?t=" + PercentEncode(review)).status, 404);
  EXPECT_EQ(
      PostForm("/o/review", {{"t", review}, {"decision", "approve"}, {"csrf", Token()}}).status,
      409);
  Response page = Call("GET", "/o/review?t=" + PercentEncode(review));
  EXPECT_TRUE(Contains(page.body, "was rejected"));
  EXPECT_FALSE(Contains(page.body, "name=\"decision\""));
  EXPECT_EQ(Call("GET", "/o/review?t=bogus").status, 404);
}

TEST_F(OrganizationPagesTest, SeveralApprovedOrganizationsAreCountedInOrder) {
  std::vector<std::string> reviews;
  reviews.push_back(SubmitAndConfirm("a@foe.example.org"));
  reviews.push_back(SubmitAndConfirm("b@foe.example.org"));
  for (const std::string& r : reviews) {
    ASSERT_EQ(PostForm("/o/review", {{"t", r}, {"decision", "approve"}, {"csrf", Token()}}).status,
              303);
  }
  EXPECT_TRUE(Contains(Call("GET", "/c/letter").body, "Co-signing organizations (2)"));
  EXPECT_EQ(nlohmann::json::parse(Call("GET", "/c/letter.json").body)["organizations"], 2);
}

// With a reader of unapproved logos (OrganizationPagesDeps::review_logo), the organizers see the
// logo before they decide.
TEST_F(OrganizationPagesTest, AReviewLogoReaderShowsTheLogoBeforeTheDecision) {
  std::string asked;
  Router router;
  RegisterOrganizationPages(router, OrganizationPagesDeps{*campaigns_, *orgs_, *templates_, kBase,
                                                          kSecret, TestSite(), &clock_,
                                                          [&asked](const std::string& uuid) {
                                                            asked = uuid;
                                                            return Result<std::string>(kPng);
                                                          },
                                                          ""});
  const std::string review = SubmitAndConfirm();
  router_ = std::make_unique<Router>();
  std::swap(*router_, router);
  Response page = Call("GET", "/o/review?t=" + PercentEncode(review));
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "src=\"/o/review/logo?t=" + PercentEncode(review) + "\""));
  Response logo = Call("GET", "/o/review/logo?t=" + PercentEncode(review));
  ASSERT_EQ(logo.status, 200);
  EXPECT_EQ(logo.content_type, "image/png");
  EXPECT_EQ(asked, All()[0].uuid);
  EXPECT_EQ(Call("GET", "/o/review/logo?t=bogus").status, 404);
}

}  // namespace
}  // namespace undersigned::http
