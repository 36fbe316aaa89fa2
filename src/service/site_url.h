// The site's public base URL ("https://sign.example.org"): where every link in the pages, the
// mail, the API, the log's receipts and the delivered letter points, and what the signature
// log's origin is derived from at its first start.
//
// It is kept with the instance (the instance value "base-url") whenever it is given, so that
// later starts without --base-url and the commands that do not serve (deliver) use the same
// one. A different one given later is refused unless the operator says the site moved
// (allow_change): links already mailed, and the log's origin that auditors know it by, were made
// from the old one. Listening on every interface (0.0.0.0, ::) gives no address anyone can
// open, so it is never used for links.
//
// Functions over a Store; thread-safe as the Store is.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::service {

// "https://sign.example.org/" -> "https://sign.example.org". kInvalidArgument unless it is
// http:// or https:// with a host that names one machine (not 0.0.0.0 or [::]).
Result<std::string> NormalizeBaseUrl(std::string_view url);

struct BaseUrlOptions {
  std::string configured;              // server.base_url; empty when not given
  std::string listen_url;              // "http://127.0.0.1:8080": used when none is given or kept
  bool log_origin_configured = false;  // signature_log.origin is set (it is not derived)
  bool allow_change = false;           // --change-base-url: the site moved, keep the new URL
};

struct SettledBaseUrl {
  std::string url;
  std::string previous;  // the URL kept before, when allow_change replaced it; else empty
};

// The base URL `serve` uses: the configured one (kept, when new), else the kept one, else the
// listen URL (not kept: with port 0 it changes at every start). kInvalidArgument, saying what to
// do, when the configured one differs from the kept one, or from the one the signature log's
// origin was made from, without allow_change; or when the listen URL would be used and names
// every interface.
Result<SettledBaseUrl> SettleBaseUrl(Store& store, const BaseUrlOptions& options);

// The base URL for commands that do not serve: the configured one, else the kept one.
// kInvalidArgument, saying how to give one, when there is neither.
Result<std::string> KnownBaseUrl(Store& store, const std::string& configured);

}  // namespace undersigned::service
