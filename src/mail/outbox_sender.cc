#include "mail/outbox_sender.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

#include <spdlog/spdlog.h>

namespace undersigned::mail {
namespace {

constexpr std::size_t kMaxStoredError = 500;

}  // namespace

std::int64_t OutboxSender::BackoffSeconds(int attempts, const OutboxSenderOptions& options,
                                          double u) {
  std::int64_t first = std::max<std::int64_t>(1, options.first_retry_seconds);
  std::int64_t cap = std::max(first, options.max_retry_seconds);
  std::int64_t delay = first;
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  double jitter = std::clamp(options.jitter, 0.0, 1.0);
  double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(u, 0.0, 1.0);
  auto jittered = static_cast<std::int64_t>(std::llround(static_cast<double>(delay) * factor));
  return std::clamp<std::int64_t>(jittered, 1, cap);
}

OutboxSender::OutboxSender(OutboxStore& store, Mailer& mailer, Renderer renderer, Clock& clock,
                           OutboxSenderOptions options)
    : store_(store),
      mailer_(mailer),
      renderer_(std::move(renderer)),
      clock_(clock),
      options_(options),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {
  options_.batch_size = std::max(1, options_.batch_size);
  options_.store_error_retry_seconds =
      std::max<std::int64_t>(1, options_.store_error_retry_seconds);
  options_.max_sleep_seconds = std::max<std::int64_t>(1, options_.max_sleep_seconds);
}

OutboxSender::~OutboxSender() { Stop(); }

void OutboxSender::Start() {
  std::lock_guard lock(join_mu_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void OutboxSender::Wake() {
  // Called after every signature: cheap when there is nothing to do. During a pause the thread
  // looks again when it ends anyway, and a wake-up already pending covers this one too.
  if (clock_.Now() < pause_end_.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(mu_);
    if (woken_) return;
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::lock_guard lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

OutboxSender::Stats OutboxSender::stats() const {
  return Stats{sent_.load(), failed_.load(), dead_.load()};
}

bool OutboxSender::StopRequested() {
  std::lock_guard lock(mu_);
  return stop_;
}

void OutboxSender::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    woken_ = false;
    lock.unlock();

    std::int64_t wait_seconds = 0;
    Result<int> handled = 0;
    if (const UnixTime now = clock_.Now(); now < paused_until_) {
      // Paused by a run of failures: a Wake() only makes the loop look at the clock again.
      wait_seconds = std::min<std::int64_t>(paused_until_ - now, options_.max_sleep_seconds);
    } else if (handled = ProcessBatch(); !handled) {
      spdlog::warn("outbox: store error, retrying in {} s: {}", options_.store_error_retry_seconds,
                   handled.error().message);
      wait_seconds = options_.store_error_retry_seconds;
    } else if (clock_.Now() < paused_until_) {
      wait_seconds =
          std::min<std::int64_t>(paused_until_ - clock_.Now(), options_.max_sleep_seconds);
    } else if (*handled >= options_.batch_size) {
      wait_seconds = 0;  // there may be more due right now
    } else {
      auto next = store_.NextOutboxAttempt();
      if (!next) {
        spdlog::warn("outbox: store error, retrying in {} s: {}",
                     options_.store_error_retry_seconds, next.error().message);
        wait_seconds = options_.store_error_retry_seconds;
      } else if (!next->has_value()) {
        wait_seconds = options_.max_sleep_seconds;
      } else {
        wait_seconds =
            std::clamp<std::int64_t>(**next - clock_.Now(), 0, options_.max_sleep_seconds);
        // Something is due yet this round found nothing to do: do not spin on it.
        if (wait_seconds == 0 && *handled == 0) wait_seconds = 1;
      }
    }

    lock.lock();
    if (stop_) break;
    if (woken_ || wait_seconds == 0) continue;
    cv_.wait_for(lock, std::chrono::seconds(wait_seconds), [this] { return stop_ || woken_; });
  }
}

Result<int> OutboxSender::ProcessBatch() {
  auto due = store_.DueOutbox(clock_.Now(), options_.batch_size);
  if (!due) return Fail(due.error());
  consecutive_temporary_ = 0;  // a run counts different messages of one batch
  int handled = 0;
  for (const OutboxMessage& msg : *due) {
    if (StopRequested()) break;
    if (!ProcessOne(msg)) return Fail(Code::kUnavailable, "could not update the outbox");
    ++handled;
    if (consecutive_temporary_ >= kPauseAfterFailures) {
      double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      std::int64_t pause = BackoffSeconds(consecutive_temporary_ - 1, options_, u);
      paused_until_ = last_failure_ + pause;  // from the failure, not from whenever we got here
      pause_end_.store(paused_until_, std::memory_order_relaxed);
      spdlog::warn("outbox: {} messages in a row failed; pausing delivery for {} s",
                   consecutive_temporary_, pause);
      break;
    }
  }
  return handled;
}

bool OutboxSender::ProcessOne(const OutboxMessage& msg) {
  Result<void> outcome;
  try {
    Result<MailMessage> rendered = renderer_(msg);
    if (rendered) {
      if (rendered->to.empty()) rendered->to = msg.recipient;
      if (rendered->message_id.empty()) {
        rendered->message_id = "outbox." + std::to_string(msg.id) + "." +
                               std::to_string(msg.created) + "@" + MessageIdDomain(*rendered);
      }
      outcome = mailer_.Send(*rendered);
    } else {
      outcome = Fail(rendered.error());
    }
  } catch (const std::exception& e) {
    outcome = Fail(Code::kInternal, std::string("exception: ") + e.what());
  }

  UnixTime now = clock_.Now();
  if (outcome) {
    consecutive_temporary_ = 0;
    ++sent_;
    auto marked = store_.MarkOutboxSent(msg.id, now);
    if (!marked) {
      spdlog::error(
          "outbox: message {} was sent but could not be marked sent ({}); it may be "
          "sent again",
          msg.id, marked.error().message);
      return false;
    }
    spdlog::debug("outbox: sent message {} ({})", msg.id, msg.kind);
    return true;
  }

  ++failed_;
  const Error& error = outcome.error();
  int failures = msg.attempts + 1;
  bool permanent = error.code == Code::kInvalidArgument;
  if (!permanent) ++consecutive_temporary_;
  last_failure_ = now;
  bool dead = permanent ? failures >= options_.max_permanent_attempts
                        : options_.max_temporary_attempts > 0 &&
                              failures >= options_.max_temporary_attempts;
  std::string stored_error = error.message;
  UnixTime next_attempt;
  if (dead) {
    ++dead_;
    next_attempt = kDeadNextAttempt;
    stored_error = "dead: " + stored_error;
    spdlog::error("outbox: giving up on message {} ({}) after {} attempts: {}", msg.id, msg.kind,
                  failures, error.message);
  } else {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    std::int64_t delay = BackoffSeconds(failures, options_, u);
    next_attempt = now + delay;
    spdlog::warn("outbox: message {} ({}) failed ({}{}), attempt {}, retry in {} s", msg.id,
                 msg.kind, permanent ? "permanent: " : "", error.message, failures, delay);
  }
  if (stored_error.size() > kMaxStoredError) stored_error.resize(kMaxStoredError);
  auto marked = store_.MarkOutboxFailed(msg.id, next_attempt, stored_error);
  if (!marked) {
    spdlog::error("outbox: could not record the failure of message {}: {}", msg.id,
                  marked.error().message);
    return false;
  }
  return true;
}

}  // namespace undersigned::mail
