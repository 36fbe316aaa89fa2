// The organizer console driven through the Router with the real services over a real SQLite
// store: signing in (password, second factor, mailed link), the session cookie's flags and
// rotation, CSRF on every console form, who may see and do what (every role, and someone with
// none), removal taking access away at once, and creating and editing a campaign.
#include "http/console/console.h"

#include <sodium.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/totp.h"
#include "http/pages/pages.h"
#include "http/pages/test_support.h"
#include "service/events.h"
#include "service/ids.h"
#include "service/signing.h"
#include "store/open_store.h"

namespace undersigned::http {
namespace {

namespace fs = std::filesystem;
using test::Contains;
using test::FormEncode;
using test::HeaderOf;
using test::kPng;

constexpr const char* kBase = "https://sign.example.org";
constexpr const char* kPassword = "correct horse battery";
const std::map<std::string, std::string> kFormHeaders = {
    {"content-type", "application/x-www-form-urlencoded"}};

// One browser: its CSRF cookie and its other cookies (the session).
struct Browser {
  std::string csrf_cookie;
  std::map<std::string, std::string> jar;
  std::string session() const {
    auto it = jar.find(service::kSessionCookie);
    return it == jar.end() ? "" : it->second;
  }
};

// The value of a hidden field in a page.
std::string Hidden(const std::string& html, const std::string& name) {
  std::smatch m;
  std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("us-console-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
    auto store = store::OpenStore(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    campaigns_ = std::make_unique<service::CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    service::AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<service::AccountService>(*store_, clock_, o);
    organizing_ =
        std::make_unique<service::OrganizingService>(*campaigns_, *accounts_, *store_, clock_);
    dashboard_ = std::make_unique<service::DashboardService>(*store_, *accounts_, clock_);
    moderation_ = std::make_unique<service::ModerationService>(
        *store_, *campaigns_, *accounts_, clock_, service::ModerationOptions{}, nullptr);
    signing_ = std::make_unique<service::SigningService>(*store_, *campaigns_, clock_,
                                                         service::SigningOptions{}, nullptr);
    organizations_ =
        std::make_unique<service::OrganizationService>(*store_, *campaigns_, clock_, nullptr);
    review_ = std::make_unique<service::OrganizationReviewService>(*organizations_, *accounts_,
                                                                   *campaigns_);
    updates_ = std::make_unique<service::UpdateService>(*store_, *accounts_, clock_);
    deliveries_ = std::make_unique<service::TargetDeliveryService>(*store_, *accounts_, *updates_,
                                                                   clock_, kBase);
    auto templates = render::Templates::Load(render::FindAssetDir("templates"));
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<render::Templates>(std::move(*templates));
    router_ = std::make_unique<Router>();
    // As the app registers them: no console route hides a public one.
    RegisterPages(*router_, PagesDeps{*campaigns_, *signing_, *templates_, kBase, "secret",
                                      pages::SiteInfo{"Test", "", "", ""}, &clock_, nullptr, "", "",
                                      MaySeeDraft(*accounts_)});
    auto links = service::EventLinks::Open(*store_);
    ASSERT_TRUE(links);
    events_ = std::make_unique<service::EventService>(*store_, *accounts_, clock_, *links);
    ConsoleDeps console{*accounts_,
                        *campaigns_,
                        *organizing_,
                        *templates_,
                        kBase,
                        "secret",
                        pages::SiteInfo{"Test", "", "", ""},
                        &clock_,
                        dashboard_.get(),
                        moderation_.get(),
                        review_.get(),
                        updates_.get(),
                        deliveries_.get()};
    console.events = events_.get();
    RegisterConsole(*router_, console);
    admin_ = MakeUser("admin@example.org", true);
    owner_ = MakeUser("owner@example.org");
    Campaign c;
    c.slug = "the-letter";
    c.title = "The letter";
    c.targets = {Target{"The CEO", "Chief Executive", "Acme", "", "", "", "ceo@acme.example"},
                 Target{"The Board", "", "", "", "", "", ""}};
    c.letter_markdown = "We ask you to **stop**.";
    c.goal = 100;
    c.status = CampaignStatus::kOpen;
    auto made = organizing_->Create(service::Actor::Of(owner_), c);
    ASSERT_TRUE(made) << made.error().message;
    campaign_ = *made;
  }
  void TearDown() override {
    router_.reset();
    events_.reset();
    deliveries_.reset();
    updates_.reset();
    review_.reset();
    organizations_.reset();
    signing_.reset();
    dashboard_.reset();
    moderation_.reset();
    organizing_.reset();
    accounts_.reset();
    campaigns_.reset();
    if (store_) store_->Close();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A confirmed signature counted at once (as a trusted integration signs).
  void SignTrusted(const std::string& name, const std::string& email, bool wants_updates) {
    SignatureForm f;
    f.name = name;
    f.email = email;
    f.public_name = true;
    f.wants_updates = wants_updates;
    service::SignContext ctx;
    ctx.source = "api";
    ctx.trusted = true;
    auto r = signing_->Sign("the-letter", f, ctx);
    ASSERT_TRUE(r) << r.error().message;
  }
  // The outbox's unsent messages of a kind.
  std::vector<OutboxMessage> Outbox(const std::string& kind) {
    std::vector<OutboxMessage> out;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    EXPECT_TRUE(due);
    for (auto& m : *due) {
      if (m.kind == kind) out.push_back(m);
    }
    return out;
  }
  // The actions recorded on the campaign, newest first.
  std::vector<std::string> Recorded() {
    std::vector<std::string> out;
    ActionFilter filter;
    filter.campaign_id = campaign_.id;
    auto list = accounts_->ListActions(service::Actor::Operator(), filter, Page{});
    EXPECT_TRUE(list);
    for (const auto& e : list->items) out.push_back(e.action);
    return out;
  }

  User MakeUser(const std::string& email, bool admin = false) {
    auto u = accounts_->CreateUser(service::Actor::Operator(), email, "", admin);
    EXPECT_TRUE(u) << u.error().message;
    EXPECT_TRUE(accounts_->SetPassword(service::Actor::Operator(), u->id, kPassword));
    return *store_->accounts().GetUser(u->id);
  }
  User Member(const std::string& email, CampaignRole role) {
    User u = MakeUser(email);
    EXPECT_TRUE(accounts_->AddMember(service::Actor::Of(owner_), campaign_.id, email, role));
    return u;
  }

  Response Get(Browser& b, const std::string& target) {
    return test::Dispatch(*router_, "GET", target, "", {}, &b.csrf_cookie, nullptr, &b.jar);
  }
  Response Post(Browser& b, const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& fields,
                std::map<std::string, std::string> headers = kFormHeaders) {
    return test::Dispatch(*router_, "POST", target, FormEncode(fields), std::move(headers),
                          &b.csrf_cookie, nullptr, &b.jar);
  }
  Response PostMultipart(Browser& b, const std::string& target,
                         const std::vector<test::Part>& parts, const std::string& origin = "") {
    std::map<std::string, std::string> headers = {
        {"content-type", std::string("multipart/form-data; boundary=") + test::kBoundary}};
    if (!origin.empty()) headers["origin"] = origin;
    return test::Dispatch(*router_, "POST", target, test::MultipartBody(parts), std::move(headers),
                          &b.csrf_cookie, nullptr, &b.jar);
  }
  // Signs in through the pages; returns the browser.
  Browser SignIn(const std::string& email, const std::string& code = "") {
    Browser b;
    Response form = Get(b, "/console/sign-in");
    EXPECT_EQ(form.status, 200);
    Response r = Post(b, "/console/sign-in",
                      {{"csrf", Hidden(form.body, "csrf")},
                       {"email", email},
                       {"password", kPassword},
                       {"code", code},
                       {"next", "/console"}});
    EXPECT_EQ(r.status, 303) << r.body;
    EXPECT_FALSE(b.session().empty());
    return b;
  }
  // The console form token of a signed-in browser (from any console page).
  std::string Token(Browser& b) {
    Response r = Get(b, "/console/account");
    EXPECT_EQ(r.status, 200);
    return Hidden(r.body, "csrf");
  }

  fs::path dir_;
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::OrganizingService> organizing_;
  std::unique_ptr<service::SigningService> signing_;
  std::unique_ptr<service::DashboardService> dashboard_;
  std::unique_ptr<service::ModerationService> moderation_;
  std::unique_ptr<service::OrganizationService> organizations_;
  std::unique_ptr<service::OrganizationReviewService> review_;
  std::unique_ptr<service::UpdateService> updates_;
  std::unique_ptr<service::TargetDeliveryService> deliveries_;
  std::unique_ptr<service::EventService> events_;
  std::unique_ptr<render::Templates> templates_;
  std::unique_ptr<Router> router_;
  User admin_;
  User owner_;
  Campaign campaign_;
};

TEST_F(ConsoleTest, WithoutASessionEveryPageSendsYouToSignInAndEveryPostIsRefused) {
  Browser b;
  for (const char* path :
       {"/console", "/console/account", "/console/c/the-letter", "/console/c/the-letter/edit",
        "/console/c/the-letter/members", "/console/c/the-letter/actions", "/console/actions",
        "/console/campaigns/new"}) {
    Response r = Get(b, path);
    EXPECT_EQ(r.status, 303) << path;
    EXPECT_EQ(HeaderOf(r, "Location"), "/console/sign-in?next=" + PercentEncode(path)) << path;
  }
  for (const char* path :
       {"/console/campaigns", "/console/c/the-letter/edit", "/console/c/the-letter/members",
        "/console/preview", "/console/account/password", "/console/sign-out"}) {
    Response r = Post(b, path, {{"csrf", "x"}});
    EXPECT_EQ(r.status, 401) << path;
  }
  // A cookie naming no session is cleared.
  b.jar[service::kSessionCookie] = "made-up";
  Response r = Get(b, "/console");
  EXPECT_EQ(r.status, 303);
  EXPECT_TRUE(Contains(HeaderOf(r, "Set-Cookie"), "Max-Age=0"));
}

TEST_F(ConsoleTest, SigningInSetsAHostOnlyStrictCookieWithANewTokenEachTime) {
  Browser b;
  b.jar[service::kSessionCookie] = "planted-by-an-attacker";
  Response form = Get(b, "/console/sign-in");
  Response r = Post(b, "/console/sign-in",
                    {{"csrf", Hidden(form.body, "csrf")},
                     {"email", "owner@example.org"},
                     {"password", kPassword},
                     {"next", "/console/c/the-letter"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(HeaderOf(r, "Location"), "/console/c/the-letter");
  const std::string cookie = HeaderOf(r, "Set-Cookie");
  EXPECT_EQ(cookie.rfind("__Host-undersigned-session=", 0), 0u) << cookie;
  for (const char* flag : {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_TRUE(Contains(cookie, flag)) << cookie;
  }
  EXPECT_FALSE(Contains(cookie, "Domain"));
  EXPECT_NE(b.session(), "planted-by-an-attacker");
  const std::string first = b.session();
  Browser again = SignIn("owner@example.org");
  EXPECT_NE(again.session(), first);
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");

  // An open redirect is not possible through next.
  Browser c;
  form = Get(c, "/console/sign-in");
  r = Post(c, "/console/sign-in",
           {{"csrf", Hidden(form.body, "csrf")},
            {"email", "owner@example.org"},
            {"password", kPassword},
            {"next", "//evil.example/console"}});
  EXPECT_EQ(HeaderOf(r, "Location"), "/console");
}

TEST_F(ConsoleTest, AWrongPasswordKeepsTheEmailAndTheSignInFormNeedsItsToken) {
  Browser b;
  Response form = Get(b, "/console/sign-in");
  Response r = Post(b, "/console/sign-in",
                    {{"csrf", Hidden(form.body, "csrf")},
                     {"email", "owner@example.org"},
                     {"password", "wrong password here"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(Contains(r.body, "value=\"owner@example.org\""));
  EXPECT_TRUE(Contains(r.body, "Wrong email address or password"));
  EXPECT_TRUE(b.session().empty());
  r = Post(b, "/console/sign-in",
           {{"csrf", "forged"}, {"email", "owner@example.org"}, {"password", kPassword}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(b.session().empty());
  r = Post(
      b, "/console/sign-in",
      {{"csrf", Hidden(form.body, "csrf")},
       {"email", "owner@example.org"},
       {"password", kPassword}},
      {{"content-type", "application/x-www-form-urlencoded"}, {"origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(b.session().empty());
}

TEST_F(ConsoleTest, SignInIsThrottledPerAccount) {
  Browser b;
  Response form = Get(b, "/console/sign-in");
  int last = 0;
  Response r;
  for (int i = 0; i < 7; ++i) {
    r = Post(b, "/console/sign-in",
             {{"csrf", Hidden(form.body, "csrf")},
              {"email", "owner@example.org"},
              {"password", "not the password " + std::to_string(i)}});
    last = r.status;
  }
  EXPECT_EQ(last, 429);
  EXPECT_FALSE(HeaderOf(r, "Retry-After").empty());
  // Even the right password waits now.
  r = Post(b, "/console/sign-in",
           {{"csrf", Hidden(form.body, "csrf")},
            {"email", "owner@example.org"},
            {"password", kPassword}});
  EXPECT_EQ(r.status, 429);
}

TEST_F(ConsoleTest, ASecondFactorIsEnrolledFromTheAccountPageAndThenAskedFor) {
  Browser b = SignIn("owner@example.org");
  Response page = Get(b, "/console/account");
  const std::string secret = Hidden(page.body, "secret");
  ASSERT_FALSE(secret.empty());
  auto raw = totp::Base32Decode(secret);
  ASSERT_TRUE(raw);
  Response wrong = Post(b, "/console/account/totp",
                        {{"csrf", Token(b)}, {"secret", secret}, {"code", "000000"}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_EQ(Hidden(wrong.body, "secret"), secret);  // the same key, to try again
  Response ok =
      Post(b, "/console/account/totp",
           {{"csrf", Token(b)}, {"secret", secret}, {"code", totp::CodeAt(*raw, clock_.Now())}});
  ASSERT_EQ(ok.status, 303) << ok.body;

  // Now the password alone is not enough: the form asks for the code, keeping the email.
  Browser c;
  Response form = Get(c, "/console/sign-in");
  Response r = Post(c, "/console/sign-in",
                    {{"csrf", Hidden(form.body, "csrf")},
                     {"email", "owner@example.org"},
                     {"password", kPassword}});
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(Contains(r.body, "id=\"s-code-error\""));
  EXPECT_TRUE(c.session().empty());
  clock_.Advance(30);
  Browser d = SignIn("owner@example.org", totp::CodeAt(*raw, clock_.Now()));
  EXPECT_FALSE(d.session().empty());
}

TEST_F(ConsoleTest, AMailedLinkSignsInOnceThroughAButton) {
  auto token = accounts_->IssueSignInToken(service::Actor::Operator(), owner_.id);
  ASSERT_TRUE(token);
  Browser b;
  Response page = Get(b, "/console/link?t=" + PercentEncode(*token));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(HeaderOf(page, "Referrer-Policy"), "no-referrer");
  EXPECT_TRUE(b.session().empty());  // opening the link changes nothing
  Response r = Post(b, "/console/link", {{"csrf", Hidden(page.body, "csrf")}, {"t", *token}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_FALSE(b.session().empty());
  Browser other;
  page = Get(other, "/console/link?t=" + PercentEncode(*token));
  r = Post(other, "/console/link", {{"csrf", Hidden(page.body, "csrf")}, {"t", *token}});
  EXPECT_EQ(r.status, 401);  // used already
  EXPECT_TRUE(other.session().empty());
}

TEST_F(ConsoleTest, EveryConsoleFormNeedsTheSessionsOwnToken) {
  Browser b = SignIn("owner@example.org");
  Browser other = SignIn("owner@example.org");
  const std::string others_token = Token(other);
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      posts = {{"/console/campaigns", {{"slug", "x-y-z"}, {"title", "T"}, {"goal", "5"}}},
               {"/console/c/the-letter/edit", {{"title", "Changed"}}},
               {"/console/preview", {{"markdown", "*x*"}}},
               {"/console/c/the-letter/members", {{"email", "x@example.org"}, {"role", "viewer"}}},
               {"/console/account/password", {{"password", "a new long password"}}},
               {"/console/account/sessions/revoke-others", {}},
               {"/console/c/the-letter/organizations/some-uuid", {{"decision", "approve"}}},
               {"/console/c/the-letter/updates", {{"subject", "S"}, {"body", "B"}}},
               {"/console/c/the-letter/delivery", {{"last_seen", "0"}}},
               {"/console/c/the-letter/tokens", {{"name", "crm"}, {"access", "read"}}},
               {"/console/sign-out", {}}};
  for (const auto& [path, fields] : posts) {
    for (const std::string& token : {std::string(), std::string("forged"), others_token}) {
      auto f = fields;
      f.emplace_back("csrf", token);
      Response r = Post(b, path, f);
      EXPECT_EQ(r.status, 403) << path << " with token '" << token << "'";
    }
  }
  // Nothing happened: the title is unchanged, nothing was drafted or delivered, and the
  // session still works.
  EXPECT_EQ(campaigns_->GetBySlug("the-letter")->title, "The letter");
  EXPECT_TRUE(updates_->List(service::Actor::Operator(), "the-letter")->empty());
  EXPECT_TRUE(Outbox("delivery").empty());
  EXPECT_EQ(Get(b, "/console").status, 200);
  // A post from another origin is refused even with the right token.
  Response r = Post(
      b, "/console/preview", {{"csrf", Token(b)}, {"markdown", "x"}},
      {{"content-type", "application/x-www-form-urlencoded"}, {"origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403);
}

// What each role may see and do on every console route of a campaign.
TEST_F(ConsoleTest, EachRoleSeesAndDoesWhatItMayAndAStrangerSeesNothing) {
  Member("editor@example.org", CampaignRole::kEditor);
  Member("moderator@example.org", CampaignRole::kModerator);
  Member("viewer@example.org", CampaignRole::kViewer);
  MakeUser("stranger@example.org");
  struct Expect {
    std::string email;
    int overview, edit_page, members, actions;
  };
  const std::vector<Expect> table = {
      {"admin@example.org", 200, 200, 200, 200},  {"owner@example.org", 200, 200, 200, 200},
      {"editor@example.org", 200, 200, 200, 200}, {"moderator@example.org", 200, 403, 200, 200},
      {"viewer@example.org", 200, 403, 200, 403}, {"stranger@example.org", 404, 404, 404, 404},
  };
  for (const Expect& e : table) {
    Browser b = SignIn(e.email);
    EXPECT_EQ(Get(b, "/console/c/the-letter").status, e.overview) << e.email;
    EXPECT_EQ(Get(b, "/console/c/the-letter/edit").status, e.edit_page) << e.email;
    EXPECT_EQ(Get(b, "/console/c/the-letter/members").status, e.members) << e.email;
    EXPECT_EQ(Get(b, "/console/c/the-letter/actions").status, e.actions) << e.email;
    EXPECT_EQ(Get(b, "/console/c/no-such-campaign").status, 404) << e.email;
    // The instance's record is the administrators'.
    EXPECT_EQ(Get(b, "/console/actions").status, e.email == "admin@example.org" ? 200 : 403)
        << e.email;
    // Managing organizers is the owner's (and an administrator's).
    const bool manages = e.email == "admin@example.org" || e.email == "owner@example.org";
    Response invite = Post(b, "/console/c/the-letter/members",
                           {{"csrf", Token(b)}, {"email", "new-" + e.email}, {"role", "viewer"}});
    EXPECT_EQ(invite.status, manages ? 303 : (e.overview == 404 ? 404 : 403))
        << e.email << ": " << invite.body;
    // Editing: admin, owner, editor.
    const bool edits = e.edit_page == 200;
    Response edit = Post(b, "/console/c/the-letter/edit",
                         {{"csrf", Token(b)},
                          {"slug", "the-letter"},
                          {"title", "Edited by " + e.email},
                          {"goal", "100"},
                          {"t0_name", "The CEO"},
                          {"language", "en"},
                          {"time_zone", "UTC"},
                          {"anonymity_floor", "5"}});
    EXPECT_EQ(edit.status, edits ? 303 : e.edit_page) << e.email << ": " << edit.body;
  }
  // The home page lists one's own campaigns only (administrators: all of them).
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_FALSE(Contains(Get(stranger, "/console").body, "the-letter"));
  Browser viewer = SignIn("viewer@example.org");
  EXPECT_TRUE(Contains(Get(viewer, "/console").body, "/console/c/the-letter"));
}

TEST_F(ConsoleTest, RemovingAnOrganizerTakesTheirAccessAwayAtOnce) {
  User editor = Member("editor@example.org", CampaignRole::kEditor);
  Browser b = SignIn("editor@example.org");
  ASSERT_EQ(Get(b, "/console/c/the-letter/edit").status, 200);
  Browser owner = SignIn("owner@example.org");
  Response r = Post(owner, "/console/c/the-letter/members/" + editor.uuid + "/remove",
                    {{"csrf", Token(owner)}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(Get(b, "/console/c/the-letter/edit").status, 404);
  EXPECT_EQ(Get(b, "/console/c/the-letter").status, 404);
  // The last owner cannot be removed.
  r = Post(owner, "/console/c/the-letter/members/" + owner_.uuid + "/remove",
           {{"csrf", Token(owner)}});
  EXPECT_EQ(r.status, 409);
  // A disabled account's session ends at once.
  ASSERT_TRUE(accounts_->SetDisabled(service::Actor::Operator(), owner_.id, true));
  EXPECT_EQ(Get(owner, "/console").status, 303);
}

TEST_F(ConsoleTest, ACampaignIsCreatedAsADraftOwnedByItsCreatorAndEditsAreRecorded) {
  Browser b = SignIn("owner@example.org");
  Response form = Get(b, "/console/campaigns/new");
  ASSERT_EQ(form.status, 200);
  // The empty form offers every field to fill in.
  for (const char* field : {"title", "slug", "demand", "letter", "goal", "groups", "t0_name",
                            "t0_email", "deadline", "threshold"}) {
    EXPECT_TRUE(Contains(form.body, std::string("name=\"") + field + "\"")) << field;
  }
  // Mistakes come back with what was typed and a message per field.
  Response bad = Post(b, "/console/campaigns",
                      {{"csrf", Token(b)},
                       {"slug", "Not A Slug"},
                       {"title", "Fund the library"},
                       {"goal", "lots"},
                       {"letter", "Dear *council*"},
                       {"t0_name", ""},
                       {"groups", "kind=robots"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(Contains(bad.body, "value=\"Fund the library\""));
  EXPECT_TRUE(Contains(bad.body, "Dear *council*"));
  EXPECT_TRUE(Contains(bad.body, "id=\"f-goal-error\""));
  EXPECT_TRUE(Contains(bad.body, "id=\"f-groups-error\""));
  // The preview renders the letter without saving anything (and never lets HTML through).
  Response preview = Post(b, "/console/campaigns",
                          {{"csrf", Token(b)},
                           {"do", "preview"},
                           {"letter", "Dear *council* <script>alert(1)</script>"}});
  EXPECT_EQ(preview.status, 200);
  EXPECT_TRUE(Contains(preview.body, "<em>council</em>"));
  EXPECT_FALSE(Contains(preview.body, "<script>alert"));
  Response live = Post(b, "/console/preview", {{"csrf", Token(b)}, {"markdown", "**bold**"}});
  EXPECT_EQ(live.status, 200);
  EXPECT_TRUE(Contains(live.body, "<strong>bold</strong>"));

  Response made = Post(b, "/console/campaigns",
                       {{"csrf", Token(b)},
                        {"slug", "fund-the-library"},
                        {"title", "Fund the library"},
                        {"goal", "500"},
                        {"letter", "Dear council,"},
                        {"t0_name", "The Council"},
                        {"t0_x", "@council"},
                        {"t0_email", "council@library.example"},
                        {"deadline", "2099-12-31"},
                        {"time_zone", "Europe/Paris"},
                        {"language", "en"},
                        {"anonymity_floor", "5"},
                        {"groups",
                         "kind=employees; key=staff; name=Library staff; "
                         "organization=Library; domains=library.example\n"
                         "kind=public; name=Everyone else"},
                        {"secondary_targets",
                         "name=Ada Mayor; about=Chairs the council; x=@ada\n"
                         "> {handle}, {count} readers ask you to fund the library.\n"
                         "> {handle}: {count} of us signed.\n"},
                        {"status", "draft"}});
  ASSERT_EQ(made.status, 303) << made.body;
  auto c = campaigns_->GetBySlug("fund-the-library");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, CampaignStatus::kDraft);
  EXPECT_EQ(c->targets[0].x_handle, "council");
  EXPECT_EQ(c->targets[0].email, "council@library.example");
  EXPECT_EQ(c->groups.size(), 2u);
  EXPECT_EQ(c->time_zone, "Europe/Paris");
  ASSERT_EQ(c->secondary_targets.size(), 1u);
  EXPECT_EQ(c->secondary_targets[0].x_handle, "ada");
  EXPECT_EQ(c->secondary_targets[0].posts.size(), 2u);
  auto owner_role = store_->accounts().GetMembership(owner_.id, c->id);
  ASSERT_TRUE(owner_role);
  EXPECT_EQ(owner_role->role, CampaignRole::kOwner);
  // A draft is not public: nothing to embed yet.
  EXPECT_FALSE(Contains(Get(b, "/console/c/fund-the-library").body, "Embed on another site"));

  // The edit form shows everything as stored; saving it unchanged changes nothing.
  Response edit = Get(b, "/console/c/fund-the-library/edit");
  ASSERT_EQ(edit.status, 200);
  EXPECT_TRUE(Contains(edit.body, "kind=employees; key=staff; name=Library staff"));
  EXPECT_TRUE(Contains(edit.body, "value=\"The Council\""));
  EXPECT_TRUE(
      Contains(edit.body, "name=Ada Mayor; about=Chairs the council; x=ada\n&gt; {handle}"));
  // A mistake in them comes back as typed, naming the line, and changes nothing.
  const std::string typed = "name=Ada Mayor\n> hi\nname=Bo\n> ho";
  Response wrong = Post(b, "/console/c/fund-the-library/edit",
                        {{"csrf", Token(b)},
                         {"slug", "fund-the-library"},
                         {"title", "Fund the library"},
                         {"goal", "500"},
                         {"letter", "Dear council,"},
                         {"t0_name", "The Council"},
                         {"language", "en"},
                         {"secondary_targets", typed}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_TRUE(Contains(wrong.body, "line 3: leave a blank line before the next person"));
  EXPECT_TRUE(Contains(wrong.body, "&gt; hi\nname=Bo"));
  EXPECT_EQ(campaigns_->GetBySlug("fund-the-library")->secondary_targets.size(), 1u);
  Response actions = Get(b, "/console/c/fund-the-library/actions");
  EXPECT_TRUE(Contains(actions.body, "campaign.create"));
  Response jsonl = Get(b, "/console/c/fund-the-library/actions.jsonl");
  EXPECT_EQ(jsonl.status, 200);
  EXPECT_TRUE(Contains(jsonl.body, "\"action\":\"campaign.create\""));
  EXPECT_TRUE(Contains(jsonl.body, "\"user\":\"owner@example.org\""));
}

TEST_F(ConsoleTest, ADraftIsSeenAtItsRealAddressByItsOrganizersOnlyWithABanner) {
  Campaign c = campaign_;
  c.status = CampaignStatus::kDraft;
  ASSERT_TRUE(organizing_->Edit(service::Actor::Of(owner_), c));
  Browser anonymous;
  EXPECT_EQ(Get(anonymous, "/c/the-letter").status, 404);
  anonymous.jar[service::kSessionCookie] = "not-a-session";
  EXPECT_EQ(Get(anonymous, "/c/the-letter").status, 404);
  MakeUser("stranger@example.org");
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_EQ(Get(stranger, "/c/the-letter").status, 404);
  Member("viewer@example.org", CampaignRole::kViewer);
  for (const char* who : {"owner@example.org", "viewer@example.org", "admin@example.org"}) {
    Browser b = SignIn(who);
    Response r = Get(b, "/c/the-letter");
    EXPECT_EQ(r.status, 200) << who;
    EXPECT_TRUE(Contains(r.body, "class=\"draft-banner\"")) << who;
    EXPECT_TRUE(Contains(r.body, "The letter"));
    EXPECT_FALSE(Contains(r.body, "action=\"/c/the-letter/sign\""));  // no sign form
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  }
  // Opened, it is the public page for everyone, without the banner.
  c.status = CampaignStatus::kOpen;
  ASSERT_TRUE(organizing_->Edit(service::Actor::Of(owner_), c));
  Browser later;
  Response r = Get(later, "/c/the-letter");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(Contains(r.body, "draft-banner"));
}

TEST_F(ConsoleTest, TheDashboardAndTheSignaturesListAreForTheCampaignsOrganizers) {
  Member("viewer@example.org", CampaignRole::kViewer);
  MakeUser("stranger@example.org");
  Browser viewer = SignIn("viewer@example.org");
  Response dash = Get(viewer, "/console/c/the-letter/dashboard");
  ASSERT_EQ(dash.status, 200) << dash.body;
  EXPECT_TRUE(Contains(dash.body, "<svg"));
  EXPECT_TRUE(Contains(dash.body, "<table"));  // the chart's table fallback
  EXPECT_TRUE(Contains(dash.body, "Confirmation rate"));
  EXPECT_EQ(Get(viewer, "/console/c/the-letter/dashboard?per=day").status, 200);
  Response list = Get(viewer, "/console/c/the-letter/signatures?q=x");
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Get(viewer, "/console/c/the-letter/signatures?state=bogus").status, 400);
  // The CSV is the export's: a viewer may see signers but not export them.
  EXPECT_EQ(Get(viewer, "/console/c/the-letter/signatures.csv").status, 403);
  Browser owner = SignIn("owner@example.org");
  Response csv = Get(owner, "/console/c/the-letter/signatures.csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_EQ(Get(stranger, "/console/c/the-letter/dashboard").status, 404);
  EXPECT_EQ(Get(stranger, "/console/c/the-letter/signatures").status, 404);
  EXPECT_EQ(Get(stranger, "/console/c/the-letter/signatures.csv").status, 404);
}

TEST_F(ConsoleTest, AModeratorPreviewsAFloodThenInvalidatesExactlyWhatWasPreviewed) {
  for (int i = 0; i < 3; ++i) {
    SignatureForm f;
    f.name = "Bot " + std::to_string(i);
    f.email = "bot" + std::to_string(i) + "@spam.example";
    f.public_name = true;
    service::SignContext ctx;
    ctx.source = "api";
    ctx.trusted = true;  // counted at once
    ASSERT_TRUE(signing_->Sign("the-letter", f, ctx));
  }
  ASSERT_EQ(campaigns_->Snapshot("the-letter")->counts.confirmed, 3);
  Member("moderator@example.org", CampaignRole::kModerator);
  Member("viewer@example.org", CampaignRole::kViewer);
  Browser mod = SignIn("moderator@example.org");
  Response preview = Get(mod, "/console/c/the-letter/moderation?domain=spam.example");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_TRUE(Contains(preview.body, "<strong>3</strong> signatures match now"));
  EXPECT_EQ(Hidden(preview.body, "expected"), "3");
  // A count that is not the previewed one changes nothing.
  Response stale = Post(
      mod, "/console/c/the-letter/moderation/invalidate",
      {{"csrf", Token(mod)}, {"domain", "spam.example"}, {"expected", "2"}, {"reason", "flood"}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(campaigns_->Snapshot("the-letter")->counts.confirmed, 3);
  Browser viewer = SignIn("viewer@example.org");
  EXPECT_EQ(Post(viewer, "/console/c/the-letter/moderation/invalidate",
                 {{"csrf", Token(viewer)},
                  {"domain", "spam.example"},
                  {"expected", "3"},
                  {"reason", "flood"}})
                .status,
            403);
  Response done = Post(
      mod, "/console/c/the-letter/moderation/invalidate",
      {{"csrf", Token(mod)}, {"domain", "spam.example"}, {"expected", "3"}, {"reason", "flood"}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(campaigns_->Snapshot("the-letter")->counts.confirmed, 0);
  EXPECT_TRUE(Contains(Get(mod, "/console/c/the-letter/moderation?domain=spam.example").body,
                       "<strong>0</strong> signatures match now"));
  // A bad filter says what to fix; a stranger sees nothing.
  EXPECT_EQ(Get(mod, "/console/c/the-letter/moderation?ranges=not-a-range").status, 400);
  MakeUser("stranger@example.org");
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_EQ(Get(stranger, "/console/c/the-letter/moderation").status, 404);
}

TEST_F(ConsoleTest, OrganizationsAreReviewedWithTheirLogoAndAnApprovalCanBeWithdrawn) {
  auto org =
      organizations_->Submit("the-letter",
                             OrganizationForm{"Friends of the Earth", "https://foe.example.org",
                                              "press@foe.example.org", "We stand with them."},
                             kPng);
  ASSERT_TRUE(org) << org.error().message;
  auto confirm = Outbox("org_confirm");
  ASSERT_EQ(confirm.size(), 1u);
  ASSERT_TRUE(organizations_->Confirm(
      nlohmann::json::parse(confirm[0].payload)["confirm_token"].get<std::string>()));
  const std::string base = "/console/c/the-letter/organizations";
  const std::string logo = base + "/" + org->uuid + "/logo";
  Member("moderator@example.org", CampaignRole::kModerator);
  Member("viewer@example.org", CampaignRole::kViewer);
  MakeUser("stranger@example.org");

  // Who may review: moderators and up; a viewer is refused, a stranger learns nothing.
  Browser viewer = SignIn("viewer@example.org");
  EXPECT_EQ(Get(viewer, base).status, 403);
  EXPECT_EQ(Get(viewer, logo).status, 403);
  EXPECT_EQ(Post(viewer, base + "/" + org->uuid, {{"csrf", Token(viewer)}, {"decision", "approve"}})
                .status,
            403);
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_EQ(Get(stranger, base).status, 404);
  EXPECT_EQ(Get(stranger, logo).status, 404);

  // The moderator sees it waiting, with its contact, statement and logo, before deciding.
  Browser mod = SignIn("moderator@example.org");
  Response page = Get(mod, base);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.body, "Waiting for your decision"));
  EXPECT_TRUE(Contains(page.body, "Friends of the Earth"));
  EXPECT_TRUE(Contains(page.body, "press@foe.example.org"));
  EXPECT_TRUE(Contains(page.body, "We stand with them."));
  EXPECT_TRUE(Contains(page.body, "src=\"" + logo + "\""));
  Response png = Get(mod, logo);
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(png.body.substr(1, 3), "PNG");
  EXPECT_EQ(Get(mod, base + "/no-such-uuid/logo").status, 404);
  EXPECT_EQ(Post(mod, base + "/" + org->uuid, {{"csrf", Token(mod)}, {"decision", "maybe"}}).status,
            400);

  Response approve =
      Post(mod, base + "/" + org->uuid, {{"csrf", Token(mod)}, {"decision", "approve"}});
  ASSERT_EQ(approve.status, 303) << approve.body;
  ASSERT_EQ(campaigns_->Snapshot("the-letter")->organizations.size(), 1u);
  EXPECT_EQ(Recorded().front(), "organization.approve");
  // Rejecting an approved organization is refused, saying why; withdrawing is how.
  Response reject =
      Post(mod, base + "/" + org->uuid, {{"csrf", Token(mod)}, {"decision", "reject"}});
  EXPECT_EQ(reject.status, 409);
  EXPECT_TRUE(Contains(reject.body, "already approved"));
  EXPECT_TRUE(Contains(Get(mod, base).body, "Withdraw the approval"));
  Response withdraw =
      Post(mod, base + "/" + org->uuid, {{"csrf", Token(mod)}, {"decision", "withdraw"}});
  ASSERT_EQ(withdraw.status, 303) << withdraw.body;
  EXPECT_TRUE(campaigns_->Snapshot("the-letter")->organizations.empty());
  EXPECT_EQ(Recorded().front(), "organization.withdraw");
  EXPECT_TRUE(Contains(Get(mod, base).body, "Rejected or withdrawn"));
  // The form needs the session's token.
  EXPECT_EQ(Post(mod, base + "/" + org->uuid, {{"csrf", "forged"}, {"decision", "approve"}}).status,
            403);
}

TEST_F(ConsoleTest, AnUpdateIsWrittenTestedAndSentOnlyToSignersWhoAskedForUpdates) {
  SignTrusted("Ada", "ada@example.org", true);
  SignTrusted("Bo", "bo@example.org", true);
  SignTrusted("Quiet", "quiet@example.org", false);
  Member("editor@example.org", CampaignRole::kEditor);
  Member("moderator@example.org", CampaignRole::kModerator);
  Browser mod = SignIn("moderator@example.org");
  EXPECT_EQ(Get(mod, "/console/c/the-letter/updates").status, 403);  // editors and up

  Browser ed = SignIn("editor@example.org");
  Response list = Get(ed, "/console/c/the-letter/updates");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(Contains(list.body, "No update yet."));
  // A bad draft comes back as typed, with what to fix.
  Response bad = Post(ed, "/console/c/the-letter/updates",
                      {{"csrf", Token(ed)}, {"subject", ""}, {"body", "Kept *as typed*"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Contains(bad.body, "Kept *as typed*"));
  EXPECT_TRUE(Contains(bad.body, "The subject "));
  Response made =
      Post(ed, "/console/c/the-letter/updates",
           {{"csrf", Token(ed)}, {"subject", "We met the CEO"}, {"body", "It **went** well."}});
  ASSERT_EQ(made.status, 303) << made.body;
  const std::string at = HeaderOf(made, "Location");
  const std::string page_path = at.substr(0, at.find('?'));
  ASSERT_TRUE(page_path.starts_with("/console/c/the-letter/updates/")) << at;
  Response page = Get(ed, page_path);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.body, "<strong>went</strong>"));  // the preview, rendered
  EXPECT_TRUE(Contains(page.body, "2 signers"));              // who asked for updates
  EXPECT_FALSE(Contains(page.body, "ada@example.org"));       // no signer's address is shown

  // Edit, then a test to oneself only.
  ASSERT_EQ(
      Post(ed, page_path,
           {{"csrf", Token(ed)}, {"subject", "We met the CEO today"}, {"body", "It went well."}})
          .status,
      303);
  ASSERT_EQ(Post(ed, page_path + "/test", {{"csrf", Token(ed)}}).status, 303);
  auto tests = Outbox("update_test");
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].recipient, "editor@example.org");

  // A time that is not one, or is past, comes back with the field's error; nothing is sent.
  Response when = Post(ed, page_path + "/send",
                       {{"csrf", Token(ed)}, {"when", "later"}, {"at", "next tuesday"}});
  EXPECT_EQ(when.status, 400);
  EXPECT_TRUE(Contains(when.body, "like 2026-12-24T09:00"));
  Response past = Post(ed, page_path + "/send",
                       {{"csrf", Token(ed)}, {"when", "later"}, {"at", "2020-01-01T09:00"}});
  EXPECT_EQ(past.status, 400);
  EXPECT_TRUE(Contains(past.body, "in the past"));
  // Scheduled for a set time in the campaign's zone (UTC here): the page says when.
  Response later = Post(ed, page_path + "/send",
                        {{"csrf", Token(ed)}, {"when", "later"}, {"at", "2023-11-15T09:00"}});
  ASSERT_EQ(later.status, 303) << later.body;
  Response scheduled = Get(ed, page_path);
  EXPECT_TRUE(Contains(scheduled.body, "to be sent 15 November 2023, 09:00 (UTC)"))
      << scheduled.body;
  // Once scheduled it cannot be edited or sent again.
  EXPECT_EQ(Post(ed, page_path, {{"csrf", Token(ed)}, {"subject", "x"}, {"body", "y"}}).status,
            409);
  Response listed = Get(ed, "/console/c/the-letter/updates");
  EXPECT_TRUE(Contains(listed.body, "We met the CEO today"));
  EXPECT_FALSE(Contains(listed.body, "<em>()</em>"));  // an ordinary update names no kind
  // Called off before it goes out: a draft again, which can be edited and scheduled anew.
  EXPECT_TRUE(Contains(scheduled.body, "/unschedule\""));
  Response called_off = Post(ed, page_path + "/unschedule", {{"csrf", Token(ed)}});
  ASSERT_EQ(called_off.status, 303);
  Response draft_again = Get(ed, HeaderOf(called_off, "Location"));
  EXPECT_TRUE(Contains(draft_again.body, "Called off"));
  EXPECT_TRUE(Contains(draft_again.body, "Save changes"));
  EXPECT_EQ(Post(ed, page_path + "/unschedule", {{"csrf", Token(ed)}}).status, 409);
  EXPECT_EQ(Post(mod, page_path + "/unschedule", {{"csrf", Token(mod)}}).status, 403);
  ASSERT_EQ(Post(ed, page_path + "/send",
                 {{"csrf", Token(ed)}, {"when", "later"}, {"at", "2023-11-15T10:00"}})
                .status,
            303);
  const auto recorded = Recorded();
  EXPECT_NE(std::find(recorded.begin(), recorded.end(), "update.schedule"), recorded.end());
  EXPECT_NE(std::find(recorded.begin(), recorded.end(), "update.unschedule"), recorded.end());

  // An update of another campaign is not reachable under this one's address.
  Campaign other;
  other.slug = "other-letter";
  other.title = "Other";
  other.goal = 10;
  other.targets = {Target{"X", "", "", "", "", "", ""}};
  other.status = CampaignStatus::kOpen;
  ASSERT_TRUE(organizing_->Create(service::Actor::Of(owner_), other));
  auto foreign = updates_->Draft(service::Actor::Operator(), "other-letter", "Other", "Body");
  ASSERT_TRUE(foreign);
  Browser admin = SignIn("admin@example.org");
  EXPECT_EQ(Get(admin, "/console/c/the-letter/updates/" + std::to_string(foreign->id)).status, 404);
  EXPECT_EQ(Get(admin, "/console/c/the-letter/updates/not-a-number").status, 404);
}

TEST_F(ConsoleTest, TheLetterIsPreviewedAsAPdfAndDeliveredOnceToTheTargetsWithAnAddress) {
  SignTrusted("Ada Lovelace", "ada@example.org", true);
  SignTrusted("Bo", "bo@example.org", false);
  Member("editor@example.org", CampaignRole::kEditor);
  Member("viewer@example.org", CampaignRole::kViewer);
  Browser viewer = SignIn("viewer@example.org");
  EXPECT_EQ(Get(viewer, "/console/c/the-letter/delivery").status, 403);
  EXPECT_EQ(Get(viewer, "/console/c/the-letter/delivery/letter.pdf").status, 403);
  EXPECT_EQ(
      Post(viewer, "/console/c/the-letter/delivery", {{"csrf", Token(viewer)}, {"last_seen", "0"}})
          .status,
      403);

  Browser ed = SignIn("editor@example.org");
  Response page = Get(ed, "/console/c/the-letter/delivery");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.body, "ceo@acme.example"));
  EXPECT_TRUE(Contains(page.body, "<em>no email address</em>"));  // the board
  EXPECT_TRUE(Contains(page.body, "<strong>2</strong> confirmed signatures"));
  EXPECT_TRUE(Contains(page.body, "Ada Lovelace"));
  EXPECT_TRUE(Contains(page.body, "<strong>stop</strong>"));
  EXPECT_FALSE(Contains(page.body, "ada@example.org"));
  EXPECT_EQ(Hidden(page.body, "last_seen"), "0");
  Response pdf = Get(ed, "/console/c/the-letter/delivery/letter.pdf");
  ASSERT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.content_type, "application/pdf");
  EXPECT_TRUE(pdf.body.starts_with("%PDF-"));

  Response sent =
      Post(ed, "/console/c/the-letter/delivery", {{"csrf", Token(ed)}, {"last_seen", "0"}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  auto mails = Outbox("delivery");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "ceo@acme.example");
  // The same form sent again (a second press) delivers nothing more.
  Response again =
      Post(ed, "/console/c/the-letter/delivery", {{"csrf", Token(ed)}, {"last_seen", "0"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Outbox("delivery").size(), 1u);
  Response after = Get(ed, "/console/c/the-letter/delivery");
  EXPECT_TRUE(Contains(after.body, "Deliveries so far"));
  EXPECT_NE(Hidden(after.body, "last_seen"), "0");
  // The signers who asked for updates are told by a "delivered" update.
  auto list = updates_->List(service::Actor::Operator(), "the-letter");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().update.kind, "delivered");
  const auto recorded = Recorded();  // "deliver", then the announcement's "update.send"
  EXPECT_NE(std::find(recorded.begin(), recorded.end(), "deliver"), recorded.end());
  // The public page says so (once the campaign is refreshed, as the server does every moment).
  ASSERT_TRUE(campaigns_->Refresh());
  Browser anyone;
  EXPECT_TRUE(Contains(Get(anyone, "/c/the-letter").body, "Delivered to The CEO"));
}

// The campaign's picture: uploaded from the edit page's own form (multipart, with the session's
// token), re-encoded, shown on the campaign page with its description, cached by version,
// described anew without a new file, removed; only editors and up; recorded.
TEST_F(ConsoleTest, ThePictureIsUploadedShownDescribedAndRemovedByEditorsOnly) {
  Browser owner = SignIn("owner@example.org");
  Response edit = Get(owner, "/console/c/the-letter/edit");
  ASSERT_EQ(edit.status, 200);
  EXPECT_TRUE(Contains(edit.body, "enctype=\"multipart/form-data\""));
  EXPECT_TRUE(Contains(edit.body, "action=\"/console/c/the-letter/picture\""));
  EXPECT_TRUE(Contains(edit.body, "This campaign has no picture"));
  const std::string token = Hidden(edit.body, "csrf");
  auto parts = [&](const std::string& csrf, const std::string& file, const std::string& alt,
                   const std::string& what = "save") {
    return std::vector<test::Part>{{"csrf", csrf, std::nullopt, ""},
                                   {"image", file, std::string("protest.png"), "image/png"},
                                   {"image_alt", alt, std::nullopt, ""},
                                   {"do", what, std::nullopt, ""}};
  };

  // Without the session's token, from another site, or urlencoded: refused, nothing kept.
  EXPECT_EQ(
      PostMultipart(owner, "/console/c/the-letter/picture", parts("forged", kPng, "A")).status,
      403);
  EXPECT_EQ(PostMultipart(owner, "/console/c/the-letter/picture", parts(token, kPng, "A"),
                          "https://evil.example")
                .status,
            403);
  EXPECT_EQ(Post(owner, "/console/c/the-letter/picture",
                 {{"csrf", token}, {"image_alt", "A"}, {"image", "x"}})
                .status,
            415);
  EXPECT_FALSE(campaigns_->GetBySlug("the-letter")->image.has_value());

  // Not an image, or no description: the form again, the description as typed, a message each.
  Response bad = PostMultipart(owner, "/console/c/the-letter/picture",
                               parts(token, "GIF89a not really", "Marchers & <friends>"));
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(Contains(bad.body, "The picture: the picture must be a PNG or JPEG image."));
  EXPECT_TRUE(Contains(bad.body, "value=\"Marchers &amp; &lt;friends&gt;\""));
  EXPECT_TRUE(Contains(bad.body, "href=\"#p-image\""));
  Response no_alt = PostMultipart(owner, "/console/c/the-letter/picture", parts(token, kPng, ""));
  EXPECT_EQ(no_alt.status, 422);
  EXPECT_TRUE(Contains(no_alt.body, "Describe what the picture shows"));
  EXPECT_FALSE(campaigns_->GetBySlug("the-letter")->image.has_value());

  // A viewer and a moderator may not; a stranger learns nothing.
  Member("viewer@example.org", CampaignRole::kViewer);
  Member("moderator@example.org", CampaignRole::kModerator);
  MakeUser("stranger@example.org");
  for (const auto& [who, status] :
       std::vector<std::pair<std::string, int>>{{"viewer@example.org", 403},
                                                {"moderator@example.org", 403},
                                                {"stranger@example.org", 404}}) {
    Browser b = SignIn(who);
    EXPECT_EQ(Get(b, "/console/c/the-letter/picture").status, status) << who;
    EXPECT_EQ(PostMultipart(b, "/console/c/the-letter/picture", parts(Token(b), kPng, "A picture"))
                  .status,
              status)
        << who;
  }
  EXPECT_FALSE(campaigns_->GetBySlug("the-letter")->image.has_value());

  // The owner saves it: the campaign page shows it, described, at a versioned address.
  Response saved = PostMultipart(owner, "/console/c/the-letter/picture",
                                 parts(token, kPng, "Four pixels of protest"));
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(HeaderOf(saved, "Location"), "/console/c/the-letter?picture=saved");
  EXPECT_TRUE(
      Contains(Get(owner, "/console/c/the-letter?picture=saved").body, "The picture is saved."));
  Campaign c = *campaigns_->GetBySlug("the-letter");
  ASSERT_TRUE(c.image.has_value());
  const std::string src = "/c/the-letter/picture.jpg?v=" + c.image->sha256.substr(0, 16);
  Browser visitor;
  Response page = Get(visitor, "/c/the-letter");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "<img src=\"" + src +
                                      "\" alt=\"Four pixels of protest\" width=\"4\" "
                                      "height=\"4\">"))
      << page.body;
  Response jpeg = Get(visitor, src);
  ASSERT_EQ(jpeg.status, 200);
  EXPECT_EQ(jpeg.content_type, "image/jpeg");
  EXPECT_EQ(jpeg.body.substr(0, 3), "\xff\xd8\xff");
  EXPECT_EQ(jpeg.body, *store_->CampaignImageJpeg(c.id));
  EXPECT_EQ(HeaderOf(jpeg, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(jpeg, "ETag"), "\"" + c.image->sha256 + "\"");
  // The bare address follows the current picture, briefly cached.
  Response bare = Get(visitor, "/c/the-letter/picture.jpg");
  EXPECT_EQ(bare.status, 200);
  EXPECT_EQ(HeaderOf(bare, "Cache-Control"), "public, max-age=300");

  // A new description alone keeps the file; the page follows at once.
  Response described = PostMultipart(owner, "/console/c/the-letter/picture",
                                     parts(token, "", "Four pixels, described anew"));
  ASSERT_EQ(described.status, 303) << described.body;
  EXPECT_EQ(campaigns_->GetBySlug("the-letter")->image->sha256, c.image->sha256);
  EXPECT_TRUE(Contains(Get(visitor, "/c/the-letter").body, "alt=\"Four pixels, described anew\""));

  // Removed: gone from the page and its address.
  Response removed =
      PostMultipart(owner, "/console/c/the-letter/picture", parts(token, "", "", "remove"));
  ASSERT_EQ(removed.status, 303) << removed.body;
  EXPECT_FALSE(Contains(Get(visitor, "/c/the-letter").body, "campaign-picture"));
  EXPECT_EQ(Get(visitor, src).status, 404);
  auto recorded = Recorded();
  ASSERT_GE(recorded.size(), 3u);
  EXPECT_EQ(recorded[0], "campaign.image");
  EXPECT_EQ(recorded[1], "campaign.image");
  EXPECT_EQ(recorded[2], "campaign.image");
}

// A draft's picture is its organizers' like the draft's page.
TEST_F(ConsoleTest, ADraftsPictureIsSeenByItsOrganizersOnly) {
  ASSERT_TRUE(organizing_->SetImage(service::Actor::Of(owner_), campaign_.id, kPng, "A picture"));
  Campaign c = *campaigns_->GetBySlug("the-letter");
  c.status = CampaignStatus::kDraft;
  ASSERT_TRUE(organizing_->Edit(service::Actor::Of(owner_), c));
  Browser anonymous;
  EXPECT_EQ(Get(anonymous, "/c/the-letter/picture.jpg").status, 404);
  MakeUser("stranger@example.org");
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_EQ(Get(stranger, "/c/the-letter/picture.jpg").status, 404);
  Browser owner = SignIn("owner@example.org");
  Response r = Get(owner, "/c/the-letter/picture.jpg");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "private, no-store");
  EXPECT_TRUE(Contains(Get(owner, "/c/the-letter").body, "/c/the-letter/picture.jpg?v="));
}

// API tokens from the console: an owner makes one for this campaign (shown once), sees the
// list, revokes it; editors may not, strangers see nothing; each step is recorded.
TEST_F(ConsoleTest, AnOwnerMakesAScopedTokenSeenOnceAndRevokesIt) {
  Browser owner = SignIn("owner@example.org");
  Response page = Get(owner, "/console/c/the-letter/tokens");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "This campaign has no tokens yet."));
  Response overview = Get(owner, "/console/c/the-letter");
  EXPECT_TRUE(Contains(overview.body, "/console/c/the-letter/tokens"));
  EXPECT_TRUE(Contains(overview.body, "href=\"/c/the-letter/flyer.pdf\""));  // share and print
  // The embeds' snippets to copy (http/pages/embed.h), escaped into the text area.
  EXPECT_TRUE(Contains(overview.body, "Embed on another site"));
  EXPECT_TRUE(Contains(overview.body,
                       "&lt;iframe src=&quot;https://sign.example.org/c/the-letter/embed&quot;"));
  EXPECT_TRUE(Contains(overview.body, "/c/the-letter/embed/count&quot;"));
  Member("editor@example.org", CampaignRole::kEditor);
  MakeUser("stranger@example.org");
  Browser editor = SignIn("editor@example.org");
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_EQ(Get(editor, "/console/c/the-letter/tokens").status, 403);
  EXPECT_EQ(Get(stranger, "/console/c/the-letter/tokens").status, 404);
  EXPECT_EQ(Post(editor, "/console/c/the-letter/tokens",
                 {{"csrf", Token(editor)}, {"name", "x"}, {"access", "read"}})
                .status,
            403);
  EXPECT_FALSE(Contains(Get(editor, "/console/c/the-letter").body, "/tokens\""));

  // Mistakes come back with the name as typed.
  Response bad = Post(owner, "/console/c/the-letter/tokens",
                      {{"csrf", Token(owner)}, {"name", "CRM <sync>"}, {"access", "admin"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(Contains(bad.body, "value=\"CRM &lt;sync&gt;\""));
  EXPECT_EQ(Post(owner, "/console/c/the-letter/tokens",
                 {{"csrf", Token(owner)}, {"name", ""}, {"access", "read"}})
                .status,
            422);

  Response made = Post(owner, "/console/c/the-letter/tokens",
                       {{"csrf", Token(owner)}, {"name", "CRM sync"}, {"access", "read"}});
  ASSERT_EQ(made.status, 200) << made.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(made.body, m, std::regex("value=\"(us_[A-Za-z0-9_-]+)\"")))
      << made.body;
  const std::string raw = m[1];
  auto token = store_->FindApiToken(service::HashToken(raw));
  ASSERT_TRUE(token.has_value());
  auto scope = store_->accounts().GetApiTokenScope(token->id);
  ASSERT_TRUE(scope.has_value());
  EXPECT_EQ(scope->campaign_id, campaign_.id);
  EXPECT_EQ(scope->owner_user_id, owner_.id);
  EXPECT_TRUE(scope->read_only);

  // Shown once: the list names it, never the token again.
  page = Get(owner, "/console/c/the-letter/tokens");
  EXPECT_TRUE(Contains(page.body, "CRM sync"));
  EXPECT_TRUE(Contains(page.body, "owner@example.org"));
  EXPECT_TRUE(Contains(page.body, "read only"));
  EXPECT_FALSE(Contains(page.body, raw));
  const std::string revoke =
      "/console/c/the-letter/tokens/" + std::to_string(token->id) + "/revoke";
  EXPECT_TRUE(Contains(page.body, revoke));
  EXPECT_EQ(Post(editor, revoke, {{"csrf", Token(editor)}}).status, 403);

  Response revoked = Post(owner, revoke, {{"csrf", Token(owner)}});
  ASSERT_EQ(revoked.status, 303) << revoked.body;
  EXPECT_FALSE(store_->FindApiToken(service::HashToken(raw)).has_value());
  page = Get(owner, "/console/c/the-letter/tokens?revoked=1");
  EXPECT_TRUE(Contains(page.body, "The token is revoked."));
  EXPECT_TRUE(Contains(page.body, "revoked on"));
  EXPECT_FALSE(Contains(page.body, revoke));
  EXPECT_EQ(Post(owner, revoke, {{"csrf", Token(owner)}}).status, 404);
  EXPECT_EQ(Post(owner, "/console/c/the-letter/tokens/abc/revoke", {{"csrf", Token(owner)}}).status,
            404);
  auto recorded = Recorded();
  ASSERT_GE(recorded.size(), 2u);
  EXPECT_EQ(recorded[0], "api_token.revoke");
  EXPECT_EQ(recorded[1], "api_token.create");
}

TEST_F(ConsoleTest, EventsAreMadeTimedApprovedAndTheirAttendeesCheckedIn) {
  Member("editor@example.org", CampaignRole::kEditor);
  Member("moderator@example.org", CampaignRole::kModerator);
  MakeUser("stranger@example.org");
  Browser editor = SignIn("editor@example.org");
  Browser moderator = SignIn("moderator@example.org");
  Browser stranger = SignIn("stranger@example.org");
  EXPECT_TRUE(Contains(Get(editor, "/console/c/the-letter").body, "/console/c/the-letter/events"));
  Response list = Get(editor, "/console/c/the-letter/events");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(Contains(list.body, "This campaign has no events yet."));
  EXPECT_EQ(Get(stranger, "/console/c/the-letter/events").status, 404);
  EXPECT_EQ(Get(moderator, "/console/c/the-letter/events/new").status, 403);

  // A mistake keeps what was typed.
  std::vector<std::pair<std::string, std::string>> fields = {
      {"csrf", Token(editor)}, {"title", "March on HQ"},   {"slug", "Bad Slug"},
      {"kind", "in_person"},   {"venue", "Secret Garage"}, {"address", "12 Hidden Lane"},
      {"private", "yes"},      {"host_name", "Hana"},      {"host_email", "hana@example.org"},
      {"reminders", "24, 2"},  {"promote_until", "1"},     {"listed", "yes"}};
  Response bad = Post(editor, "/console/c/the-letter/events/new", fields);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_TRUE(Contains(bad.body, "value=\"March on HQ\""));
  EXPECT_TRUE(Contains(bad.body, "lower-case letters"));
  fields[2].second = "march";
  EXPECT_EQ(Post(moderator, "/console/c/the-letter/events/new", fields).status, 403);
  fields[0].second = Token(editor);
  Response made = Post(editor, "/console/c/the-letter/events/new", fields);
  ASSERT_EQ(made.status, 303) << made.body;
  const std::string where = HeaderOf(made, "Location");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(where, m, std::regex("/events/([0-9]+)")));
  const std::string event_url = "/console/c/the-letter/events/" + m[1].str();
  Response page = Get(editor, where);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "12 Hidden Lane"));  // the console sees the private place

  // A time, wrong then right.
  Response bad_time = Post(editor, event_url + "/times",
                           {{"csrf", Token(editor)},
                            {"starts", "2023-11-21T18:00"},
                            {"ends", "2023-11-21T17:00"},
                            {"time_zone", "Europe/Paris"},
                            {"capacity", "2"}});
  EXPECT_EQ(bad_time.status, 422) << bad_time.body;
  EXPECT_TRUE(Contains(bad_time.body, "2023-11-21T17:00"));
  Response timed = Post(editor, event_url + "/times",
                        {{"csrf", Token(editor)},
                         {"starts", "2023-11-21T18:00"},
                         {"ends", "2023-11-21T20:00"},
                         {"time_zone", "Europe/Paris"},
                         {"capacity", "2"}});
  ASSERT_EQ(timed.status, 303) << timed.body;
  list = Get(editor, "/console/c/the-letter/events");
  EXPECT_TRUE(Contains(list.body, "21 November 2023, 18:00 (Europe/Paris): 0 / 2, 0 waiting"))
      << list.body;

  // Two trusted answers; the printed list shows them; check-in.
  auto event = events_->List(service::Actor::Operator(), "the-letter");
  ASSERT_TRUE(event && event->size() == 1u);
  auto slots = events_->Slots(service::Actor::Operator(), (*event)[0].id);
  ASSERT_TRUE(slots && slots->size() == 1u);
  auto ada =
      events_->Answer("the-letter", "march",
                      {(*slots)[0].id, "Ada Lovelace", "ada@example.org", 1, ""}, true, "api");
  ASSERT_TRUE(ada) << ada.error().message;
  Response sheet = Get(editor, event_url + "/attendees");
  ASSERT_EQ(sheet.status, 200) << sheet.body;
  EXPECT_TRUE(Contains(sheet.body, "Ada Lovelace"));
  EXPECT_TRUE(Contains(sheet.body, "2 of 2 places taken; 0 checked in."));
  EXPECT_EQ(Get(stranger, event_url + "/attendees").status, 404);
  const std::string check = event_url + "/attendees/" + std::to_string(ada->id);
  Response in = Post(editor, check, {{"csrf", Token(editor)}, {"checked", "yes"}});
  ASSERT_EQ(in.status, 303) << in.body;
  EXPECT_TRUE(store_->events().GetRsvp(ada->id)->checked_in);
  EXPECT_TRUE(Contains(Get(editor, event_url + "/attendees").body, "1 checked in."));

  // A proposal from a supporter waits for an organizer's approval.
  service::EventInput p;
  p.slug = "picnic";
  p.title = "Picnic";
  p.venue = "The park";
  p.host_name = "Pia";
  p.host_email = "pia@example.org";
  auto proposed =
      events_->Propose("the-letter", p, {"2023-11-25T12:00", "2023-11-25T14:00", "UTC", 0});
  ASSERT_TRUE(proposed) << proposed.error().message;
  list = Get(editor, "/console/c/the-letter/events");
  EXPECT_TRUE(Contains(list.body, "awaits approval"));
  EXPECT_TRUE(Contains(list.body, "Approve and list"));
  const std::string status_url =
      "/console/c/the-letter/events/" + std::to_string(proposed->event.id) + "/status";
  Response approved = Post(editor, status_url, {{"csrf", Token(editor)}, {"status", "listed"}});
  ASSERT_EQ(approved.status, 303) << approved.body;
  EXPECT_EQ(store_->events().GetEvent(proposed->event.id)->status, EventStatus::kListed);
  EXPECT_EQ(Recorded()[0], "event.approve");
}

}  // namespace
}  // namespace undersigned::http
