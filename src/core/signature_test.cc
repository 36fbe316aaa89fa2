#include "core/signature.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

SignatureForm Good() {
  SignatureForm f;
  f.name = "  Ada Lovelace ";
  f.email = "ada@example.org";
  f.postal_code = "SW1A 1AA";
  f.country = "gb";
  f.comment = "Because.\nTwice.";
  return f;
}

TEST(ValidateSignatureForm, AcceptsAndNormalises) {
  auto r = ValidateSignatureForm(Good());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->name, "Ada Lovelace");
  EXPECT_EQ(r->country, "GB");
}

TEST(ValidateSignatureForm, PerFieldErrors) {
  SignatureForm f;
  f.email = "not an email";
  f.country = "Narnia";
  f.postal_code = "<script>";
  auto r = ValidateSignatureForm(f);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(r.error().field_errors.count("name"));
  EXPECT_TRUE(r.error().field_errors.count("email"));
  EXPECT_TRUE(r.error().field_errors.count("country"));
  EXPECT_TRUE(r.error().field_errors.count("postal_code"));
  EXPECT_FALSE(r.error().field_errors.count("comment"));
}

TEST(ValidateSignatureForm, RejectsInvalidUtf8AndControlChars) {
  SignatureForm f = Good();
  f.name = "Ada\xC3\x28";
  f.comment = std::string("bell\x07");
  auto r = ValidateSignatureForm(f);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().field_errors.count("name"));
  EXPECT_TRUE(r.error().field_errors.count("comment"));
}

// "Ada\u202Egnp.exe" would show as "Adaexe.png": direction overrides and isolates are refused.
TEST(ValidateSignatureForm, RejectsBidiControls) {
  for (const char* control : {"\u202E", "\u202A", "\u2066", "\u2069"}) {
    SignatureForm f = Good();
    f.name = std::string("Ada") + control + "gnp.exe";
    f.comment = std::string("Why") + control + " not";
    auto r = ValidateSignatureForm(f);
    ASSERT_FALSE(r.has_value()) << control;
    EXPECT_NE(r.error().field_errors["name"].find("direction controls (such as U+202E)"),
              std::string::npos);
    EXPECT_TRUE(r.error().field_errors.count("comment"));
  }
  // Right-to-left text itself is welcome.
  SignatureForm f = Good();
  f.name = "\u05D0\u05D3\u05D4 \u05DC\u05D1\u05DC\u05D9\u05E1";
  f.comment = "\u0644\u0623\u0646\u0646\u0627 \u0645\u0639\u0627\u064B";
  EXPECT_TRUE(ValidateSignatureForm(f).has_value());
}

TEST(ValidateSignatureForm, RejectsOverlongFields) {
  SignatureForm f = Good();
  f.comment = std::string(kMaxCommentBytes + 1, 'x');
  auto r = ValidateSignatureForm(f);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().field_errors.count("comment"));
}

TEST(ValidateSignatureForm, EmailSyntax) {
  for (const char* bad : {"a@b", "@example.org", "a@.org", "a..b@example.org", "a@exa mple.org",
                          "a@-x.org", "a@example.123", "<a>@example.org", "a@b@c.org"}) {
    SignatureForm f = Good();
    f.email = bad;
    EXPECT_FALSE(ValidateSignatureForm(f).has_value()) << bad;
  }
  for (const char* good : {"a+b@example.org", "first.last@sub.example.co.uk", "x@xn--p1ai.ru"}) {
    SignatureForm f = Good();
    f.email = good;
    EXPECT_TRUE(ValidateSignatureForm(f).has_value()) << good;
  }
}

TEST(CanonicalEmail, FoldsCaseTagsAndGmailDots) {
  EXPECT_EQ(CanonicalEmail("Ada.Lovelace+petitions@Example.ORG"), "ada.lovelace@example.org");
  EXPECT_EQ(CanonicalEmail("A.d.a+x@gmail.com"), "ada@gmail.com");
  EXPECT_EQ(CanonicalEmail("ada@GoogleMail.com"), "ada@gmail.com");
  EXPECT_EQ(CanonicalEmail("+tag@example.org"), "+tag@example.org");  // tag needs a name
}

TEST(SplitName, LastWordIsFamilyName) {
  EXPECT_EQ(SplitName("Ada King Lovelace"),
            std::make_pair(std::string("Ada King"), std::string("Lovelace")));
  EXPECT_EQ(SplitName("Cher"), std::make_pair(std::string("Cher"), std::string()));
}

TEST(ValidatePersonChange, TrimsChecksAndLeavesAbsentFieldsAbsent) {
  PersonChange c;
  c.given_name = "  Ada ";
  c.country = "gb";
  ASSERT_TRUE(ValidatePersonChange(c).has_value());
  EXPECT_EQ(c.given_name, "Ada");
  EXPECT_EQ(c.country, "GB");
  EXPECT_FALSE(c.family_name.has_value());
  EXPECT_FALSE(c.postal_code.has_value());

  PersonChange bad;
  bad.family_name = std::string(kMaxNameBytes + 1, 'x');
  bad.postal_code = "<b>";
  bad.country = "Britain";
  auto r = ValidatePersonChange(bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(r.error().field_errors.count("family_name"));
  EXPECT_TRUE(r.error().field_errors.count("postal_code"));
  EXPECT_TRUE(r.error().field_errors.count("country"));
}

TEST(ValidateComment, TrimsAndBounds) {
  EXPECT_EQ(ValidateComment("  hi\nthere ").value_or(""), "hi\nthere");
  auto r = ValidateComment(std::string(kMaxCommentBytes + 1, 'x'));
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().field_errors.count("comment"));
}

}  // namespace
}  // namespace undersigned
