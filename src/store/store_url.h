// Store URLs (config store.url, env UNDERSIGNED_STORE_URL, --store): which backend a URL names,
// and the same URL with its password taken out, for every log line and message that shows it.
// Empty means SQLite in the data directory; a libpq connection URI (postgresql:// or
// postgres://) means PostgreSQL (store/postgres/).
//
// Pure functions, no I/O; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace undersigned::store {

// True if url starts with postgresql:// or postgres://, the schemes libpq takes (in lower case,
// as libpq). IsPostgresUrl (store/postgres/postgres_store.h) answers the same.
bool HasPostgresScheme(std::string_view url);

// url with every password replaced by "***": the user information's
// (postgresql://user:secret@host/db), a password query parameter (?password=secret) and, for
// libpq's keyword/value strings, password=secret or password='se cret'. Everything else is
// kept, so the result still says which server, user and database are meant.
std::string RedactUrl(std::string_view url);

// text with every password url carries (as written and percent-decoded) and url itself
// replaced by their redacted forms: for messages that come from elsewhere (libpq, a backend)
// and might quote the URL or the password.
std::string RedactIn(std::string text, std::string_view url);

// For logs: "PostgreSQL at <RedactUrl(url)>" when url is set, else "SQLite in <data_dir>".
std::string DescribeStore(std::string_view url, std::string_view data_dir);

}  // namespace undersigned::store
