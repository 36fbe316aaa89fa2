#include "app/config.h"

#include <charconv>
#include <cstdlib>

#include <toml++/toml.h>

#include "http/networks.h"
#include "http/pages/embed.h"
#include "store/store_url.h"

namespace undersigned::app {
namespace {

Result<void> Bad(std::string_view key, std::string_view what) {
  return Fail(Code::kInvalidArgument, std::string(key) + ": " + std::string(what));
}

template <typename Member>
Setting Str(std::string key, std::string help, Member member) {
  return Setting{key, std::move(help),
                 [member, key](Config& c, std::string_view v) -> Result<void> {
                   member(c) = std::string(v);
                   return {};
                 }};
}

template <typename Member>
Setting Int(std::string key, std::string help, Member member, int min, int max) {
  return Setting{key, std::move(help), [=](Config& c, std::string_view v) -> Result<void> {
                   int n = 0;
                   auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                   if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) {
                     return Bad(key, "must be a whole number from " + std::to_string(min) + " to " +
                                         std::to_string(max));
                   }
                   member(c) = n;
                   return {};
                 }};
}

template <typename Member>
Setting Num(std::string key, std::string help, Member member) {
  return Setting{key, std::move(help), [=](Config& c, std::string_view v) -> Result<void> {
                   char* end = nullptr;
                   std::string s(v);
                   double d = std::strtod(s.c_str(), &end);
                   if (s.empty() || *end != '\0' || d < 0) {
                     return Bad(key, "must be a number >= 0");
                   }
                   member(c) = d;
                   return {};
                 }};
}

template <typename Member>
Setting Bool(std::string key, std::string help, Member member) {
  return Setting{key, std::move(help), [=](Config& c, std::string_view v) -> Result<void> {
                   if (v == "true" || v == "1" || v == "yes") {
                     member(c) = true;
                   } else if (v == "false" || v == "0" || v == "no") {
                     member(c) = false;
                   } else {
                     return Bad(key, "must be true or false");
                   }
                   return {};
                 }};
}

std::vector<Setting> MakeSettings() {
  std::vector<Setting> s;
  s.push_back(Str("server.listen", "address and port to listen on, HOST:PORT (port 0: any free)",
                  [](Config& c) -> std::string& { return c.server.listen; }));
  s.push_back(Str("server.base_url", "public URL of the site, used in links and mail",
                  [](Config& c) -> std::string& { return c.server.base_url; }));
  s.push_back(Int(
      "server.io_threads", "network threads", [](Config& c) -> int& { return c.server.io_threads; },
      1, 64));
  s.push_back(Int(
      "server.blocking_threads", "threads that wait on the store",
      [](Config& c) -> int& { return c.server.blocking_threads; }, 1, 1024));
  s.push_back(Bool("server.trust_proxy", "take the client address from X-Forwarded-For",
                   [](Config& c) -> bool& { return c.server.trust_proxy; }));
  s.push_back(Int(
      "server.drain_seconds", "on SIGTERM, seconds in-flight requests may take",
      [](Config& c) -> int& { return c.server.drain_seconds; }, 0, 600));
  s.push_back(Int(
      "server.max_connections", "connections open at once; beyond: 503",
      [](Config& c) -> int& { return c.server.max_connections; }, 1, 1'000'000));
  s.push_back(Int(
      "server.max_connections_per_address",
      "connections open at once from one address (IPv6: one /64); beyond: 429 (0: no limit; "
      "not applied with trust_proxy)",
      [](Config& c) -> int& { return c.server.max_connections_per_address; }, 0, 1'000'000));
  s.push_back(Str("server.metrics_allow",
                  "networks that may read /metrics on listen, comma-separated (10.0.0.0/8, ::1)",
                  [](Config& c) -> std::string& { return c.server.metrics_allow; }));
  s.push_back(Str("server.metrics_listen",
                  "HOST:PORT serving only /metrics and /healthz; listen then has no /metrics",
                  [](Config& c) -> std::string& { return c.server.metrics_listen; }));
  s.push_back(Str("server.embed_ancestors",
                  "sites that may frame the signing widget and counter: * (any, the default), "
                  "none, or origins such as https://union.example.org separated by spaces",
                  [](Config& c) -> std::string& { return c.server.embed_ancestors; }));
  s.push_back(Str("site.name",
                  "the site's name, in the header and page titles (default undersigned)",
                  [](Config& c) -> std::string& { return c.site.name; }));
  s.push_back(Str("site.operator",
                  "who runs the site (a person or organization), shown on every page; without "
                  "it and a contact, pages say the site does not say who runs it",
                  [](Config& c) -> std::string& { return c.site.operator_name; }));
  s.push_back(Str("site.contact", "how to reach the operator: an email address or an https:// URL",
                  [](Config& c) -> std::string& { return c.site.contact; }));
  s.push_back(Str("site.privacy_url", "the privacy policy's URL, linked from every page",
                  [](Config& c) -> std::string& { return c.site.privacy_url; }));
  s.push_back(Str("store.data_dir",
                  "directory holding the SQLite database, mail files and the last checkpoint",
                  [](Config& c) -> std::string& { return c.store.data_dir; }));
  s.push_back(Str("store.url",
                  "PostgreSQL connection URI (postgresql://user:password@host/database); empty: "
                  "SQLite in store.data_dir",
                  [](Config& c) -> std::string& { return c.store.url; }));
  s.push_back(Int(
      "store.write_lanes",
      "PostgreSQL: connections the writer commits batches on at once, each counted as a node",
      [](Config& c) -> int& { return c.store.write_lanes; }, 1, 16));
  s.push_back(Str("mail.smtp_url", "SMTP server, smtp://host:port or smtps://host:port",
                  [](Config& c) -> std::string& { return c.mail.smtp_url; }));
  s.push_back(Str("mail.username", "SMTP login name",
                  [](Config& c) -> std::string& { return c.mail.username; }));
  s.push_back(Str("mail.password", "SMTP password",
                  [](Config& c) -> std::string& { return c.mail.password; }));
  s.push_back(Str("mail.starttls", "off, opportunistic or required",
                  [](Config& c) -> std::string& { return c.mail.starttls; }));
  s.push_back(Str("mail.from_address", "sender address of outgoing mail",
                  [](Config& c) -> std::string& { return c.mail.from_address; }));
  s.push_back(Str("mail.from_name", "sender name of outgoing mail",
                  [](Config& c) -> std::string& { return c.mail.from_name; }));
  s.push_back(Str("mail.verification_from_name",
                  "sender name of the neutral mail sent to work addresses to verify them",
                  [](Config& c) -> std::string& { return c.mail.verification_from_name; }));
  s.push_back(Int(
      "mail.first_retry_seconds", "wait after a failed delivery (doubles, up to 1 h)",
      [](Config& c) -> int& { return c.mail.first_retry_seconds; }, 1, 3600));
  s.push_back(Num("limits.per_address_burst", "signatures one address may make at once (0: off)",
                  [](Config& c) -> double& { return c.limits.per_address_burst; }));
  s.push_back(Num("limits.per_address_per_second", "then this many a second",
                  [](Config& c) -> double& { return c.limits.per_address_per_second; }));
  s.push_back(Num("limits.per_email_burst", "signing attempts per email address at once (0: off)",
                  [](Config& c) -> double& { return c.limits.per_email_burst; }));
  s.push_back(Num("limits.per_email_per_second", "then this many a second",
                  [](Config& c) -> double& { return c.limits.per_email_per_second; }));
  s.push_back(Int(
      "limits.max_confirm_sends", "confirmation mails per signature",
      [](Config& c) -> int& { return c.limits.max_confirm_sends; }, 1, 20));
  s.push_back(Num("limits.api_per_token_burst", "API requests one token may make at once (0: off)",
                  [](Config& c) -> double& { return c.limits.api_per_token_burst; }));
  s.push_back(Num("limits.api_per_token_per_second", "then this many a second",
                  [](Config& c) -> double& { return c.limits.api_per_token_per_second; }));
  s.push_back(Num("limits.link_guess_burst",
                  "unknown confirm/withdraw/review links one address may open at once (0: off)",
                  [](Config& c) -> double& { return c.limits.link_guess_burst; }));
  s.push_back(Num("limits.link_guess_per_second", "then this many a second",
                  [](Config& c) -> double& { return c.limits.link_guess_per_second; }));
  s.push_back(Bool("signature_log.enabled",
                   "keep the verifiable log of signatures (checkpoints, receipts, audits)",
                   [](Config& c) -> bool& { return c.signature_log.enabled; }));
  s.push_back(Str("signature_log.origin",
                  "name of the log in its checkpoints; fixed at the first start (default: the "
                  "base URL's host and path + /log)",
                  [](Config& c) -> std::string& { return c.signature_log.origin; }));
  s.push_back(Int(
      "signature_log.checkpoint_seconds", "longest wait between new signatures and a checkpoint",
      [](Config& c) -> int& { return c.signature_log.checkpoint_seconds; }, 1, 3600));
  // Payments (issue 14): Stripe's keys and API; secrets, never logged.
  s.push_back(Str("payments.stripe_secret_key",
                  "Stripe secret key (sk_live_..., sk_test_...); empty: payments off (a secret: "
                  "prefer UNDERSIGNED_PAYMENTS_STRIPE_SECRET_KEY)",
                  [](Config& c) -> std::string& { return c.payments.stripe_secret_key; }));
  s.push_back(Str("payments.stripe_webhook_secret",
                  "signing secret of the Stripe webhook endpoint (whsec_...); a secret",
                  [](Config& c) -> std::string& { return c.payments.stripe_webhook_secret; }));
  s.push_back(Str("payments.stripe_api_base",
                  "Stripe's API URL (change only to test against an emulator)",
                  [](Config& c) -> std::string& { return c.payments.stripe_api_base; }));
  s.push_back(Int(
      "payments.timeout_seconds", "longest wait for one request to Stripe",
      [](Config& c) -> int& { return c.payments.timeout_seconds; }, 1, 600));
  s.push_back(
      Str("log.format", "text or json", [](Config& c) -> std::string& { return c.log.format; }));
  s.push_back(Str("log.level", "trace, debug, info, warn or error",
                  [](Config& c) -> std::string& { return c.log.level; }));
  s.push_back(Bool("demo", "create the demo campaign at start if it is missing",
                   [](Config& c) -> bool& { return c.demo; }));
  return s;
}

Result<void> ApplyTable(Config& config, const toml::table& table, const std::string& prefix,
                        const std::string& path) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = node.as_table()) {
      if (auto r = ApplyTable(config, *sub, key, path); !r) return r;
      continue;
    }
    std::string value;
    if (auto s = node.value<std::string>(); s && node.is_string()) {
      value = *s;
    } else if (node.is_integer()) {
      value = std::to_string(*node.value<std::int64_t>());
    } else if (node.is_floating_point()) {
      value = std::to_string(*node.value<double>());
    } else if (node.is_boolean()) {
      value = *node.value<bool>() ? "true" : "false";
    } else {
      return Fail(Code::kInvalidArgument,
                  path + ": " + key + " must be a string, number or boolean");
    }
    auto r = ApplySetting(config, key, value);
    if (!r) return Fail(Code::kInvalidArgument, path + ": " + r.error().message);
  }
  return {};
}

}  // namespace

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = MakeSettings();
  return settings;
}

Result<void> ApplySetting(Config& config, std::string_view key, std::string_view value) {
  for (const Setting& s : Settings()) {
    if (s.key == key) return s.set(config, value);
  }
  return Fail(Code::kInvalidArgument, "unknown setting '" + std::string(key) + "'");
}

Result<void> ApplyTomlFile(Config& config, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string where;
    if (e.source().begin) where = ":" + std::to_string(e.source().begin.line);
    return Fail(Code::kInvalidArgument, path + where + ": " + std::string(e.description()));
  }
  return ApplyTable(config, table, "", path);
}

Result<void> ApplyEnvironment(Config& config) {
  for (const Setting& s : Settings()) {
    std::string name = "UNDERSIGNED_";
    for (char c : s.key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    if (const char* v = std::getenv(name.c_str())) {
      if (auto r = s.set(config, v); !r) {
        return Fail(Code::kInvalidArgument, name + ": " + r.error().message);
      }
    }
  }
  return {};
}

Result<Config> LoadConfig(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& flags) {
  Config config;
  if (!path.empty()) {
    if (auto r = ApplyTomlFile(config, path); !r) return Fail(r.error());
  }
  if (auto r = ApplyEnvironment(config); !r) return Fail(r.error());
  for (const auto& [key, value] : flags) {
    if (auto r = ApplySetting(config, key, value); !r) return Fail(r.error());
  }
  return config;
}

Result<std::pair<std::string, unsigned short>> ParseListen(std::string_view listen) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(Code::kInvalidArgument, "listen address must look like 127.0.0.1:8080");
  }
  std::string host(listen.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  std::string_view p = listen.substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port > 65535) {
    return Fail(Code::kInvalidArgument, "listen port must be a number from 0 to 65535");
  }
  return std::make_pair(host, static_cast<unsigned short>(port));
}

Result<void> ValidateConfig(const Config& c) {
  if (auto r = ParseListen(c.server.listen); !r) return Fail(r.error());
  if (!c.server.metrics_listen.empty()) {
    if (auto r = ParseListen(c.server.metrics_listen); !r) {
      return Bad("server.metrics_listen", r.error().message);
    }
  }
  if (auto r = http::Networks::Parse(c.server.metrics_allow); !r) {
    return Bad("server.metrics_allow", r.error().message);
  }
  if (auto r = http::pages::ParseFrameAncestors(c.server.embed_ancestors); !r) {
    return Bad("server.embed_ancestors", r.error().message);
  }
  if (!c.server.base_url.empty() && c.server.base_url.rfind("http://", 0) != 0 &&
      c.server.base_url.rfind("https://", 0) != 0) {
    return Bad("server.base_url", "must start with http:// or https://");
  }
  const auto is_url = [](const std::string& v) {
    return v.starts_with("http://") || v.starts_with("https://");
  };
  if (c.site.name.empty() || c.site.name.size() > 100) {
    return Bad("site.name", "must be 1 to 100 characters");
  }
  if (c.site.operator_name.size() > 200)
    return Bad("site.operator", "must be at most 200 characters");
  if (!c.site.contact.empty() && !is_url(c.site.contact) &&
      (c.site.contact.find('@') == std::string::npos ||
       c.site.contact.find_first_of(" <>\"") != std::string::npos)) {
    return Bad("site.contact",
               "must be an email address (privacy@example.org) or a URL starting with https://");
  }
  if (!c.site.privacy_url.empty() && !is_url(c.site.privacy_url)) {
    return Bad("site.privacy_url", "must be a URL starting with https:// (or http://)");
  }
  if (!c.mail.smtp_url.empty() && c.mail.smtp_url.rfind("smtp://", 0) != 0 &&
      c.mail.smtp_url.rfind("smtps://", 0) != 0) {
    return Bad("mail.smtp_url", "must start with smtp:// or smtps://");
  }
  if (!c.store.url.empty() && !store::HasPostgresScheme(c.store.url)) {
    // The value itself is not repeated: it may hold a password.
    return Bad("store.url",
               "must be a PostgreSQL URL starting with postgresql:// or postgres://, or empty for "
               "SQLite in store.data_dir");
  }
  if (c.mail.starttls != "off" && c.mail.starttls != "opportunistic" &&
      c.mail.starttls != "required") {
    return Bad("mail.starttls", "must be off, opportunistic or required");
  }
  if (auto r = payments::ValidatePaymentsConfig(c.payments); !r) return r;
  if (c.log.format != "text" && c.log.format != "json") {
    return Bad("log.format", "must be text or json");
  }
  for (const char* l : {"trace", "debug", "info", "warn", "error"}) {
    if (c.log.level == l) return {};
  }
  return Bad("log.level", "must be trace, debug, info, warn or error");
}

}  // namespace undersigned::app
