// LogService against a real SQLite store: every proof, tile and receipt it serves verifies
// against an independent in-memory tree, flipping any bit breaks it, and the start-up check
// refuses a database older than the checkpoint the instance published.
#include "service/log.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "log/proof.h"
#include "log/receipt.h"
#include "log/tiles.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

namespace fs = std::filesystem;

class LogServiceTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    Create(OpenCampaign("letter"));
  }
  void CloseServices() override {
    log_.reset();
    ServiceFixture::CloseServices();
  }

  Result<std::unique_ptr<LogService>> OpenLog(std::string origin = "") {
    LogOptions o;
    o.base_url = "https://sign.example.org";
    o.origin = std::move(origin);
    o.data_dir = dir_.string();
    return LogService::Open(*store_, clock_, o);
  }
  void StartLog() {
    auto l = OpenLog();
    ASSERT_TRUE(l) << l.error().message;
    log_ = std::move(*l);
    auto v = log_->Verify();
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_TRUE(log_->Start());
  }

  // n signatures that count at once (the API path), each appending a leaf.
  void SignMany(int n) {
    for (int i = 0; i < n; ++i)
      SignTrusted("letter", "s" + std::to_string(next_++) + "@example.org");
  }

  // The reference: a MemoryTree of every stored leaf.
  log::MemoryTree Reference() {
    log::MemoryTree tree;
    EXPECT_TRUE(
        store_->ForEachLogLeaf([&](std::uint64_t, std::string_view entry, std::string_view) {
          tree.Append(log::LeafHash(entry));
          return true;
        }));
    return tree;
  }

  std::unique_ptr<LogService> log_;
  int next_ = 0;
};

TEST_F(LogServiceTest, EveryProofItServesVerifiesAndNoFlippedBitDoes) {
  SignMany(70);
  StartLog();
  auto latest = log_->Latest();
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size, 70u);
  log::MemoryTree ref = Reference();
  EXPECT_EQ(latest->root, ref.Root());
  EXPECT_TRUE(log::VerifyCheckpoint(latest->note, log_->VerifierKey(), log_->origin()));
  EXPECT_EQ(log_->origin(), "sign.example.org/log");

  std::mt19937_64 rnd(42);
  for (int trial = 0; trial < 60; ++trial) {
    const std::uint64_t size = 1 + rnd() % 70;
    const std::uint64_t index = rnd() % size;
    auto proof = log_->InclusionProof(index, size);
    ASSERT_TRUE(proof) << proof.error().message;
    const log::Hash leaf = *ref.Node(0, index);
    ASSERT_TRUE(log::VerifyInclusion(leaf, index, size, *proof, ref.RootAt(size)));
    for (std::size_t h = 0; h < proof->size(); ++h) {
      auto bad = *proof;
      bad[h][rnd() % 32] ^= static_cast<std::uint8_t>(1u << (rnd() % 8));
      EXPECT_FALSE(log::VerifyInclusion(leaf, index, size, bad, ref.RootAt(size)));
    }

    if (size < 2) continue;
    const std::uint64_t m = 1 + rnd() % (size - 1);
    auto consistency = log_->ConsistencyProof(m, size);
    ASSERT_TRUE(consistency) << consistency.error().message;
    ASSERT_TRUE(log::VerifyConsistency(m, size, *consistency, ref.RootAt(m), ref.RootAt(size)));
    for (std::size_t h = 0; h < consistency->size(); ++h) {
      auto bad = *consistency;
      bad[h][rnd() % 32] ^= static_cast<std::uint8_t>(1u << (rnd() % 8));
      EXPECT_FALSE(log::VerifyConsistency(m, size, bad, ref.RootAt(m), ref.RootAt(size)));
    }
  }
  // Outside the latest checkpoint: refused, saying why.
  EXPECT_EQ(log_->InclusionProof(0, 71).error().code, Code::kInvalidArgument);
  EXPECT_EQ(log_->InclusionProof(5, 5).error().code, Code::kInvalidArgument);
  EXPECT_EQ(log_->ConsistencyProof(0, 5).error().code, Code::kInvalidArgument);
  EXPECT_EQ(log_->ConsistencyProof(5, 71).error().code, Code::kInvalidArgument);
}

TEST_F(LogServiceTest, TilesAndEntryBundlesStopAtTheCheckpoint) {
  SignMany(5);
  StartLog();
  log::MemoryTree ref = Reference();
  auto tile = log_->Tile(log::TileId{0, 0, 5});
  ASSERT_TRUE(tile) << tile.error().message;
  auto hashes = log::DecodeTile(*tile, 5);
  ASSERT_TRUE(hashes);
  for (std::uint64_t i = 0; i < 5; ++i) EXPECT_EQ((*hashes)[i], *ref.Node(0, i));
  auto bundle = log_->EntryBundle(log::TileId{0, 0, 5});
  ASSERT_TRUE(bundle);
  auto entries = log::DecodeEntryBundle(*bundle, 5);
  ASSERT_TRUE(entries);
  for (const auto& e : *entries) EXPECT_TRUE(log::ParseLeaf(e));
  EXPECT_EQ(log_->Tile(log::TileId{0, 0, 6}).error().code, Code::kNotFound);
  EXPECT_EQ(log_->Tile(log::TileId{0, 0, log::kTileWidth}).error().code, Code::kNotFound);
  EXPECT_EQ(log_->Tile(log::TileId{1, 0, 1}).error().code, Code::kNotFound);
  EXPECT_EQ(log_->EntryBundle(log::TileId{0, 0, 6}).error().code, Code::kNotFound);

  // Signatures past the checkpoint are not served until the next one.
  SignMany(1);
  EXPECT_EQ(log_->Tile(log::TileId{0, 0, 6}).error().code, Code::kNotFound);
  auto covering = log_->WaitCovering(5, std::chrono::seconds(10));
  ASSERT_TRUE(covering);
  EXPECT_EQ(covering->size, 6u);
  EXPECT_TRUE(log_->Tile(log::TileId{0, 0, 6}));
}

TEST_F(LogServiceTest, AReceiptProvesTheSignerWasCounted) {
  SignMany(3);
  StartLog();
  SignatureForm f;
  f.name = "Ada Lovelace";
  f.email = "Ada.Lovelace+letters@example.org";
  auto signed_ = signing_->Sign("letter", f, SignContext{});
  ASSERT_TRUE(signed_);
  // The mail's token (its confirm link's) is in the outbox mail only; take it from there.
  auto due = store_->DueOutbox(clock_.Now() + 10, 10);
  ASSERT_TRUE(due);
  ASSERT_FALSE(due->empty());
  auto payload = nlohmann::json::parse(due->back().payload);
  const std::string token = payload["token"];
  EXPECT_EQ(log_->Receipt(token, *campaigns_).error().code, Code::kConflict);  // not confirmed
  ASSERT_TRUE(signing_->Confirm(token));

  auto json = log_->Receipt(token, *campaigns_);
  ASSERT_TRUE(json) << json.error().message;
  auto receipt = log::ParseReceipt(*json);
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->leaf_index, 3u);
  EXPECT_EQ(receipt->campaign_slug, "letter");
  auto proved = log::VerifyReceipt(*receipt, log_->VerifierKey(), CanonicalEmail(f.email));
  EXPECT_TRUE(proved) << proved.error().message;
  EXPECT_FALSE(log::VerifyReceipt(*receipt, log_->VerifierKey(), "someone@example.org"));
  EXPECT_EQ(log_->Receipt("not-a-token", *campaigns_).error().code, Code::kNotFound);

  // Signing again sends the "already signed" mail, whose withdraw-only token opens no receipt.
  auto again = signing_->Sign("letter", f, SignContext{});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->kind, SignOutcome::Kind::kAlreadyConfirmed);
  due = store_->DueOutbox(clock_.Now() + 10, 10);
  ASSERT_TRUE(due);
  ASSERT_FALSE(due->empty());
  ASSERT_EQ(due->back().kind, "already_signed");
  const std::string withdraw_only =
      nlohmann::json::parse(due->back().payload)["withdraw_token"].get<std::string>();
  EXPECT_EQ(log_->Receipt(withdraw_only, *campaigns_).error().code, Code::kNotFound);
  EXPECT_TRUE(log_->Receipt(token, *campaigns_));
}

TEST_F(LogServiceTest, ARestoredOlderDatabaseIsRefused) {
  SignMany(4);
  StartLog();
  const fs::path backup = dir_ / "backup.db";
  ASSERT_TRUE(store_->Backup(backup.string()));
  SignMany(3);
  ASSERT_TRUE(log_->WaitCovering(6, std::chrono::seconds(10)));
  CloseServices();
  // The operator restores the backup in place.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(dir_ / (std::string(store::kSqliteFileName) + suffix));
  }
  fs::copy_file(backup, dir_ / store::kSqliteFileName);
  OpenServices();
  auto l = OpenLog();
  ASSERT_TRUE(l);
  auto v = (*l)->Verify();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Code::kConflict);
  EXPECT_NE(v.error().message.find("published a checkpoint of 7"), std::string::npos)
      << v.error().message;
  EXPECT_NE(v.error().message.find("holds only 4"), std::string::npos) << v.error().message;
}

TEST_F(LogServiceTest, TheOriginIsFixedAtTheFirstStart) {
  StartLog();
  log_.reset();
  auto other = OpenLog("elsewhere.example.org/log");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Code::kInvalidArgument);
  EXPECT_NE(other.error().message.find("sign.example.org/log"), std::string::npos);
  auto same = OpenLog("sign.example.org/log");
  EXPECT_TRUE(same);
}

}  // namespace
}  // namespace undersigned::service
