// FileMailer: the Mailer used when no SMTP server is configured. Each message becomes
// <dir>/<YYYYmmddTHHMMSSZ>-<random>.eml, written atomically (temp file, fsync, rename, fsync of
// the directory), and the first link of the text body is logged at info level so that a demo
// can follow the confirmation link without any mail server.
//
// Thread-safety: Send may be called from several threads at once. Holds a reference to the
// Clock (Date header and file name).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "mail/mailer.h"

namespace undersigned::mail {

class FileMailer : public Mailer {
 public:
  // REQUIRES: dir exists and is writable (MakeMailer creates it).
  FileMailer(std::string dir, Clock& clock);

  // kUnavailable when the file cannot be written (disk full, permissions): the message
  // stays in the outbox.
  Result<void> Send(const MailMessage& m) override;
  std::string Describe() const override;

  // Path of the last file written (for tests and the demo's log line).
  std::string last_path() const;

 private:
  std::string dir_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::string last_path_;  // guarded by mu_
};

// The first http:// or https:// URL in text, up to whitespace or a closing bracket/quote;
// empty if none.
std::string FirstLink(std::string_view text);

// A one-time link in a mail, labelled by what it does: the last part of its path
// ("https://x/s/confirm?t=..." is "confirm"; "withdraw", "review", ...).
struct ActionLink {
  std::string label;
  std::string url;
  bool operator==(const ActionLink&) const = default;
};
// Every distinct link carrying a one-time token (?t=) in text, in order.
std::vector<ActionLink> ActionLinks(std::string_view text);

}  // namespace undersigned::mail
