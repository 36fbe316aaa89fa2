// Moderation's transaction scripts (moderation.cc) over the in-memory WriteTx: invalidating one
// signature or a filter's match (counts, leaves, mails, the expected count), previews that write
// nothing, and visibility.
#include <sodium.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "service/tx/memory_tx.h"
#include "service/tx/scripts.h"

namespace undersigned::tx {
namespace {

using testing::MemoryDb;
using testing::MemoryTx;
constexpr UnixTime kT0 = 1'700'000'000;
constexpr std::int64_t kCampaign = 1;

class ModerationTxTest : public ::testing::Test {
 protected:
  ModerationTxTest() : sealer_(Key()) {
    Campaign c;
    c.id = kCampaign;
    c.uuid = "0190a4f1-0000-7000-8000-000000000001";
    c.slug = "letter";
    c.title = "A letter";
    c.language = "en";
    c.status = CampaignStatus::kOpen;
    db_.campaigns[kCampaign] = c;
    db_.text_hashes[kCampaign] = std::string(64, '1');
  }
  static std::string Key() {
    EXPECT_GE(sodium_init(), 0);
    return std::string(32, 'k');
  }

  // A signature from net, counted at once unless pending.
  std::int64_t Signed(const std::string& email, const std::string& net, bool pending = false,
                      UnixTime at = kT0, Protection protection = Protection::kNone) {
    NewSignature s;
    s.campaign_id = kCampaign;
    s.form.name = "Name of " + email;
    s.form.email = email;
    s.form.public_name = true;
    s.form.protection = protection;
    if (protection == Protection::kSealed) s.form.seal_threshold = 1000;
    s.canonical_email = email;
    s.source = "form";
    s.client_net = net;
    s.confirm_now = !pending;
    s.token = "token-" + email;
    s.token_hash = "hash-" + email;
    s.mail_payload = R"({"campaign_title":"A letter"})";
    s.now = at;
    const SignPrep prep = PrepareSign(s, sealer_);
    auto r = MemoryTx::Run(db_, sealer_, [&](store::WriteTx& tx) { return SignTx(tx, s, prep); });
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->signature.id : 0;
  }

  Result<InvalidateOutcome> InvalidateOne(std::int64_t id, bool notify) {
    Invalidation inv{"operator", "fraud", notify, kT0 + 60};
    return MemoryTx::Run(db_, sealer_,
                         [&](store::WriteTx& tx) { return InvalidateTx(tx, kCampaign, id, inv); });
  }
  Result<MatchPreview> Preview(const CheckedFilter& f) {
    return MemoryTx::Run(
        db_, sealer_, [&](store::WriteTx& tx) { return PreviewMatchingTx(tx, kCampaign, f, 2); });
  }
  Result<InvalidateOutcome> InvalidateAll(const CheckedFilter& f, std::int64_t expected) {
    Invalidation inv{"user:7", "a flood", false, kT0 + 60};
    return MemoryTx::Run(db_, sealer_, [&](store::WriteTx& tx) {
      return InvalidateMatchingTx(tx, kCampaign, f, expected, inv);
    });
  }
  static CheckedFilter Range(const std::string& cidr) {
    ModerationFilter f;
    f.campaign_slug = "letter";
    f.ranges = {cidr};
    auto c = CheckFilter(f);
    EXPECT_TRUE(c) << c.error().message;
    return *c;
  }
  std::vector<log::Leaf> Leaves() {
    std::vector<log::Leaf> out;
    for (const auto& [entry, hash] : db_.leaves) out.push_back(*log::ParseLeaf(entry));
    return out;
  }
  const CampaignCounts& counts() { return db_.counts[kCampaign]; }

  MemoryDb db_;
  store::FieldSealer sealer_;
};

TEST_F(ModerationTxTest, InvalidatingACountedSignatureLogsItAndLeavesEveryCount) {
  const auto id = Signed("ada@example.org", "203.0.113.0/24");
  Signed("bob@example.org", "198.51.100.0/24");
  ASSERT_EQ(counts().confirmed, 2);
  auto r = InvalidateOne(id, /*notify=*/false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->uuids.size(), 1u);
  EXPECT_EQ(r->confirmed, 1);
  EXPECT_EQ(r->counts.confirmed, 1);
  EXPECT_EQ(r->counts.withdrawn, 0);  // not a withdrawal
  EXPECT_EQ(db_.signatures.at(id).signature.state, SignatureState::kInvalidated);
  const auto& m = db_.moderation.at(id);
  EXPECT_EQ(*m.invalidated, kT0 + 60);
  EXPECT_EQ(m.invalidated_by, "operator");
  EXPECT_EQ(m.invalidation_reason, "fraud");
  auto leaves = Leaves();
  ASSERT_EQ(leaves.size(), 3u);
  EXPECT_EQ(leaves.back().event, log::LeafEvent::kInvalidate);
  log::LeafCounts recount;
  for (const auto& l : leaves) recount.Add(l);
  EXPECT_EQ(recount.by_campaign[db_.campaigns[kCampaign].uuid], 1);  // the log agrees
  EXPECT_TRUE(db_.Mails("invalidated").empty());
  // Again: nothing changes.
  auto again = InvalidateOne(id, false);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->uuids.empty());
  EXPECT_EQ(Leaves().size(), 3u);
}

TEST_F(ModerationTxTest, APendingSignatureLeavesNoLeafAndTheSignerMayBeTold) {
  const auto id = Signed("ada@example.org", "", /*pending=*/true);
  ASSERT_EQ(counts().pending, 1);
  auto r = InvalidateOne(id, /*notify=*/true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->confirmed, 0);
  EXPECT_EQ(r->counts.pending, 0);
  EXPECT_TRUE(db_.leaves.empty());
  auto mails = db_.Mails("invalidated");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "ada@example.org");
  EXPECT_EQ(nlohmann::json::parse(mails[0].payload)["campaign_slug"], "letter");
  // Its old link confirms nothing now, and signing again changes nothing.
  auto confirm = MemoryTx::Run(db_, sealer_, [&](store::WriteTx& tx) {
    return ConfirmTx(tx, "hash-ada@example.org", kT0 + 120);
  });
  ASSERT_FALSE(confirm);
  EXPECT_EQ(confirm.error().code, Code::kConflict);
  Signed("ada@example.org", "", /*pending=*/true);
  EXPECT_EQ(db_.signatures.at(id).signature.state, SignatureState::kInvalidated);
  EXPECT_EQ(counts().pending, 0);
}

TEST_F(ModerationTxTest, ASealedSignersAddressIsOpenedOnlyForTheMail) {
  const auto id = Signed("sealed@example.org", "", false, kT0, Protection::kSealed);
  ASSERT_TRUE(db_.signatures.at(id).signature.form.email.empty());
  auto r = InvalidateOne(id, /*notify=*/true);
  ASSERT_TRUE(r) << r.error().message;
  auto mails = db_.Mails("invalidated");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "sealed@example.org");
}

TEST_F(ModerationTxTest, AWithdrawnSignatureOrAnotherCampaignsIsRefused) {
  const auto id = Signed("ada@example.org", "");
  ASSERT_TRUE(MemoryTx::Run(db_, sealer_, [&](store::WriteTx& tx) {
    store::SignatureRow row = db_.signatures.at(id);
    row.signature.state = SignatureState::kWithdrawn;
    return tx.SaveSignature(row);
  }));
  auto r = InvalidateOne(id, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kConflict);
  Invalidation inv{"operator", "x", false, kT0};
  auto other = MemoryTx::Run(
      db_, sealer_, [&](store::WriteTx& tx) { return InvalidateTx(tx, kCampaign + 1, id, inv); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Code::kNotFound);
}

TEST_F(ModerationTxTest, BulkInvalidationTakesExactlyWhatThePreviewCounted) {
  for (int i = 0; i < 5; ++i) Signed("flood" + std::to_string(i) + "@x.example", "203.0.113.0/24");
  Signed("pending@x.example", "203.0.113.0/24", /*pending=*/true);
  Signed("real@example.org", "198.51.100.0/24");
  const CheckedFilter f = Range("203.0.112.0/23");
  auto p = Preview(f);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->count, 6);
  EXPECT_EQ(p->sample.size(), 2u);
  EXPECT_EQ(counts().confirmed, 6);  // the preview wrote nothing

  // One more arrives from the range: the preview's count no longer holds.
  Signed("late@x.example", "203.0.113.0/24");
  auto stale = InvalidateAll(f, 6);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Code::kConflict);
  EXPECT_EQ(counts().confirmed, 7);

  auto r = InvalidateAll(f, 7);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->uuids.size(), 7u);
  EXPECT_EQ(r->confirmed, 6);
  EXPECT_EQ(r->counts.confirmed, 1);
  EXPECT_EQ(r->counts.pending, 0);
  int invalidate_leaves = 0;
  for (const auto& l : Leaves()) invalidate_leaves += l.event == log::LeafEvent::kInvalidate;
  EXPECT_EQ(invalidate_leaves, 6);
  // Nothing matches any more.
  auto after = Preview(f);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->count, 0);
}

TEST_F(ModerationTxTest, FiltersByDomainStateAndWindow) {
  Signed("a@spam.example", "", false, kT0);
  Signed("b@spam.example", "", true, kT0 + 100);
  Signed("c@spam.example", "", false, kT0 + 200);
  Signed("d@example.org", "", false, kT0 + 100);
  ModerationFilter f;
  f.campaign_slug = "letter";
  f.email_domain = "spam.example";
  auto all = Preview(*CheckFilter(f));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->count, 3);
  f.states = {SignatureState::kConfirmed};
  EXPECT_EQ(Preview(*CheckFilter(f))->count, 2);
  f.from = kT0 + 100;
  f.to = kT0 + 200;  // [from, to)
  f.states.clear();
  EXPECT_EQ(Preview(*CheckFilter(f))->count, 1);
}

TEST_F(ModerationTxTest, VisibilityIsKeptApartFromTheSignature) {
  const auto id = Signed("ada@example.org", "");
  VisibilityChange ch;
  ch.comment = store::CommentReview::kHidden;
  ch.name_hidden = true;
  ch.now = kT0 + 5;
  auto r = MemoryTx::Run(
      db_, sealer_, [&](store::WriteTx& tx) { return SetVisibilityTx(tx, kCampaign, id, ch); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->moderation.comment, store::CommentReview::kHidden);
  EXPECT_TRUE(r->moderation.name_hidden);
  EXPECT_EQ(db_.signatures.at(id).signature.modified, kT0 + 5);
  EXPECT_EQ(counts().confirmed, 1);                               // still counts
  EXPECT_TRUE(db_.signatures.at(id).signature.form.public_name);  // as the signer chose
}

}  // namespace
}  // namespace undersigned::tx
