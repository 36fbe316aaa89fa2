#include "service/outcomes.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "service/tx/scripts.h"

namespace undersigned::service {

OutcomeScheduler::OutcomeScheduler(Store& store, CampaignService& campaigns, const Clock& clock,
                                   std::function<void()> wake_mailer)
    : store_(store), campaigns_(campaigns), clock_(clock), wake_mailer_(std::move(wake_mailer)) {}

OutcomeScheduler::~OutcomeScheduler() { Stop(); }

Result<int> OutcomeScheduler::RunDue() {
  auto decided = tx::DecideDueCampaigns(store_, clock_.Now());
  if (!decided) return decided;
  if (*decided > 0) {
    spdlog::info("outcomes: decided {} campaign(s) whose deadline passed", *decided);
    if (auto r = campaigns_.Refresh(); !r) {
      spdlog::warn("outcomes: refreshing campaigns: {}", r.error().message);
    }
    if (wake_mailer_) wake_mailer_();
  }
  return decided;
}

void OutcomeScheduler::Start() {
  if (auto r = RunDue(); !r) spdlog::error("outcomes: {}", r.error().message);
  std::lock_guard lk(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void OutcomeScheduler::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutcomeScheduler::Poke() {
  {
    std::lock_guard lk(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void OutcomeScheduler::Loop() {
  for (;;) {
    // Sleep until the next deadline (a deadline is due once now >= deadline), or at most
    // kMaxSleepSeconds.
    int wait = kMaxSleepSeconds;
    auto next = store_.NextOutcomeDeadline();
    if (!next) {
      spdlog::warn("outcomes: {}", next.error().message);
    } else if (*next) {
      wait = static_cast<int>(std::clamp<UnixTime>(**next - clock_.Now(), 0, wait));
    }
    {
      std::unique_lock lk(mu_);
      if (wait > 0) {
        cv_.wait_for(lk, std::chrono::seconds(wait), [&] { return poked_ || stop_; });
      }
      if (stop_) return;
      poked_ = false;
    }
    if (auto r = RunDue(); !r) spdlog::error("outcomes: {}", r.error().message);
  }
}

}  // namespace undersigned::service
