#include "mail/outbox_sender.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "mail/smtp_mailer.h"
#include "mail/test_support.h"

namespace undersigned::mail {
namespace {

using namespace std::chrono_literals;
using testing::ParseEml;
using testing::SmtpSink;
using testing::TempDir;
using testing::TestClock;

constexpr auto kWait = 10s;  // bound on every wait for an event; never reached when passing

// An in-memory outbox with the Store's semantics, observable by tests.
class FakeOutboxStore : public OutboxStore {
 public:
  struct Row {
    OutboxMessage msg;
    bool sent = false;
    UnixTime sent_at = 0;
  };

  void Add(std::int64_t id, UnixTime next_attempt, std::string kind = "confirm") {
    std::lock_guard lock(mu_);
    Row row;
    row.msg.id = id;
    row.msg.kind = std::move(kind);
    row.msg.recipient = "signer" + std::to_string(id) + "@example.com";
    row.msg.payload = R"({"name":"Signer )" + std::to_string(id) + R"("})";
    row.msg.next_attempt = next_attempt;
    row.msg.created = next_attempt;
    rows_[id] = row;
  }

  Result<std::vector<OutboxMessage>> DueOutbox(UnixTime now, int limit) override {
    std::lock_guard lock(mu_);
    ++due_calls_;
    cv_.notify_all();
    if (fail_due_ > 0) {
      --fail_due_;
      return Fail(Code::kUnavailable, "store busy");
    }
    std::vector<OutboxMessage> out;
    for (auto& [id, row] : rows_) {
      if (!row.sent && row.msg.next_attempt <= now && static_cast<int>(out.size()) < limit) {
        out.push_back(row.msg);
      }
    }
    return out;
  }
  Result<void> MarkOutboxSent(std::int64_t id, UnixTime now) override {
    std::lock_guard lock(mu_);
    rows_.at(id).sent = true;
    rows_.at(id).sent_at = now;
    rows_.at(id).msg.payload.clear();
    ++marks_;
    cv_.notify_all();
    return {};
  }
  Result<void> MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                const std::string& error) override {
    std::lock_guard lock(mu_);
    auto& m = rows_.at(id).msg;
    ++m.attempts;
    m.next_attempt = next_attempt;
    m.last_error = error;
    ++marks_;
    cv_.notify_all();
    return {};
  }
  Result<std::optional<UnixTime>> NextOutboxAttempt() override {
    std::lock_guard lock(mu_);
    std::optional<UnixTime> next;
    for (auto& [id, row] : rows_) {
      if (!row.sent && (!next || row.msg.next_attempt < *next)) next = row.msg.next_attempt;
    }
    ++next_calls_;  // the sender calls this at the end of each round, before it sleeps
    cv_.notify_all();
    return next;
  }
  Result<std::int64_t> OutboxDepth() override {
    std::lock_guard lock(mu_);
    std::int64_t n = 0;
    for (auto& [id, row] : rows_) n += row.sent ? 0 : 1;
    return n;
  }

  Row Get(std::int64_t id) {
    std::lock_guard lock(mu_);
    return rows_.at(id);
  }
  int due_calls_unlocked() const { return due_calls_; }  // for WaitFor predicates
  int next_calls() {
    std::lock_guard lock(mu_);
    return next_calls_;
  }
  void FailNextDue(int n) {
    std::lock_guard lock(mu_);
    fail_due_ = n;
  }
  // Waits (bounded) until pred() holds; pred runs under the store's lock.
  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, pred);
  }
  bool WaitSent(std::int64_t id) {
    return WaitFor([&] { return rows_.at(id).sent; });
  }
  bool WaitAttempts(std::int64_t id, int attempts) {
    return WaitFor([&] { return rows_.at(id).msg.attempts >= attempts; });
  }
  // Waits until the sender finished a round that started after this call's snapshot.
  bool WaitRoundsAfter(int snapshot) {
    return WaitFor([&] { return next_calls_ > snapshot; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::int64_t, Row> rows_;
  int due_calls_ = 0;
  int next_calls_ = 0;
  int marks_ = 0;
  int fail_due_ = 0;
};

// Records messages; answers from a script (default success); can hold a send until released.
class FakeMailer : public Mailer {
 public:
  Result<void> Send(const MailMessage& m) override {
    std::unique_lock lock(mu_);
    sent_.push_back(m);
    in_send_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    in_send_ = false;
    if (script_.empty()) return {};
    Result<void> r = script_.front();
    script_.pop_front();
    return r;
  }
  std::string Describe() const override { return "fake"; }

  void Script(std::vector<Result<void>> results) {
    std::lock_guard lock(mu_);
    script_.assign(results.begin(), results.end());
  }
  void AlwaysFail(Code code, int n = 100) {
    std::lock_guard lock(mu_);
    script_.assign(n, Fail(code, "scripted failure"));
  }
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  bool WaitInSend() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return in_send_; });
  }
  std::vector<MailMessage> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<MailMessage> sent_;
  std::deque<Result<void>> script_;
  bool hold_ = false;
  bool in_send_ = false;
};

Result<MailMessage> Render(const OutboxMessage& o) {
  MailMessage m;
  m.from_address = "petitions@example.org";
  m.subject = o.kind == "confirm" ? "Please confirm" : "You already signed";
  m.text_body = "payload " + o.payload + "\n";
  return m;  // `to` left empty: the sender fills in the recipient
}

OutboxSenderOptions ExactOptions() {
  OutboxSenderOptions o;
  o.jitter = 0;
  return o;
}

class OutboxSenderTest : public ::testing::Test {
 protected:
  TestClock clock_{1'700'000'000};
  FakeOutboxStore store_;
  FakeMailer mailer_;
};

TEST_F(OutboxSenderTest, SendsDueMessagesAndMarksThemSent) {
  UnixTime t0 = clock_.Now();
  store_.Add(1, t0 - 5);
  store_.Add(2, t0, "already_signed");
  store_.Add(3, t0 + 60);  // not due yet
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();
  ASSERT_TRUE(store_.WaitSent(1));
  ASSERT_TRUE(store_.WaitSent(2));
  ASSERT_TRUE(store_.WaitRoundsAfter(0));
  EXPECT_FALSE(store_.Get(3).sent);
  EXPECT_EQ(store_.Get(1).sent_at, t0);
  EXPECT_TRUE(store_.Get(1).msg.payload.empty());

  auto sent = mailer_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, "signer1@example.com");
  EXPECT_EQ(sent[0].subject, "Please confirm");
  EXPECT_EQ(sent[0].message_id, "outbox.1." + std::to_string(t0 - 5) + "@example.org");
  EXPECT_EQ(sent[1].to, "signer2@example.com");
  EXPECT_EQ(sent[1].subject, "You already signed");

  // A new message committed by the service: Wake makes the sender look at once.
  int rounds = store_.next_calls();
  store_.Add(4, t0);
  sender.Wake();
  ASSERT_TRUE(store_.WaitSent(4));
  ASSERT_TRUE(store_.WaitRoundsAfter(rounds));

  // Message 3 goes when its time comes.
  clock_.Advance(60);
  sender.Wake();
  ASSERT_TRUE(store_.WaitSent(3));
  sender.Stop();
  EXPECT_EQ(sender.stats().sent, 4u);
  EXPECT_EQ(sender.stats().failed, 0u);
  EXPECT_EQ(*store_.OutboxDepth(), 0);
}

TEST_F(OutboxSenderTest, RetriesTemporaryFailuresWithExponentialBackoff) {
  UnixTime t0 = clock_.Now();
  store_.Add(1, t0);
  mailer_.Script(
      {Fail(Code::kUnavailable, "connection refused"), Fail(Code::kUnavailable, "451 try later")});
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();

  ASSERT_TRUE(store_.WaitAttempts(1, 1));
  auto row = store_.Get(1);
  EXPECT_FALSE(row.sent);
  EXPECT_EQ(row.msg.next_attempt, t0 + 30);
  EXPECT_EQ(row.msg.last_error, "connection refused");
  ASSERT_TRUE(store_.WaitRoundsAfter(0));

  // Not yet due: a wake-up finds nothing to do.
  int rounds = store_.next_calls();
  clock_.Advance(29);
  sender.Wake();
  ASSERT_TRUE(store_.WaitRoundsAfter(rounds));
  EXPECT_EQ(mailer_.sent().size(), 1u);

  clock_.Advance(1);  // t0 + 30
  sender.Wake();
  ASSERT_TRUE(store_.WaitAttempts(1, 2));
  EXPECT_EQ(store_.Get(1).msg.next_attempt, t0 + 30 + 60);
  EXPECT_EQ(store_.Get(1).msg.last_error, "451 try later");

  clock_.Advance(60);
  sender.Wake();
  ASSERT_TRUE(store_.WaitSent(1));
  sender.Stop();
  EXPECT_EQ(mailer_.sent().size(), 3u);
  EXPECT_EQ(sender.stats().sent, 1u);
  EXPECT_EQ(sender.stats().failed, 2u);
  EXPECT_EQ(sender.stats().dead, 0u);
}

TEST_F(OutboxSenderTest, ADeadServerPausesDeliveryInsteadOfFailingEveryMessage) {
  UnixTime t0 = clock_.Now();
  for (int id = 1; id <= 5; ++id) store_.Add(id, t0);
  mailer_.Script({Fail(Code::kUnavailable, "connection refused"),
                  Fail(Code::kUnavailable, "connection refused")});
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();

  // The pause is set on the sender's thread right after the second failure is recorded, before
  // any other message could be tried.
  ASSERT_TRUE(store_.WaitAttempts(2, 1));
  sender.Wake();  // new mail during the pause changes nothing
  // Two messages in a row failed: the other three were not tried, nor written.
  EXPECT_EQ(mailer_.sent().size(), 2u);
  for (int id = 3; id <= 5; ++id) {
    EXPECT_EQ(store_.Get(id).msg.attempts, 0) << id;
    EXPECT_FALSE(store_.Get(id).sent) << id;
  }

  // The pause (the back-off of the run, 30 s here) ends; everything goes out.
  clock_.Advance(30);
  sender.Wake();
  for (int id = 1; id <= 5; ++id) ASSERT_TRUE(store_.WaitSent(id)) << id;
  sender.Stop();
  EXPECT_EQ(mailer_.sent().size(), 7u);
}

TEST_F(OutboxSenderTest, TemporaryFailuresNeverGiveUpByDefault) {
  UnixTime t0 = clock_.Now();
  store_.Add(1, t0);
  mailer_.AlwaysFail(Code::kUnavailable);
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();
  for (int attempt = 1; attempt <= 10; ++attempt) {
    ASSERT_TRUE(store_.WaitAttempts(1, attempt));
    UnixTime next = store_.Get(1).msg.next_attempt;
    EXPECT_LE(next - clock_.Now(), 3600);
    clock_.Advance(next - clock_.Now());
    sender.Wake();
  }
  ASSERT_TRUE(store_.WaitAttempts(1, 11));
  sender.Stop();
  EXPECT_NE(store_.Get(1).msg.next_attempt, kDeadNextAttempt);
  EXPECT_EQ(store_.Get(1).msg.next_attempt - clock_.Now(), 3600);  // capped
  EXPECT_EQ(sender.stats().dead, 0u);
}

TEST_F(OutboxSenderTest, PermanentFailuresGiveUpAfterMaxAttempts) {
  UnixTime t0 = clock_.Now();
  store_.Add(1, t0);
  mailer_.AlwaysFail(Code::kInvalidArgument);
  OutboxSenderOptions o = ExactOptions();
  o.max_permanent_attempts = 3;
  OutboxSender sender(store_, mailer_, Render, clock_, o);
  sender.Start();
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(store_.WaitAttempts(1, attempt));
    EXPECT_NE(store_.Get(1).msg.next_attempt, kDeadNextAttempt);
    clock_.Advance(store_.Get(1).msg.next_attempt - clock_.Now());
    sender.Wake();
  }
  ASSERT_TRUE(store_.WaitAttempts(1, 3));
  auto row = store_.Get(1);
  EXPECT_EQ(row.msg.next_attempt, kDeadNextAttempt);
  EXPECT_EQ(row.msg.last_error, "dead: scripted failure");
  EXPECT_FALSE(row.sent);  // still in the outbox for an operator to look at

  // It is not tried again.
  ASSERT_TRUE(store_.WaitRoundsAfter(0));
  int rounds = store_.next_calls();
  clock_.Advance(365 * 86400);
  sender.Wake();
  ASSERT_TRUE(store_.WaitRoundsAfter(rounds));
  sender.Stop();
  EXPECT_EQ(mailer_.sent().size(), 3u);
  EXPECT_EQ(sender.stats().dead, 1u);
  EXPECT_EQ(sender.stats().failed, 3u);
}

TEST_F(OutboxSenderTest, RendererErrorsFollowTheSamePolicy) {
  UnixTime t0 = clock_.Now();
  store_.Add(1, t0, "confirm");
  store_.Add(2, t0, "mystery");
  int calls = 0;
  auto renderer = [&](const OutboxMessage& o) -> Result<MailMessage> {
    if (o.kind == "mystery") return Fail(Code::kInvalidArgument, "unknown kind mystery");
    if (++calls == 1) return Fail(Code::kUnavailable, "campaign lookup failed");
    return Render(o);
  };
  OutboxSenderOptions o = ExactOptions();
  o.max_permanent_attempts = 1;
  OutboxSender sender(store_, mailer_, renderer, clock_, o);
  sender.Start();
  ASSERT_TRUE(store_.WaitAttempts(2, 1));
  EXPECT_EQ(store_.Get(2).msg.next_attempt, kDeadNextAttempt);
  ASSERT_TRUE(store_.WaitAttempts(1, 1));
  EXPECT_EQ(store_.Get(1).msg.next_attempt, t0 + 30);
  clock_.Advance(30);
  sender.Wake();
  ASSERT_TRUE(store_.WaitSent(1));
  sender.Stop();
  EXPECT_EQ(mailer_.sent().size(), 1u);
}

TEST_F(OutboxSenderTest, StopFinishesTheMessageInHand) {
  UnixTime t0 = clock_.Now();
  store_.Add(1, t0);
  store_.Add(2, t0);
  mailer_.Hold();
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();
  ASSERT_TRUE(mailer_.WaitInSend());
  auto stopped = std::async(std::launch::async, [&] { sender.Stop(); });
  // Stop cannot complete while the send is in progress.
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);
  mailer_.Release();
  ASSERT_EQ(stopped.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(store_.Get(1).sent);
  EXPECT_FALSE(store_.Get(2).sent);  // left for the next start
  EXPECT_EQ(store_.Get(2).msg.attempts, 0);
  EXPECT_EQ(mailer_.sent().size(), 1u);
}

TEST_F(OutboxSenderTest, StopWakesAnIdleSender) {
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();
  ASSERT_TRUE(store_.WaitRoundsAfter(0));  // asleep on an empty outbox (up to 300 s)
  auto start = std::chrono::steady_clock::now();
  sender.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  sender.Stop();  // idempotent
}

TEST_F(OutboxSenderTest, StoreErrorsAreRetried) {
  store_.Add(1, clock_.Now());
  store_.FailNextDue(1);
  OutboxSender sender(store_, mailer_, Render, clock_, ExactOptions());
  sender.Start();
  // The first DueOutbox fails; the retry comes after store_error_retry_seconds or at Wake.
  ASSERT_TRUE(store_.WaitFor([&] { return store_.due_calls_unlocked() >= 1; }));
  sender.Wake();
  ASSERT_TRUE(store_.WaitSent(1));
  sender.Stop();
}

TEST_F(OutboxSenderTest, SleepsUntilTheNextDueTime) {
  // Real time: the message becomes due in one second and nobody calls Wake.
  Clock& real = Clock::System();
  store_.Add(1, real.Now() + 1);
  OutboxSender sender(store_, mailer_, Render, real, ExactOptions());
  auto start = std::chrono::steady_clock::now();
  sender.Start();
  ASSERT_TRUE(store_.WaitSent(1));
  EXPECT_GT(std::chrono::steady_clock::now() - start, 10ms);
  sender.Stop();
}

TEST(OutboxSenderBackoff, DoublesFromThirtySecondsUpToAnHour) {
  OutboxSenderOptions o = ExactOptions();
  EXPECT_EQ(OutboxSender::BackoffSeconds(1, o, 0.5), 30);
  EXPECT_EQ(OutboxSender::BackoffSeconds(2, o, 0.5), 60);
  EXPECT_EQ(OutboxSender::BackoffSeconds(3, o, 0.5), 120);
  EXPECT_EQ(OutboxSender::BackoffSeconds(7, o, 0.5), 1920);
  EXPECT_EQ(OutboxSender::BackoffSeconds(8, o, 0.5), 3600);
  EXPECT_EQ(OutboxSender::BackoffSeconds(1000, o, 0.5), 3600);
  o.jitter = 0.2;
  EXPECT_EQ(OutboxSender::BackoffSeconds(1, o, 0.0), 24);
  EXPECT_EQ(OutboxSender::BackoffSeconds(1, o, 0.5), 30);
  EXPECT_EQ(OutboxSender::BackoffSeconds(1, o, 0.999999), 36);
  EXPECT_LE(OutboxSender::BackoffSeconds(50, o, 0.999999), 3600);
  EXPECT_GE(OutboxSender::BackoffSeconds(50, o, 0.0), 2880);
}

// The whole path against a real SMTP server that is down at first: nothing is lost.
TEST(OutboxSenderSmtp, MailServerDownLosesNothing) {
  TempDir dir;
  int port;
  {
    auto probe = SmtpSink::Start(dir.path() + "/inbox");  // learn a free port, then stop
    ASSERT_TRUE(probe);
    port = probe->port();
  }
  TestClock clock;
  FakeOutboxStore store;
  store.Add(1, clock.Now());
  SmtpOptions so;
  so.url = "smtp://127.0.0.1:" + std::to_string(port);
  so.timeout_seconds = 5;
  SmtpMailer mailer(so, clock);
  OutboxSender sender(store, mailer, Render, clock, ExactOptions());
  sender.Start();
  ASSERT_TRUE(store.WaitAttempts(1, 1));
  EXPECT_FALSE(store.Get(1).sent);
  EXPECT_NE(store.Get(1).msg.last_error.find("smtp"), std::string::npos);

  auto sink = SmtpSink::Start(dir.path() + "/inbox", {}, port);
  ASSERT_TRUE(sink);
  clock.Advance(30);
  sender.Wake();
  ASSERT_TRUE(store.WaitSent(1));
  auto path = sink->NextReceived(kWait);
  ASSERT_TRUE(path);
  auto parsed = ParseEml(*path);
  EXPECT_EQ(parsed["to"], "signer1@example.com");
  EXPECT_EQ(parsed["subject"], "Please confirm");
  EXPECT_EQ(parsed["message_id"],
            "<outbox.1." + std::to_string(clock.Now() - 30) + "@example.org>");
  sender.Stop();
  EXPECT_EQ(sender.stats().sent, 1u);
  EXPECT_EQ(sender.stats().failed, 1u);
}

}  // namespace
}  // namespace undersigned::mail
