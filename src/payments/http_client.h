// HttpClient: one HTTP request and its answer, the transport under StripeProvider. The real
// one is libcurl (MakeCurlHttpClient); tests may give StripeProvider a scripted one to check
// retries and error handling without a network.
//
// Error contract of Send: kUnavailable when no answer came (connection refused or reset, DNS,
// TLS, timeout), with curl's reason and the host, never the headers (they hold the secret
// key). Any HTTP status is an answer, not an error.
//
// Thread-safety: implementations are safe to call from several threads at once.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace undersigned::payments {

struct HttpRequest {
  std::string method;  // GET, POST, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds total{30'000};  // the whole request, connect included
};

// libcurl, one easy handle per request; http:// and https:// only, certificates verified,
// no redirects followed, no proxy from the environment.
std::unique_ptr<HttpClient> MakeCurlHttpClient(HttpTimeouts timeouts = {});

}  // namespace undersigned::payments
