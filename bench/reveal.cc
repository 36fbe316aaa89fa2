// us_reveal: times the reveal of a group's sealed names, in-process, for bench/run (issue 3:
// "revealing 100,000 sealed names takes under 5 seconds"). Not part of the product.
//
//   us_reveal --data DIR [--count N] [--threads T]
//
// In a fresh data dir, through the Store the server uses (store::OpenStore, default options:
// durable group commit, the signature log on):
//  1. creates an open campaign whose employees group (domains acme.example) offers one seal
//     threshold, N + 1;
//  2. signs N sealed employee signatures from T threads (the writer batches them): each as
//     SigningService would make it (ValidateSignatureForm against the group, by_domain, a unique
//     "affiliation:..." canonical email, a personal address, tokens from service/ids.h), so each
//     name is sealed by the store and a "verify" mail is queued to its work address;
//  3. confirms all N from T threads (the group then has N verified signers, one short);
//  4. signs one more employee with a public name and times the ONE tx::Confirm of it, which
//     brings the group to N + 1 and, in its transaction, opens the N sealed names, writes them
//     in clear and queues one "revealed" mail per signer; durable when it returns.
// Then checks, reading the database file: TokenOutcome::revealed == N, no sealed row left, N
// revealed names public, N "revealed" mails to N distinct personal addresses, and the group's
// confirmed count N + 1.
// Prints one line for bench/run:
//   REVEAL count=N revealed=R reveal_ms=M sign_s=S confirm_s=C mails=K sealed_left=L named=P
//          group_confirmed=G ok=1|0
// and exits 1 if a check failed. Single-use tool; owns everything it opens.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/campaign.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/group.h"
#include "core/signature.h"
#include "service/ids.h"
#include "service/tx/scripts.h"
#include "store/open_store.h"
#include "store/store.h"

#include "bench_support.h"

namespace undersigned::bench {
namespace {

constexpr const char* kTool = "us_reveal";

struct Args {
  std::string data;
  std::int64_t count = 100'000;
  int threads = 64;
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr, "us_reveal: %s\nusage: us_reveal --data DIR [--count N] [--threads T]\n",
               msg);
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  ParseFlags(argc, argv, Usage, [&](const std::string& k, auto value) {
    if (k == "--data") {
      a.data = value();
    } else if (k == "--count") {
      a.count = std::stoll(value());
    } else if (k == "--threads") {
      a.threads = std::stoi(value());
    } else {
      return false;
    }
    return true;
  });
  if (a.data.empty()) Usage("--data is required");
  if (a.count < 1 || a.threads < 1) Usage("bad number");
  return a;
}

constexpr const char* kSlug = "reveal";
constexpr const char* kGroup = "staff";

Campaign MakeCampaign(Store& store, std::int64_t threshold) {
  Campaign c = OpenCampaign(kSlug, "A letter from Acme staff to the board", "Cancel the contract.",
                            "Dear board,\n\nWe, the undersigned employees of Acme, ask you to "
                            "cancel the contract.\n\nSincerely,",
                            Target{"Jo Board", "Chair", "Acme", "", "", ""}, threshold * 2);
  SignerGroup g;
  g.key = kGroup;
  g.name = "Acme staff";
  g.kind = GroupKind::kEmployees;
  g.organization = "Acme";
  g.domains = {"acme.example"};
  g.seal_thresholds = {threshold};
  c.groups = {g, DefaultPublicGroup()};
  return CreateCampaignOrDie(kTool, store, c);
}

std::string Padded(const char* fmt, std::int64_t i) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, static_cast<long long>(i));
  return buf;
}

// A signature as SigningService::Prepare makes it for an employee of the campaign's group.
NewSignature Employee(const Campaign& c, std::int64_t i, bool sealed, std::int64_t threshold,
                      std::string* confirm_hash) {
  SignatureForm f;
  f.group = kGroup;
  f.work_email = Padded("staff%08lld@acme.example", i);
  f.email = Padded("signer%08lld@example.org", i);
  f.name = Padded("Sealed Signer %08lld", i);
  f.postal_code = "10115";
  f.country = "DE";
  f.comment = "I sign because it matters to the people I work with.";
  f.public_name = true;
  if (sealed) {
    f.protection = Protection::kSealed;
    f.seal_threshold = threshold;
  } else {
    f.name = "Open Signer";
  }
  auto valid = ValidateSignatureForm(std::move(f), *FindGroup(c, kGroup));
  if (!valid) Die(kTool, "validate form", valid.error());
  NewSignature s;
  s.campaign_id = c.id;
  s.campaign_uuid = c.uuid;
  s.form = std::move(*valid);
  s.by_domain = true;
  // SigningService keys a domain-proven signer by a keyed hash of the work address; any unique
  // string of that form does here (zero-padded: inserts append to the index).
  s.canonical_email = Padded("affiliation:%064lld", i);
  s.source = "form";
  SetToken(s, service::NewToken, service::HashToken);
  s.mail_payload = nlohmann::json{
      {"campaign_title", c.title},
      {"campaign_slug", c.slug},
      {"language",
       c.language}}.dump();
  s.now = Clock::System().Now();
  *confirm_hash = s.token_hash;
  return s;
}

// Runs fn(i) for i in [0, count) on `threads` threads; returns the seconds it took.
template <typename Fn>
double Parallel(std::int64_t count, int threads, Fn fn) {
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::int64_t i; (i = next.fetch_add(1)) < count;) fn(i);
    });
  }
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::int64_t QueryInt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    std::fprintf(stderr, "us_reveal: %s: %s\n", sql.c_str(), sqlite3_errmsg(db));
    std::exit(1);
  }
  const std::int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

int Main(int argc, char** argv) {
  const Args a = ParseArgs(argc, argv);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(a.data) / store::kSqliteFileName, ec)) {
    Usage("--data must be a fresh directory (it already has a database)");
  }
  std::unique_ptr<Store> store = OrDie(kTool, "open store", store::OpenStore(a.data));
  const std::int64_t n = a.count;
  const std::int64_t threshold = n + 1;
  const Campaign c = MakeCampaign(*store, threshold);

  // 2. N sealed, pending signatures.
  std::vector<std::string> confirm_hashes(static_cast<std::size_t>(n));
  const double sign_s = Parallel(n, a.threads, [&](std::int64_t i) {
    NewSignature s = Employee(c, i, true, threshold, &confirm_hashes[static_cast<std::size_t>(i)]);
    auto r = tx::Sign(*store, s);
    if (!r) Die(kTool, "sign", r.error());
    if (r->kind != SignOutcome::Kind::kCreated || !r->signature.sealed) {
      std::fprintf(stderr, "us_reveal: signature %lld was not created sealed\n",
                   static_cast<long long>(i));
      std::exit(1);
    }
  });
  std::fprintf(stderr, "us_reveal: signed %lld sealed in %.2f s (%.0f/s)\n",
               static_cast<long long>(n), sign_s, n / sign_s);

  // 3. Each confirmed: the group grows to N, one short of the seal.
  std::atomic<std::int64_t> early_reveals{0};
  const double confirm_s = Parallel(n, a.threads, [&](std::int64_t i) {
    auto r =
        tx::Confirm(*store, confirm_hashes[static_cast<std::size_t>(i)], Clock::System().Now());
    if (!r) Die(kTool, "confirm", r.error());
    early_reveals += r->revealed;
  });
  std::fprintf(stderr, "us_reveal: confirmed %lld in %.2f s (%.0f/s)\n", static_cast<long long>(n),
               confirm_s, n / confirm_s);
  if (early_reveals != 0) {
    std::fprintf(stderr, "us_reveal: %lld names were revealed before the threshold\n",
                 static_cast<long long>(early_reveals.load()));
    return 1;
  }

  // 4. The signer who brings the group to the seal: the timed Confirm.
  std::string last_hash;
  auto last = tx::Sign(*store, Employee(c, n, false, threshold, &last_hash));
  if (!last) Die(kTool, "sign the last", last.error());
  const auto t0 = std::chrono::steady_clock::now();
  auto reveal = tx::Confirm(*store, last_hash, Clock::System().Now());
  const double reveal_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!reveal) Die(kTool, "the revealing confirm", reveal.error());
  const std::int64_t group_confirmed = GroupConfirmed(reveal->counts, kGroup);
  store->Close();
  store.reset();

  // Checks, on the file itself.
  sqlite3* db = nullptr;
  const std::string path = (std::filesystem::path(a.data) / store::kSqliteFileName).string();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "us_reveal: cannot open %s\n", path.c_str());
    return 1;
  }
  const std::int64_t mails =
      QueryInt(db,
               "SELECT count(*) FROM outbox WHERE kind = 'revealed' AND recipient LIKE "
               "'signer%@example.org'");
  const std::int64_t distinct =
      QueryInt(db, "SELECT count(DISTINCT recipient) FROM outbox WHERE kind = 'revealed'");
  const std::int64_t sealed_left =
      QueryInt(db, "SELECT count(*) FROM signatures WHERE sealed IS NOT NULL");
  const std::int64_t named = QueryInt(
      db,
      "SELECT count(*) FROM signatures WHERE name LIKE 'Sealed Signer %' AND public_name = 1 "
      "AND state = 'confirmed'");
  sqlite3_close(db);

  const bool ok = reveal->revealed == n && mails == n && distinct == n && sealed_left == 0 &&
                  named == n && group_confirmed == n + 1;
  std::printf(
      "REVEAL count=%lld revealed=%d reveal_ms=%.0f sign_s=%.2f confirm_s=%.2f mails=%lld "
      "distinct_recipients=%lld sealed_left=%lld named=%lld group_confirmed=%lld ok=%d\n",
      static_cast<long long>(n), reveal->revealed, reveal_ms, sign_s, confirm_s,
      static_cast<long long>(mails), static_cast<long long>(distinct),
      static_cast<long long>(sealed_left), static_cast<long long>(named),
      static_cast<long long>(group_confirmed), ok ? 1 : 0);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace undersigned::bench

int main(int argc, char** argv) { return undersigned::bench::Main(argc, argv); }
