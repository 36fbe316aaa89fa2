// Store conformance: Campaign outcomes: thresholds reached in a write, deadlines decided once.
#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
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

TEST_P(StoreTest, ReachingTheThresholdSucceedsOnceAndTellsEveryoneOnce) {
  Campaign c = NewCampaign("threshold");
  c.threshold = 3;
  c.organizers = {"org1@example.org", "org2@example.org"};
  c = store_->CreateCampaign(c).value();
  EXPECT_EQ(c.outcome, CampaignOutcome::kPending);
  NewSignature pending = NewSig(c.id, "pending@example.org");
  ASSERT_TRUE(tx::Sign(*store_, pending));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "a@example.org", kT0, true)));
  auto second = tx::Sign(*store_, NewSig(c.id, "b@example.org", kT0, true));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->campaign_decided);
  EXPECT_TRUE(OutcomeMails(*store_).empty());
  // The third confirmation (through a confirm link) reaches it.
  auto third = tx::Confirm(*store_, pending.token_hash, kT0 + 60);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->campaign_decided);
  EXPECT_EQ(third->campaign.outcome, CampaignOutcome::kSucceeded);
  auto stored = store_->GetCampaignById(c.id).value();
  EXPECT_EQ(stored.outcome, CampaignOutcome::kSucceeded);
  EXPECT_EQ(stored.outcome_at, kT0 + 60);

  auto mails = OutcomeMails(*store_);
  ASSERT_EQ(mails.size(), 5u);  // three signers, two organizers
  for (const char* who : {"pending@example.org", "a@example.org", "b@example.org"}) {
    ASSERT_EQ(mails.count(who), 1u) << who;
    auto m = mails.find(who)->second;
    EXPECT_EQ(m["outcome"], "succeeded");
    EXPECT_EQ(m["role"], "signer");
    EXPECT_EQ(m["campaign_slug"], "threshold");
    EXPECT_EQ(m["threshold"], 3);
    EXPECT_EQ(m["confirmed"], 3);
  }
  EXPECT_EQ(mails.find("org1@example.org")->second["role"], "organizer");

  // Later signers and withdrawals change nothing: no second decision, no more mail.
  auto fourth = tx::Sign(*store_, NewSig(c.id, "late@example.org", kT0 + 70, true));
  ASSERT_TRUE(fourth);
  EXPECT_FALSE(fourth->campaign_decided);
  ASSERT_TRUE(tx::Withdraw(*store_, pending.token_hash, kT0 + 80));
  EXPECT_EQ(OutcomeMails(*store_).size(), 5u);
  EXPECT_EQ(tx::DecideDueCampaigns(*store_, kT0 + 10 * 86400).value(), 0);
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kSucceeded);
  // Editing the campaign keeps the outcome.
  stored.title = "Edited";
  stored.outcome = CampaignOutcome::kPending;
  auto edited = store_->UpdateCampaign(stored);
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->outcome, CampaignOutcome::kSucceeded);
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kSucceeded);
}

TEST_P(StoreTest, ADeadlinePassedFailsTheCampaignOnceEvenAcrossARestart) {
  Campaign c = NewCampaign("too-few");
  c.threshold = 5;
  c.deadline = kT0 + 3600;
  c.organizers = {"org@example.org"};
  c = store_->CreateCampaign(c).value();
  Campaign other = NewCampaign("no-threshold");
  other.deadline = kT0 + 60;
  ASSERT_TRUE(store_->CreateCampaign(other));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "a@example.org", kT0, true)));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "b@example.org", kT0, true)));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "pending@example.org", kT0)));

  EXPECT_EQ(store_->NextOutcomeDeadline().value(), kT0 + 3600);
  EXPECT_EQ(tx::DecideDueCampaigns(*store_, kT0 + 3599).value(), 0);
  EXPECT_EQ(tx::DecideDueCampaigns(*store_, kT0 + 3600).value(), 1);
  auto failed = store_->GetCampaignById(c.id).value();
  EXPECT_EQ(failed.outcome, CampaignOutcome::kFailed);
  auto mails = OutcomeMails(*store_);
  ASSERT_EQ(mails.size(), 3u);  // the two confirmed signers and the organizer; not the pending
  EXPECT_EQ(mails.count("pending@example.org"), 0u);
  EXPECT_EQ(mails.find("a@example.org")->second["outcome"], "failed");
  EXPECT_EQ(mails.find("a@example.org")->second["confirmed"], 2);
  EXPECT_FALSE(store_->NextOutcomeDeadline().value().has_value());

  Open();  // a restart decides nothing again
  EXPECT_EQ(tx::DecideDueCampaigns(*store_, kT0 + 7200).value(), 0);
  EXPECT_EQ(OutcomeMails(*store_).size(), 3u);
  // A confirmation after the failure does not turn it into a success.
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "c@example.org", kT0 + 7200, true)));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "d@example.org", kT0 + 7200, true)));
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "e@example.org", kT0 + 7200, true)));
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kFailed);
  EXPECT_EQ(OutcomeMails(*store_).size(), 3u);
}

// A job that moved counts and decided a campaign, then failed, leaves no trace for the other
// jobs of its batch (nor in the store): they see the counts and the outcome as they were.
TEST_P(StoreTest, AFailedJobsCountsAndOutcomeAreNotSeenByTheRestOfItsBatch) {
  Campaign c = NewCampaign("undone");
  c.threshold = 1;
  c = store_->CreateCampaign(c).value();
  // Holds the writer for a moment, so that the next two jobs are queued into one batch.
  class Blocker final : public WriteJob {
   public:
    bool Run(WriteTx&) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return true;
    }
    void Finish(std::optional<Error>) override { done.set_value(); }
    std::promise<void> done;
  };
  class Failing final : public WriteJob {
   public:
    explicit Failing(std::int64_t id) : id_(id) {}
    bool Run(WriteTx& tx) override {
      if (!tx.Counts(id_)) return false;
      CountsDelta d;
      d.confirmed = 5;
      tx.MoveCounts(id_, d);
      (void)tx.RecordOutcome(id_, CampaignOutcome::kSucceeded, kT0);
      return false;
    }
    void Finish(std::optional<Error>) override { done.set_value(); }
    std::promise<void> done;

   private:
    std::int64_t id_;
  };
  class Reader final : public WriteJob {
   public:
    explicit Reader(std::int64_t id) : id_(id) {}
    bool Run(WriteTx& tx) override {
      auto counts = tx.Counts(id_);
      auto campaign = tx.CampaignById(id_);
      if (!counts || !campaign) return false;
      confirmed = counts->confirmed;
      outcome = (*campaign)->outcome;
      return true;
    }
    void Finish(std::optional<Error> e) override {
      ok = !e;
      done.set_value();
    }
    std::promise<void> done;
    std::int64_t confirmed = -1;
    CampaignOutcome outcome = CampaignOutcome::kFailed;
    bool ok = false;

   private:
    std::int64_t id_;
  };
  Blocker blocker;
  Failing failing(c.id);
  Reader reader(c.id);
  store_->Submit(&blocker);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  store_->Submit(&failing);
  store_->Submit(&reader);
  blocker.done.get_future().wait();
  failing.done.get_future().wait();
  reader.done.get_future().wait();
  EXPECT_TRUE(reader.ok);
  EXPECT_EQ(reader.confirmed, 0);
  EXPECT_EQ(reader.outcome, CampaignOutcome::kPending);
  EXPECT_EQ(CountsOf(c.id).confirmed, 0);
  EXPECT_EQ(store_->GetCampaignById(c.id)->outcome, CampaignOutcome::kPending);
}

}  // namespace
}  // namespace undersigned::store::conformance
