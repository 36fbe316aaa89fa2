// Personal share links on the pages (token_pages.cc, share.cc, origin.cc): the thank-you page
// offers the link, a signature through it is credited, /s/shares shows the count and never who.
// (A protected signer's, and a work address's: group_pages_test.cc.)
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

using test::Contains;
using test::kBase;
using test::PagesTest;

class ReferralPagesTest : public PagesTest {
 protected:
  // Signs through the campaign page reached by `landing` (its query: ?ref=...), confirms with
  // the button, and returns the confirm token.
  std::string SignAndConfirm(const std::string& email, const std::string& landing = "",
                             const std::string& name = "Ada Lovelace") {
    Response page = Call("GET", "/c/drop-ice" + landing);
    EXPECT_EQ(page.status, 200);
    std::vector<std::pair<std::string, std::string>> fields = {
        {"csrf", Token()}, {"name", name}, {"email", email}, {"public_name", "yes"}};
    std::smatch m;
    if (std::regex_search(page.body, m, std::regex("name=\"origin\" value=\"([^\"]*)\""))) {
      std::string v = m[1];
      // The page escapes '&' in the attribute.
      for (std::size_t at; (at = v.find("&amp;")) != std::string::npos;) v.replace(at, 5, "&");
      fields.emplace_back("origin", v);
    }
    Response signed_page = Post("/c/drop-ice/sign", fields);
    EXPECT_EQ(signed_page.status, 200) << signed_page.body;
    const std::string token = LastMail(email)["token"];
    Response done = Post("/s/confirm", {{"t", token}, {"csrf", Token()}});
    EXPECT_EQ(done.status, 200) << done.body;
    last_done_ = done.body;
    return token;
  }

  static std::string CodeIn(const std::string& body) {
    std::smatch m;
    if (!std::regex_search(body, m, std::regex("/c/drop-ice\\?ref=([A-Za-z0-9_-]+)"))) return "";
    return m[1];
  }

  std::string last_done_;
};

TEST_F(ReferralPagesTest, TheThankYouPageOffersAPersonalLinkThatIsCreditedWithItsSignatures) {
  const std::string ada = SignAndConfirm("ada@example.org");
  EXPECT_TRUE(Contains(last_done_, "Your personal link"));
  const std::string code = CodeIn(last_done_);
  ASSERT_EQ(code.size(), service::kReferralCodeLength) << last_done_;
  EXPECT_TRUE(Contains(last_done_, std::string(kBase) + "/c/drop-ice?ref=" + code));
  // Every share link carries it, with its channel (percent-encoded inside the intent's text).
  EXPECT_TRUE(Contains(last_done_, "drop-ice%3Fref%3D" + code + "%26s%3Dx"));
  EXPECT_TRUE(Contains(last_done_, "/c/drop-ice/share/mastodon?ref=" + code));
  EXPECT_TRUE(Contains(last_done_, "No signature has come through your personal link yet"));
  EXPECT_TRUE(Contains(last_done_, "/s/shares?t=" + ada));

  // Two people sign through it (one of them never confirms), one without it.
  SignAndConfirm("bob@example.org", "?ref=" + code + "&s=whatsapp", "Bob Secretname");
  Call("GET", "/c/drop-ice?ref=" + code);
  SignAs("pending@example.org", "Pat Pending");
  SignAndConfirm("carol@example.org", "", "Carol Plain");

  Response shares = Call("GET", "/s/shares?t=" + ada);
  ASSERT_EQ(shares.status, 200) << shares.body;
  EXPECT_TRUE(Contains(shares.body, "Your shares have brought 1 confirmed signature."));
  EXPECT_TRUE(Contains(shares.body, "?ref=" + code));
  EXPECT_EQ(test::HeaderOf(shares, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(test::HeaderOf(shares, "Cache-Control"), "no-store");
  // Never who: no name or address of the signer it brought.
  EXPECT_FALSE(Contains(shares.body, "Bob"));
  EXPECT_FALSE(Contains(shares.body, "bob@example.org"));
  // Bob's own link is another.
  const std::string bob_page = last_done_;
  EXPECT_NE(CodeIn(bob_page), code);
}

TEST_F(ReferralPagesTest, ABadCodeInTheAddressIsIgnoredNotAnError) {
  const std::string ada = SignAndConfirm("ada@example.org", "?ref=not%20a%20code&s=x");
  EXPECT_TRUE(Contains(last_done_, "Thank you! Your signature is confirmed"));
  EXPECT_EQ(*store_->CountReferred(campaigns_->Snapshot("drop-ice")->campaign.id, "not a code"), 0);
  Response mastodon = Call("GET", "/c/drop-ice/share/mastodon?ref=%3Cscript%3E");
  EXPECT_EQ(mastodon.status, 200);
  EXPECT_FALSE(Contains(mastodon.body, "<script>"));
  EXPECT_FALSE(Contains(mastodon.body, "name=\"ref\""));
}

TEST_F(ReferralPagesTest, SharesPageRefusesTokensThatAreNotAConfirmedSignatures) {
  EXPECT_EQ(Call("GET", "/s/shares?t=nope").status, 404);
  EXPECT_EQ(Call("GET", "/s/shares").status, 404);
  SignAs("pending@example.org");
  const std::string pending = LastMail("pending@example.org")["token"];
  Response p = Call("GET", "/s/shares?t=" + pending);
  EXPECT_EQ(p.status, 409);
  EXPECT_TRUE(Contains(p.body, "This signature is not confirmed yet"));
  const std::string ada = SignAndConfirm("ada@example.org");
  ASSERT_TRUE(signing_->Withdraw(ada));
  Response w = Call("GET", "/s/shares?t=" + ada);
  EXPECT_EQ(w.status, 409);
  EXPECT_TRUE(Contains(w.body, "withdrawn"));
}

}  // namespace
}  // namespace undersigned::http
