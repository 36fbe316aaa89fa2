// SmtpMailer: sends each message over SMTP with libcurl (smtp:// with optional or required
// STARTTLS, or smtps:// with implicit TLS), one connection per message. See mailer.h for the
// error contract; the classification of curl results and SMTP reply codes lives here.
//
// Thread-safety: Send may be called from several threads at once (one curl easy handle per
// call). Holds a reference to the Clock used for the Date header.
#pragma once

#include <string>

#include "core/clock.h"
#include "mail/mailer.h"

namespace undersigned::mail {

enum class Starttls { kOff, kOpportunistic, kRequired };

struct SmtpOptions {
  std::string url;  // smtp://host[:port] or smtps://host[:port]
  std::string username, password;
  Starttls starttls = Starttls::kOpportunistic;
  bool tls_verify = true;
  std::string ca_file;
  int timeout_seconds = 20;
};

class SmtpMailer : public Mailer {
 public:
  // REQUIRES: options.url starts with smtp:// or smtps:// (MakeMailer checks).
  SmtpMailer(SmtpOptions options, Clock& clock);

  Result<void> Send(const MailMessage& m) override;
  std::string Describe() const override;

 private:
  SmtpOptions options_;
  Clock& clock_;
};

// Maps an SMTP reply code (0 when none was received) and a curl result to the error
// contract: 5xx about the message/recipient -> kInvalidArgument; 4xx, authentication
// replies (530, 534, 535, 538), network and TLS failures -> kUnavailable. Public for tests.
Error ClassifySmtpFailure(int curl_code, long smtp_reply, const std::string& detail);

}  // namespace undersigned::mail
