// Asking the people who can move the targets (ask.cc): the campaign page offers them, each
// person's page offers the posts in turn with the handle for each network, the live count and
// the channel in the link, and /send leads to the network's intent with the text as edited.
#include <gtest/gtest.h>

#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

using test::Contains;
using test::HeaderOf;
using test::PagesTest;

class AskTest : public PagesTest {
 protected:
  void SetUp() override {
    PagesTest::SetUp();
    auto c = campaigns_->GetBySlug("drop-ice");
    ASSERT_TRUE(c);
    c->secondary_targets = {
        SecondaryTarget{"Jane <Doe>",
                        "Keynote speaker at the conference",
                        "janedoe",
                        "jane.bsky.social",
                        "@jane@mastodon.social",
                        {"{handle}, {count} of us ask you to speak up: {url}",
                         "{handle}: will you ask them on stage? {count} signed."}},
        SecondaryTarget{"Kim", "", "", "", "", {"Kim, {count} signed."}}};
    auto updated = campaigns_->Update(*c);
    ASSERT_TRUE(updated) << updated.error().message;
  }
};

TEST_F(AskTest, TheCampaignPageOffersEachPerson) {
  Response page = Call("GET", "/c/drop-ice");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "Ask the people who can move Marc Benioff"));
  EXPECT_TRUE(Contains(page.body, "<a href=\"/c/drop-ice/ask/1\">Jane &lt;Doe&gt;</a>"));
  EXPECT_TRUE(Contains(page.body, "Keynote speaker at the conference"));
  EXPECT_TRUE(Contains(page.body, "<a href=\"/c/drop-ice/ask/2\">Kim</a>"));
}

TEST_F(AskTest, PostsComeInTurnWithEachNetworksHandleAndTheCount) {
  Response first = Call("GET", "/c/drop-ice/ask/1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(HeaderOf(first, "Cache-Control"), "no-store");
  // Its forms end on other sites (a redirect to the share intent), which the page's policy
  // must allow, or browsers block them; nothing else is relaxed.
  const std::string csp = HeaderOf(first, "Content-Security-Policy");
  EXPECT_NE(csp.find("form-action 'self' https: mailto:;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_TRUE(Contains(first.body, "<h1>Ask Jane &lt;Doe&gt;</h1>"));
  EXPECT_TRUE(Contains(first.body, "Message 1 of 2"));
  // X's form names the X handle and links with ?s=x; Bluesky's and Mastodon's theirs; elsewhere
  // names the person.
  EXPECT_TRUE(Contains(first.body,
                       ">@janedoe, 0 of us ask you to speak up: "
                       "https://sign.example.org/c/drop-ice?s=x</textarea>"));
  EXPECT_TRUE(Contains(first.body,
                       ">@jane.bsky.social, 0 of us ask you to speak up: "
                       "https://sign.example.org/c/drop-ice?s=bluesky</textarea>"));
  EXPECT_TRUE(Contains(first.body, ">@jane@mastodon.social, 0 of us"));
  EXPECT_TRUE(Contains(first.body,
                       ">Jane &lt;Doe&gt;, 0 of us ask you to speak up: "
                       "https://sign.example.org/c/drop-ice?s=ask</textarea>"));
  // The next visitor is offered the next post, then the first again.
  Response second = Call("GET", "/c/drop-ice/ask/1");
  EXPECT_TRUE(Contains(second.body, "Message 2 of 2"));
  EXPECT_TRUE(Contains(second.body,
                       ">@janedoe: will you ask them on stage? 0 signed. "
                       "https://sign.example.org/c/drop-ice?s=x</textarea>"));
  EXPECT_TRUE(Contains(Call("GET", "/c/drop-ice/ask/1").body, "Message 1 of 2"));
  // ?post= picks one; the link to another names the next.
  Response picked = Call("GET", "/c/drop-ice/ask/1?post=2");
  EXPECT_TRUE(Contains(picked.body, "Message 2 of 2"));
  EXPECT_TRUE(Contains(picked.body, "href=\"/c/drop-ice/ask/1?post=1\""));
  // A person without handles has only the "elsewhere" form, and one post: no turn to show.
  Response kim = Call("GET", "/c/drop-ice/ask/2");
  ASSERT_EQ(kim.status, 200);
  EXPECT_FALSE(Contains(kim.body, "Post on X"));
  EXPECT_FALSE(Contains(kim.body, "Message 1 of 1"));
  EXPECT_TRUE(Contains(kim.body, ">Kim, 0 signed. https://sign.example.org/c/drop-ice?s=ask<"));
  EXPECT_EQ(Call("GET", "/c/drop-ice/ask/3").status, 404);
  EXPECT_EQ(Call("GET", "/c/drop-ice/ask/0").status, 404);
  EXPECT_EQ(Call("GET", "/c/drop-ice/ask/x").status, 404);
  EXPECT_EQ(Call("GET", "/c/nope/ask/1").status, 404);
}

TEST_F(AskTest, SendLeadsToTheNetworkWithTheEditedText) {
  Response x = Call("GET", "/c/drop-ice/ask/1/send?network=x&post=1&text=" +
                               PercentEncode("My own words @janedoe & more"));
  ASSERT_EQ(x.status, 303) << x.body;
  EXPECT_EQ(HeaderOf(x, "Location"),
            "https://x.com/intent/tweet?text=My%20own%20words%20%40janedoe%20%26%20more");
  Response bsky = Call("GET", "/c/drop-ice/ask/1/send?network=bluesky&text=hi");
  EXPECT_EQ(HeaderOf(bsky, "Location"), "https://bsky.app/intent/compose?text=hi");
  Response mastodon =
      Call("GET", "/c/drop-ice/ask/1/send?network=mastodon&text=hi&server=Mastodon.Social");
  EXPECT_EQ(HeaderOf(mastodon, "Location"), "https://mastodon.social/share?text=hi");
  Response facebook = Call("GET", "/c/drop-ice/ask/2/send?network=facebook&text=hi");
  EXPECT_EQ(HeaderOf(facebook, "Location"),
            "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fsign.example.org%2Fc%"
            "2Fdrop-ice%3Fs%3Dfacebook");
  Response email = Call("GET", "/c/drop-ice/ask/2/send?network=email&text=hi");
  EXPECT_TRUE(HeaderOf(email, "Location").starts_with("mailto:?subject=Drop%20the%20"));
  Response linkedin = Call("GET", "/c/drop-ice/ask/2/send?network=linkedin&text=hi");
  EXPECT_TRUE(HeaderOf(linkedin, "Location")
                  .starts_with("https://www.linkedin.com/sharing/share-offsite/?url="));
}

TEST_F(AskTest, MistakesComeBackAsTyped) {
  Response server = Call("GET", "/c/drop-ice/ask/1/send?network=mastodon&post=2&server=nope&text=" +
                                    PercentEncode("Edited <words>"));
  ASSERT_EQ(server.status, 422);
  EXPECT_TRUE(Contains(server.body, "Enter the address of your Mastodon server"));
  EXPECT_TRUE(Contains(server.body, "value=\"nope\""));
  EXPECT_TRUE(Contains(server.body, ">Edited &lt;words&gt;</textarea>"));
  EXPECT_TRUE(Contains(server.body, "Message 2 of 2"));
  Response empty = Call("GET", "/c/drop-ice/ask/1/send?network=x&text=%20");
  EXPECT_EQ(empty.status, 422);
  EXPECT_TRUE(Contains(empty.body, "the message is empty"));
  Response elsewhere = Call("GET", "/c/drop-ice/ask/2/send?network=whatsapp&text=");
  EXPECT_EQ(elsewhere.status, 422);
  EXPECT_TRUE(Contains(elsewhere.body, "id=\"ask-elsewhere-error\""));
  Response unknown = Call("GET", "/c/drop-ice/ask/1/send?network=myspace&text=hi");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(HeaderOf(unknown, "Location"), "");
}

}  // namespace
}  // namespace undersigned::http
