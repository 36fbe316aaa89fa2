// Updates to signers (issue 13, part 7): an organizer writes an update in Markdown, previews it,
// sends a test to themselves, then sends it now or at a set time to every confirmed signer who
// asked for updates and has not unsubscribed (sealed and anonymous signers included: their
// address is opened only when their mail is rendered, never shown). Every mail carries a
// one-click unsubscribe link (RFC 8058) that works without signing in.
//
// The pieces, each narrow:
//   UpdateService     the organizer's use cases (authorized through AccountService and recorded
//                     in the action record), for the CLI and the console alike.
//   UpdateScheduler   a thread that sends due updates on time, whether or not anyone visits
//                     (as OutcomeScheduler decides thresholds), batch by batch.
//   UnsubscribeLinks  the links' tokens: an HMAC-SHA-256 (libsodium) of campaign, person and
//                     update under the instance secret "unsubscribe-key", so that a token
//                     cannot be guessed or changed to unsubscribe someone else, and nothing is
//                     stored per mail.
//   UpdateMailRenderer  renders an outbox row of kind "update" or "update_test" at send time.
//
// Sending: Send schedules the update (now, or at a time); the scheduler then queues its mail
// through OutreachStore::EnqueueUpdateBatch, batch_size recipients per transaction (a 100,000
// recipient update never holds one long transaction), each batch moving the update's cursor in
// the same transaction, so an update goes to each signer once across restarts and on several
// nodes (store/outreach_store.h). Throttle: one update queues at most per_second messages a
// second on average (the scheduler waits batch_size / per_second seconds after a full batch);
// the outbox sender then sends them as they come.
//
// Thread-safety: every method may be called from any thread. Holds references to the store,
// the account service and the clock, which must outlive it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "service/accounts.h"
#include "store/store.h"

namespace undersigned::service {

inline constexpr std::size_t kMaxUpdateSubjectBytes = 200;
inline constexpr std::size_t kMaxUpdateBodyBytes = 50'000;

struct UpdateOptions {
  int batch_size = 200;    // recipients queued per transaction
  double per_second = 50;  // average queued messages per second per update; 0: no limit
};

// The unsubscribe link's token, made and checked. Thread-safe once made.
class UnsubscribeLinks {
 public:
  // key: 32 bytes (the instance secret "unsubscribe-key").
  explicit UnsubscribeLinks(std::string key) : key_(std::move(key)) {}
  static Result<UnsubscribeLinks> Open(Store& store);

  struct Subject {
    std::int64_t campaign_id = 0;
    std::int64_t person_id = 0;
    std::int64_t update_id = 0;  // 0: none
  };
  // "<campaign>.<person>.<update>.<32 hex digits of the HMAC>": URL-safe as it is.
  std::string Token(const Subject& s) const;
  // kNotFound for a token that is malformed or whose HMAC does not match.
  Result<Subject> Check(std::string_view token) const;

 private:
  std::string Mac(const Subject& s) const;
  std::string key_;
};

// What an organizer sees before sending.
struct UpdatePreview {
  Update update;
  std::string html;             // the body rendered (cmark, safe: no raw HTML)
  std::int64_t recipients = 0;  // who it would reach now
};

struct UpdateSummary {
  Update update;
  UpdateCounts counts;
};

class UpdateService {
 public:
  // wake_scheduler: called after an update is scheduled or a test copy queued (the server pokes
  // the UpdateScheduler and wakes the mail sender); may be empty (the CLI: a running server's
  // scheduler looks again within kMaxSleepSeconds).
  UpdateService(Store& store, AccountService& accounts, const Clock& clock,
                std::function<void()> wake_scheduler = {});

  void SetWake(std::function<void()> wake_scheduler);

  // A new draft. kInvalidArgument (field errors "subject", "body") for an empty or too long
  // subject (or one with a line break), an empty or too long body, invalid UTF-8.
  Result<Update> Draft(const Actor& by, const std::string& slug, const std::string& subject,
                       const std::string& body_markdown);
  // Edits a draft. kConflict once it is scheduled or sent.
  Result<Update> Edit(const Actor& by, std::int64_t id, const std::string& subject,
                      const std::string& body_markdown);
  Result<UpdatePreview> Preview(const Actor& by, std::int64_t id);
  // Queues one copy to `to` (marked as a test, no unsubscribe link): the signed-in author's
  // own address when to is empty (the operator at the CLI must give one).
  Result<void> TestSend(const Actor& by, std::int64_t id, const std::string& to);
  // Schedules the update for at (nullopt: now). A time in the past is refused
  // (kInvalidArgument), as is sending an update twice (kConflict).
  Result<Update> Send(const Actor& by, std::int64_t id, std::optional<UnixTime> at);
  // Calls off a scheduled update before it starts going out: a draft again, editable and
  // sendable later; recorded. kConflict once its first mails are queued (or if not scheduled).
  Result<Update> Unschedule(const Actor& by, std::int64_t id);
  // The campaign's updates, newest first, with their delivery counts.
  Result<std::vector<UpdateSummary>> List(const Actor& by, const std::string& slug);
  Result<UpdateSummary> Get(const Actor& by, std::int64_t id);

  // An announcement made by the system on an organizer's behalf (the "delivered" update): a
  // draft of kind `kind`, scheduled now. REQUIRES: by was authorized by the caller.
  Result<Update> Announce(const Actor& by, std::int64_t campaign_id, const std::string& kind,
                          const std::string& subject, const std::string& body_markdown);

 private:
  Result<Campaign> Authorized(const Actor& by, std::int64_t campaign_id);
  Result<Update> AuthorizedUpdate(const Actor& by, std::int64_t id);
  void Wake();  // calls wake_scheduler, if set

  Store& store_;
  AccountService& accounts_;
  const Clock& clock_;
  std::mutex mu_;
  std::function<void()> wake_;  // guarded by mu_
};

// The one-click unsubscribe, as the public page uses it (http/pages/unsubscribe.h): no session,
// no CSRF token (RFC 8058: the mail client POSTs with no cookies); the token is the proof.
class UnsubscribeService {
 public:
  UnsubscribeService(Store& store, UnsubscribeLinks links, const Clock& clock)
      : store_(store), links_(std::move(links)), clock_(clock) {}
  // The campaign a token is for (to name it on the page). kNotFound for a bad token.
  Result<Campaign> Check(std::string_view token);
  // Unsubscribes the person from the campaign's updates (idempotent). kNotFound for a bad token.
  Result<Campaign> Unsubscribe(std::string_view token);
  const UnsubscribeLinks& links() const { return links_; }

 private:
  Store& store_;
  UnsubscribeLinks links_;
  const Clock& clock_;
};

// A rendered outreach mail, mail-agnostic (app/ maps it to mail::MailMessage).
struct OutreachMail {
  std::string to;  // empty: the outbox row's recipient
  std::string subject;
  std::string text;
  std::string html;
  std::string unsubscribe_url;  // empty: none (a test, a delivery)
  struct Attachment {
    std::string filename, content_type, data;
  };
  std::vector<Attachment> attachments;
};

// Renders "update" and "update_test" rows at send time (reads the update, the campaign and,
// for "update", the signer's address). kInvalidArgument for a row it can never render (unknown
// update or signature: permanent for the sender). Thread-safe.
class UpdateMailRenderer {
 public:
  UpdateMailRenderer(Store& store, const UnsubscribeLinks& links, std::string base_url);
  static bool Handles(const std::string& kind) { return kind == "update" || kind == "update_test"; }
  Result<OutreachMail> Render(const OutboxMessage& m) const;

 private:
  Store& store_;
  const UnsubscribeLinks& links_;
  std::string base_url_;
};

// Sends due updates on time, in a thread of its own (see the header).
class UpdateScheduler {
 public:
  static constexpr int kMaxSleepSeconds = 5;

  UpdateScheduler(Store& store, const Clock& clock, std::function<void()> wake_mailer,
                  UpdateOptions options = {});
  ~UpdateScheduler();
  UpdateScheduler(const UpdateScheduler&) = delete;
  UpdateScheduler& operator=(const UpdateScheduler&) = delete;

  // Queues one batch of every due update; returns how many messages it queued and whether any
  // update has more to queue.
  struct Pass {
    std::int64_t queued = 0;
    bool more = false;
  };
  Result<Pass> RunOnce();
  void Start();
  void Stop();
  void Poke();

 private:
  void Loop();

  Store& store_;
  const Clock& clock_;
  std::function<void()> wake_mailer_;
  const UpdateOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace undersigned::service
