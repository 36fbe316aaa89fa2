// Store conformance: updates to signers (who receives them, batches, the cursor that makes each
// signer queued once, scheduling, counts), unsubscribes and deliveries to targets
// (store/outreach_store.h), on every backend.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

// The outbox messages of one kind, unsent, in id order.
std::vector<OutboxMessage> Queued(Store& store, const std::string& kind) {
  std::vector<OutboxMessage> out;
  auto due = store.DueOutbox(kOutboxNever - 1, 100000);
  EXPECT_TRUE(due);
  for (auto& m : *due) {
    if (m.kind == kind) out.push_back(m);
  }
  return out;
}

class Signed {
 public:
  Signed(Store& store, std::atomic<int>& counter) : store_(store), counter_(counter) {}
  Signature Sign(std::int64_t campaign_id, const std::string& email, bool confirmed, bool updates,
                 Protection protection = Protection::kNone) {
    NewSignature s = SampleSignature(campaign_id, email, kT0, confirmed, ++counter_);
    s.form.wants_updates = updates;
    s.form.protection = protection;
    if (protection == Protection::kSealed) s.form.seal_threshold = 5;
    auto r = tx::Sign(store_, s);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->signature : Signature{};
  }

 private:
  Store& store_;
  std::atomic<int>& counter_;
};

TEST_P(StoreTest, AnUpdateReachesEachConfirmedSignerWhoAskedOnceInBatches) {
  Campaign c = MustCreate("updates");
  Campaign other = MustCreate("other-updates");
  Signed s(*store_, counter_);
  const Signature wants = s.Sign(c.id, "wants@example.org", true, true);
  s.Sign(c.id, "quiet@example.org", true, false);    // did not ask
  s.Sign(c.id, "pending@example.org", false, true);  // not confirmed
  const Signature sealed = s.Sign(c.id, "sealed@example.org", true, true, Protection::kSealed);
  const Signature leaver = s.Sign(c.id, "leaver@example.org", true, true);
  s.Sign(other.id, "elsewhere@example.org", true, true);  // another campaign

  OutreachStore& o = store_->outreach();
  ASSERT_EQ(o.CountUpdateRecipients(c.id).value(), 3);
  auto first = o.Unsubscribe(c.id, leaver.person_id, std::nullopt, kT0);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  EXPECT_FALSE(o.Unsubscribe(c.id, leaver.person_id, std::nullopt, kT0).value());
  EXPECT_TRUE(o.IsUnsubscribed(c.id, leaver.person_id).value());
  EXPECT_FALSE(o.IsUnsubscribed(other.id, leaver.person_id).value());
  EXPECT_EQ(o.CountUpdateRecipients(c.id).value(), 2);

  auto u = o.CreateUpdate(NewUpdate{c.id, "update", "News", "We *met* them.", std::nullopt, kT0});
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->state, UpdateState::kDraft);
  EXPECT_EQ(u->kind, "update");
  EXPECT_FALSE(u->author_user_id);
  EXPECT_FALSE(o.EnqueueUpdateBatch(u->id, kT0 + 1000, 10).value().ran);  // a draft is not due
  auto edited = o.EditUpdate(u->id, "Big news", "We met them.", kT0 + 1);
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->subject, "Big news");
  // Scheduled, then called off before it is due: a draft again, due never; then scheduled again.
  EXPECT_EQ(o.UnscheduleUpdate(u->id, kT0 + 2).error().code, Code::kConflict);  // a draft
  ASSERT_TRUE(o.ScheduleUpdate(u->id, kT0 + 50, kT0 + 2));
  auto unscheduled = o.UnscheduleUpdate(u->id, kT0 + 2);
  ASSERT_TRUE(unscheduled) << unscheduled.error().message;
  EXPECT_EQ(unscheduled->state, UpdateState::kDraft);
  EXPECT_FALSE(unscheduled->send_at.has_value());
  EXPECT_TRUE(o.DueUpdates(kT0 + 1000).value().empty());
  EXPECT_FALSE(o.NextUpdateAt().value().has_value());
  EXPECT_FALSE(o.EnqueueUpdateBatch(u->id, kT0 + 1000, 10).value().ran);
  EXPECT_EQ(o.UnscheduleUpdate(u->id + 1000, kT0).error().code, Code::kNotFound);
  auto scheduled = o.ScheduleUpdate(u->id, kT0 + 100, kT0 + 2);
  ASSERT_TRUE(scheduled) << scheduled.error().message;
  EXPECT_EQ(scheduled->state, UpdateState::kScheduled);
  EXPECT_EQ(o.NextUpdateAt().value(), kT0 + 100);
  EXPECT_TRUE(o.DueUpdates(kT0 + 99).value().empty());
  EXPECT_FALSE(o.EnqueueUpdateBatch(u->id, kT0 + 99, 10).value().ran);
  EXPECT_EQ(o.DueUpdates(kT0 + 100).value(), std::vector<std::int64_t>{u->id});

  // Batches of one: two recipients, then an empty batch that finishes it.
  auto b1 = o.EnqueueUpdateBatch(u->id, kT0 + 100, 1);
  ASSERT_TRUE(b1) << b1.error().message;
  EXPECT_TRUE(b1->ran);
  EXPECT_EQ(b1->queued, 1);
  EXPECT_FALSE(b1->finished);
  EXPECT_EQ(o.GetUpdate(u->id)->state, UpdateState::kSending);
  EXPECT_EQ(o.EditUpdate(u->id, "x", "y", kT0).error().code, Code::kConflict);
  EXPECT_EQ(o.ScheduleUpdate(u->id, kT0, kT0).error().code, Code::kConflict);
  EXPECT_EQ(o.UnscheduleUpdate(u->id, kT0).error().code, Code::kConflict);  // being sent
  Open();  // a restart between batches resumes after the last committed one
  OutreachStore& o2 = store_->outreach();
  auto b2 = o2.EnqueueUpdateBatch(u->id, kT0 + 101, 1);
  ASSERT_TRUE(b2) << b2.error().message;
  EXPECT_EQ(b2->queued, 1);
  EXPECT_FALSE(b2->finished);
  auto b3 = o2.EnqueueUpdateBatch(u->id, kT0 + 102, 1);
  ASSERT_TRUE(b3) << b3.error().message;
  EXPECT_TRUE(b3->ran);
  EXPECT_EQ(b3->queued, 0);
  EXPECT_TRUE(b3->finished);
  auto sent = o2.GetUpdate(u->id);
  EXPECT_EQ(sent->state, UpdateState::kSent);
  EXPECT_EQ(sent->finished, kT0 + 102);
  EXPECT_FALSE(o2.EnqueueUpdateBatch(u->id, kT0 + 103, 10).value().ran);
  EXPECT_TRUE(o2.DueUpdates(kT0 + 1000).value().empty());
  EXPECT_FALSE(o2.NextUpdateAt().value());

  // The outbox holds no address: the renderer asks for it at send time (a sealed one opened).
  auto mails = Queued(*store_, "update");
  ASSERT_EQ(mails.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : mails) {
    EXPECT_EQ(m.recipient, "");
    auto p = nlohmann::json::parse(m.payload);
    EXPECT_EQ(p.at("update_id"), u->id);
    auto a = o2.GetUpdateAddress(p.at("signature_id").get<std::int64_t>());
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->campaign_id, c.id);
    to.insert(a->email);
  }
  EXPECT_EQ(to, (std::set<std::string>{"wants@example.org", "sealed@example.org"}));
  EXPECT_EQ(o2.GetUpdateAddress(sealed.id)->person_id, sealed.person_id);
  EXPECT_EQ(o2.GetUpdateAddress(wants.id)->person_id, wants.person_id);

  auto counts = o2.GetUpdateCounts(u->id);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->queued, 2);
  EXPECT_EQ(counts->sent, 0);
  ASSERT_TRUE(store_->MarkOutboxSent(mails[0].id, kT0 + 200));
  ASSERT_TRUE(store_->MarkOutboxFailed(mails[1].id, kT0 + 300, "421 try later"));
  ASSERT_TRUE(o2.Unsubscribe(c.id, wants.person_id, u->id, kT0 + 400).value());
  counts = o2.GetUpdateCounts(u->id);
  EXPECT_EQ(counts->queued, 2);
  EXPECT_EQ(counts->sent, 1);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->unsubscribed, 1);
  EXPECT_EQ(o2.CountUpdateRecipients(c.id).value(), 1);

  auto list = o2.ListUpdates(c.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(o2.ListUpdates(other.id)->empty());
  EXPECT_EQ(o2.GetUpdate(u->id + 1000).error().code, Code::kNotFound);
  EXPECT_EQ(o2.EditUpdate(u->id + 1000, "x", "y", kT0).error().code, Code::kNotFound);
}

TEST_P(StoreTest, ADeliveryIsRecordedWithOneMailPerTarget) {
  Campaign c = MustCreate("delivered");
  OutreachStore& o = store_->outreach();
  NewDelivery d;
  d.record.campaign_id = c.id;
  d.record.recipients = {"ceo@example.com", "board@example.com"};
  d.record.checkpoint_size = 42;
  d.record.checkpoint_hash = std::string(64, 'a');
  d.record.confirmed = 17;
  d.record.letter_json = R"({"title":"T"})";
  d.now = kT0 + 5;
  auto rec = o.RecordDelivery(d);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_GT(rec->id, 0);
  EXPECT_EQ(rec->created, kT0 + 5);
  EXPECT_EQ(rec->recipients, d.record.recipients);
  EXPECT_FALSE(rec->user_id);
  auto mails = Queued(*store_, "delivery");
  ASSERT_EQ(mails.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : mails) {
    to.insert(m.recipient);
    EXPECT_EQ(nlohmann::json::parse(m.payload).at("delivery_id"), rec->id);
  }
  EXPECT_EQ(to, (std::set<std::string>{"ceo@example.com", "board@example.com"}));
  d.now = kT0 + 6;
  d.record.recipients = {"ceo@example.com"};
  // Each delivery moves the campaign's modified by a second at least, also two within one
  // second: another process's Refresh (which looks for newer modified dates) sees each.
  const UnixTime before = store_->GetCampaignById(d.record.campaign_id)->modified;
  auto second = o.RecordDelivery(d);
  ASSERT_TRUE(second);
  const UnixTime after_second = store_->GetCampaignById(d.record.campaign_id)->modified;
  EXPECT_GT(after_second, before);
  auto third = o.RecordDelivery(d);  // the same second again
  ASSERT_TRUE(third);
  EXPECT_GT(store_->GetCampaignById(d.record.campaign_id)->modified, after_second);
  Open();
  auto got = store_->outreach().GetDelivery(rec->id);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->checkpoint_size, 42u);
  EXPECT_EQ(got->checkpoint_hash, std::string(64, 'a'));
  EXPECT_EQ(got->confirmed, 17);
  EXPECT_EQ(got->letter_json, R"({"title":"T"})");
  auto list = store_->outreach().ListDeliveries(c.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, third->id);  // newest first
  EXPECT_EQ((*list)[1].id, second->id);
  EXPECT_EQ(store_->outreach().GetDelivery(third->id + 100).error().code, Code::kNotFound);
}

}  // namespace
}  // namespace undersigned::store::conformance
