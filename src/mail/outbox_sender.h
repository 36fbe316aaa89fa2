// OutboxSender: the background worker that delivers the transactional outbox. The store
// writes each message in the same transaction as the change that causes it; this thread takes
// due messages, renders them (renderer supplied by app/), sends them through a Mailer and
// marks them sent, or failed with a back-off. Nothing is ever deleted or lost here: a message
// leaves the due set only when the Mailer accepted it or when it is declared dead (below).
//
// Retry policy, per message (attempts = failures so far, kept in the store):
//   * next try after first_retry_seconds * 2^attempts, capped at max_retry_seconds, times a
//     random factor in [1 - jitter, 1 + jitter] so that a backlog does not retry in lockstep;
//     defaults 30 s, 1 min, 2 min, 4 min ... 1 h.
//   * temporary failures (kUnavailable and everything that is not kInvalidArgument: server
//     down, 4xx, timeouts, a store or renderer hiccup) retry without limit by default
//     (max_temporary_attempts = 0): a dead mail server loses nothing.
//   * permanent failures (kInvalidArgument: SMTP 5xx for the recipient, a payload the renderer
//     cannot use, an address the formatter refuses) are retried until the message has failed
//     max_permanent_attempts times in all, in case the server misjudged; then the message is
//     dead: MarkOutboxFailed with next_attempt = kDeadNextAttempt (9999-12-31) and last_error
//     "dead: ...". It stays in the table (and in OutboxDepth) for an operator to inspect;
//     setting next_attempt back to now revives it. The Store has no separate dead state yet.
// A message can be sent twice if the process dies between the server's 250 and
// MarkOutboxSent; each outbox row has a stable Message-ID so mail clients fold such
// duplicates.
//
// A mail server that is down: after kPauseAfterFailures temporary failures in a row within one
// batch (so different messages; one greylisted recipient retrying does not trigger it), the sender
// stops trying the other due messages and pauses delivery for the back-off of that run of failures,
// logging once. Messages it did not try are left untouched (no write, no log line each); they
// go out when the pause ends. A success ends the run.
//
// Waiting: the thread sleeps on a condition variable until the earliest next_attempt (from
// the store, measured with the injected Clock), until Wake() (the service calls it after
// committing a new message), or until Stop(). A sleep never exceeds max_sleep_seconds, a
// guard against wall-clock jumps; it is not polling.
//
// Thread-safety: Start, Wake, Stop and stats may be called from any thread. The store, mailer
// and clock are not owned and must outlive the sender; the renderer is called only from the
// sender's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "mail/mailer.h"
#include "mail/message.h"
#include "store/outbox_store.h"

namespace undersigned::mail {

// The sender reads and marks the outbox through undersigned::OutboxStore (store/outbox_store.h),
// the Store's outbox subject; tests give it a small fake.

// 9999-12-31T23:59:59Z: the next_attempt of a message that will not be retried.
inline constexpr UnixTime kDeadNextAttempt = kOutboxNever;

// Temporary failures in a row after which delivery pauses (see OutboxSender).
inline constexpr int kPauseAfterFailures = 2;

struct OutboxSenderOptions {
  int batch_size = 20;                         // messages fetched per DueOutbox call
  std::int64_t first_retry_seconds = 30;       // delay after the first failure (>= 1)
  std::int64_t max_retry_seconds = 3600;       // cap of the exponential back-off
  double jitter = 0.2;                         // +-20 %; 0 for exact delays in tests
  int max_permanent_attempts = 3;              // dead after this many failures if the last
                                               // one was permanent
  int max_temporary_attempts = 0;              // 0 = retry temporary failures forever
  std::int64_t store_error_retry_seconds = 5;  // wait after the store itself failed
  std::int64_t max_sleep_seconds = 300;        // upper bound of one sleep
  std::uint64_t seed = 0;                      // jitter PRNG seed; 0 = random
};

class OutboxSender {
 public:
  // Turns an outbox row into a message. kInvalidArgument = the row can never be rendered
  // (permanent); any other error is temporary. If the returned message has an empty `to`,
  // the row's recipient is used; an empty message_id gets a stable one for the row.
  using Renderer = std::function<Result<MailMessage>(const OutboxMessage&)>;

  struct Stats {
    std::uint64_t sent = 0;    // messages accepted by the mailer and marked sent
    std::uint64_t failed = 0;  // failed attempts (each retry counts)
    std::uint64_t dead = 0;    // messages given up
  };

  OutboxSender(OutboxStore& store, Mailer& mailer, Renderer renderer, Clock& clock,
               OutboxSenderOptions options = {});
  ~OutboxSender();  // calls Stop()
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  // Starts the thread; it looks at the outbox at once. REQUIRES: not started before.
  void Start();
  // Makes the thread look at the outbox now, unless delivery is paused (then it looks when the
  // pause ends). Cheap; call after committing a message.
  void Wake();
  // Finishes the message in hand (a send can take up to the mailer's timeout), then joins.
  // Idempotent. Unsent messages stay in the outbox for the next start.
  void Stop();

  Stats stats() const;

  // The back-off delay before retry number attempts+1, given the failures so far (>= 1) and a
  // uniform random number u in [0, 1). Public for tests.
  static std::int64_t BackoffSeconds(int attempts, const OutboxSenderOptions& options, double u);

 private:
  void Run();
  // Processes one batch of due messages: the number handled, or the store's error.
  Result<int> ProcessBatch();
  // Renders, sends and marks one message. Returns false if marking failed.
  bool ProcessOne(const OutboxMessage& msg);
  bool StopRequested();
  // Thread-local state of the sender thread (no lock): the current run of temporary failures
  // and the end of a pause it caused.
  int consecutive_temporary_ = 0;
  UnixTime paused_until_ = 0;
  UnixTime last_failure_ = 0;
  std::atomic<UnixTime> pause_end_{0};  // paused_until_, for Wake() on other threads

  OutboxStore& store_;
  Mailer& mailer_;
  Renderer renderer_;
  Clock& clock_;
  OutboxSenderOptions options_;
  std::mt19937_64 rng_;  // used by the sender thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
  std::mutex join_mu_;  // serializes Stop() callers

  std::atomic<std::uint64_t> sent_{0}, failed_{0}, dead_{0};
};

}  // namespace undersigned::mail
