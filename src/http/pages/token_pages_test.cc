// The confirm and withdraw links' pages (token_pages.cc): sign, confirm, withdraw, and links
// that are not valid.
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

}  // namespace
}  // namespace undersigned::http
