// Tests of nodes' leases and the fold of dead nodes' count rows (pg_nodes.h), with a server
// (UNDERSIGNED_TEST_PG_URL; skipped without): restarts keep the rows bounded and the sums exact,
// live nodes keep their rows, and a fold racing a live writer never loses or doubles a count;
// and the per-email limit's bucket (pg_tx.h) holds across nodes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"
#include "store/postgres/pg_test_util.h"
#include "store/tally_rollup.h"

namespace undersigned::store::pg {
namespace {

using testing::NewCampaign;
using testing::Open;
using testing::Sign;

std::int64_t Scalar(const std::string& url, const char* sql) {
  auto conn = PgConn::Open(url);
  EXPECT_TRUE(conn);
  if (!conn) return -1;
  auto r = (*conn)->Run(sql, "test");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->Int(0, 0) : -1;
}

TEST(PostgresNodes, RestartsKeepCountRowsBoundedAndSumsExact) {
  US_PG_TEST_SETUP(db);
  std::int64_t a_id = 0, b_id = 0;
  {
    auto s = Open(db.url());
    ASSERT_TRUE(s);
    a_id = s->CreateCampaign(NewCampaign("a"))->id;
    b_id = s->CreateCampaign(NewCampaign("b"))->id;
  }
  constexpr int kRestarts = 8;
  for (int i = 0; i < kRestarts; ++i) {
    auto s = Open(db.url());
    ASSERT_TRUE(s);
    for (int k = 0; k < 3; ++k) {
      const std::string email = "r" + std::to_string(i) + "-" + std::to_string(k) + "@x.org";
      ASSERT_TRUE(Sign(*s, a_id, email, k != 0));
      ASSERT_TRUE(Sign(*s, b_id, email, true, 1700000000, "b-" + email));
    }
    // The closed nodes before this one were folded at open: node 0's rows and this store's
    // (one node per writer lane), for each of the two campaigns.
    const int lanes = PostgresOptions().write_lanes;
    EXPECT_LE(Scalar(db.url(), "SELECT count(*) FROM campaign_counts"), 2 * (1 + lanes))
        << "restart " << i;
    EXPECT_LE(Scalar(db.url(), "SELECT count(*) FROM nodes"), lanes) << "restart " << i;
    auto counts = s->LoadAllCounts();
    ASSERT_TRUE(counts);
    EXPECT_EQ((*counts)[a_id].confirmed, 2 * (i + 1));
    EXPECT_EQ((*counts)[a_id].pending, i + 1);
    EXPECT_EQ((*counts)[a_id].changes, 3 * (i + 1));
    EXPECT_EQ((*counts)[b_id].confirmed, 3 * (i + 1));
  }
  auto s = Open(db.url());
  ASSERT_TRUE(s);
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM campaign_counts WHERE node <> 0"), 0);
  auto counts = s->LoadAllCounts();
  ASSERT_TRUE(counts);
  EXPECT_EQ((*counts)[a_id].confirmed, 2 * kRestarts);
  EXPECT_EQ((*counts)[a_id].pending, kRestarts);
  EXPECT_EQ((*counts)[b_id].confirmed, 3 * kRestarts);
}

TEST(PostgresNodes, FoldAddsGroupCountsKeyByKey) {
  US_PG_TEST_SETUP(db);
  auto s = Open(db.url());
  ASSERT_TRUE(s);
  const std::int64_t id = s->CreateCampaign(NewCampaign("groups"))->id;
  auto conn = PgConn::Open(db.url());
  ASSERT_TRUE(conn);
  // Two dead nodes (leases ended long ago) and a base row, as an earlier fold leaves it.
  const std::string c = std::to_string(id);
  const std::string rows =
      "INSERT INTO nodes (id, started, lease_until) VALUES (900, 1, 1), (901, 1, 1); "
      "INSERT INTO campaign_counts (campaign_id, node, pending, confirmed, withdrawn, changes, "
      "last_change, groups) VALUES (" +
      c + ", 0, 1, 10, 0, 11, 50, '{\"a\": 4}'), (" + c + ", 900, 2, 3, 1, 6, 70, '{\"a\": 2, " +
      "\"b\": 1}'), (" + c + ", 901, 0, -1, 1, 1, 60, '{\"a\": -1}')";
  ASSERT_TRUE((*conn)->Exec(rows.c_str(), "test"));
  auto folded = FoldDeadNodes(*s, 30);
  ASSERT_TRUE(folded) << folded.error().message;
  EXPECT_EQ(*folded, 2);
  auto counts = s->LoadAllCounts();
  ASSERT_TRUE(counts);
  const CampaignCounts& n = (*counts)[id];
  EXPECT_EQ(n.pending, 3);
  EXPECT_EQ(n.confirmed, 12);
  EXPECT_EQ(n.withdrawn, 2);
  EXPECT_EQ(n.changes, 18);
  EXPECT_EQ(n.last_change, 70);
  std::map<std::string, std::int64_t> groups;
  for (const GroupCount& g : n.groups) groups[g.key] = g.confirmed;
  EXPECT_EQ(groups, (std::map<std::string, std::int64_t>{{"a", 5}, {"b", 1}}));
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM campaign_counts"), 1);
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM nodes WHERE id >= 900"), 0);
}

TEST(PostgresNodes, TwoLiveNodesKeepTheirRows) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  const std::int64_t id = a->CreateCampaign(NewCampaign("live"))->id;
  ASSERT_TRUE(Sign(*a, id, "a@x.org", true));
  ASSERT_TRUE(Sign(*b, id, "b@x.org", true));
  for (Store* s : {a.get(), b.get()}) {
    auto folded = FoldDeadNodes(*s, 30);
    ASSERT_TRUE(folded);
    EXPECT_EQ(*folded, 0);
  }
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM campaign_counts"), 2);
  EXPECT_EQ((*b->LoadAllCounts())[id].confirmed, 2);
}

TEST(PostgresNodes, FoldRacingLiveWritersNeverLosesOrDoublesACount) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  const std::int64_t id = a->CreateCampaign(NewCampaign("race"))->id;
  std::atomic<bool> done{false};
  std::atomic<int> folds{0};
  // A third party folds every node, live ones included (a negative horizon), every 20 ms: far
  // worse than what a stalled node meets.
  std::thread folder([&] {
    auto f = Open(db.url());
    ASSERT_TRUE(f);
    while (!done.load()) {
      auto r = FoldDeadNodes(*f, -1e6);
      if (r) folds += *r;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      Store& s = t % 2 ? *a : *b;
      for (int i = 0; i < kEach; ++i) {
        const std::string email = "w" + std::to_string(t) + "-" + std::to_string(i) + "@x.org";
        auto r = Sign(s, id, email, i % 4 != 0);
        if (r) {
          ++ok;
        } else {
          ADD_FAILURE() << r.error().message;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  folder.join();
  EXPECT_GT(folds.load(), 0);
  const auto sa = *GetPostgresStats(*a);
  const auto sb = *GetPostgresStats(*b);
  EXPECT_GT(sa.reregistered + sb.reregistered, 0) << "the fold took live nodes' rows";
  // Every committed signature counted once: the counts are the signatures' states.
  const std::int64_t confirmed =
      Scalar(db.url(), "SELECT count(*) FROM signatures WHERE state = 'confirmed'");
  const std::int64_t pending =
      Scalar(db.url(), "SELECT count(*) FROM signatures WHERE state = 'pending'");
  EXPECT_EQ(confirmed + pending, ok.load());
  for (Store* s : {a.get(), b.get()}) {
    auto counts = s->LoadAllCounts();
    ASSERT_TRUE(counts);
    EXPECT_EQ((*counts)[id].confirmed, confirmed);
    EXPECT_EQ((*counts)[id].pending, pending);
    EXPECT_EQ((*counts)[id].changes, ok.load());
  }
}

// A signing of email on campaign_id under a limit of five, numbered n (its token).
NewSignature LimitedSig(std::int64_t campaign_id, const std::string& email, UnixTime now, int n) {
  NewSignature s = conformance::SampleSignature(campaign_id, email, now, false, n);
  s.email_limit = RateLimit{5, 1.0 / 600, true};
  s.max_confirm_sends = 1000;
  return s;
}

TEST(PostgresNodes, TheEmailLimitHoldsAcrossNodes) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("limited"));
  ASSERT_TRUE(c);
  std::atomic<int> allowed{0}, refused{0}, n{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = tx::Sign(t % 2 ? *a : *b, LimitedSig(c->id, "ada@x.org", 1700000000, ++n));
        ASSERT_TRUE(r) << r.error().message;
        ++(r->rate_limited_seconds > 0 ? refused : allowed);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 5);
  EXPECT_EQ(refused.load(), 75);
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM outbox"), 5);  // one mail per token
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM signature_tokens"), 5);
}

TEST(PostgresNodes, ABucketRememberedFromBeforeIsCheckedNotTrusted) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("stale"));
  ASSERT_TRUE(c);
  int n = 0;
  // Node a takes the first token and remembers four left; node b then takes those four.
  auto first = tx::Sign(*a, LimitedSig(c->id, "ada@x.org", 1700000000, ++n));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->rate_limited_seconds, 0);
  for (int i = 0; i < 4; ++i) {
    auto r = tx::Sign(*b, LimitedSig(c->id, "ada@x.org", 1700000000, ++n));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->rate_limited_seconds, 0) << i;
  }
  // What node a remembers is stale: its write is refused by the check, the bucket read, and
  // the signing refused (nothing written).
  NewSignature late = LimitedSig(c->id, "ada@x.org", 1700000000, ++n);
  auto r = tx::Sign(*a, late);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GT(r->rate_limited_seconds, 0);
  EXPECT_EQ(a->FindByConfirmToken(late.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM outbox"), 5);
  // The same on a signer node a never met but b limited (a guesses a full bucket).
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(tx::Sign(*b, LimitedSig(c->id, "bo@x.org", 1700000000, ++n)));
  auto guess = tx::Sign(*a, LimitedSig(c->id, "bo@x.org", 1700000000, ++n));
  ASSERT_TRUE(guess) << guess.error().message;
  EXPECT_GT(guess->rate_limited_seconds, 0);
  EXPECT_EQ(Scalar(db.url(), "SELECT count(*) FROM outbox"), 10);
}

// The tallies' rollup (store/tally_rollup.h) with writers on two nodes at once, signing into
// the same keys and confirming each other's signatures: every node adds to its own rows with
// upserts of increments, so no update is lost and the rollup equals the recount.
TEST(PostgresNodes, TalliesStayExactWithWritersOnTwoNodes) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("tallies"));
  ASSERT_TRUE(c);
  constexpr int kThreads = 4, kEach = 60;
  const char* const channels[] = {"x", "mastodon", ""};
  std::atomic<int> failures{0};
  std::vector<std::string> pending[2 * kThreads];
  std::vector<std::thread> pool;
  for (int t = 0; t < 2 * kThreads; ++t) {
    pool.emplace_back([&, t] {
      Store& store = t % 2 ? *b : *a;
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        NewSignature s = conformance::SampleSignature(c->id, "n" + std::to_string(n) + "@x.org",
                                                      1700000000 + n, i % 3 == 0, n + 1);
        s.form.country = i % 2 ? "FR" : "DE";
        s.origin.channel = channels[i % 3];
        if (!tx::Sign(store, s)) failures++;
        if (i % 3 != 0) pending[t].push_back(s.token_hash);
      }
    });
  }
  for (auto& th : pool) th.join();
  pool.clear();
  // Each node confirms (or withdraws) what the other one signed, at once.
  for (int t = 0; t < 2 * kThreads; ++t) {
    pool.emplace_back([&, t] {
      Store& store = t % 2 ? *a : *b;
      for (std::size_t i = 0; i < pending[t].size(); ++i) {
        auto r = i % 4 == 3 ? tx::Withdraw(store, pending[t][i], 1700001000)
                            : tx::Confirm(store, pending[t][i], 1700001000);
        if (!r) failures++;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(Scalar(db.url(), "SELECT count(DISTINCT node) FROM signature_tallies"), 2);
  for (Store* s : {a.get(), b.get()}) {
    auto rollup = s->dashboard().Tallies(c->id);
    ASSERT_NE(RecountOf(s->dashboard()), nullptr);
    auto recount = RecountOf(s->dashboard())->RecountTallies(c->id);
    ASSERT_TRUE(rollup) << rollup.error().message;
    ASSERT_TRUE(recount) << recount.error().message;
    auto counts = s->dashboard().Counts(c->id);
    ASSERT_TRUE(counts);
    const std::pair<std::vector<TallyRow>*, std::vector<TallyRow>*> pairs[] = {
        {&rollup->groups, &recount->groups},       {&rollup->countries, &recount->countries},
        {&rollup->channels, &recount->channels},   {&rollup->sources, &recount->sources},
        {&rollup->referrers, &recount->referrers}, {&rollup->utm_sources, &recount->utm_sources}};
    for (const auto& [got, want] : pairs) {
      ASSERT_EQ(got->size(), want->size());
      std::int64_t total = 0;
      for (std::size_t i = 0; i < got->size(); ++i) {
        EXPECT_EQ((*got)[i].key, (*want)[i].key);
        EXPECT_EQ((*got)[i].confirmed, (*want)[i].confirmed) << (*got)[i].key;
        EXPECT_EQ((*got)[i].pending, (*want)[i].pending) << (*got)[i].key;
        total += (*got)[i].confirmed + (*got)[i].pending;
      }
      EXPECT_EQ(total, counts->pending + counts->confirmed);
    }
    ASSERT_EQ(rollup->groups.size(), 1u);
    EXPECT_EQ(rollup->groups[0].confirmed, counts->confirmed);
  }
}

}  // namespace
}  // namespace undersigned::store::pg
