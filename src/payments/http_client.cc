#include "payments/http_client.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include <curl/curl.h>

namespace undersigned::payments {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::size_t WriteBody(char* data, std::size_t size, std::size_t n, void* userp) {
  static_cast<std::string*>(userp)->append(data, size * n);
  return size * n;
}

std::size_t WriteHeader(char* data, std::size_t size, std::size_t n, void* userp) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(userp);
  std::string line(data, size * n);
  std::size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    (*headers)[name] = value;
  } else if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (after 100 Continue): keep only the last one's
  }
  return size * n;
}

// "https://api.example:443/v1/x?y" -> "https://api.example:443"
std::string Origin(const std::string& url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "(invalid url)";
  std::size_t end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(HttpTimeouts t) : timeouts_(t) { GlobalInitOnce(); }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
    if (!curl) return Fail(Code::kInternal, "http: curl_easy_init failed");
    CURL* c = curl.get();
    HttpResponse response;
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip for larger bodies.
    list = curl_slist_append(list, "Expect:");
    std::unique_ptr<curl_slist, SlistDeleter> headers(list);
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.total.count()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    if (request.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      std::string why = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
      return Fail(Code::kUnavailable, "http: " + request.method + " " + Origin(request.url) +
                                          ": no answer (" + why + ")");
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  HttpTimeouts timeouts_;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(HttpTimeouts timeouts) {
  return std::make_unique<CurlHttpClient>(timeouts);
}

}  // namespace undersigned::payments
