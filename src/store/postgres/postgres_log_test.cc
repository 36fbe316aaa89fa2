// Tests of the PostgreSQL store's signature log (needs UNDERSIGNED_TEST_PG_URL): the head and
// tree against log::Merkle's computation of the leaves, written by two nodes; the integrator's
// lease taken over when its holder dies or lets go; receipts; and a writer killed under load.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <tuple>

#include "log/proof.h"
#include "store/postgres/pg_test_util.h"

namespace undersigned::store::pg {
namespace {

using testing::NewCampaign;
using testing::Open;
using testing::Sign;

// Every stored leaf hash (checked against its entry) in index order.
std::vector<log::Hash> LeafHashes(Store& store) {
  std::vector<log::Hash> out;
  auto r =
      store.ForEachLogLeaf([&](std::uint64_t index, std::string_view entry, std::string_view hash) {
        EXPECT_EQ(index, out.size());
        log::Hash h = log::LeafHash(entry);
        EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()), hash);
        out.push_back(h);
        return true;
      });
  EXPECT_TRUE(r);
  return out;
}

void SignMany(Store& a, Store& b, std::int64_t campaign, int n, const std::string& prefix) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += 8) {
        auto r = Sign(t % 2 ? a : b, campaign, prefix + std::to_string(i) + "@x.org", true);
        ASSERT_TRUE(r) << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
}

TEST(PostgresLog, HeadAndTreeMatchTheMerkleTreeOfTheLeaves) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("log"));
  ASSERT_TRUE(c);
  auto empty = b->GetLogHead();
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty->size, 0u);
  EXPECT_EQ(empty->root, log::EmptyRoot());

  constexpr int kLeaves = 600;  // more than two tiles
  SignMany(*a, *b, c->id, kLeaves, "l");
  const std::vector<log::Hash> leaves = LeafHashes(*a);
  ASSERT_EQ(leaves.size(), static_cast<std::size_t>(kLeaves));
  log::MemoryTree tree(leaves);
  for (Store* s : {a.get(), b.get()}) {
    auto head = s->GetLogHead();
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(head->size, static_cast<std::uint64_t>(kLeaves));
    EXPECT_EQ(head->root, log::RootFromLeaves(leaves));
    ASSERT_EQ(head->counts.size(), 1u);
    EXPECT_EQ(head->counts[0].confirmed, kLeaves);
    EXPECT_EQ(head->counts[0].uuid, c->uuid);
    ASSERT_EQ(head->counts[0].groups.size(), 1u);
    EXPECT_EQ(head->counts[0].groups[0].key, "public");
    EXPECT_EQ(head->counts[0].groups[0].confirmed, kLeaves);
  }
  // Nodes: a tile level (stored), a level hashed up from leaves, one above a tile level.
  for (auto [level, first, count] :
       {std::tuple<int, int, int>{8, 0, 2}, {3, 0, 75}, {9, 0, 1}, {0, 590, 10}}) {
    auto nodes = b->LogNodes(static_cast<std::uint8_t>(level), first, count);
    ASSERT_TRUE(nodes) << "level " << level << ": " << nodes.error().message;
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ((*nodes)[i], *tree.Node(static_cast<std::uint8_t>(level), first + i));
    }
  }
  EXPECT_EQ(b->LogNodes(8, 2, 1).error().code, Code::kNotFound);  // beyond the tree
  auto entries = a->LogEntries(5, 3);
  ASSERT_TRUE(entries);
  EXPECT_EQ(log::LeafHash((*entries)[0]), leaves[5]);
  EXPECT_EQ(a->LogEntries(kLeaves - 1, 2).error().code, Code::kNotFound);

  // Proofs from the stored nodes are the reference tree's.
  class StoreReader final : public log::NodeReader {
   public:
    explicit StoreReader(Store& s) : s_(s) {}
    Result<log::Hash> Node(std::uint8_t level, std::uint64_t index) override {
      auto r = s_.LogNodes(level, index, 1);
      if (!r) return Fail(r.error());
      return r->front();
    }

   private:
    Store& s_;
  } reader(*b);
  for (std::uint64_t leaf : {0, 123, 511, 599}) {
    auto proof = log::InclusionProof(reader, leaf, kLeaves);
    ASSERT_TRUE(proof) << proof.error().message;
    EXPECT_EQ(*proof, *log::InclusionProof(tree, leaf, kLeaves));
  }

  ASSERT_TRUE(a->SaveCheckpoint({kLeaves, "note", "{}", 5}));
  ASSERT_TRUE(b->SaveCheckpoint({kLeaves, "other", "{}", 6}));  // idempotent per size
  auto cp = b->LatestCheckpoint();
  ASSERT_TRUE(cp && *cp);
  EXPECT_EQ((*cp)->note, "note");
}

TEST(PostgresLog, ReceiptsWaitForTheTree) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  ASSERT_TRUE(a);
  auto c = a->CreateCampaign(NewCampaign("receipt"));
  ASSERT_TRUE(c);
  ASSERT_TRUE(Sign(*a, c->id, "p@x.org", false));
  EXPECT_EQ(a->LogReceipt("token-of-p@x.org").error().code, Code::kConflict);
  auto s = Sign(*a, c->id, "q@x.org", true);
  ASSERT_TRUE(s);
  auto receipt = a->LogReceipt("token-of-q@x.org");
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->leaf_index, 0u);
  EXPECT_EQ(receipt->entry, "leaf of q@x.org");
  EXPECT_EQ(receipt->salt, std::string(32, 's'));
  EXPECT_EQ(receipt->campaign_id, c->id);
  auto nodes = a->LogNodes(0, 0, 1);  // integrated (the receipt waited for it)
  ASSERT_TRUE(nodes);
  EXPECT_EQ(a->LogReceipt("unknown").error().code, Code::kNotFound);
}

void WaitForLease(Store& s) {
  for (int i = 0; i < 200 && GetPostgresStats(s)->integrator_takeovers == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(GetPostgresStats(s)->integrator_takeovers, 1);
}

TEST(PostgresLog, AnotherNodeTakesTheIntegratorsLeaseOver) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  ASSERT_TRUE(a);
  WaitForLease(*a);
  auto b = Open(db.url());
  ASSERT_TRUE(b);
  auto c = a->CreateCampaign(NewCampaign("takeover"));
  ASSERT_TRUE(c);
  SignMany(*a, *b, c->id, 300, "first");
  ASSERT_TRUE(b->GetLogHead());  // integrated by a, the holder
  EXPECT_EQ(GetPostgresStats(*b)->integrator_takeovers, 0);

  // a dies holding the lease: b takes over once it expires.
  ASSERT_TRUE(StopLogIntegrator(*a, /*release_lease=*/false));
  SignMany(*a, *b, c->id, 300, "second");
  const auto start = std::chrono::steady_clock::now();
  auto head = b->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(head->size, 600u);
  EXPECT_EQ(head->root, log::RootFromLeaves(LeafHashes(*b)));
  EXPECT_EQ(GetPostgresStats(*b)->integrator_takeovers, 1);
  EXPECT_GT(waited, 1.0) << "b waited for the lease to expire";

  // b lets go: a third node takes over at once.
  ASSERT_TRUE(StopLogIntegrator(*b, /*release_lease=*/true));
  auto d = Open(db.url());
  ASSERT_TRUE(d);
  SignMany(*b, *d, c->id, 100, "third");
  auto last = d->GetLogHead();
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->size, 700u);
  EXPECT_EQ(last->root, log::RootFromLeaves(LeafHashes(*d)));
  EXPECT_EQ(last->counts[0].confirmed, 700);
}

TEST(PostgresLog, AClosedNodeGivesTheLeaseBackAtOnce) {
  US_PG_TEST_SETUP(db);
  std::int64_t campaign = 0;
  {
    auto a = Open(db.url());
    ASSERT_TRUE(a);
    WaitForLease(*a);
    auto c = a->CreateCampaign(NewCampaign("restart"));
    ASSERT_TRUE(c);
    campaign = c->id;
    ASSERT_TRUE(Sign(*a, campaign, "one@x.org", true));
    ASSERT_TRUE(a->GetLogHead());
  }  // closed: its lease is given back
  auto b = Open(db.url());
  ASSERT_TRUE(b);
  ASSERT_TRUE(Sign(*b, campaign, "two@x.org", true));
  const auto start = std::chrono::steady_clock::now();
  auto head = b->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, 2u);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
}

// A node SIGKILLed while many writes are in flight: what committed is whole (each signature
// counted once, its leaf at consecutive positions), and the log integrates on.
TEST(PostgresLog, AWriterKilledUnderLoadLeavesEverythingConsistent) {
  US_PG_TEST_SETUP(db);
  std::int64_t campaign_id = 0;
  {
    auto s = Open(db.url());
    ASSERT_TRUE(s);
    auto c = s->CreateCampaign(NewCampaign("kill"));
    ASSERT_TRUE(c);
    campaign_id = c->id;
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = Open(db.url());
    if (!s) _exit(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          (void)Sign(*s, campaign_id, "k" + std::to_string(t) + "-" + std::to_string(i), i % 2);
        }
      });
    }
    for (auto& t : threads) t.join();
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto s = Open(db.url());
  ASSERT_TRUE(s);
  auto conn = PgConn::Open(db.url());
  ASSERT_TRUE(conn);
  auto rows = (*conn)->Run(
      "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = "
      "'confirmed'), count(log_index), (SELECT count(*) FROM log_leaves), (SELECT next_index "
      "FROM log_state), (SELECT count(*) FROM signature_tokens), (SELECT count(*) FROM outbox) "
      "FROM signatures",
      "test");
  ASSERT_TRUE(rows) << rows.error().message;
  const auto pending = rows->Int(0, 0), confirmed = rows->Int(0, 1);
  EXPECT_GT(confirmed, 0);
  EXPECT_EQ(rows->Int(0, 2), confirmed);
  EXPECT_EQ(rows->Int(0, 3), confirmed);
  EXPECT_EQ(rows->Int(0, 4), confirmed);
  EXPECT_EQ(rows->Int(0, 5), pending + confirmed);
  EXPECT_EQ(rows->Int(0, 6), pending + confirmed);
  auto counts = s->LoadAllCounts();
  ASSERT_TRUE(counts);
  EXPECT_EQ((*counts)[campaign_id].pending, pending);
  EXPECT_EQ((*counts)[campaign_id].confirmed, confirmed);
  auto head = s->GetLogHead();  // the dead node's lease expires first
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, static_cast<std::uint64_t>(confirmed));
  EXPECT_EQ(head->root, log::RootFromLeaves(LeafHashes(*s)));
  std::printf("[ figures ] killed after %lld signatures (%lld confirmed) committed\n",
              static_cast<long long>(pending + confirmed), static_cast<long long>(confirmed));
}

}  // namespace
}  // namespace undersigned::store::pg
