// OutcomeScheduler and threshold success against a real SQLite store: a campaign succeeds the
// moment its threshold is reached (the snapshot shows it, the mail is queued), and fails when
// its deadline passes with nobody signing or visiting, decided by the scheduler's own thread.
#include "service/outcomes.h"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class OutcomesTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    campaigns_->SetListener([this](const std::shared_ptr<const CampaignSnapshot>& snap) {
      std::lock_guard lk(mu_);
      last_outcome_ = snap->campaign.outcome;
      cv_.notify_all();
    });
    Campaign c = OpenCampaign("go-or-no-go", "Only if 3 sign");
    c.threshold = 3;
    c.deadline = clock_.Now() + 3600;
    c.organizers = {"organizer@example.org"};
    Create(c);
  }

  void Sign(const std::string& email) { SignTrusted("go-or-no-go", email); }

  int OutcomeMails() {
    auto due = store_->DueOutbox(clock_.Now() + 86400, 1000);
    EXPECT_TRUE(due);
    int n = 0;
    for (const auto& m : *due) n += m.kind == "outcome";
    return n;
  }

  CampaignOutcome Outcome() { return campaigns_->Snapshot("go-or-no-go")->campaign.outcome; }

  std::mutex mu_;
  std::condition_variable cv_;
  CampaignOutcome last_outcome_ = CampaignOutcome::kPending;
};

TEST_F(OutcomesTest, ReachingTheThresholdShowsAtOnceAndMailsOnce) {
  Sign("a@example.org");
  Sign("b@example.org");
  EXPECT_EQ(Outcome(), CampaignOutcome::kPending);
  const int wakes = wakes_;
  Sign("c@example.org");
  EXPECT_EQ(Outcome(), CampaignOutcome::kSucceeded);  // no waiting for a refresh
  EXPECT_GT(wakes_, wakes);                           // the mailer was told
  EXPECT_EQ(OutcomeMails(), 4);                       // three signers, one organizer
  Sign("d@example.org");
  EXPECT_EQ(OutcomeMails(), 4);
  OutcomeScheduler scheduler(*store_, *campaigns_, clock_, nullptr);
  clock_.Advance(7200);
  EXPECT_EQ(scheduler.RunDue().value(), 0);
  EXPECT_EQ(Outcome(), CampaignOutcome::kSucceeded);
}

TEST_F(OutcomesTest, TheDeadlinePassesWithNobodyVisiting) {
  Sign("a@example.org");
  OutcomeScheduler scheduler(*store_, *campaigns_, clock_, [this] { ++wakes_; });
  scheduler.Start();
  EXPECT_EQ(Outcome(), CampaignOutcome::kPending);
  clock_.Advance(3600);  // the deadline, to the second
  scheduler.Poke();      // (a real clock needs no poke: the thread sleeps until the deadline)
  {
    std::unique_lock lk(mu_);
    ASSERT_TRUE(cv_.wait_for(lk, std::chrono::seconds(10),
                             [&] { return last_outcome_ == CampaignOutcome::kFailed; }));
  }
  EXPECT_EQ(Outcome(), CampaignOutcome::kFailed);
  EXPECT_EQ(OutcomeMails(), 2);  // the signer and the organizer
  scheduler.Stop();              // (joins the thread: its RunDue has finished)
  EXPECT_GT(wakes_.load(), 0);
  // Restarting decides nothing again.
  OutcomeScheduler again(*store_, *campaigns_, clock_, nullptr);
  EXPECT_EQ(again.RunDue().value(), 0);
  EXPECT_EQ(OutcomeMails(), 2);
}

TEST_F(OutcomesTest, TheSchedulerThreadWakesAtTheDeadlineByItself) {
  // A real clock: the deadline is a second away; nothing pokes the scheduler.
  Clock& real = Clock::System();
  CampaignService campaigns(*store_, real);
  ASSERT_TRUE(campaigns.Load());
  Campaign c;
  c.slug = "soon";
  c.title = "Soon";
  c.targets.push_back(Target{"The CEO", "", "", "", "", "", ""});
  c.goal = 10;
  c.threshold = 100;
  c.deadline = real.Now() + 1;
  c.status = CampaignStatus::kOpen;
  ASSERT_TRUE(campaigns.Create(c));
  std::mutex mu;
  std::condition_variable cv;
  bool failed = false;
  campaigns.SetListener([&](const std::shared_ptr<const CampaignSnapshot>& snap) {
    std::lock_guard lk(mu);
    if (snap->campaign.slug == "soon" && snap->campaign.outcome == CampaignOutcome::kFailed) {
      failed = true;
      cv.notify_all();
    }
  });
  OutcomeScheduler scheduler(*store_, campaigns, real, nullptr);
  scheduler.Start();
  std::unique_lock lk(mu);
  EXPECT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return failed; }));
  lk.unlock();
  scheduler.Stop();
}

}  // namespace
}  // namespace undersigned::service
