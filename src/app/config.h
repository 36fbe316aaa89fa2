// Config: every setting of undersigned in one place, with its default. Filled once at start-up
// from (lowest first) the defaults below, a TOML file, UNDERSIGNED_* environment variables and
// command-line flags; then handed down by value, each module getting only its own part.
//
// Each setting has one dotted key ("server.listen"); the TOML file uses the same keys as tables
// ([server] listen = "..."), the environment UNDERSIGNED_SERVER_LISTEN, and the flags are named
// by the CLI. Unknown keys in the file are rejected.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "payments/config.h"

namespace undersigned::app {

struct Config {
  struct Server {
    std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
    std::string base_url;                   // public URL; default http://<listen address>
    int io_threads = 2;                     // network threads
    int blocking_threads = 64;              // threads that wait on the store
    bool trust_proxy = false;               // take the client address from X-Forwarded-For
    int drain_seconds = 10;                 // SIGTERM: time in-flight requests get to finish
    int max_connections = 10'000;           // open at once; beyond: 503
    // Open at once from one client address (IPv6: one /64); beyond: 429. 0: no limit. Not
    // applied with trust_proxy. Room for 600 people behind one NAT, each with a live page.
    int max_connections_per_address = 2'000;
    // Who may read /metrics on `listen` (by client address): networks, comma-separated.
    std::string metrics_allow = "127.0.0.0/8, ::1/128";
    // HOST:PORT of a listener serving only /metrics (to anyone who reaches it) and /healthz;
    // when set, `listen` serves no /metrics at all. Empty: none.
    std::string metrics_listen;
    // Which sites may frame the signing widget and counter (http/pages/embed.h): "*" (any),
    // "none" (embedding off), or origins separated by spaces: "https://union.example.org".
    std::string embed_ancestors = "*";
  } server;
  // Who runs this instance: shown in every page's header and footer, so that signers know whom
  // they give their address to. Without operator and contact the pages carry a visible notice
  // that the site does not say who runs it (the demo still works).
  struct Site {
    std::string name = "undersigned";  // the site's name (header, page titles)
    std::string operator_name;         // key "operator": the person or organization running it
    std::string contact;               // an email address or an http(s):// URL
    std::string privacy_url;           // the privacy policy, http(s)://
  } site;
  struct Store {
    // SQLite's database (undersigned.db) and, with either store, the files that are not the
    // store: outbox-eml/ (mail without SMTP), log-checkpoint (the last signed checkpoint) and,
    // with SQLite, the server's lock (app/app.h).
    std::string data_dir = "undersigned-data";
    // Where the store is: empty for SQLite in data_dir, or a PostgreSQL connection URI
    // (postgresql://user:password@host:port/database?sslmode=...; libpq's). Never logged or
    // printed with its password (store/store_url.h).
    std::string url;
    // PostgreSQL: connections the writer commits batches on at once (docs/scale-out.md).
    int write_lanes = 2;
  } store;
  struct Mail {
    std::string smtp_url;  // smtp://host:port or smtps://; empty = .eml files
    std::string username;
    std::string password;
    std::string starttls = "opportunistic";  // off | opportunistic | required
    std::string from_address = "undersigned@localhost";
    std::string from_name = "undersigned";
    // The sender name of the one-time links sent to work addresses (groups proven by domain):
    // the employer's mail system sees it, so it says nothing about any campaign.
    std::string verification_from_name = "Verification";
    int first_retry_seconds = 30;  // wait after a failed delivery; doubles up to an hour
  } mail;
  struct Limits {
    double per_address_burst = 600;       // signatures one address may make at once...
    double per_address_per_second = 1.0;  // ...and then this many a second; 0 burst disables
    double per_email_burst = 5;
    double per_email_per_second = 1.0 / 600;
    int max_confirm_sends = 3;              // confirmation mails per signature
    double api_per_token_burst = 40;        // API requests one token may make at once...
    double api_per_token_per_second = 4.0;  // ...and then this many a second; 0 burst disables
    // Unknown confirm, withdraw and review links one address may open at once, then this many
    // a second (valid links use none); 0 burst disables.
    double link_guess_burst = 30;
    double link_guess_per_second = 0.1;
  } limits;
  struct SignatureLog {  // the verifiable Merkle log of signatures (service/log.h)
    bool enabled = true;
    std::string origin;          // checkpoint origin; default: base URL host + "/log"
    int checkpoint_seconds = 2;  // longest wait between growth and a signed checkpoint
  } signature_log;
  // Payments through Stripe (issue 14, payments/config.h): off while stripe_secret_key is
  // empty. The secret key and webhook secret are never logged.
  payments::PaymentsConfig payments;
  struct Log {
    std::string format = "text";  // text | json
    std::string level = "info";   // trace | debug | info | warn | error
  } log;
  bool demo = false;  // create the demo campaign at start if missing
  // `serve --change-base-url`: the site moved; keep the new server.base_url instead of refusing
  // to start (service/site_url.h). A flag for one start, not a setting.
  bool change_base_url = false;
};

// One setting, for the loaders and for --help.
struct Setting {
  std::string key;  // "server.listen"
  std::string help;
  std::function<Result<void>(Config&, std::string_view)> set;
};
const std::vector<Setting>& Settings();

// Applies a TOML file. kInvalidArgument naming the key/line for unknown keys or bad values.
Result<void> ApplyTomlFile(Config& config, const std::string& path);
// Applies UNDERSIGNED_<KEY> variables found in the environment.
Result<void> ApplyEnvironment(Config& config);
// Applies one setting by key (used by flags).
Result<void> ApplySetting(Config& config, std::string_view key, std::string_view value);
// The Config from, lowest first: the defaults, the TOML file at path (none if empty), the
// UNDERSIGNED_* environment and flags, (key, value) pairs applied in order. Not validated
// (ValidateConfig). kInvalidArgument naming the file, variable or key that is wrong.
Result<Config> LoadConfig(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& flags);
// Checks values that depend on each other (listen parses, starttls is known...).
Result<void> ValidateConfig(const Config& config);

// "127.0.0.1:8080" -> host, port. kInvalidArgument when malformed.
Result<std::pair<std::string, unsigned short>> ParseListen(std::string_view listen);

}  // namespace undersigned::app
