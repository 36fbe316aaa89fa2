// Signing (sign.cc): CSRF, Origin and content type, field errors that keep what was typed,
// post/redirect/get with the flash cookie, signing again, rate limits.
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

}  // namespace
}  // namespace undersigned::http
