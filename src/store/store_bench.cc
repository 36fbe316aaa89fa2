// store_bench: durable signatures per second through tx::Sign (service/tx/scripts.h) on a
// store from many threads, the hot path of the signing benchmark without HTTP. Prints
// throughput, latency percentiles, the writer's batching and the process's peak memory; on
// PostgreSQL (--store URL) also the CPU every postgres process on this machine used meanwhile.
//
//   store_bench [--threads 64] [--count 200000] [--db /tmp/x.db] [--confirm-every 0]
//               [--store postgresql://...] (a PostgreSQL store instead of --db)
//               [--lanes 2]  (with --store: the writer's lanes, PostgresOptions::write_lanes)
//               [--normal]   (no fdatasync: measures CPU, not the disk)
//               [--ordered]  (time-ordered uuids and token hashes, see the store's notes)
//               [--keep]     (add to an existing database instead of starting afresh)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "service/tx/scripts.h"
#include "store/open_store.h"
#include "store/sqlite/sqlite_store.h"
#ifdef UNDERSIGNED_HAVE_POSTGRES
#include "store/postgres/postgres_store.h"
#endif

using namespace undersigned;  // NOLINT: a small tool

namespace {

std::string Hex64(std::uint64_t a, std::uint64_t b) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                static_cast<unsigned long long>(a * 0x9E3779B97F4A7C15ull),
                static_cast<unsigned long long>(b * 0xC2B2AE3D27D4EB4Full),
                static_cast<unsigned long long>(a ^ (b << 7)),
                static_cast<unsigned long long>(b ^ (a << 11)));
  return buf;
}

// CPU seconds used so far by the thread named name (the writer), from /proc.
double ThreadCpuSeconds(const std::string& name) {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::FILE* f = std::fopen((e.path() / "comm").c_str(), "r");
    if (f == nullptr) continue;
    char comm[64] = {0};
    bool match = std::fgets(comm, sizeof comm, f) != nullptr && name + "\n" == comm;
    std::fclose(f);
    if (!match) continue;
    f = std::fopen((e.path() / "stat").c_str(), "r");
    if (f == nullptr) return 0;
    char buf[1024] = {0};
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* p = std::strrchr(buf, ')');
    unsigned long long utime = 0, stime = 0;
    // Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
    // cmajflt utime stime.
    if (p != nullptr && std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                                    &utime, &stime) == 2) {
      return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
  }
  return 0;
}

// CPU seconds used so far by every process named "postgres" (the server's backends).
double PostgresCpuSeconds() {
  double total = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::FILE* f = std::fopen((e.path() / "stat").c_str(), "r");
    if (f == nullptr) continue;
    char buf[1024] = {0};
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* open = std::strchr(buf, '(');
    const char* p = std::strrchr(buf, ')');
    if (open == nullptr || p == nullptr || std::string(open + 1, p) != "postgres") continue;
    unsigned long long utime = 0, stime = 0;
    if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                    &stime) == 2) {
      total += double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
  }
  return total;
}

long PeakRssKib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 64;
  long count = 200000;
  std::string db = "/tmp/store_bench.db";
  bool normal = false;
  bool keep = false;
  int confirm_every = 0;
  int page_size = 4096;
  bool ordered = false;
  std::string url;
  int lanes = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--count")
      count = std::stol(next());
    else if (a == "--db")
      db = next();
    else if (a == "--normal")
      normal = true;
    else if (a == "--keep")
      keep = true;
    else if (a == "--ordered")
      ordered = true;
    else if (a == "--page-size")
      page_size = std::stoi(next());
    else if (a == "--confirm-every")
      confirm_every = std::stoi(next());
    else if (a == "--store")
      url = next();
    else if (a == "--lanes")
      lanes = std::stoi(next());
  }
  if (!keep && url.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  }
  store::SqliteOptions o;
  o.path = db;
  o.synchronous_full = !normal;
  o.page_size = page_size;
  auto open_start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Store>> opened = Fail(Code::kInvalidArgument, "no PostgreSQL here");
  if (url.empty()) {
    opened = store::OpenSqliteStore(o);
  } else {
#ifdef UNDERSIGNED_HAVE_POSTGRES
    store::PostgresOptions po;
    po.url = url;
    po.write_lanes = lanes;
    opened = store::OpenPostgresStore(po);
#endif
  }
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  {
    auto counts = (*opened)->LoadAllCounts();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - open_start)
            .count();
    std::printf("open + load counts of %zu campaigns: %.1f ms\n", counts ? counts->size() : 0, ms);
    if (counts) {
      for (const auto& [id, c] : *counts) {
        auto t = std::chrono::steady_clock::now();
        auto recent = (*opened)->RecentPublicSigners(id, 10);
        auto page = (*opened)->ListSignatures(id, {}, Page{1, 25});
        auto last = (*opened)->ListSignatures(id, {}, Page{2000, 25});
        double q =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
        if (c.pending + c.confirmed > 1000) {
          std::printf("campaign %lld (%lld signatures): recent signers + 2 pages in %.1f ms\n",
                      static_cast<long long>(id), static_cast<long long>(c.pending + c.confirmed),
                      q);
        }
        (void)recent;
        (void)page;
        (void)last;
      }
    }
  }
  auto& s = **opened;
  Campaign c;
  c.slug = "bench-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(getpid());
  c.title = "Bench";
  c.targets = {Target{"CEO", "", "", "", "", "", ""}};
  c.goal = 1000000;
  c.status = CampaignStatus::kOpen;
  auto created = s.CreateCampaign(c);
  if (!created) {
    std::fprintf(stderr, "campaign: %s\n", created.error().message.c_str());
    return 1;
  }
  const std::int64_t cid = created->id;
  const std::string payload =
      R"({"campaign_slug":"bench","campaign_title":"Bench","base_url":"http://localhost:8080"})";

  std::atomic<long> next{0};
  std::atomic<long> errors{0};
  std::vector<std::vector<std::uint32_t>> lat(threads);
  auto t0 = std::chrono::steady_clock::now();
  const double pg_cpu0 = url.empty() ? 0 : PostgresCpuSeconds();
  std::vector<std::thread> pool;
  // Unique per run, also for two runs at once on one database.
  const auto run_id = static_cast<std::uint64_t>(std::time(nullptr)) * 100000 + getpid() % 100000;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto& mine = lat[t];
      for (;;) {
        long n = next.fetch_add(1);
        if (n >= count) break;
        NewSignature ns;
        ns.campaign_id = cid;
        // What time-prefixed tokens look like to the index: ascending keys.
        char prefix[17];
        std::snprintf(prefix, sizeof prefix, "%016lx",
                      static_cast<unsigned long>(run_id * 100000000ul + n));
        ns.form.name = "Signer " + std::to_string(n);
        ns.form.email =
            "signer" + std::to_string(n) + "." + std::to_string(run_id) + "@example.org";
        ns.form.postal_code = "10115";
        ns.form.country = "DE";
        ns.form.public_name = (n % 3) == 0;
        ns.canonical_email = ns.form.email;
        ns.source = "form";
        ns.token = "t" + std::to_string(n);
        ns.token_hash = Hex64(n, run_id + 1);
        if (ordered) ns.token_hash = prefix + ns.token_hash;
        ns.mail_payload = payload;
        ns.now = std::time(nullptr);
        auto a = std::chrono::steady_clock::now();
        auto r = tx::Sign(s, ns);
        auto b = std::chrono::steady_clock::now();
        if (!r) {
          errors++;
        } else if (confirm_every > 0 && n % confirm_every == 0) {
          (void)tx::Confirm(s, ns.token_hash, ns.now);
        }
        mine.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(b - a).count()));
      }
    });
  }
  for (auto& t : pool) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0u : all[static_cast<std::size_t>(p * (all.size() - 1))];
  };
  std::printf("signatures %ld in %.2fs: %.0f/s, errors %ld\n", count, secs, count / secs,
              errors.load());
  std::printf("latency us: p50 %u p90 %u p99 %u max %u\n", pct(0.5), pct(0.9), pct(0.99), pct(1.0));
  if (auto st = store::GetSqliteStats(s)) {
    std::printf("transactions %lld, ops %lld, avg batch %.1f, max batch %lld\n",
                static_cast<long long>(st->transactions), static_cast<long long>(st->operations),
                st->transactions ? double(st->operations) / st->transactions : 0.0,
                static_cast<long long>(st->max_batch_seen));
    std::printf("syncs %lld, checkpoints %lld\n", static_cast<long long>(st->syncs),
                static_cast<long long>(st->checkpoints));
    std::printf("pages written %lld = %.1f per signature, %.1f per transaction\n",
                static_cast<long long>(st->pages_written), double(st->pages_written) / count,
                double(st->pages_written) / st->transactions);
  }
#ifdef UNDERSIGNED_HAVE_POSTGRES
  if (auto st = store::GetPostgresStats(s)) {
    const double pg_cpu = PostgresCpuSeconds() - pg_cpu0;
    std::printf("transactions %lld, ops %lld, avg batch %.1f, max batch %lld\n",
                static_cast<long long>(st->transactions), static_cast<long long>(st->operations),
                st->transactions ? double(st->operations) / st->transactions : 0.0,
                static_cast<long long>(st->max_batch_seen));
    std::printf("postgres processes' CPU %.2fs = %.1f us per signature\n", pg_cpu,
                pg_cpu * 1e6 / double(count));
  }
#endif
  double writer_cpu = ThreadCpuSeconds(url.empty() ? "us-sqlite-write" : "us-pg-write");
  std::printf("writer thread CPU %.2fs = %.1f us per signature\n", writer_cpu,
              writer_cpu * 1e6 / double(count));
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  double total_cpu =
      u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
  std::printf("process CPU %.2fs = %.1f us per signature\n", total_cpu,
              total_cpu * 1e6 / double(count));
  std::printf("peak RSS %ld KiB\n", PeakRssKib());
  auto counts = s.LoadAllCounts().value()[cid];
  std::printf("counts pending %lld confirmed %lld\n", static_cast<long long>(counts.pending),
              static_cast<long long>(counts.confirmed));
  return errors.load() == 0 ? 0 : 1;
}
