#include "mail/file_mailer.h"

#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "mail/mailer.h"
#include "mail/test_support.h"

namespace undersigned::mail {
namespace {

using testing::ListFiles;
using testing::ParseEml;
using testing::TempDir;
using testing::TestClock;

MailMessage Confirm() {
  MailMessage m;
  m.from_address = "undersigned@localhost";
  m.from_name = "undersigned";
  m.to = "jane@example.com";
  m.subject = "Bitte bestätigen: Saubere Luft";
  m.text_body =
      "Hallo Jane,\n\nBitte bestätigen (https://demo.example/s/confirm?t=Xy_9).\n"
      "Zurückziehen: https://demo.example/s/withdraw?t=Zz\n";
  return m;
}

TEST(FileMailer, WritesOneParseableEmlFileAtomically) {
  TempDir dir;
  TestClock clock(1'700'000'000);
  MailConfig config;
  config.eml_dir = dir.path() + "/mail";  // created by MakeMailer
  auto mailer = MakeMailer(config, clock);
  ASSERT_TRUE(mailer) << mailer.error().message;
  EXPECT_EQ((*mailer)->Describe(), "files in " + config.eml_dir);

  ASSERT_TRUE((*mailer)->Send(Confirm()));
  clock.Advance(1);
  ASSERT_TRUE((*mailer)->Send(Confirm()));

  auto files = ListFiles(config.eml_dir);
  ASSERT_EQ(files.size(), 2u);  // no temporary files left behind
  std::regex name(".*/20231114T22132[01]Z-[0-9a-f]{16}\\.eml");
  for (const auto& f : files) EXPECT_TRUE(std::regex_match(f, name)) << f;

  auto parsed = ParseEml(files[0]);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u);
  EXPECT_EQ(parsed["subject"], "Bitte bestätigen: Saubere Luft");
  EXPECT_EQ(parsed["to"], "jane@example.com");
  EXPECT_EQ(parsed["date"], "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(parsed["text"], Confirm().text_body);
}

TEST(FileMailer, RejectedMessageWritesNothing) {
  TempDir dir;
  TestClock clock;
  FileMailer mailer(dir.path(), clock);
  MailMessage m = Confirm();
  m.subject = "x\r\nBcc: y@example.com";
  auto r = mailer.Send(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(ListFiles(dir.path()).empty());
}

TEST(FileMailer, UnwritableDirectoryIsTemporary) {
  TempDir dir;
  TestClock clock;
  FileMailer mailer(dir.path() + "/gone", clock);
  auto r = mailer.Send(Confirm());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
}

TEST(FirstLink, FindsTheFirstUrl) {
  EXPECT_EQ(FirstLink(Confirm().text_body), "https://demo.example/s/confirm?t=Xy_9");
  EXPECT_EQ(FirstLink("go to <http://a.example/x>."), "http://a.example/x");
  EXPECT_EQ(FirstLink("see http://a.example/x, then https://b"), "http://a.example/x");
  EXPECT_EQ(FirstLink("no link here"), "");
}

TEST(ActionLinks, LabelsEachOneTimeLinkByWhatItDoes) {
  EXPECT_EQ(ActionLinks(Confirm().text_body),
            (std::vector<ActionLink>{{"confirm", "https://demo.example/s/confirm?t=Xy_9"},
                                     {"withdraw", "https://demo.example/s/withdraw?t=Zz"}}));
  // The campaign's page is no action; a link given twice is listed once.
  EXPECT_EQ(ActionLinks("See https://x.example/c/demo and review https://x.example/o/review?t=A "
                        "(https://x.example/o/review?t=A)"),
            (std::vector<ActionLink>{{"review", "https://x.example/o/review?t=A"}}));
  EXPECT_TRUE(ActionLinks("no link here").empty());
}

TEST(MakeMailer, ValidatesTheConfiguration) {
  TestClock clock;
  MailConfig c;
  auto r = MakeMailer(c, clock);  // neither SMTP nor a directory
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);

  c.smtp_url = "http://localhost:25";
  EXPECT_FALSE(MakeMailer(c, clock));
  c.smtp_url = "smtp://localhost:25";
  c.starttls = "sometimes";
  EXPECT_FALSE(MakeMailer(c, clock));
  c.starttls = "required";
  c.timeout_seconds = 0;
  EXPECT_FALSE(MakeMailer(c, clock));
  c.timeout_seconds = 5;
  c.from_address = "not an address";
  EXPECT_FALSE(MakeMailer(c, clock));
  c.from_address = "petitions@example.org";
  c.username = "user";
  c.password = "secret";
  auto ok = MakeMailer(c, clock);
  ASSERT_TRUE(ok) << ok.error().message;
  std::string d = (*ok)->Describe();
  EXPECT_EQ(d, "smtp://localhost:25 (starttls required, login)");
  EXPECT_EQ(d.find("secret"), std::string::npos);

  c.smtp_url = "smtps://user:pw@mail.example.org:465";
  ok = MakeMailer(c, clock);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)->Describe(), "smtps://mail.example.org:465 (implicit TLS, login)");
}

}  // namespace
}  // namespace undersigned::mail
