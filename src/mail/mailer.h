// Mailer: the narrow interface through which undersigned sends one email, and the factory
// that picks an implementation from MailConfig (SMTP via libcurl, or .eml files when no SMTP
// server is configured).
//
// Error contract of Send, which OutboxSender relies on to decide about retries:
//   kUnavailable     temporary: connection refused or reset, timeout, TLS or login trouble,
//                    an SMTP 4xx reply, a full disk. Try again later.
//   kInvalidArgument permanent: an SMTP 5xx reply about the message or recipient (unknown
//                    user, rejected content), or a message FormatRfc5322 refuses.
//   kInternal        a bug or an unexpected local failure (treated as temporary).
// Messages never contain the message body, tokens or passwords.
//
// Thread-safety: implementations are safe to call from several threads at once.
// Ownership: MakeMailer returns an owned Mailer; it keeps a reference to the Clock it was
// given, which must outlive it.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "mail/message.h"

namespace undersigned::mail {

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers m to the next hop (SMTP server accepted it with 250, or the file is durable).
  virtual Result<void> Send(const MailMessage& m) = 0;
  // For logs and /healthz: "smtp://host:587 (starttls required)" or "files in DIR". Never
  // contains credentials.
  virtual std::string Describe() const = 0;
};

// The [mail] part of the configuration.
struct MailConfig {
  // smtp://host:port or smtps://host:port (implicit TLS); empty = write .eml files to eml_dir.
  std::string smtp_url;
  // SMTP AUTH (PLAIN/LOGIN, whatever the server offers); empty username = no login.
  std::string username, password;
  // STARTTLS on smtp:// URLs: "opportunistic" (use it when offered), "required" (fail
  // temporarily when not offered), "off". Ignored for smtps:// which is always TLS.
  std::string starttls = "opportunistic";
  // Verify the server's certificate and host name. Only turn off for tests.
  bool tls_verify = true;
  // PEM bundle of trusted CAs; empty = the system store.
  std::string ca_file;
  // Where FileMailer writes; app sets it to <data dir>/outbox-mail when left empty.
  std::string eml_dir;
  // Envelope and header sender of every message (used by the app's renderer).
  std::string from_address = "undersigned@localhost";
  std::string from_name = "undersigned";
  // Whole SMTP transaction, connect included.
  int timeout_seconds = 20;
};

// kInvalidArgument for a bad URL scheme, an unknown starttls value, a non-positive timeout or,
// with no SMTP, an empty eml_dir; kInternal if eml_dir cannot be created. Logs a warning when
// credentials may cross the network in clear text (smtp:// without starttls "required").
Result<std::unique_ptr<Mailer>> MakeMailer(const MailConfig& config,
                                           Clock& clock = Clock::System());

}  // namespace undersigned::mail
