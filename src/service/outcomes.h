// OutcomeScheduler: decides, on time, the campaigns whose threshold deadline has passed (a
// campaign with a threshold fails when its deadline comes before the threshold is reached;
// Campaign::threshold). Nobody has to visit the site: a thread sleeps until the earliest
// undecided deadline, asks the store to decide everything due (the store records the outcome and
// queues the outcome mail in one transaction, so each is told exactly once, even across
// restarts), then refreshes the campaign snapshots and wakes the mailer. Success needs no
// scheduler: the write that reaches the threshold records it.
//
// Ownership: borrows the Store, CampaignService and Clock (they must outlive it); owns its
// thread, which Stop() (or the destructor) joins. Thread-safety: every method may be called
// from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "service/campaigns.h"
#include "store/store.h"

namespace undersigned::service {

class OutcomeScheduler {
 public:
  // The longest the thread sleeps without looking again (a campaign created or edited by the
  // CLI, in another process, may bring a deadline closer).
  static constexpr int kMaxSleepSeconds = 5;

  OutcomeScheduler(Store& store, CampaignService& campaigns, const Clock& clock,
                   std::function<void()> wake_mailer);
  ~OutcomeScheduler();
  OutcomeScheduler(const OutcomeScheduler&) = delete;
  OutcomeScheduler& operator=(const OutcomeScheduler&) = delete;

  // Decides every campaign due at the clock's now; returns how many it decided.
  Result<int> RunDue();

  // Runs RunDue now (deadlines passed while the server was down), then on time in a thread.
  void Start();
  void Stop();
  // Looks at the deadlines again at once (e.g. after a campaign was created or edited here).
  void Poke();

 private:
  void Loop();

  Store& store_;
  CampaignService& campaigns_;
  const Clock& clock_;
  std::function<void()> wake_mailer_;

  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  bool poked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace undersigned::service
