#include "render/account_email.h"

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

OutboxMessage Message(const std::string& kind, const std::string& payload) {
  OutboxMessage m;
  m.kind = kind;
  m.recipient = "ada@example.org";
  m.payload = payload;
  return m;
}

TEST(AccountEmail, AnInvitationLinksToTheConsoleWithItsToken) {
  auto r = RenderEmail(
      Message("account_invite", R"({"token":"a+b","invited_by":"Grace","campaign_title":"Bees",)"
                                R"("role":"editor"})"),
      "https://sign.example.org/");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->subject, "You are invited to organize Bees");
  EXPECT_NE(r->text.find("Grace invites you to organize \u201CBees\u201D as editor."),
            std::string::npos);
  EXPECT_NE(r->text.find("https://sign.example.org/console/link?t=a%2Bb"), std::string::npos);
  EXPECT_NE(r->html.find("href=\"https://sign.example.org/console/link?t=a%2Bb\""),
            std::string::npos);
}

TEST(AccountEmail, ASignInLinkAndWhatIsRefused) {
  auto r = RenderEmail(Message("sign_in_link", R"({"token":"tok"})"), "https://s.example");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->subject, "Your sign-in link");
  EXPECT_NE(r->text.find("https://s.example/console/link?t=tok"), std::string::npos);
  EXPECT_EQ(RenderEmail(Message("sign_in_link", R"({})"), "https://s.example").error().code,
            Code::kInvalidArgument);
  // A stored line break never reaches the subject.
  auto odd = RenderEmail(
      Message("account_invite", R"({"token":"t","campaign_title":"A\r\nBcc: x@y"})"), "https://s");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->subject.find('\n'), std::string::npos);
  EXPECT_EQ(odd->subject.find('\r'), std::string::npos);
  EXPECT_EQ(AccountLinkUrl("https://s", "x y"), "https://s/console/link?t=x%20y");
}

}  // namespace
}  // namespace undersigned::render
