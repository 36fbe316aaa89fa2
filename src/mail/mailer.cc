#include "mail/mailer.h"

#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "mail/file_mailer.h"
#include "mail/smtp_mailer.h"

namespace undersigned::mail {

Result<std::unique_ptr<Mailer>> MakeMailer(const MailConfig& config, Clock& clock) {
  if (!IsValidAddrSpec(config.from_address)) {
    return Fail(Code::kInvalidArgument,
                "mail from address '" + config.from_address + "' is not a valid email address");
  }
  if (config.smtp_url.empty()) {
    if (config.eml_dir.empty()) {
      return Fail(Code::kInvalidArgument, "no SMTP URL and no directory for .eml files");
    }
    std::error_code ec;
    std::filesystem::create_directories(config.eml_dir, ec);
    if (ec) {
      return Fail(Code::kInternal, "cannot create " + config.eml_dir + ": " + ec.message());
    }
    return std::unique_ptr<Mailer>(std::make_unique<FileMailer>(config.eml_dir, clock));
  }

  SmtpOptions options;
  options.url = config.smtp_url;
  bool implicit_tls = config.smtp_url.rfind("smtps://", 0) == 0;
  if (!implicit_tls && config.smtp_url.rfind("smtp://", 0) != 0) {
    return Fail(Code::kInvalidArgument,
                "SMTP URL must start with smtp:// or smtps:// (e.g. smtp://localhost:25)");
  }
  if (config.smtp_url.find_first_of(" \r\n\t") != std::string::npos) {
    return Fail(Code::kInvalidArgument, "SMTP URL contains whitespace");
  }
  if (config.starttls == "off") {
    options.starttls = Starttls::kOff;
  } else if (config.starttls == "opportunistic") {
    options.starttls = Starttls::kOpportunistic;
  } else if (config.starttls == "required") {
    options.starttls = Starttls::kRequired;
  } else {
    return Fail(Code::kInvalidArgument,
                "starttls must be \"off\", \"opportunistic\" or \"required\", not \"" +
                    config.starttls + "\"");
  }
  if (config.timeout_seconds <= 0) {
    return Fail(Code::kInvalidArgument, "mail timeout must be a positive number of seconds");
  }
  options.username = config.username;
  options.password = config.password;
  options.tls_verify = config.tls_verify;
  options.ca_file = config.ca_file;
  options.timeout_seconds = config.timeout_seconds;
  if (!options.username.empty() && !implicit_tls && options.starttls != Starttls::kRequired) {
    spdlog::warn(
        "SMTP login without starttls = \"required\": the password may cross the "
        "network unencrypted");
  }
  if (!options.tls_verify) spdlog::warn("SMTP TLS certificate verification is off");
  return std::unique_ptr<Mailer>(std::make_unique<SmtpMailer>(std::move(options), clock));
}

}  // namespace undersigned::mail
