// Store conformance: The signature log: leaves appended by the scripts, heads, receipts,
// checkpoints.
#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "log/proof.h"
#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

TEST_P(StoreTest, ConfirmAndWithdrawOfACountedSignatureAppendLeaves) {
  Campaign c = MustCreate("logged");
  NewSignature a = NewSig(c.id, "a@example.org");
  NewSignature b = NewSig(c.id, "b@example.org");
  ASSERT_TRUE(tx::Sign(*store_, a));
  ASSERT_TRUE(tx::Sign(*store_, b));
  EXPECT_EQ(ReadLog(*store_).leaves.size(), 0u);  // pending signatures are not counted
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 10));
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 20));   // idempotent: no leaf
  ASSERT_TRUE(tx::Withdraw(*store_, b.token_hash, kT0 + 30));  // was pending: no leaf
  ASSERT_TRUE(tx::Withdraw(*store_, a.token_hash, kT0 + 40));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "api@example.org", kT0 + 50, /*confirm_now=*/true)));

  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), 3u);
  EXPECT_EQ(log.leaves[0].event, log::LeafEvent::kConfirm);
  EXPECT_EQ(log.leaves[1].event, log::LeafEvent::kWithdraw);
  EXPECT_EQ(log.leaves[2].event, log::LeafEvent::kConfirm);
  for (const auto& l : log.leaves) {
    EXPECT_EQ(l.campaign, c.uuid);
    EXPECT_EQ(l.group, "public");
    EXPECT_EQ(l.day, "2023-11-14");
  }
  // One signer's confirm and withdraw leaves carry the same commitment; another's differs.
  EXPECT_EQ(log.leaves[0].commitment, log.leaves[1].commitment);
  EXPECT_NE(log.leaves[0].commitment, log.leaves[2].commitment);
  // No personal data in the leaves.
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto entries = store_->LogEntries(i, 1);
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->front().find("example.org"), std::string::npos);
    EXPECT_EQ(entries->front().find("Signer"), std::string::npos);
  }

  auto head = store_->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, 3u);
  EXPECT_EQ(head->root, log.tree.Root());
  ASSERT_EQ(head->counts.size(), 1u);
  EXPECT_EQ(head->counts[0].uuid, c.uuid);
  EXPECT_EQ(head->counts[0].slug, "logged");
  EXPECT_EQ(head->counts[0].confirmed, 1);
}

TEST_P(StoreTest, TheLogHeadCountsEachGroupAsItsLeavesNameIt) {
  Campaign plain = MustCreate("plain");
  Campaign grouped = NewCampaign("grouped");
  grouped.groups = {
      SignerGroup{"customers",
                  "Customers",
                  GroupKind::kCustomers,
                  "",
                  {},
                  "I am a customer.",
                  std::nullopt,
                  {}},
      SignerGroup{"public", "Everyone else", GroupKind::kPublic, "", {}, "", std::nullopt, {}}};
  auto g = store_->CreateCampaign(grouped);
  ASSERT_TRUE(g) << g.error().message;
  ASSERT_TRUE(tx::Sign(*store_, NewSig(plain.id, "p@example.org", kT0, /*confirm_now=*/true)));
  NewSignature a = NewSig(g->id, "a@example.org", kT0, /*confirm_now=*/true);
  a.form.group = "customers";
  ASSERT_TRUE(tx::Sign(*store_, a));
  NewSignature b = NewSig(g->id, "b@example.org", kT0, /*confirm_now=*/true);
  b.form.group = "public";
  ASSERT_TRUE(tx::Sign(*store_, b));
  // Recorded again into the other group: it moves, and the log says so.
  b.form.group = "customers";
  b.now = kT0 + 10;
  ASSERT_TRUE(tx::Sign(*store_, b));

  log::LeafCounts from_leaves;
  for (const log::Leaf& l : ReadLog(*store_).leaves) from_leaves.Add(l);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  ASSERT_EQ(head->counts.size(), 2u);
  for (const LogCampaignCount& c : head->counts) {
    std::map<std::string, std::int64_t> published;
    for (const GroupCount& gc : c.groups) {
      if (gc.confirmed != 0) published[gc.key] = gc.confirmed;
    }
    std::map<std::string, std::int64_t> leaves;
    for (const auto& [key, n] : from_leaves.by_group[c.uuid]) {
      if (n != 0) leaves[key] = n;
    }
    EXPECT_EQ(published, leaves) << c.slug;
  }
  EXPECT_EQ(from_leaves.by_group[g->uuid]["customers"], 2);
  EXPECT_EQ(from_leaves.by_group[plain.uuid]["public"], 1);
}

TEST_P(StoreTest, EveryTextVersionIsKeptAndLeavesNameTheCurrentOne) {
  Campaign c = MustCreate("edited");
  const std::string v1 = log::TextHash(c.demand, c.letter_markdown);
  NewSignature early = NewSig(c.id, "early@example.org");
  ASSERT_TRUE(tx::Sign(*store_, early));

  // An edit of the title only keeps the text; one of the letter adds version 2, dated.
  c.title = "A new title";
  c.modified = kT0 + 100;
  ASSERT_TRUE(store_->UpdateCampaign(c));
  c.letter_markdown = "Dear *CEO*,\n\nplease, now.";
  c.modified = kT0 + 200;
  ASSERT_TRUE(store_->UpdateCampaign(c));
  const std::string v2 = log::TextHash(c.demand, c.letter_markdown);
  auto texts = store_->CampaignTexts(c.id);
  ASSERT_TRUE(texts) << texts.error().message;
  ASSERT_EQ(texts->size(), 2u);
  EXPECT_EQ((*texts)[0],
            (CampaignText{1, v1, kT0, "Do the right thing", "Dear *CEO*,\n\nplease."}));
  EXPECT_EQ((*texts)[1].version, 2);
  EXPECT_EQ((*texts)[1].hash, v2);
  EXPECT_EQ((*texts)[1].created, kT0 + 200);
  EXPECT_EQ((*texts)[1].letter_markdown, c.letter_markdown);

  // Confirmed after the edit: counted under version 2. A trusted signing whose caller still
  // knew version 1 is counted under version 2 too (the writer checks).
  ASSERT_TRUE(tx::Confirm(*store_, early.token_hash, kT0 + 300));
  NewSignature stale = NewSig(c.id, "api@example.org", kT0 + 400, /*confirm_now=*/true);
  stale.campaign_uuid = c.uuid;
  stale.text_hash = v1;
  ASSERT_TRUE(tx::Sign(*store_, stale));
  NewSignature fresh = NewSig(c.id, "api2@example.org", kT0 + 500, /*confirm_now=*/true);
  fresh.campaign_uuid = c.uuid;
  fresh.text_hash = v2;
  ASSERT_TRUE(tx::Sign(*store_, fresh));
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), 3u);
  for (const auto& l : log.leaves) EXPECT_EQ(l.text, v2);
  auto entry = store_->LogEntries(0, 1);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->front().rfind("undersigned/leaf/v2\n", 0), 0u) << entry->front();
}

TEST_P(StoreTest, StoredNodesAnswerProofsAndSurviveReopening) {
  Campaign c = MustCreate("nodes");
  // Many concurrent confirmations: several per batch, in whatever order the writer takes them.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = tx::Sign(
            *store_,
            NewSig(c.id, "t" + std::to_string(t) + "-" + std::to_string(i) + "@example.org", kT0,
                   true));
        EXPECT_TRUE(r) << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.tree.Size(), 200u);
  // Every stored node equals the reference tree's.
  for (std::uint8_t level = 0; level < 8; ++level) {
    std::uint64_t n = 200 >> level;
    auto nodes = store_->LogNodes(level, 0, n);
    ASSERT_TRUE(nodes) << nodes.error().message;
    for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ((*nodes)[i], *log.tree.Node(level, i));
    EXPECT_FALSE(store_->LogNodes(level, 0, n + 1));  // beyond the tree: missing
  }
  Open();  // the writer restores its range from the stored nodes and appends on
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "after@example.org", kT0, true)));
  LogContents again = ReadLog(*store_);
  ASSERT_EQ(again.tree.Size(), 201u);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->root, again.tree.Root());
  EXPECT_EQ(head->counts[0].confirmed, 201);
}

TEST_P(StoreTest, AFailedOperationLeavesNoLeafBehind) {
  Campaign c = MustCreate("rollback");
  NewSignature a = NewSig(c.id, "a@example.org");
  ASSERT_TRUE(tx::Sign(*store_, a));
  ASSERT_TRUE(tx::Withdraw(*store_, a.token_hash, kT0 + 1));
  // Confirming a withdrawn signature fails inside the batch; a confirmation next to it lands.
  NewSignature b = NewSig(c.id, "b@example.org");
  ASSERT_TRUE(tx::Sign(*store_, b));
  std::thread t1([&] { EXPECT_FALSE(tx::Confirm(*store_, a.token_hash, kT0 + 2)); });
  std::thread t2([&] { EXPECT_TRUE(tx::Confirm(*store_, b.token_hash, kT0 + 2)); });
  t1.join();
  t2.join();
  LogContents log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), 1u);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->root, log.tree.Root());
}

TEST_P(StoreTest, ReceiptDataAndCheckpoints) {
  Campaign c = MustCreate("receipt");
  NewSignature a = NewSig(c.id, "a@example.org");
  ASSERT_TRUE(tx::Sign(*store_, a));
  auto pending = store_->LogReceipt(a.token_hash);
  ASSERT_FALSE(pending);
  EXPECT_EQ(pending.error().code, Code::kConflict);
  EXPECT_EQ(store_->LogReceipt(HashOf("nobody")).error().code, Code::kNotFound);
  NewSignature first = NewSig(c.id, "first@example.org", kT0, true);
  auto first_signed = tx::Sign(*store_, first);
  ASSERT_TRUE(first_signed);
  // A signature that counted at once has its receipt data too (salt and index stored with it),
  // but no token: nothing was mailed, so none is kept and none finds it.
  const std::string first_id = std::to_string(first_signed->signature.id);
  EXPECT_EQ(QueryInt("SELECT log_index FROM signatures WHERE id = " + first_id), 0);
  EXPECT_EQ(QueryInt("SELECT length(log_salt) FROM signatures WHERE id = " + first_id),
            static_cast<std::int64_t>(log::kSaltBytes));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE signature_id = " + first_id), 0);
  EXPECT_EQ(store_->LogReceipt(first.token_hash).error().code, Code::kNotFound);
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 5));
  auto info = store_->LogReceipt(a.token_hash);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->campaign_id, c.id);
  EXPECT_EQ(info->leaf_index, 1u);
  ASSERT_EQ(info->salt.size(), log::kSaltBytes);
  auto leaf = log::ParseLeaf(info->entry);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->commitment,
            log::Commitment(std::span<const std::uint8_t>(
                                reinterpret_cast<const std::uint8_t*>(info->salt.data()), 32),
                            "a@example.org"));

  auto none = store_->LatestCheckpoint();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->SaveCheckpoint({1, "note one\n", "{}", kT0}));
  ASSERT_TRUE(store_->SaveCheckpoint({2, "note two\n", "{\"a\":1}", kT0 + 1}));
  ASSERT_TRUE(store_->SaveCheckpoint({2, "other\n", "{}", kT0 + 2}));  // same size: kept first
  auto latest = store_->LatestCheckpoint();
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->size, 2u);
  EXPECT_EQ((*latest)->note, "note two\n");
  EXPECT_EQ((*latest)->counts_json, "{\"a\":1}");
}

}  // namespace
}  // namespace undersigned::store::conformance
