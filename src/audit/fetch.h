// Fetching a log over HTTP for the auditor and the receipt verifier.
//
// Fetch is the one seam between the audit logic and the network: a function from a path (with
// its query, starting with '/', e.g. "/log/checkpoint") to the response body. The commands use
// an HttpFetcher; tests pass an in-memory fake.
//
// HttpFetcher is a small libcurl GET client bound to one site's base URL. It reuses one easy
// handle, so consecutive requests share a keep-alive connection. Only status 200 is success:
// 404 is Code::kNotFound, every other status and any transport failure (connection refused,
// timeout, a body over the size bound) is Code::kUnavailable with the status or the curl error
// in the message. Redirects are not followed.
//
// Thread-safety: an HttpFetcher is not thread-safe (one handle); use one per thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace undersigned::audit {

// Returns the body at path (path and query, starting with '/'), or an error as HttpFetcher does.
using Fetch = std::function<Result<std::string>(const std::string& path)>;

struct HttpFetcherOptions {
  long timeout_seconds = 30;          // whole request, connect included
  size_t max_body_bytes = 64u << 20;  // larger bodies are kUnavailable
  std::string user_agent = "undersigned-audit";
};

// "http://host:port/prefix/" -> "http://host:port/prefix". kInvalidArgument unless the URL
// starts with http:// or https:// and has a host, and has no query or fragment.
Result<std::string> NormalizeBaseUrl(std::string_view url);

class HttpFetcher {
 public:
  // base_url is the site's base URL (see NormalizeBaseUrl; a trailing slash is accepted). An
  // invalid URL makes every Get fail with kInvalidArgument.
  explicit HttpFetcher(std::string base_url, HttpFetcherOptions options = {});
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // GET base_url + path_and_query. REQUIRES: path_and_query starts with '/'.
  Result<std::string> Get(const std::string& path_and_query);

  // A Fetch calling Get on this fetcher, which must outlive it.
  Fetch AsFetch() {
    return [this](const std::string& path) { return Get(path); };
  }

  // The normalized base URL (empty when the URL given was invalid).
  const std::string& base_url() const { return base_; }
  // Number of requests made (for tests and reports).
  size_t requests() const { return requests_; }

 private:
  struct Handle;
  std::string base_;
  Error base_error_;
  HttpFetcherOptions options_;
  std::unique_ptr<Handle> handle_;
  size_t requests_ = 0;
};

}  // namespace undersigned::audit
