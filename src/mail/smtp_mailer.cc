#include "mail/smtp_mailer.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include <curl/curl.h>

namespace undersigned::mail {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t ReadCallback(char* buffer, std::size_t size, std::size_t nitems, void* userp) {
  auto* up = static_cast<Upload*>(userp);
  std::size_t room = size * nitems;
  std::size_t n = std::min(room, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// "smtp://user:pw@host:25/helo" -> "smtp://host:25"
std::string RedactUrl(const std::string& url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "(invalid url)";
  std::size_t authority = scheme_end + 3;
  std::size_t end = url.find('/', authority);
  std::string host = url.substr(authority, end == std::string::npos ? end : end - authority);
  std::size_t at = host.rfind('@');
  if (at != std::string::npos) host = host.substr(at + 1);
  return url.substr(0, authority) + host;
}

const char* StarttlsName(Starttls s) {
  switch (s) {
    case Starttls::kOff:
      return "off";
    case Starttls::kOpportunistic:
      return "opportunistic";
    case Starttls::kRequired:
      return "required";
  }
  return "?";
}

}  // namespace

Error ClassifySmtpFailure(int curl_code, long smtp_reply, const std::string& detail) {
  std::string message = "smtp: ";
  if (smtp_reply > 0) message += "server replied " + std::to_string(smtp_reply) + ": ";
  message += detail.empty() ? curl_easy_strerror(static_cast<CURLcode>(curl_code)) : detail;
  Error e{Code::kUnavailable, message, {}, 0};
  if (smtp_reply >= 500 && smtp_reply < 600) {
    // Authentication and "must issue STARTTLS first" replies are about our configuration,
    // not the message: keep the message and retry after the operator fixes it.
    // So is a refused MAIL FROM: the sender address is ours, not the recipient's.
    bool config_problem = smtp_reply == 530 || smtp_reply == 534 || smtp_reply == 535 ||
                          smtp_reply == 538 || detail.rfind("MAIL failed", 0) == 0;
    if (!config_problem && curl_code != CURLE_LOGIN_DENIED && curl_code != CURLE_USE_SSL_FAILED) {
      e.code = Code::kInvalidArgument;
    }
  }
  return e;
}

SmtpMailer::SmtpMailer(SmtpOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  GlobalInitOnce();
}

std::string SmtpMailer::Describe() const {
  std::string d = RedactUrl(options_.url);
  if (options_.url.rfind("smtps://", 0) == 0) {
    d += " (implicit TLS";
  } else {
    d += " (starttls ";
    d += StarttlsName(options_.starttls);
  }
  if (!options_.username.empty()) d += ", login";
  if (!options_.tls_verify) d += ", certificate NOT verified";
  d += ")";
  return d;
}

Result<void> SmtpMailer::Send(const MailMessage& m) {
  auto formatted = FormatRfc5322(m, clock_.Now());
  if (!formatted) return Fail(formatted.error());

  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return Fail(Code::kInternal, "smtp: curl_easy_init failed");
  CURL* c = curl.get();

  std::string mail_from = "<" + m.from_address + ">";
  std::unique_ptr<curl_slist, SlistDeleter> rcpt(
      curl_slist_append(nullptr, ("<" + m.to + ">").c_str()));
  Upload upload{&*formatted};
  char errbuf[CURL_ERROR_SIZE] = {0};

  long use_ssl = CURLUSESSL_NONE;
  if (options_.starttls == Starttls::kOpportunistic) use_ssl = CURLUSESSL_TRY;
  if (options_.starttls == Starttls::kRequired) use_ssl = CURLUSESSL_ALL;
  long timeout = std::max(1, options_.timeout_seconds);

  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::min(timeout, 10L));
  curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadCallback);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);

  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return {};
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  return Fail(ClassifySmtpFailure(rc, reply, errbuf));
}

}  // namespace undersigned::mail
