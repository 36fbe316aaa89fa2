// dashboard_bench: what an organizer's dashboard costs on a big campaign (issue 13, part 3).
// Loads --count signatures (default 1,000,000) into one campaign through tx::Sign from many
// threads (so that the writer keeps the hourly counts as it does in production), spread over
// the last 30 days, three in four counting at once and the rest pending, with origins, then
// times each dashboard query (store/dashboard_store.h) and the chart's rendering: the median
// and the slowest of --runs runs, in ms. Then, with --contend N, signs N more signatures
// alone and again while a thread reads the dashboard without pause, and prints both rates:
// what watching a dashboard costs signing. With --slug, nothing is loaded: the queries are timed
// on that campaign of an existing database (bench/run's seeded 1,000,000, say; --db is then
// kept as it is).
//
//   dashboard_bench [--count 1000000] [--threads 64] [--db /tmp/dashboard_bench.db]
//                   [--store postgresql://...] [--runs 7] [--recount-runs N] [--contend 50000]
//                   [--normal] [--slug SLUG]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "render/chart.h"
#include "service/tx/scripts.h"
#include "store/open_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/tally_rollup.h"
#ifdef UNDERSIGNED_HAVE_POSTGRES
#include "store/postgres/postgres_store.h"
#endif

using namespace undersigned;  // NOLINT: a small tool

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const char* const kChannels[] = {"", "x", "mastodon", "bluesky", "email", "whatsapp", "copy"};
const char* const kHosts[] = {"news.example.org", "blog.example.net", "t.co", "l.facebook.com",
                              "www.google.com"};
const char* const kCountries[] = {"DE", "FR", "GB", "US", "ES", "IT", "NL", "", "PL", "SE"};

// Signs [first, first + count) into campaign cid from threads threads; returns signatures/s.
double Load(Store& s, std::int64_t cid, long first, long count, int threads, UnixTime from,
            UnixTime span, std::uint64_t run_id, long* errors) {
  std::atomic<long> next{first};
  std::atomic<long> failed{0};
  const std::string payload = R"({"campaign_slug":"bench","campaign_title":"Bench"})";
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (;;) {
        const long n = next.fetch_add(1);
        if (n >= first + count) break;
        NewSignature ns;
        ns.campaign_id = cid;
        ns.form.name = "Signer " + std::to_string(n);
        ns.form.email = "s" + std::to_string(n) + "." + std::to_string(run_id) + "@example.org";
        ns.form.country = kCountries[n % std::size(kCountries)];
        ns.form.public_name = (n % 3) == 0;
        ns.form.wants_updates = (n % 5) == 0;
        ns.canonical_email = ns.form.email;
        ns.confirm_now = (n % 4) != 0;
        ns.source = ns.confirm_now ? "api" : "form";
        ns.origin.channel = kChannels[n % std::size(kChannels)];
        if (n % 3 == 0) ns.origin.utm_source = "list-" + std::to_string(n % 23);
        if (n % 5 == 0) ns.origin.referrer = kHosts[n % std::size(kHosts)];
        if (!ns.confirm_now) {
          ns.token = "t" + std::to_string(n);
          char hash[65];
          std::snprintf(hash, sizeof hash, "%016llx%016llx%032d",
                        static_cast<unsigned long long>(run_id), static_cast<unsigned long long>(n),
                        0);
          ns.token_hash = hash;
          ns.mail_payload = payload;
        }
        ns.now = from + static_cast<UnixTime>((n % 1000000) * span / 1000000);
        if (!tx::Sign(s, ns)) failed++;
      }
    });
  }
  for (auto& t : pool) t.join();
  *errors += failed.load();
  return count / (MsSince(t0) / 1000.0);
}

// Runs fn runs times; prints the median and the slowest in ms, and returns the median (-1 if
// it failed).
double Time(const char* what, int runs, const std::function<bool()>& fn) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    if (!fn()) {
      std::printf("%-44s FAILED\n", what);
      return -1;
    }
    ms.push_back(MsSince(t));
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-44s median %8.2f ms   max %8.2f ms\n", what, ms[ms.size() / 2], ms.back());
  return ms[ms.size() / 2];
}

// The same tallies, key by key.
bool SameTallies(const SignatureTallies& x, const SignatureTallies& y) {
  auto same = [](const std::vector<TallyRow>& a, const std::vector<TallyRow>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].key != b[i].key || a[i].confirmed != b[i].confirmed ||
          a[i].pending != b[i].pending) {
        return false;
      }
    }
    return true;
  };
  return same(x.groups, y.groups) && same(x.countries, y.countries) &&
         same(x.referrers, y.referrers) && same(x.utm_sources, y.utm_sources) &&
         same(x.channels, y.channels) && same(x.sources, y.sources);
}

}  // namespace

int main(int argc, char** argv) {
  long count = 1000000;
  int threads = 64;
  int runs = 7;
  int recount_runs = -1;  // as runs
  long contend = 0;
  std::string existing;
  bool normal = false;
  std::string db = "/tmp/dashboard_bench.db", url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (a == "--count") {
      count = std::stol(next());
    } else if (a == "--threads") {
      threads = std::stoi(next());
    } else if (a == "--db") {
      db = next();
    } else if (a == "--store") {
      url = next();
    } else if (a == "--runs") {
      runs = std::max(1, std::stoi(next()));
    } else if (a == "--recount-runs") {
      recount_runs = std::max(1, std::stoi(next()));
    } else if (a == "--slug") {
      existing = next();
    } else if (a == "--contend") {
      contend = std::stol(next());
    } else if (a == "--normal") {
      normal = true;
    } else {
      std::fprintf(stderr, "unknown option %s (see the file's header)\n", a.c_str());
      return 2;
    }
  }
  Result<std::unique_ptr<Store>> opened = Fail(Code::kInvalidArgument, "no PostgreSQL here");
  if (recount_runs < 0) recount_runs = runs;
  if (url.empty()) {
    if (existing.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
    }
    store::SqliteOptions o;
    o.path = db;
    o.synchronous_full = !normal;
    opened = store::OpenSqliteStore(o);
  } else {
#ifdef UNDERSIGNED_HAVE_POSTGRES
    store::PostgresOptions po;
    po.url = url;
    opened = store::OpenPostgresStore(po);
#endif
  }
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  Store& s = **opened;
  const UnixTime now = std::time(nullptr);
  const UnixTime span = 30 * 86400;
  long errors = 0;
  std::int64_t cid = 0;
  const auto run_id = static_cast<std::uint64_t>(now) * 100000 + getpid() % 100000;
  if (!existing.empty()) {
    auto found = s.GetCampaignBySlug(existing);
    if (!found) {
      std::fprintf(stderr, "campaign %s: %s\n", existing.c_str(), found.error().message.c_str());
      return 1;
    }
    cid = found->id;
    auto counts = s.dashboard().Counts(cid);
    std::printf(
        "backend %s, campaign %s as it is: %lld signatures\n",
        url.empty() ? "sqlite" : "postgresql", existing.c_str(),
        counts ? static_cast<long long>(counts->pending + counts->confirmed + counts->withdrawn)
               : -1LL);
  } else {
    Campaign c;
    c.slug = "dash-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(getpid());
    c.title = "Dashboard bench";
    c.targets = {Target{"CEO", "", "", "", "", "", ""}};
    c.goal = 1000000;
    c.status = CampaignStatus::kOpen;
    auto created = s.CreateCampaign(c);
    if (!created) {
      std::fprintf(stderr, "campaign: %s\n", created.error().message.c_str());
      return 1;
    }
    cid = created->id;
    std::printf("backend %s, %ld signatures into one campaign over 30 days, %d threads\n",
                url.empty() ? "sqlite" : "postgresql", count, threads);
    const double rate = Load(s, cid, 0, count, threads, now - span, span, run_id, &errors);
    std::printf("loaded at %.0f signatures/s, errors %ld\n", rate, errors);
  }

  DashboardStore& d = s.dashboard();
  if (store::RecountOf(d) == nullptr) {
    std::fprintf(stderr, "this backend has no tally recount\n");
    return 1;
  }
  std::size_t hours = 0;
  Time("chart: hourly counts, 30 days (720 hours)", runs, [&] {
    auto h = d.SignatureHours(cid, now - span, now + 1);
    hours = h ? h->size() : 0;
    return h.has_value();
  });
  std::printf("  (%zu hours with moves)\n", hours);
  Time("chart: hourly counts, last 48 hours", runs,
       [&] { return d.SignatureHours(cid, now - 48 * 3600, now + 1).has_value(); });
  Time("chart: 30 days read and rendered per day", runs, [&] {
    auto h = d.SignatureHours(cid, now - span, now + 1);
    if (!h) return false;
    std::vector<render::ChartPoint> series;
    for (const HourCounts& x : *h)
      series.push_back({x.hour, x.pending + x.confirmed + x.withdrawn});
    render::ChartOptions o;
    o.from = now - span;
    o.to = now + 1;
    return render::RenderSignaturesChart(series, o).has_value();
  });
  Time("counts (exact)", runs, [&] { return d.Counts(cid).has_value(); });
  // The tallies as the dashboard reads them (the rollup), and as it read them before the
  // rollup (every signature of the campaign): the same answer, and what the rollup saves.
  const double rollup_ms = Time("tallies: rollup (what the dashboard reads)", runs,
                                [&] { return d.Tallies(cid).has_value(); });
  const double recount_ms = Time("tallies: full recount (before the rollup)", recount_runs, [&] {
    return store::RecountOf(d)->RecountTallies(cid).has_value();
  });
  {
    auto rollup = d.Tallies(cid);
    auto recount = store::RecountOf(d)->RecountTallies(cid);
    const bool same = rollup && recount && SameTallies(*rollup, *recount);
    std::printf("  (rollup %s the recount; recount / rollup = %.0fx)\n",
                same ? "equals" : "DIFFERS FROM", rollup_ms > 0 ? recount_ms / rollup_ms : 0.0);
    if (!same) ++errors;
  }
  Time("outbox by state (whole outbox)", runs, [&] { return d.CountOutbox().has_value(); });
  Time("list: newest page of 50", runs, [&] {
    return d.SearchSignatures(cid, {}, Page{1, 50}).has_value();
  });
  SignatureSearch text;
  text.text = "signer 99999";
  Time("list: search by name (scan)", runs, [&] {
    return d.SearchSignatures(cid, text, Page{1, 50}).has_value();
  });
  SignatureSearch channel;
  channel.source = "mastodon";
  Time("list: by source, page 1 of 50", runs, [&] {
    return d.SearchSignatures(cid, channel, Page{1, 50}).has_value();
  });

  if (contend > 0) {
    long e = 0;
    const double alone = Load(s, cid, count, contend, threads, now - 3600, 3600, run_id, &e);
    std::atomic<bool> stop{false};
    std::atomic<long> views{0};
    std::thread watcher([&] {
      while (!stop.load()) {
        (void)d.Counts(cid);
        (void)d.SignatureHours(cid, now - 48 * 3600, now + 3600);
        (void)d.Tallies(cid);
        (void)d.CountOutbox();
        views++;
      }
    });
    const double watched =
        Load(s, cid, count + contend, contend, threads, now - 3600, 3600, run_id, &e);
    stop = true;
    watcher.join();
    std::printf(
        "signing %ld more: %.0f/s alone, %.0f/s while a dashboard is read without pause "
        "(%ld full dashboard reads meanwhile), errors %ld\n",
        contend, alone, watched, views.load(), e);
  }
  return errors == 0 ? 0 : 1;
}
