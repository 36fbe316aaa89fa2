#include "audit/fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace undersigned::audit {
namespace {

void EnsureCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Body {
  std::string data;
  size_t max = 0;
  bool too_large = false;
};

size_t WriteCallback(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* body = static_cast<Body*>(userdata);
  const size_t n = size * nmemb;
  if (body->data.size() + n > body->max) {
    body->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  body->data.append(ptr, n);
  return n;
}

}  // namespace

Result<std::string> NormalizeBaseUrl(std::string_view url) {
  std::string u(url);
  size_t scheme_end = 0;
  if (u.rfind("http://", 0) == 0) {
    scheme_end = 7;
  } else if (u.rfind("https://", 0) == 0) {
    scheme_end = 8;
  } else {
    return Fail(Code::kInvalidArgument, "not an http:// or https:// URL: \"" + u +
                                            "\" (give the site's base URL, e.g. "
                                            "http://127.0.0.1:8080)");
  }
  if (u.find_first_of("?#") != std::string::npos) {
    return Fail(Code::kInvalidArgument, "the site's base URL must not have a query or fragment");
  }
  for (char c : u) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Fail(Code::kInvalidArgument, "the URL has spaces or control characters");
    }
  }
  while (u.size() > scheme_end && u.back() == '/') u.pop_back();
  if (u.size() == scheme_end || u[scheme_end] == '/') {
    return Fail(Code::kInvalidArgument, "the URL has no host: \"" + std::string(url) + "\"");
  }
  return u;
}

struct HttpFetcher::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpFetcher::HttpFetcher(std::string base_url, HttpFetcherOptions options)
    : options_(std::move(options)) {
  auto base = NormalizeBaseUrl(base_url);
  if (base) {
    base_ = *base;
  } else {
    base_error_ = base.error();
  }
}

HttpFetcher::~HttpFetcher() = default;

Result<std::string> HttpFetcher::Get(const std::string& path_and_query) {
  if (base_.empty()) return Fail(base_error_);
  if (path_and_query.empty() || path_and_query[0] != '/') {
    return Fail(Code::kInvalidArgument, "fetch: path must start with '/': " + path_and_query);
  }
  if (!handle_) {
    EnsureCurl();
    auto h = std::make_unique<Handle>();
    h->curl = curl_easy_init();
    if (!h->curl) return Fail(Code::kInternal, "fetch: curl_easy_init failed");
    CURL* c = h->curl;
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.timeout_seconds);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::min(options_.timeout_seconds, 10L));
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteCallback);
    handle_ = std::move(h);
  }
  CURL* c = handle_->curl;
  const std::string url = base_ + path_and_query;
  Body body;
  body.max = options_.max_body_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  ++requests_;
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
  if (body.too_large) {
    return Fail(Code::kUnavailable, "GET " + url + ": response larger than " +
                                        std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return Fail(Code::kUnavailable, "GET " + url + ": " + why);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) return std::move(body.data);
  if (status == 404) return Fail(Code::kNotFound, "GET " + url + ": 404 Not Found");
  std::string msg = "GET " + url + ": HTTP status " + std::to_string(status);
  if (!body.data.empty() && body.data.size() < 300) {
    std::string text = body.data;
    for (char& ch : text) {
      if (static_cast<unsigned char>(ch) < ' ' || ch == 0x7f) ch = ' ';
    }
    msg += " (" + text + ")";
  }
  return Fail(Code::kUnavailable, msg);
}

}  // namespace undersigned::audit
