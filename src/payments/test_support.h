// Test helpers for payments_test (and the payment tests built on them later): the Stripe
// emulator (tests/stripe/emulator.mjs) as a child process, a webhook endpoint that keeps what
// it receives, a scripted HttpClient, and Stripe's official library as an oracle
// (tests/stripe/oracle.mjs). Not part of us_payments.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <nlohmann/json.hpp>

#include "payments/http_client.h"
#include "payments/stripe_provider.h"

namespace undersigned::payments::testing {

inline constexpr const char* kEmulatorKey = "sk_test_undersigned_emulator_51Hx";
inline constexpr const char* kEmulatorWebhookSecret = "whsec_undersigned_emulator_test";

// tests/stripe in the source tree ($UNDERSIGNED_SOURCE_DIR, else the compiled-in source dir).
std::string StripeTestDir();

// A webhook endpoint on 127.0.0.1: answers 200 to every POST and keeps its raw body and
// Stripe-Signature header. Thread-safe.
class WebhookReceiver {
 public:
  struct Delivery {
    std::string body;
    std::string signature;
  };
  WebhookReceiver();
  ~WebhookReceiver();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhooks"; }
  std::vector<Delivery> deliveries() const;

 private:
  void Loop();
  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<Delivery> deliveries_;
  std::thread thread_;
};

// node tests/stripe/emulator.mjs as a child process (killed with the test process).
class StripeEmulator {
 public:
  // Waits (bounded) for "ready PORT". nullptr, after printing why, if it did not come up.
  static std::unique_ptr<StripeEmulator> Start(const std::string& webhook_url = "");
  ~StripeEmulator();  // SIGTERM, then SIGKILL if needed; reaps the child

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // A configuration pointing StripeProvider at the emulator.
  PaymentsConfig Config() const;

  // The test-only endpoints (emulator.mjs's header comment). Each returns the JSON answer;
  // CompleteCheckout's has "http_status" added.
  nlohmann::json CompleteCheckout(const std::string& session_id, const std::string& card);
  nlohmann::json State();
  nlohmann::json Requests();
  void FlushWebhooks();

 private:
  StripeEmulator() = default;
  nlohmann::json Call(const std::string& method, const std::string& path, const std::string& body,
                      long* status = nullptr);
  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<HttpClient> http_;
};

// An HttpClient that answers from a script and records every request. Thread-safe.
class ScriptedHttpClient : public HttpClient {
 public:
  // Next answer: an HTTP response, or (status 0) "no answer" with kUnavailable.
  void Push(long status, std::string body, std::map<std::string, std::string> headers = {});
  void PushNoAnswer(std::string why = "Connection refused");
  Result<HttpResponse> Send(const HttpRequest& request) override;
  std::vector<HttpRequest> requests() const;

 private:
  mutable std::mutex mu_;
  std::deque<HttpResponse> script_;
  std::vector<HttpRequest> requests_;
};

// A PaymentProvider in memory for unit tests of the services built on payments (no node, no
// network). Keeps Stripe's idempotency rule: the first answer to a key is stored and replayed,
// so tests can count what would really have happened (charges()). Answers come from a script
// per operation when one is queued (NextCharge...), else a success with ids derived from a
// counter. Thread-safe.
class FakePaymentProvider : public PaymentProvider {
 public:
  struct Call {
    std::string operation;  // "checkout", "charge", "detach", "refund", "cancel"
    std::string key;
    std::string subject;  // the charge's payment method, the detached pm, the refunded intent...
    std::int64_t amount = 0;
  };

  // The next new (not replayed) charge answers this (an outcome, or an error). A kUnavailable
  // error is not stored (no answer came back): the same key may be sent again.
  void NextCharge(Result<PaymentIntentResult> answer);

  Result<CheckoutSession> CreateCheckoutSession(const CheckoutRequest& request,
                                                const IdempotencyKey& key) override;
  Result<PaymentIntentResult> ChargeOffSession(const OffSessionCharge& charge,
                                               const IdempotencyKey& key) override;
  Result<PaymentMethodResult> DetachPaymentMethod(const std::string& payment_method,
                                                  const IdempotencyKey& key) override;
  Result<RefundResult> Refund(const RefundRequest& request, const IdempotencyKey& key) override;
  Result<SubscriptionResult> CancelSubscription(const std::string& subscription,
                                                const IdempotencyKey& key) override;
  std::string Describe() const override { return "fake payments (tests)"; }

  // Every call, replays included, in order.
  std::vector<Call> calls() const;
  // Charges that succeeded, each counted once however often its key was sent.
  int succeeded_charges() const;

 private:
  std::string NewId(const std::string& prefix);
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::deque<Result<PaymentIntentResult>> next_charges_;
  // key -> the operation and the first answer, JSON-free: one map per answer type.
  std::map<std::string, std::string> key_operation_;
  std::map<std::string, Result<CheckoutSession>> sessions_;
  std::map<std::string, Result<PaymentIntentResult>> charges_;
  std::map<std::string, Result<PaymentMethodResult>> detaches_;
  std::map<std::string, Result<RefundResult>> refunds_;
  std::map<std::string, Result<SubscriptionResult>> cancels_;
  int counter_ = 0;
};

// Runs `node tests/stripe/oracle.mjs args...`; returns its exit status and stdout.
struct CommandResult {
  int status = -1;
  std::string out;
};
CommandResult RunOracle(const std::vector<std::string>& args);

// Whether tests/stripe/node_modules holds Stripe's library (`npm ci` in tests/stripe).
bool StripeLibraryInstalled();

}  // namespace undersigned::payments::testing
