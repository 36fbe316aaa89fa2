// Store conformance: moderation (core/moderation.h, service/tx/moderation.cc) on every backend:
// the signer's network kept and matched, hidden comments and names left out of every public read
// (the count unchanged), the comment approval queue, invalidated signatures out of every count,
// list and export with an "invalidate" leaf, and networks forgotten after their retention.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/moderation.h"
#include "log/leaf.h"
#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

// The signature's row id from its uuid (as the service finds it).
std::int64_t IdOf(Store& store, const std::string& uuid) {
  auto s = store.GetSignatureByUuid(uuid);
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return s ? s->id : 0;
}

CheckedFilter RangeFilter(const std::string& cidr) {
  ModerationFilter f;
  f.campaign_slug = "x";
  f.ranges = {cidr};
  auto c = CheckFilter(f);
  EXPECT_TRUE(c) << c.error().message;
  return *c;
}

std::vector<Signature> Confirmed(Store& store, std::int64_t campaign_id) {
  std::vector<Signature> out;
  auto r = store.ForEachConfirmed(campaign_id, [&](const Signature& s) {
    out.push_back(s);
    return true;
  });
  EXPECT_TRUE(r);
  return out;
}

TEST_P(StoreTest, ModerationKeepsTheNetworkAndMatchesRanges) {
  Campaign c = MustCreate("flood");
  for (int i = 0; i < 3; ++i) {
    NewSignature s = NewSig(c.id, "f" + std::to_string(i) + "@flood.example", kT0, true);
    s.client_net = ClientNetwork("203.0.113." + std::to_string(10 + i));
    MustSign(s);
  }
  NewSignature real = NewSig(c.id, "real@example.org", kT0, true);
  real.client_net = ClientNetwork("2001:db8:7:1::5");
  const std::string real_uuid = MustSign(real);
  MustSign(NewSig(c.id, "unknown@example.org", kT0, true));  // no network known

  auto p = tx::PreviewMatching(*store_, c.id, RangeFilter("203.0.113.0/24"), 10);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->count, 3);
  ASSERT_EQ(p->sample.size(), 3u);
  EXPECT_EQ(p->sample[0].client_net, "203.0.113.0/24");
  auto v6 = tx::PreviewMatching(*store_, c.id, RangeFilter("2001:db8::/32"), 10);
  ASSERT_TRUE(v6);
  ASSERT_EQ(v6->count, 1);
  EXPECT_EQ(v6->sample[0].row.signature.uuid, real_uuid);
  EXPECT_EQ(v6->sample[0].client_net, "2001:db8:7::/48");
  // The preview wrote nothing.
  ExpectCounts(CountsOf(c.id), 0, 5, 0);

  // Forgotten after its retention: no range matches any more.
  auto forgot = tx::ForgetClientNetworks(*store_, kT0 + 1);
  ASSERT_TRUE(forgot) << forgot.error().message;
  EXPECT_EQ(*forgot, 4);
  EXPECT_EQ(tx::PreviewMatching(*store_, c.id, RangeFilter("203.0.113.0/24"), 10)->count, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE client_net IS NOT NULL"), 0);
}

TEST_P(StoreTest, HiddenCommentsAndNamesLeaveEveryPublicReadButTheCountStays) {
  Campaign c = MustCreate("hide");
  const std::string a = MustSign(NewSig(c.id, "a@example.org", kT0, true));
  const std::string b = MustSign(NewSig(c.id, "b@example.org", kT0 + 1, true));
  tx::VisibilityChange hide_comment;
  hide_comment.comment = CommentReview::kHidden;
  hide_comment.now = kT0 + 10;
  auto r = tx::SetVisibility(*store_, c.id, IdOf(*store_, a), hide_comment);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->moderation.comment, CommentReview::kHidden);
  tx::VisibilityChange hide_name;
  hide_name.name_hidden = true;
  hide_name.now = kT0 + 10;
  ASSERT_TRUE(tx::SetVisibility(*store_, c.id, IdOf(*store_, b), hide_name));

  ExpectCounts(CountsOf(c.id), 0, 2, 0);
  auto recent = store_->RecentPublicSigners(c.id, 10);
  ASSERT_TRUE(recent);
  ASSERT_EQ(recent->size(), 1u);         // b's name is hidden: not listed
  EXPECT_EQ(recent->at(0).comment, "");  // a's comment is hidden
  auto sa = store_->GetSignatureByUuid(a);
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->form.comment, "");
  EXPECT_TRUE(sa->form.public_name);
  auto sb = store_->GetSignatureByUuid(b);
  ASSERT_TRUE(sb);
  EXPECT_FALSE(sb->form.public_name);
  EXPECT_FALSE(sb->form.comment.empty());
  for (const Signature& s : Confirmed(*store_, c.id)) {
    if (s.uuid == a) {
      EXPECT_EQ(s.form.comment, "");
    }
    if (s.uuid == b) {
      EXPECT_FALSE(s.form.public_name);
    }
  }
  auto list = store_->ListSignatures(c.id, {}, Page{1, 10});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 2);
  for (const Signature& s : list->items) {
    if (s.uuid == a) {
      EXPECT_EQ(s.form.comment, "");
    }
  }
  // The stored comment is kept: showing it again brings it back.
  tx::VisibilityChange show;
  show.comment = CommentReview::kApproved;
  show.name_hidden = false;
  show.now = kT0 + 20;
  ASSERT_TRUE(tx::SetVisibility(*store_, c.id, IdOf(*store_, a), show));
  ASSERT_TRUE(tx::SetVisibility(*store_, c.id, IdOf(*store_, b), show));
  recent = store_->RecentPublicSigners(c.id, 10);
  ASSERT_EQ(recent->size(), 2u);
  for (const PublicSigner& p : *recent) EXPECT_FALSE(p.comment.empty());
  // A signature of another campaign is not found through this one.
  Campaign other = MustCreate("other");
  auto wrong = tx::SetVisibility(*store_, other.id, IdOf(*store_, a), show);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Code::kNotFound);
}

TEST_P(StoreTest, CommentApprovalShowsOnlyApprovedComments) {
  Campaign c = MustCreate("queue");
  const std::string a = MustSign(NewSig(c.id, "a@example.org", kT0, true));
  const std::string b = MustSign(NewSig(c.id, "b@example.org", kT0 + 1, true));
  EXPECT_FALSE(*tx::CommentApproval(*store_, c.id));
  ASSERT_TRUE(tx::SetCommentApproval(*store_, c.id, true, kT0 + 5));
  EXPECT_TRUE(*tx::CommentApproval(*store_, c.id));
  auto recent = store_->RecentPublicSigners(c.id, 10);
  ASSERT_EQ(recent->size(), 2u);
  for (const PublicSigner& p : *recent) EXPECT_EQ(p.comment, "");
  auto waiting = tx::AwaitingComments(*store_, c.id, 10);
  ASSERT_TRUE(waiting) << waiting.error().message;
  ASSERT_EQ(waiting->size(), 2u);
  EXPECT_FALSE(waiting->at(0).row.signature.form.comment.empty());  // the moderator reads it

  tx::VisibilityChange approve;
  approve.comment = CommentReview::kApproved;
  approve.now = kT0 + 6;
  ASSERT_TRUE(tx::SetVisibility(*store_, c.id, IdOf(*store_, a), approve));
  tx::VisibilityChange reject;
  reject.comment = CommentReview::kHidden;
  reject.now = kT0 + 6;
  ASSERT_TRUE(tx::SetVisibility(*store_, c.id, IdOf(*store_, b), reject));
  EXPECT_TRUE(tx::AwaitingComments(*store_, c.id, 10)->empty());
  auto sa = store_->GetSignatureByUuid(a);
  auto sb = store_->GetSignatureByUuid(b);
  EXPECT_FALSE(sa->form.comment.empty());
  EXPECT_EQ(sb->form.comment, "");
  // Off again: a comment never reviewed shows; a rejected one stays hidden.
  ASSERT_TRUE(tx::SetCommentApproval(*store_, c.id, false, kT0 + 7));
  const std::string d = MustSign(NewSig(c.id, "d@example.org", kT0 + 8, true));
  EXPECT_FALSE(store_->GetSignatureByUuid(d)->form.comment.empty());
  EXPECT_EQ(store_->GetSignatureByUuid(b)->form.comment, "");
}

TEST_P(StoreTest, InvalidatedSignaturesLeaveEveryCountListAndExportWithALeaf) {
  Campaign c = MustCreate("fraud");
  std::vector<std::string> flood;
  std::string pending_token_hash;
  for (int i = 0; i < 4; ++i) {
    NewSignature s = NewSig(c.id, "f" + std::to_string(i) + "@flood.example", kT0, i < 3);
    s.client_net = "198.51.100.0/24";
    flood.push_back(MustSign(s));
    if (i == 3) pending_token_hash = s.token_hash;
  }
  const std::string real = MustSign(NewSig(c.id, "real@example.org", kT0, true));
  ExpectCounts(CountsOf(c.id), 1, 4, 0);
  const std::size_t leaves_before = ReadLog(*store_).leaves.size();

  tx::Invalidation inv{"operator", "a flood", true, kT0 + 100};
  auto stale = tx::InvalidateMatching(*store_, c.id, RangeFilter("198.51.100.0/24"), 3, inv);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Code::kConflict);
  ExpectCounts(CountsOf(c.id), 1, 4, 0);

  auto r = tx::InvalidateMatching(*store_, c.id, RangeFilter("198.51.100.0/24"), 4, inv);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->uuids.size(), 4u);
  EXPECT_EQ(r->confirmed, 3);
  EXPECT_EQ(r->notified, 4);
  ExpectCounts(r->counts, 0, 1, 0);
  ExpectCounts(CountsOf(c.id), 0, 1, 0);
  Open();  // and after a restart
  ExpectCounts(CountsOf(c.id), 0, 1, 0);

  // Every list, export and the public signers leave them out.
  auto list = store_->ListSignatures(c.id, {}, Page{1, 50});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 1);
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].uuid, real);
  TimeFilter since;
  since.modified_after = kT0 - 1;
  auto filtered = store_->ListSignatures(c.id, since, Page{1, 50});
  ASSERT_TRUE(filtered);
  EXPECT_EQ(filtered->total, 1);
  auto exported = Confirmed(*store_, c.id);
  ASSERT_EQ(exported.size(), 1u);
  EXPECT_EQ(exported[0].uuid, real);
  auto recent = store_->RecentPublicSigners(c.id, 10);
  ASSERT_EQ(recent->size(), 1u);
  auto one = store_->GetSignatureByUuid(flood[0]);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->state, SignatureState::kInvalidated);

  // The log: three "invalidate" leaves, and its recount is the stored count.
  auto log = ReadLog(*store_);
  ASSERT_EQ(log.leaves.size(), leaves_before + 3);
  log::LeafCounts recount;
  for (const log::Leaf& l : log.leaves) recount.Add(l);
  EXPECT_EQ(recount.by_campaign[c.uuid], 1);
  EXPECT_EQ(log.leaves.back().event, log::LeafEvent::kInvalidate);
  auto head = store_->GetLogHead();
  ASSERT_TRUE(head);
  for (const auto& cc : head->counts) {
    if (cc.campaign_id == c.id) {
      EXPECT_EQ(cc.confirmed, 1);
    }
  }

  // The signers were told (one mail each), and what is kept says who and why.
  int told = 0;
  auto due = store_->DueOutbox(kT0 + 200, 100);
  ASSERT_TRUE(due);
  for (const OutboxMessage& m : *due) told += m.kind == "invalidated";
  EXPECT_EQ(told, 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE state = 'invalidated' AND "
                     "invalidated_by = 'operator' AND invalidation_reason = 'a flood'"),
            4);

  // A link of an invalidated signature confirms and withdraws nothing; signing again changes
  // nothing.
  auto confirm = tx::Confirm(*store_, pending_token_hash, kT0 + 300);
  ASSERT_FALSE(confirm);
  EXPECT_EQ(confirm.error().code, Code::kConflict);
  auto withdraw = tx::Withdraw(*store_, pending_token_hash, kT0 + 300);
  ASSERT_FALSE(withdraw);
  EXPECT_EQ(withdraw.error().code, Code::kConflict);
  NewSignature again = NewSig(c.id, "f0@flood.example", kT0 + 400, true);
  auto re = tx::Sign(*store_, again);
  ASSERT_TRUE(re) << re.error().message;
  EXPECT_EQ(re->signature.state, SignatureState::kInvalidated);
  ExpectCounts(CountsOf(c.id), 0, 1, 0);

  // One more, singly; invalidating it again changes nothing.
  auto single = tx::Invalidate(*store_, c.id, IdOf(*store_, real), inv);
  ASSERT_TRUE(single) << single.error().message;
  EXPECT_EQ(single->uuids.size(), 1u);
  ExpectCounts(single->counts, 0, 0, 0);
  auto twice = tx::Invalidate(*store_, c.id, IdOf(*store_, real), inv);
  ASSERT_TRUE(twice);
  EXPECT_TRUE(twice->uuids.empty());
}

}  // namespace
}  // namespace undersigned::store::conformance
