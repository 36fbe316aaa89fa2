// us_seed: fills a data directory with N confirmed signatures in one campaign, fast, for the
// memory and restart measurements of bench/run. Not part of the product.
//
//   us_seed --data DIR --slug SLUG --count N [--mode sql|store] [--threads T] [--public-every K]
//
// The campaign is created (open) through the Store if it does not exist. Then:
//  --mode sql (default): the store is closed and the rows are written with the SQLite C API in
//    one transaction (synchronous=OFF, large cache), matching the schema of
//    store/sqlite/migrations.cc, and campaign_counts and the dashboard's rollups (hourly counts,
//    tallies) are recomputed from the signatures table.
//    Each signature gets its "confirm" leaf in the signature log (and the log's nodes), as the
//    store writes them, so that a seeded instance passes the server's start-up log check.
//    About a million rows in a few seconds.
//  --mode store: T threads call tx::Sign with confirm_now=true (the trusted API path), so the
//    store's group commit batches them. Slower, but uses only the public interface.
// Prints one line "seeded N signatures in S s (R/s), campaign SLUG id I, confirmed C".
//
// Single-use tool; owns everything it opens; not thread-safe beyond what it does itself.

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/campaign.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/signature.h"
#include "log/leaf.h"
#include "log/merkle.h"
#include "log/tiles.h"
#include "service/tx/scripts.h"
#include "store/public_ids.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

#include "bench_support.h"

namespace undersigned::bench {
namespace {

constexpr const char* kTool = "us_seed";

struct Args {
  std::string data;
  std::string slug = "million";
  std::int64_t count = 1'000'000;
  std::string mode = "sql";
  int threads = 64;
  int public_every = 3;  // every K-th signer shows their name (and a comment)
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr,
               "us_seed: %s\nusage: us_seed --data DIR [--slug SLUG] [--count N] "
               "[--mode sql|store] [--threads T] [--public-every K]\n",
               msg);
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  ParseFlags(argc, argv, Usage, [&](const std::string& k, auto value) {
    if (k == "--data") {
      a.data = value();
    } else if (k == "--slug") {
      a.slug = value();
    } else if (k == "--count") {
      a.count = std::stoll(value());
    } else if (k == "--mode") {
      a.mode = value();
    } else if (k == "--threads") {
      a.threads = std::stoi(value());
    } else if (k == "--public-every") {
      a.public_every = std::stoi(value());
    } else {
      return false;
    }
    return true;
  });
  if (a.data.empty()) Usage("--data is required");
  if (a.mode != "sql" && a.mode != "store") Usage("--mode is sql or store");
  if (a.count < 0 || a.threads < 1 || a.public_every < 1) Usage("bad number");
  return a;
}

// Random bytes/ids. Not cryptographic: this is test data.
class Rand {
 public:
  explicit Rand(std::uint64_t seed) : gen_(seed) {}
  std::string Hex(int bytes) {
    static const char* kHex = "0123456789abcdef";
    const std::string raw = Bytes(bytes);
    std::string s;
    s.reserve(raw.size() * 2);
    for (unsigned char b : raw) {
      s.push_back(kHex[b >> 4]);
      s.push_back(kHex[b & 15]);
    }
    return s;
  }
  std::string Bytes(int n) {
    std::string s(n, '\0');
    for (int i = 0; i < n; i += 8) {
      std::uint64_t v = gen_();
      for (int j = 0; j < 8 && i + j < n; ++j, v >>= 8) s[i + j] = static_cast<char>(v & 0xff);
    }
    return s;
  }

 private:
  std::mt19937_64 gen_;
};

// Zero-padded so that emails sort like their numbers (index inserts become appends).
std::string Email(std::int64_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "seed%010lld@example.org", static_cast<long long>(i));
  return buf;
}
std::string Name(std::int64_t i) { return "Seeded Signer " + std::to_string(i); }
std::string Comment(std::int64_t i) {
  return "I sign because this matters to me and my neighbours (" + std::to_string(i) + ").";
}

Campaign EnsureCampaign(Store& store, const std::string& slug, std::int64_t goal) {
  auto existing = store.GetCampaignBySlug(slug);
  if (existing) return *existing;
  if (existing.error().code != Code::kNotFound) Die(kTool, "get campaign", existing.error());
  return CreateCampaignOrDie(
      kTool, store,
      OpenCampaign(
          slug, "A million voices for safer streets",
          "Fund protected bike lanes on every arterial road by 2027.",
          "Dear Mayor,\n\nWe, the undersigned, ask you to **fund protected bike lanes** on every "
          "arterial road.\n\n- Fewer injuries\n- Cleaner air\n- Quieter streets\n\nSincerely,",
          Target{"Jane Mayor", "Mayor", "City Hall", "janemayor", "janemayor.bsky.social",
                 "@janemayor@mastodon.social"},
          goal));
}

void Check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "us_seed: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Exec(sqlite3* db, const char* sql) {
  Check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql);
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  Check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr), sql);
  return s;
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void BindBlob(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Writes the rows directly, the way tx::Sign with confirm_now on SqliteStore would leave them.
void SeedSql(const std::string& path, std::int64_t campaign_id, std::int64_t start,
             std::int64_t count, int public_every) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "us_seed: cannot open %s\n", path.c_str());
    std::exit(1);
  }
  // No journal while seeding (a crash means seeding again): the rows are written once, not to
  // the WAL and then again to the database. WAL is switched back on at the end.
  Exec(db, "PRAGMA journal_mode=DELETE");
  Exec(db, "PRAGMA locking_mode=EXCLUSIVE");
  Exec(db, "PRAGMA journal_mode=OFF");
  Exec(db, "PRAGMA synchronous=OFF");
  Exec(db, "PRAGMA cache_size=-1048576");  // 1 GiB
  Exec(db, "PRAGMA temp_store=MEMORY");
  Exec(db, "BEGIN IMMEDIATE");
  sqlite3_stmt* person = Prepare(
      db,
      "INSERT INTO people (id, uuid, canonical_email, email, given_name, family_name, "
      "postal_code, country, subscribed, created, modified) VALUES (?9, ?1, ?2, ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8, ?8)");
  sqlite3_stmt* sig = Prepare(
      db,
      "INSERT INTO signatures (id, uuid, campaign_id, person_id, name, email, canonical_email, "
      "postal_code, country, comment, public_name, wants_updates, state, source, confirm_sends, "
      "created, modified, confirmed, log_salt, log_index) VALUES (?14, ?1, ?2, ?3, ?4, ?5, ?5, "
      "?6, ?7, ?8, ?9, ?10, 'confirmed', 'api', 0, ?11, ?11, ?11, ?12, ?13)");
  // The signature log: continue the stored tree (its leaf hashes, in order) and write every
  // leaf and node it completes.
  sqlite3_stmt* leaf_row =
      Prepare(db, "INSERT INTO log_leaves (idx, entry, hash) VALUES (?1, ?2, ?3)");
  sqlite3_stmt* node_row =
      Prepare(db, "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)");
  std::string pending_entry;
  log::CompactRange range;
  {
    sqlite3_stmt* existing = Prepare(db, "SELECT hash FROM log_leaves ORDER BY idx");
    while (sqlite3_step(existing) == SQLITE_ROW) {
      log::Hash h{};
      std::memcpy(h.data(), sqlite3_column_blob(existing, 0), h.size());
      range.Append(h);
    }
    sqlite3_finalize(existing);
  }
  range.set_visitor([&](std::uint8_t level, std::uint64_t index, const log::Hash& hash) {
    if (level % log::kTileHeight != 0) return;  // the store keeps only the tile levels
    sqlite3_stmt* st = level == 0 ? leaf_row : node_row;
    sqlite3_reset(st);
    if (level == 0) {
      sqlite3_bind_int64(st, 1, static_cast<std::int64_t>(index));
      sqlite3_bind_blob(st, 2, pending_entry.data(), static_cast<int>(pending_entry.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_blob(st, 3, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_int64(st, 1, level);
      sqlite3_bind_int64(st, 2, static_cast<std::int64_t>(index));
      sqlite3_bind_blob(st, 3, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
    }
    Check(db, sqlite3_step(st), "insert log row");
  });
  std::string campaign_uuid;
  {
    sqlite3_stmt* u = Prepare(db, "SELECT uuid FROM campaigns WHERE id = ?1");
    sqlite3_bind_int64(u, 1, campaign_id);
    Check(db, sqlite3_step(u), "read campaign uuid");
    campaign_uuid = reinterpret_cast<const char*>(sqlite3_column_text(u, 0));
    sqlite3_finalize(u);
  }
  // Row ids and public ids as the store makes them (SqliteStore's RowIds, store/public_ids.h):
  // people after the last one, signatures after the campaign's last, in its range of ids.
  std::int64_t next_person = 0;
  std::int64_t next_signature = 0;
  std::unique_ptr<store::PublicIds> ids;
  {
    sqlite3_stmt* q = Prepare(db, "SELECT coalesce(max(id), 0) + 1 FROM people");
    Check(db, sqlite3_step(q), "read the last person id");
    next_person = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    q = Prepare(db,
                "SELECT coalesce(max(id), ?1 << 40) + 1 FROM signatures WHERE id BETWEEN "
                "(?1 << 40) AND (?1 << 40) + 1099511627775");
    sqlite3_bind_int64(q, 1, campaign_id);
    Check(db, sqlite3_step(q), "read the last signature id");
    next_signature = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    q = Prepare(db, "SELECT value FROM instance_secrets WHERE name = 'id-key'");
    Check(db, sqlite3_step(q), "read the id key");
    ids = std::make_unique<store::PublicIds>(
        std::string_view(static_cast<const char*>(sqlite3_column_blob(q, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(q, 0))));
    sqlite3_finalize(q);
  }
  // Each signature's token hash (of the signing kind), as SqliteTx::AddToken keeps it.
  sqlite3_stmt* tokens = Prepare(
      db, "INSERT INTO signature_tokens (hash, signature_id, kind) VALUES (?1, ?2, 'signing')");
  Rand rnd(0x5eed0000ULL + static_cast<std::uint64_t>(start));
  // The random unique keys (token hashes) are made up front and handed out in sorted
  // order: they are as random as the store's, but each unique-index insert becomes an append,
  // which makes seeding several times faster. (The indexes end up denser than ones grown by
  // random inserts; the database is a little smaller than a real one of the same size.)
  auto sorted = [&](auto make) {
    std::vector<std::string> v;
    v.reserve(static_cast<std::size_t>(count));
    for (std::int64_t n = 0; n < count; ++n) v.push_back(make());
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> token_hashes = sorted([&] { return rnd.Bytes(32); });
  // Spread the signatures over the past 30 days, oldest first, so ordering is realistic.
  const UnixTime now = Clock::System().Now();
  const UnixTime first = now - 30 * 86400;
  const double step = count > 0 ? (30.0 * 86400) / static_cast<double>(count) : 0;
  for (std::int64_t n = 0; n < count; ++n) {
    const std::int64_t i = start + n;
    const UnixTime t = first + static_cast<UnixTime>(step * static_cast<double>(n));
    const std::string email = Email(i);
    const bool pub = (i % public_every) == 0;
    sqlite3_reset(person);
    const std::int64_t person_id = next_person + n;
    BindText(person, 1, ids->Uuid(store::IdKind::kPerson, person_id));
    sqlite3_bind_int64(person, 9, person_id);
    BindText(person, 2, email);
    BindText(person, 3, "Seeded Signer");
    BindText(person, 4, std::to_string(i));
    BindText(person, 5, (i & 1) ? "10115" : "");
    BindText(person, 6, (i & 1) ? "DE" : "");
    sqlite3_bind_int64(person, 7, (i % 2) == 0);
    sqlite3_bind_int64(person, 8, t);
    Check(db, sqlite3_step(person), "insert person");

    sqlite3_reset(sig);
    const std::int64_t signature_id = next_signature + n;
    BindText(sig, 1, ids->Uuid(store::IdKind::kSignature, signature_id));
    sqlite3_bind_int64(sig, 14, signature_id);
    sqlite3_bind_int64(sig, 2, campaign_id);
    sqlite3_bind_int64(sig, 3, person_id);
    BindText(sig, 4, Name(i));
    BindText(sig, 5, email);
    BindText(sig, 6, (i & 1) ? "10115" : "");
    BindText(sig, 7, (i & 1) ? "DE" : "");
    BindText(sig, 8, pub ? Comment(i) : "");
    sqlite3_bind_int64(sig, 9, pub ? 1 : 0);
    sqlite3_bind_int64(sig, 10, (i % 2) == 0);
    sqlite3_bind_int64(sig, 11, t);
    const std::string salt = rnd.Bytes(static_cast<int>(log::kSaltBytes));
    BindBlob(sig, 12, salt);
    sqlite3_bind_int64(sig, 13, static_cast<std::int64_t>(range.Size()));
    Check(db, sqlite3_step(sig), "insert signature");
    log::Leaf leaf;
    leaf.campaign = campaign_uuid;
    leaf.day = FormatIso8601(t).substr(0, 10);
    leaf.commitment =
        log::Commitment(std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                        email);
    pending_entry = log::FormatLeaf(leaf);
    range.Append(log::LeafHash(pending_entry));

    sqlite3_reset(tokens);
    BindBlob(tokens, 1, token_hashes[n]);
    sqlite3_bind_int64(tokens, 2, signature_id);
    Check(db, sqlite3_step(tokens), "insert token");
  }
  sqlite3_finalize(person);
  sqlite3_finalize(sig);
  sqlite3_finalize(tokens);
  sqlite3_finalize(leaf_row);
  sqlite3_finalize(node_row);
  // Exact counts from the rows themselves, whatever was there before.
  sqlite3_stmt* counts = Prepare(
      db,
      "UPDATE campaign_counts SET "
      "pending = (SELECT count(*) FROM signatures WHERE campaign_id = ?1 AND state = 'pending'), "
      "confirmed = (SELECT count(*) FROM signatures WHERE campaign_id = ?1 AND state = "
      "'confirmed'), "
      "withdrawn = (SELECT count(*) FROM signatures WHERE campaign_id = ?1 AND state = "
      "'withdrawn'), last_change = ?2, changes = changes + 1 WHERE campaign_id = ?1");
  sqlite3_bind_int64(counts, 1, campaign_id);
  sqlite3_bind_int64(counts, 2, now);
  Check(db, sqlite3_step(counts), "update counts");
  if (sqlite3_changes(db) != 1) {
    std::fprintf(stderr, "us_seed: no campaign_counts row for campaign %lld\n",
                 static_cast<long long>(campaign_id));
    std::exit(1);
  }
  sqlite3_finalize(counts);
  // The dashboard's rollups (migrations 9 and 10) from the rows too, as the migrations fill them.
  const std::string cid = std::to_string(campaign_id);
  Exec(db, ("DELETE FROM signature_tallies WHERE campaign_id = " + cid).c_str());
  Exec(db, ("INSERT INTO signature_tallies (campaign_id, kind, key, pending, confirmed) "
            "SELECT campaign_id, kind, key, sum(state = 'pending'), sum(state = 'confirmed') "
            "FROM (SELECT campaign_id, 'group' AS kind, group_key AS key, state FROM signatures "
            "UNION ALL SELECT campaign_id, 'country', country, state FROM signatures "
            "UNION ALL SELECT campaign_id, 'referrer', ref_host, state FROM signatures "
            "UNION ALL SELECT campaign_id, 'utm_source', utm_source, state FROM signatures "
            "UNION ALL SELECT campaign_id, 'channel', share_channel, state FROM signatures "
            "UNION ALL SELECT campaign_id, 'source', source, state FROM signatures) "
            "WHERE campaign_id = " +
            cid +
            " AND state IN ('pending', 'confirmed') "
            "GROUP BY campaign_id, kind, key")
               .c_str());
  Exec(db, ("DELETE FROM signature_hours WHERE campaign_id = " + cid).c_str());
  Exec(db, ("INSERT INTO signature_hours (campaign_id, hour, pending, confirmed, withdrawn) "
            "SELECT campaign_id, h, sum(p), sum(c), sum(w) FROM ("
            "SELECT campaign_id, (CASE protection WHEN 'none' THEN created - created % 3600 "
            "ELSE created - created % 86400 END) AS h, 1 AS p, 0 AS c, 0 AS w FROM signatures "
            "UNION ALL SELECT campaign_id, (CASE protection WHEN 'none' THEN confirmed - "
            "confirmed % 3600 ELSE confirmed - confirmed % 86400 END), -1, 1, 0 FROM signatures "
            "WHERE confirmed IS NOT NULL UNION ALL SELECT campaign_id, (CASE protection WHEN "
            "'none' THEN modified - modified % 3600 ELSE modified - modified % 86400 END), CASE "
            "WHEN confirmed IS NULL THEN -1 ELSE 0 END, CASE WHEN confirmed IS NULL THEN 0 ELSE "
            "-1 END, 1 FROM signatures WHERE state = 'withdrawn') WHERE campaign_id = " +
            cid + " GROUP BY campaign_id, h")
               .c_str());
  Exec(db, "COMMIT");
  Exec(db, "PRAGMA locking_mode=NORMAL");
  Exec(db, "PRAGMA journal_mode=WAL");
  sqlite3_close(db);
}

// Through the public Store interface, from many threads (group commit).
void SeedStore(Store& store, std::int64_t campaign_id, std::int64_t start, std::int64_t count,
               int threads, int public_every) {
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Rand rnd(0x5eed1000ULL + static_cast<std::uint64_t>(t) * 7919 +
               static_cast<std::uint64_t>(start));
      for (;;) {
        const std::int64_t n = next.fetch_add(1);
        if (n >= count || failed.load()) return;
        const std::int64_t i = start + n;
        NewSignature s;
        s.campaign_id = campaign_id;
        s.form.name = Name(i);
        s.form.email = Email(i);
        s.form.postal_code = (i & 1) ? "10115" : "";
        s.form.country = (i & 1) ? "DE" : "";
        const bool pub = (i % public_every) == 0;
        s.form.comment = pub ? Comment(i) : "";
        s.form.public_name = pub;
        s.form.wants_updates = (i % 2) == 0;
        s.canonical_email = s.form.email;
        s.source = "api";
        s.confirm_now = true;
        // A random stand-in for the hash too: nobody confirms these by token.
        SetToken(
            s, [&] { return rnd.Hex(32); }, [&](const std::string&) { return rnd.Hex(32); });
        s.mail_payload = "{}";
        s.now = Clock::System().Now();
        auto r = tx::Sign(store, s);
        if (!r) {
          failed = true;
          Die(kTool, "sign", r.error());
        }
      }
    });
  }
  for (auto& th : pool) th.join();
}

int Main(int argc, char** argv) {
  Args a = ParseArgs(argc, argv);
  const std::string path = a.data + "/undersigned.db";
  if (std::system(("mkdir -p '" + a.data + "'").c_str()) != 0) {
    std::fprintf(stderr, "us_seed: cannot create %s\n", a.data.c_str());
    return 1;
  }
  store::SqliteOptions opts;
  opts.path = path;
  std::unique_ptr<Store> st = OrDie(kTool, "open store", store::OpenSqliteStore(opts));
  Campaign c = EnsureCampaign(*st, a.slug, std::max<std::int64_t>(a.count * 2, 1000));
  auto before = OrDie(kTool, "load counts", st->LoadAllCounts());
  const std::int64_t start = before[c.id].confirmed + before[c.id].pending + before[c.id].withdrawn;

  auto t0 = std::chrono::steady_clock::now();
  if (a.mode == "store") {
    SeedStore(*st, c.id, start, a.count, a.threads, a.public_every);
    st->Close();
    st.reset();
  } else {
    st->Close();
    st.reset();
    SeedSql(path, c.id, start, a.count, a.public_every);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Read back through the store, as the server will.
  std::unique_ptr<Store> reopened = OrDie(kTool, "reopen store", store::OpenSqliteStore(opts));
  auto after = OrDie(kTool, "load counts", reopened->LoadAllCounts());
  reopened->Close();
  std::printf("seeded %lld signatures in %.2f s (%.0f/s), campaign %s id %lld, confirmed %lld\n",
              static_cast<long long>(a.count), secs, secs > 0 ? a.count / secs : 0.0,
              a.slug.c_str(), static_cast<long long>(c.id),
              static_cast<long long>(after[c.id].confirmed));
  return 0;
}

}  // namespace
}  // namespace undersigned::bench

int main(int argc, char** argv) { return undersigned::bench::Main(argc, argv); }
