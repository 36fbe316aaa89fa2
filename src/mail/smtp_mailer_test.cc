// SmtpMailer against a real SMTP server: testdata/smtp_sink.py (aiosmtpd) as a child process.
#include "mail/smtp_mailer.h"

#include <chrono>

#include <gtest/gtest.h>

#include "mail/test_support.h"

namespace undersigned::mail {
namespace {

using namespace std::chrono_literals;
using testing::ClosedPort;
using testing::ParseEml;
using testing::ReadFile;
using testing::SilentPort;
using testing::SmtpSink;
using testing::TempDir;
using testing::TestClock;

MailMessage Message(const std::string& to = "jane@example.com") {
  MailMessage m;
  m.from_address = "petitions@example.org";
  m.from_name = "Saubere Luft";
  m.to = to;
  m.subject = "Bestätigen Sie Ihre Unterschrift";
  m.text_body =
      "Hallo,\n\nbitte hier bestätigen: https://example.org/s/confirm?t=abc\n"
      ".\n"  // a lone dot must not end the SMTP DATA early
      "Danke!\n";
  return m;
}

SmtpOptions Options(const std::string& url) {
  SmtpOptions o;
  o.url = url;
  o.starttls = Starttls::kOpportunistic;
  o.timeout_seconds = 5;
  return o;
}

TEST(SmtpMailer, DeliversToARealSmtpServer) {
  TempDir dir;
  auto sink = SmtpSink::Start(dir.path() + "/inbox");
  ASSERT_TRUE(sink);
  TestClock clock;
  SmtpMailer mailer(Options(sink->url()), clock);

  auto sent = mailer.Send(Message());
  ASSERT_TRUE(sent) << sent.error().message;
  auto path = sink->NextReceived(10s);
  ASSERT_TRUE(path);
  std::string raw = ReadFile(*path);
  EXPECT_EQ(raw.rfind("X-Sink-Mail-From: petitions@example.org\r\n"
                      "X-Sink-Rcpt-To: jane@example.com\r\n",
                      0),
            0u)
      << raw;
  auto parsed = ParseEml(*path);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u);
  EXPECT_EQ(parsed["subject"], "Bestätigen Sie Ihre Unterschrift");
  EXPECT_EQ(parsed["to"], "jane@example.com");
  EXPECT_EQ(parsed["from_name"], "Saubere Luft");
  EXPECT_EQ(parsed["text"], Message().text_body);
}

TEST(SmtpMailer, DeliversAnAttachedPdfByteForByte) {
  TempDir dir;
  auto sink = SmtpSink::Start(dir.path() + "/inbox");
  ASSERT_TRUE(sink);
  TestClock clock;
  SmtpMailer mailer(Options(sink->url()), clock);

  // A PDF's bytes as a mail server must carry them: binary, every byte value, lines that
  // would end SMTP DATA or be dot-stuffed if they were sent as they are.
  std::string pdf = "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n";
  for (int round = 0; round < 300; ++round) {
    for (int b = 0; b < 256; ++b) pdf += static_cast<char>((b * 7 + round) & 0xff);
    pdf += "\r\n.\r\n..\n";
  }
  pdf += "%%EOF\n";
  MailMessage m = Message("dana.rivera@example.com");
  m.subject = "Offener Brief: Saubere Luft für alle";
  m.html_body = "<p>Der Brief liegt bei.</p>\n";
  m.attachments.push_back({"Offener Brief – Saubere Luft.pdf", "application/pdf", pdf});
  ASSERT_TRUE(AddListUnsubscribe(m, "https://example.org/u/abc", "mailto:u@example.org"));

  auto sent = mailer.Send(m);
  ASSERT_TRUE(sent) << sent.error().message;
  auto path = sink->NextReceived(10s);
  ASSERT_TRUE(path);
  auto parsed = ParseEml(*path);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["defects"].size(), 0u) << parsed["defects"];
  EXPECT_EQ(parsed["subject"], m.subject);
  EXPECT_EQ(parsed["text"], m.text_body);
  EXPECT_EQ(parsed["html"], m.html_body);
  ASSERT_EQ(parsed["attachments"].size(), 1u);
  EXPECT_EQ(parsed["attachments"][0]["filename"], "Offener Brief – Saubere Luft.pdf");
  EXPECT_EQ(parsed["attachments"][0]["content_type"], "application/pdf");
  EXPECT_EQ(parsed["attachments"][0]["data_base64"], Base64Encode(pdf));
  bool one_click = false;
  for (const auto& h : parsed["headers"]) {
    if (h[0] == "List-Unsubscribe-Post") one_click = h[1] == "List-Unsubscribe=One-Click";
  }
  EXPECT_TRUE(one_click);
}

TEST(SmtpMailer, ClassifiesServerRefusals) {
  TempDir dir;
  auto sink = SmtpSink::Start(
      dir.path(), {"--reject-rcpt", "nobody@example.com", "--tempfail-rcpt", "busy@example.com",
                   "--reject-from", "petitions@example.org", "--reject-data-containing", "POISON"});
  ASSERT_TRUE(sink);
  TestClock clock;
  SmtpMailer mailer(Options(sink->url()), clock);

  // 550 for the recipient: permanent.
  MailMessage m = Message("nobody@example.com");
  m.from_address = "other@example.org";
  auto r = mailer.Send(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().message;
  EXPECT_NE(r.error().message.find("550"), std::string::npos) << r.error().message;

  // 451 for the recipient: temporary.
  m = Message("busy@example.com");
  m.from_address = "other@example.org";
  r = mailer.Send(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;

  // 550 for our own sender address is a configuration problem: keep the message.
  r = mailer.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;

  // 554 after DATA: the content was refused, permanently.
  m = Message();
  m.from_address = "other@example.org";
  m.text_body = "POISON\n";
  r = mailer.Send(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().message;

  // A message the formatter refuses never reaches the server.
  m = Message();
  m.subject = "a\r\nBcc: x@example.com";
  r = mailer.Send(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
}

TEST(SmtpMailer, ClosedPortIsTemporary) {
  ClosedPort closed;
  TestClock clock;
  SmtpMailer mailer(Options("smtp://127.0.0.1:" + std::to_string(closed.port())), clock);
  auto r = mailer.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
}

TEST(SmtpMailer, SilentServerTimesOutAsTemporary) {
  SilentPort silent;
  TestClock clock;
  SmtpOptions o = Options("smtp://127.0.0.1:" + std::to_string(silent.port()));
  o.timeout_seconds = 1;
  SmtpMailer mailer(o, clock);
  auto start = std::chrono::steady_clock::now();
  auto r = mailer.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(SmtpMailer, LogsIn) {
  TempDir dir;
  auto sink = SmtpSink::Start(dir.path(), {"--auth", "mailer:s3cret"});
  ASSERT_TRUE(sink);
  TestClock clock;
  SmtpOptions o = Options(sink->url());
  o.username = "mailer";
  o.password = "wrong";
  SmtpMailer bad(o, clock);
  auto r = bad.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;

  o.password = "s3cret";
  SmtpMailer good(o, clock);
  r = good.Send(Message());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(sink->NextReceived(10s));
}

class SmtpTls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.path() + "/cert.pem";
    key_ = dir_.path() + "/key.pem";
    int rc = testing::RunCommand(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
        key_ + "' -out '" + cert_ + "' 2>/dev/null");
    if (rc != 0) GTEST_SKIP() << "openssl could not make a test certificate";
  }
  TempDir dir_;
  std::string cert_, key_;
  TestClock clock_;
};

TEST_F(SmtpTls, StarttlsRequiredWithVerifiedCertificate) {
  auto sink = SmtpSink::Start(dir_.path() + "/in",
                              {"--tls-cert", cert_, "--tls-key", key_, "--require-starttls"});
  ASSERT_TRUE(sink);
  SmtpOptions o = Options(sink->url());
  o.starttls = Starttls::kRequired;
  o.ca_file = cert_;
  SmtpMailer mailer(o, clock_);
  auto r = mailer.Send(Message());
  ASSERT_TRUE(r) << r.error().message;
  auto path = sink->NextReceived(10s);
  ASSERT_TRUE(path);
  EXPECT_EQ(ParseEml(*path)["subject"], "Bestätigen Sie Ihre Unterschrift");

  // An unknown certificate is refused (verification is on by default): temporary.
  o.ca_file.clear();
  SmtpMailer untrusting(o, clock_);
  r = untrusting.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;

  // Without STARTTLS the server refuses ("530 Must issue a STARTTLS command first"): a
  // configuration problem, not the message's fault.
  o.starttls = Starttls::kOff;
  SmtpMailer plain(o, clock_);
  r = plain.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
}

TEST_F(SmtpTls, StarttlsRequiredButNotOfferedIsTemporary) {
  auto sink = SmtpSink::Start(dir_.path() + "/in");
  ASSERT_TRUE(sink);
  SmtpOptions o = Options(sink->url());
  o.starttls = Starttls::kRequired;
  SmtpMailer mailer(o, clock_);
  auto r = mailer.Send(Message());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
}

TEST_F(SmtpTls, ImplicitTls) {
  auto sink = SmtpSink::Start(dir_.path() + "/in",
                              {"--tls-cert", cert_, "--tls-key", key_, "--implicit-tls"});
  ASSERT_TRUE(sink);
  SmtpOptions o = Options("smtps://127.0.0.1:" + std::to_string(sink->port()));
  o.ca_file = cert_;
  SmtpMailer mailer(o, clock_);
  auto r = mailer.Send(Message());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(sink->NextReceived(10s));
}

TEST(ClassifySmtpFailure, MapsReplyCodes) {
  EXPECT_EQ(ClassifySmtpFailure(55, 550, "RCPT failed: 550").code, Code::kInvalidArgument);
  EXPECT_EQ(ClassifySmtpFailure(55, 552, "DATA failed: 552").code, Code::kInvalidArgument);
  EXPECT_EQ(ClassifySmtpFailure(55, 451, "RCPT failed: 451").code, Code::kUnavailable);
  EXPECT_EQ(ClassifySmtpFailure(55, 550, "MAIL failed: 550").code, Code::kUnavailable);
  EXPECT_EQ(ClassifySmtpFailure(67, 535, "Login denied").code, Code::kUnavailable);
  EXPECT_EQ(ClassifySmtpFailure(7, 0, "").code, Code::kUnavailable);
  EXPECT_EQ(ClassifySmtpFailure(28, 0, "timeout").code, Code::kUnavailable);
}

}  // namespace
}  // namespace undersigned::mail
