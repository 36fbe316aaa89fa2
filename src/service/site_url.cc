#include "service/site_url.h"

#include "service/log.h"

namespace undersigned::service {
namespace {

constexpr const char* kBaseUrlValue = "base-url";

// "http://0.0.0.0:8080" or "http://[::]:8080": an address to listen on, not one to visit.
bool NamesEveryInterface(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view host = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  for (std::string_view any : {"0.0.0.0", "[::]", "[0:0:0:0:0:0:0:0]"}) {
    if (host.substr(0, any.size()) == any &&
        (host.size() == any.size() || host[any.size()] == ':' || host[any.size()] == '/')) {
      return true;
    }
  }
  return false;
}

Error Refuse(std::string message) {
  return Error{Code::kInvalidArgument, std::move(message), {}, 0};
}

}  // namespace

Result<std::string> NormalizeBaseUrl(std::string_view url) {
  std::string u(url);
  while (!u.empty() && u.back() == '/') u.pop_back();
  const bool http = u.starts_with("http://"), https = u.starts_with("https://");
  const std::size_t host_at = https ? 8 : 7;
  if ((!http && !https) || u.size() == host_at || u[host_at] == ':' ||
      u.find_first_of(" \t\r\n\"<>?#", 0) != std::string::npos) {
    return Fail(Refuse("the base URL '" + std::string(url) +
                       "' must be the site's public address, like https://sign.example.org"));
  }
  if (NamesEveryInterface(u)) {
    return Fail(Refuse("the base URL '" + std::string(url) +
                       "' names every interface, which nobody can open; give the address "
                       "people visit, like https://sign.example.org"));
  }
  return u;
}

Result<SettledBaseUrl> SettleBaseUrl(Store& store, const BaseUrlOptions& options) {
  auto kept = store.FindInstanceValue(kBaseUrlValue);
  if (!kept) return Fail(kept.error());
  if (options.configured.empty()) {
    if (*kept) return SettledBaseUrl{**kept, {}};
    if (NamesEveryInterface(options.listen_url)) {
      return Fail(Refuse("listening on " + options.listen_url +
                         " (every interface) gives no address for links in pages and mail; "
                         "give the site's public URL with --base-url (or server.base_url), "
                         "like --base-url https://sign.example.org"));
    }
    return SettledBaseUrl{options.listen_url, {}};
  }
  auto url = NormalizeBaseUrl(options.configured);
  if (!url) return Fail(url.error());
  std::string was;  // what the instance's links were made from until now
  if (*kept && **kept != *url) {
    was = "this instance's public URL is " + **kept;
  } else if (!*kept && !options.log_origin_configured) {
    auto origin = store.FindInstanceValue("log-origin");
    if (!origin) return Fail(origin.error());
    if (*origin && **origin != OriginFromBaseUrl(*url)) {
      was = "this instance's signature log was started as '" + **origin +
            "', from the address it had then";
    }
  }
  if (!was.empty() && !options.allow_change) {
    return Fail(Refuse(
        "refusing to start: the base URL is " + *url + " but " + was +
        ". Links already mailed point there, and auditors know the log by its origin. If the "
        "site moved, start once with --change-base-url (the log keeps its origin); otherwise "
        "drop --base-url or give the old one"));
  }
  if (!*kept || **kept != *url) {
    if (auto r = store.SetInstanceValue(kBaseUrlValue, *url); !r) return Fail(r.error());
  }
  return SettledBaseUrl{*url, *kept && **kept != *url ? **kept : std::string()};
}

Result<std::string> KnownBaseUrl(Store& store, const std::string& configured) {
  if (!configured.empty()) return NormalizeBaseUrl(configured);
  auto kept = store.FindInstanceValue(kBaseUrlValue);
  if (!kept) return Fail(kept.error());
  if (*kept) return **kept;
  return Fail(Refuse(
      "this instance has no public URL yet, so its links would point nowhere; pass --base-url "
      "https://sign.example.org, or start the server once with --base-url (it is kept)"));
}

}  // namespace undersigned::service
