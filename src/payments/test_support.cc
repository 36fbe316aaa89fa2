#include "payments/test_support.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace undersigned::payments::testing {
namespace {

// Reads from fd until a full line is buffered or the timeout passes.
std::optional<std::string> ReadLine(int fd, std::string& buffer, std::chrono::milliseconds t) {
  auto deadline = std::chrono::steady_clock::now() + t;
  while (true) {
    std::size_t nl = buffer.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    buffer.append(buf, static_cast<std::size_t>(n));
  }
}

void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(20'000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

std::string StripeTestDir() {
  if (const char* s = std::getenv("UNDERSIGNED_SOURCE_DIR"); s && *s) {
    return std::string(s) + "/tests/stripe";
  }
  return std::string(PAYMENTS_SOURCE_DIR) + "/tests/stripe";
}

bool StripeLibraryInstalled() {
  return ::access((StripeTestDir() + "/node_modules/stripe/package.json").c_str(), R_OK) == 0;
}

// ---------------------------------------------------------------- WebhookReceiver

WebhookReceiver::WebhookReceiver() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0) {
    std::cerr << "WebhookReceiver: bind/listen failed: " << std::strerror(errno) << "\n";
    std::abort();
  }
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

WebhookReceiver::~WebhookReceiver() {
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  thread_.join();
}

std::vector<WebhookReceiver::Delivery> WebhookReceiver::deliveries() const {
  std::lock_guard lock(mu_);
  return deliveries_;
}

void WebhookReceiver::Loop() {
  while (true) {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      return;  // closed by the destructor
    }
    std::string data;
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    bool done = false;
    char buf[4096];
    while (!done) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        std::string lower = data.substr(0, header_end);
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
          content_length = std::strtoul(lower.c_str() + p + 17, nullptr, 10);
        }
      }
      done = data.size() >= header_end + 4 + content_length;
    }
    if (done) {
      Delivery d;
      d.body = data.substr(header_end + 4, content_length);
      std::string head = data.substr(0, header_end);
      std::string lower = head;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (auto p = lower.find("\r\nstripe-signature:"); p != std::string::npos) {
        std::size_t start = p + 19;
        std::size_t end = head.find("\r\n", start);
        d.signature = head.substr(start, end == std::string::npos ? end : end - start);
        while (!d.signature.empty() && d.signature.front() == ' ') d.signature.erase(0, 1);
      }
      {
        std::lock_guard lock(mu_);
        deliveries_.push_back(std::move(d));
      }
      const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      ::send(c, ok, sizeof ok - 1, MSG_NOSIGNAL);
    }
    ::close(c);
  }
}

// ---------------------------------------------------------------- StripeEmulator

std::unique_ptr<StripeEmulator> StripeEmulator::Start(const std::string& webhook_url) {
  std::vector<std::string> args = {"node",
                                   StripeTestDir() + "/emulator.mjs",
                                   "--port",
                                   "0",
                                   "--api-key",
                                   kEmulatorKey,
                                   "--webhook-secret",
                                   kEmulatorWebhookSecret,
                                   "--webhook-url",
                                   webhook_url};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return nullptr;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(1);
    ::dup2(fds[1], STDOUT_FILENO);
    ::execvp(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  std::unique_ptr<StripeEmulator> e(new StripeEmulator());
  e->pid_ = pid;
  std::string buffer;
  auto line = ReadLine(fds[0], buffer, std::chrono::seconds(20));
  ::close(fds[0]);
  if (!line || !line->starts_with("ready ")) {
    std::cerr << "emulator.mjs did not start (is node installed?): "
              << (line ? *line : "(timeout or exit)") << "\n";
    return nullptr;
  }
  e->port_ = std::atoi(line->c_str() + 6);
  e->http_ = MakeCurlHttpClient();
  return e;
}

StripeEmulator::~StripeEmulator() { KillAndReap(pid_); }

PaymentsConfig StripeEmulator::Config() const {
  PaymentsConfig c;
  c.stripe_secret_key = kEmulatorKey;
  c.stripe_webhook_secret = kEmulatorWebhookSecret;
  c.stripe_api_base = base_url();
  c.timeout_seconds = 10;
  c.first_backoff_millis = 10;
  return c;
}

nlohmann::json StripeEmulator::Call(const std::string& method, const std::string& path,
                                    const std::string& body, long* status) {
  HttpRequest r{
      method, base_url() + path, {{"Content-Type", "application/x-www-form-urlencoded"}}, body};
  auto a = http_->Send(r);
  if (!a) {
    if (status) *status = 0;
    return {{"error", a.error().message}};
  }
  if (status) *status = a->status;
  return nlohmann::json::parse(a->body, nullptr, false);
}

nlohmann::json StripeEmulator::CompleteCheckout(const std::string& session_id,
                                                const std::string& card) {
  long status = 0;
  auto j = Call("POST", "/_emulator/checkout/sessions/" + session_id + "/complete", "card=" + card,
                &status);
  j["http_status"] = status;
  return j;
}

nlohmann::json StripeEmulator::State() { return Call("GET", "/_emulator/state", ""); }
nlohmann::json StripeEmulator::Requests() { return Call("GET", "/_emulator/requests", ""); }
void StripeEmulator::FlushWebhooks() { Call("POST", "/_emulator/webhooks/flush", ""); }

// ---------------------------------------------------------------- ScriptedHttpClient

void ScriptedHttpClient::Push(long status, std::string body,
                              std::map<std::string, std::string> headers) {
  std::lock_guard lock(mu_);
  script_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
}

void ScriptedHttpClient::PushNoAnswer(std::string why) {
  std::lock_guard lock(mu_);
  script_.push_back(HttpResponse{0, {}, std::move(why)});
}

Result<HttpResponse> ScriptedHttpClient::Send(const HttpRequest& request) {
  std::lock_guard lock(mu_);
  requests_.push_back(request);
  if (script_.empty()) return Fail(Code::kInternal, "ScriptedHttpClient: script exhausted");
  HttpResponse r = std::move(script_.front());
  script_.pop_front();
  if (r.status == 0) {
    return Fail(Code::kUnavailable, "http: " + request.method + ": no answer (" + r.body + ")");
  }
  return r;
}

std::vector<HttpRequest> ScriptedHttpClient::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

// ---------------------------------------------------------------- FakePaymentProvider

namespace {

// The stored first answer for key, or nullopt; a key reused for another operation is Stripe's
// idempotency_error.
template <typename T>
std::optional<Result<T>> Replay(std::map<std::string, std::string>& key_operation,
                                std::map<std::string, Result<T>>& answers, const std::string& op,
                                const std::string& key) {
  auto k = key_operation.find(key);
  if (k == key_operation.end()) return std::nullopt;
  if (k->second != op) {
    return Result<T>(Fail(Code::kConflict, "fake payments: idempotency key " + key +
                                               " was first used for " + k->second));
  }
  return answers.at(key);
}

}  // namespace

std::string FakePaymentProvider::NewId(const std::string& prefix) {
  return prefix + "_fake_" + std::to_string(++counter_);
}

void FakePaymentProvider::NextCharge(Result<PaymentIntentResult> answer) {
  std::lock_guard lock(mu_);
  next_charges_.push_back(std::move(answer));
}

Result<CheckoutSession> FakePaymentProvider::CreateCheckoutSession(const CheckoutRequest& r,
                                                                   const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  calls_.push_back({"checkout", key.str(), CheckoutModeName(r.mode), r.amount_minor});
  if (auto again = Replay(key_operation_, sessions_, "checkout", key.str())) return *again;
  Result<CheckoutSession> answer;
  if (auto v = ValidateCheckout(r); !v) {
    answer = Fail(v.error());
  } else {
    std::string id = NewId("cs");
    answer = CheckoutSession{id,
                             "https://checkout.invalid/" + id,
                             CheckoutModeName(r.mode),
                             "open",
                             r.amount_minor,
                             r.currency};
  }
  key_operation_[key.str()] = "checkout";
  sessions_.emplace(key.str(), answer);
  return answer;
}

Result<PaymentIntentResult> FakePaymentProvider::ChargeOffSession(const OffSessionCharge& c,
                                                                  const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  calls_.push_back({"charge", key.str(), c.payment_method, c.amount_minor});
  if (auto again = Replay(key_operation_, charges_, "charge", key.str())) return *again;
  Result<PaymentIntentResult> answer;
  if (auto v = ValidateCharge(c); !v) {
    answer = Fail(v.error());
  } else if (!next_charges_.empty()) {
    answer = std::move(next_charges_.front());
    next_charges_.pop_front();
  } else {
    PaymentIntentResult r;
    r.id = NewId("pi");
    r.status = "succeeded";
    r.outcome = ChargeOutcome::kSucceeded;
    r.amount = c.amount_minor;
    r.currency = c.currency;
    r.latest_charge = NewId("ch");
    answer = r;
  }
  // No answer reached us (kUnavailable): nothing was stored, a retry with the key is new.
  if (!answer && answer.error().code == Code::kUnavailable) return answer;
  key_operation_[key.str()] = "charge";
  charges_.emplace(key.str(), answer);
  return answer;
}

Result<PaymentMethodResult> FakePaymentProvider::DetachPaymentMethod(const std::string& pm,
                                                                     const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  calls_.push_back({"detach", key.str(), pm, 0});
  if (auto again = Replay(key_operation_, detaches_, "detach", key.str())) return *again;
  Result<PaymentMethodResult> answer = PaymentMethodResult{pm, ""};
  key_operation_[key.str()] = "detach";
  detaches_.emplace(key.str(), answer);
  return answer;
}

Result<RefundResult> FakePaymentProvider::Refund(const RefundRequest& r,
                                                 const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  calls_.push_back({"refund", key.str(), r.payment_intent.empty() ? r.charge : r.payment_intent,
                    r.amount_minor.value_or(0)});
  if (auto again = Replay(key_operation_, refunds_, "refund", key.str())) return *again;
  Result<RefundResult> answer;
  if (auto v = ValidateRefund(r); !v) {
    answer = Fail(v.error());
  } else {
    answer = RefundResult{NewId("re"), "succeeded", r.amount_minor.value_or(0), r.charge,
                          r.payment_intent};
  }
  key_operation_[key.str()] = "refund";
  refunds_.emplace(key.str(), answer);
  return answer;
}

Result<SubscriptionResult> FakePaymentProvider::CancelSubscription(const std::string& sub,
                                                                   const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  calls_.push_back({"cancel", key.str(), sub, 0});
  if (auto again = Replay(key_operation_, cancels_, "cancel", key.str())) return *again;
  Result<SubscriptionResult> answer = SubscriptionResult{sub, "canceled"};
  key_operation_[key.str()] = "cancel";
  cancels_.emplace(key.str(), answer);
  return answer;
}

std::vector<FakePaymentProvider::Call> FakePaymentProvider::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

int FakePaymentProvider::succeeded_charges() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [key, answer] : charges_) {
    if (answer && answer->outcome == ChargeOutcome::kSucceeded) ++n;
  }
  return n;
}

// ---------------------------------------------------------------- oracle

CommandResult RunOracle(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"node", StripeTestDir() + "/oracle.mjs"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  CommandResult result;
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(fds[1], STDOUT_FILENO);
    ::execvp(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) result.out.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace undersigned::payments::testing
