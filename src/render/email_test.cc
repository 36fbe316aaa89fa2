#include "render/email.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace undersigned::render {
namespace {

OutboxMessage Confirm() {
  OutboxMessage m;
  m.kind = "confirm";
  m.recipient = "ada@example.org";
  m.payload = nlohmann::json{
      {"campaign_title", "Drop the \"ICE\" contract"},
      {"campaign_slug", "drop-ice"},
      {"token", "TOK_abc-123"},
      {"name", "<b>Ada</b> http://spam.example"},
      {"signature_uuid",
       "u-1"}}.dump();
  return m;
}

// The "already signed" mail: a withdraw-only token.
OutboxMessage AlreadySigned() {
  OutboxMessage m = Confirm();
  m.kind = "already_signed";
  m.payload = nlohmann::json{
      {"campaign_title", "Drop the \"ICE\" contract"},
      {"campaign_slug", "drop-ice"},
      {"withdraw_token", "WTOK_def-456"},
      {"name", "<b>Ada</b> http://spam.example"},
      {"signature_uuid",
       "u-1"}}.dump();
  return m;
}

TEST(RenderEmail, ConfirmHasBothLinksWithItsOneToken) {
  auto r = RenderEmail(Confirm(), "https://sign.example.org/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject, "Please confirm your signature: Drop the \"ICE\" contract");
  EXPECT_NE(r->text.find("https://sign.example.org/s/confirm?t=TOK_abc-123\n"), std::string::npos)
      << r->text;
  EXPECT_NE(r->text.find("https://sign.example.org/s/withdraw?t=TOK_abc-123\n"), std::string::npos);
  EXPECT_NE(r->text.find("https://sign.example.org/c/drop-ice"), std::string::npos);
  EXPECT_NE(r->text.find("Only confirmed signatures are counted"), std::string::npos);
  // The HTML part escapes the title and links the same URLs.
  EXPECT_NE(r->html.find("Drop the &quot;ICE&quot; contract"), std::string::npos);
  EXPECT_NE(r->html.find("href=\"https://sign.example.org/s/confirm?t=TOK_abc-123\""),
            std::string::npos);
  EXPECT_NE(r->html.find("href=\"https://sign.example.org/s/withdraw?t=TOK_abc-123\""),
            std::string::npos);
}

TEST(RenderEmail, TheWorkAddressMailNamesNoCampaign) {
  for (const char* kind : {"verify", "verify_already"}) {
    const bool fresh = std::string(kind) == "verify";
    OutboxMessage m = fresh ? Confirm() : AlreadySigned();
    m.kind = kind;
    auto r = RenderEmail(m, "https://sign.example.org");
    ASSERT_TRUE(r) << r.error().message;
    for (const std::string* part : {&r->subject, &r->text, &r->html}) {
      EXPECT_EQ(part->find("ICE"), std::string::npos) << kind << ": " << *part;
      EXPECT_EQ(part->find("drop-ice"), std::string::npos) << kind << ": " << *part;
      EXPECT_EQ(part->find("sign"), part->find("sign.example.org")) << kind << ": " << *part;
      EXPECT_EQ(part->find("Ada"), std::string::npos);
    }
    if (fresh) {
      EXPECT_NE(r->text.find("https://sign.example.org/s/confirm?t=TOK_abc-123"),
                std::string::npos);
      EXPECT_NE(r->text.find("https://sign.example.org/s/withdraw?t=TOK_abc-123"),
                std::string::npos);
    } else {
      EXPECT_NE(r->text.find("/s/withdraw?t=WTOK_def-456"), std::string::npos);
      EXPECT_EQ(r->text.find("/s/confirm"), std::string::npos);
    }
  }
}

TEST(RenderEmail, InvalidatedSaysTheSignatureWasRemoved) {
  OutboxMessage m;
  m.kind = "invalidated";
  m.payload = nlohmann::json{
      {"campaign_title", "<Letter>"},
      {"campaign_slug", "letter"},
      {"language",
       "en"}}.dump();
  auto r = RenderEmail(m, "https://sign.example.org");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->subject.find("removed"), std::string::npos);
  EXPECT_NE(r->text.find("removed your signature"), std::string::npos);
  EXPECT_NE(r->text.find("https://sign.example.org/c/letter"), std::string::npos);
  EXPECT_NE(r->html.find("&lt;Letter&gt;"), std::string::npos);
}

TEST(RenderEmail, RevealedAndOrganizationMails) {
  OutboxMessage m;
  m.kind = "revealed";
  m.payload = nlohmann::json{
      {"campaign_title", "Letter"},
      {"campaign_slug", "letter"},
      {"group", "Acme staff"},
      {"threshold",
       500}}.dump();
  auto r = RenderEmail(m, "https://sign.example.org");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->text.find("500 or more verified signers in Acme staff"), std::string::npos);

  m.kind = "org_confirm";
  m.payload = nlohmann::json{
      {"campaign_title", "Letter"},
      {"campaign_slug", "letter"},
      {"organization_name", "<Friends>"},
      {"confirm_token",
       "OTOK"}}.dump();
  r = RenderEmail(m, "https://sign.example.org");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->text.find("https://sign.example.org/o/confirm?t=OTOK"), std::string::npos);
  EXPECT_NE(r->html.find("&lt;Friends&gt;"), std::string::npos);

  m.kind = "org_review";
  m.payload = nlohmann::json{
      {"campaign_title", "Letter"},
      {"campaign_slug", "letter"},
      {"organization_name", "Friends"},
      {"website", "https://f.example"},
      {"review_token",
       "RTOK"}}.dump();
  r = RenderEmail(m, "https://sign.example.org");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->text.find("https://sign.example.org/o/review?t=RTOK"), std::string::npos);
  EXPECT_NE(r->text.find("https://f.example"), std::string::npos);
}

TEST(RenderEmail, NeverEchoesTheTypedName) {
  auto r = RenderEmail(Confirm(), "https://sign.example.org");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text.find("Ada"), std::string::npos);
  EXPECT_EQ(r->text.find("spam"), std::string::npos);
  EXPECT_EQ(r->html.find("spam"), std::string::npos);
}

TEST(RenderEmail, AlreadySignedHasWithdrawLink) {
  auto r = RenderEmail(AlreadySigned(), "http://127.0.0.1:8080");
  ASSERT_TRUE(r);
  EXPECT_NE(r->subject.find("already signed"), std::string::npos);
  EXPECT_NE(r->text.find("http://127.0.0.1:8080/s/withdraw?t=WTOK_def-456"), std::string::npos);
  EXPECT_EQ(r->text.find("/s/confirm"), std::string::npos);
  EXPECT_NE(r->text.find("already confirmed"), std::string::npos);
}

TEST(RenderEmail, AlreadySignedWithoutTokenOmitsLink) {
  OutboxMessage m;
  m.kind = "already_signed";
  m.payload = R"({"campaign_title":"T","campaign_slug":"tt-t"})";
  auto r = RenderEmail(m, "http://x.test");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text.find("/s/withdraw"), std::string::npos);
}

TEST(RenderEmail, SubjectIsOneLine) {
  OutboxMessage m = Confirm();
  m.payload = R"({"campaign_title":"A\r\nBcc: x@y","campaign_slug":"a","token":"c"})";
  auto r = RenderEmail(m, "http://x.test");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->subject.find('\n'), std::string::npos);
  EXPECT_EQ(r->subject.find('\r'), std::string::npos);
}

TEST(RenderEmail, RejectsBadInput) {
  OutboxMessage m = Confirm();
  m.kind = "newsletter";
  EXPECT_EQ(RenderEmail(m, "http://x").error().code, Code::kInvalidArgument);
  m = Confirm();
  m.payload = "not json";
  EXPECT_EQ(RenderEmail(m, "http://x").error().code, Code::kInvalidArgument);
  m.payload = R"({"campaign_title":"T","campaign_slug":"s","withdraw_token":"w"})";
  EXPECT_EQ(RenderEmail(m, "http://x").error().code, Code::kInvalidArgument);  // no token
  m.kind = "verify";
  EXPECT_EQ(RenderEmail(m, "http://x").error().code, Code::kInvalidArgument);
  m.kind = "confirm";
  m.payload = "[]";
  EXPECT_EQ(RenderEmail(m, "http://x").error().code, Code::kInvalidArgument);
}

OutboxMessage Outcome(const char* outcome, const char* role) {
  OutboxMessage m;
  m.kind = "outcome";
  m.recipient = "ada@example.org";
  m.payload = nlohmann::json{{"outcome", outcome},          {"role", role},
                             {"campaign_title", "Drop it"}, {"campaign_slug", "drop-it"},
                             {"threshold", 1500},           {"confirmed", 1234}}
                  .dump();
  return m;
}

TEST(RenderEmail, OutcomeSaysWhatHappenedToWhom) {
  auto won = RenderEmail(Outcome("succeeded", "signer"), "https://sign.example.org");
  ASSERT_TRUE(won) << won.error().message;
  EXPECT_EQ(won->subject, "It worked: Drop it reached 1,500 signatures");
  EXPECT_NE(won->text.find("Thank you for being one of them"), std::string::npos);
  EXPECT_NE(won->text.find("https://sign.example.org/c/drop-it"), std::string::npos);
  EXPECT_EQ(won->text.find("/s/withdraw"), std::string::npos);

  auto lost = RenderEmail(Outcome("failed", "organizer"), "https://sign.example.org");
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->subject, "Not this time: Drop it");
  EXPECT_NE(lost->text.find("needed 1,500"), std::string::npos);
  EXPECT_NE(lost->text.find("had 1,234"), std::string::npos);
  EXPECT_NE(lost->text.find("organizer"), std::string::npos);

  EXPECT_FALSE(RenderEmail(Outcome("maybe", "signer"), "https://x"));
}

}  // namespace
}  // namespace undersigned::render
