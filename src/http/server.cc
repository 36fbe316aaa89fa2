#include "http/server.h"

#include "http/asio.h"  // first: Boost 1.74 + GCC 12 need <utility> before Asio

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "http/url.h"
#include "http/wire.h"

namespace undersigned::http {
namespace {

using Clock = std::chrono::steady_clock;
namespace bhttp = beast::http;

thread_local bool t_network_thread = false;

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kLingerMaxBytes = 4 * 1024 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses one request straight into a Request (no intermediate beast::http::fields).
//
// It also refuses the framing RFC 9112 forbids, which Beast 1.74 lets through: a
// Transfer-Encoding whose last coding is not "chunked" (Beast then reads no body, and the bytes
// of the body would be parsed as a second request), or any in an HTTP/1.0 request; and an
// HTTP/1.1 request without a Host, or any request with two. The parse then fails with
// bad_framing() saying what was wrong.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  explicit RequestParser(Request& req) : req_(req) {}
  int version() const { return version_; }
  bool expect_continue() const { return expect_continue_; }
  // Why the request's framing was refused (nullptr if it was not); its status in
  // bad_framing_status().
  const char* bad_framing() const { return bad_framing_; }
  int bad_framing_status() const { return bad_framing_status_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target,
                       int version, beast::error_code&) override {
    req_.method.assign(method.data(), method.size());
    req_.target.assign(target.data(), target.size());
    version_ = version;
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(bhttp::field f, beast::string_view name, beast::string_view value,
                     beast::error_code& ec) override {
    std::string key(name.data(), name.size());
    for (char& c : key) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    auto [it, inserted] = req_.headers.try_emplace(std::move(key), value.data(), value.size());
    if (!inserted) {
      it->second.append(f == bhttp::field::cookie ? "; " : ", ");
      it->second.append(value.data(), value.size());
    }
    if (f == bhttp::field::expect && beast::iequals(value, "100-continue")) {
      expect_continue_ = true;
    } else if (f == bhttp::field::host) {
      if (host_seen_) Refuse(400, "A request must have exactly one Host header", ec);
      host_seen_ = true;
    } else if (f == bhttp::field::transfer_encoding) {
      CheckTransferEncoding(it->second, ec);
    }
  }
  void on_header_impl(beast::error_code& ec) override {
    if (version_ >= 11 && !host_seen_) {
      Refuse(400, "An HTTP/1.1 request must have a Host header", ec);
    }
  }
  // value: every Transfer-Encoding of the request so far, joined with ", ".
  void CheckTransferEncoding(std::string_view value, beast::error_code& ec) {
    if (version_ < 11) {
      Refuse(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request", ec);
      return;
    }
    bool last_chunked = false;
    bool only_chunked = true;
    while (!value.empty()) {  // a list of codings: "gzip, chunked"
      std::size_t comma = value.find(',');
      std::string_view coding = Trim(value.substr(0, comma));
      value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
      if (coding.empty()) continue;
      last_chunked = beast::iequals(beast::string_view(coding.data(), coding.size()), "chunked");
      only_chunked = only_chunked && last_chunked;
    }
    if (!last_chunked) {
      Refuse(400, "Transfer-Encoding must end in chunked; send the body chunked", ec);
    } else if (!only_chunked) {
      Refuse(501, "Transfer codings other than chunked are not supported", ec);
    }
  }
  void Refuse(int status, const char* why, beast::error_code& ec) {
    bad_framing_ = why;
    bad_framing_status_ = status;
    ec = bhttp::error::bad_transfer_encoding;
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) req_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  Request& req_;
  int version_ = 11;
  bool expect_continue_ = false;
  bool host_seen_ = false;
  const char* bad_framing_ = nullptr;
  int bad_framing_status_ = 400;
};

bool WantsJson(const Request& req) {
  std::string_view path = req.path.empty() ? std::string_view(req.target) : req.path;
  if (path == "/api" || path.starts_with("/api/") || path.ends_with(".json")) return true;
  auto it = req.headers.find("accept");
  if (it == req.headers.end()) return false;
  return it->second.find("application/json") != std::string::npos &&
         it->second.find("text/html") == std::string::npos;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Response ErrorResponse(int status, std::string_view message, bool json) {
  if (json) {
    return Response::Json("{\"error\":\"" + JsonEscape(message) + "\"}", status);
  }
  std::string reason(ReasonPhrase(status));
  std::string body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      reason + "</title></head><body><h1>" + reason + "</h1><p>" + HtmlEscape(message) +
      "</p></body></html>\n";
  return Response::Html(std::move(body), status);
}

void ParseCookies(std::string_view header, std::map<std::string, std::string>* out) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view value = item.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out->emplace(std::string(item.substr(0, eq)), std::string(value));  // first one wins
  }
}

// Runs f() on the pool and resumes the calling coroutine on its own executor with the result.
template <typename F>
auto RunOnPool(net::thread_pool& pool, F f) {
  return net::async_initiate<const net::use_awaitable_t<IoExecutor>&, void(Response)>(
      [&pool](auto handler, F f) {
        auto work = net::make_work_guard(net::get_associated_executor(handler));
        net::post(pool, [f = std::move(f), handler = std::move(handler),
                         work = std::move(work)]() mutable {
          Response r = f();
          auto ex = work.get_executor();
          net::dispatch(ex, [handler = std::move(handler), r = std::move(r)]() mutable {
            handler(std::move(r));
          });
        });
      },
      kUseAwaitable, std::move(f));
}

// The client a connection counts against for max_connections_per_address: its IPv4 address,
// or the /64 of its IPv6 address (one host's share). Nine bytes for IPv6, so the two kinds
// never share a key.
std::string AddressKey(const net::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return AddressKey(net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()));
  }
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    return std::string(b.begin(), b.end());
  }
  auto b = address.to_v6().to_bytes();
  return std::string(b.begin(), b.begin() + 8) + '6';
}

int StatusClass(int status) { return std::clamp(status / 100, 1, 5) - 1; }

bool ValidStatus(int status) { return status >= 100 && status <= 999; }

// --- Asynchronous requests. ---------------------------------------------------------------------
//
// A request of a kAsync route suspends its session coroutine on an Asio operation whose
// completion handler lives in an AsyncCall: the Respond::State shared by the Respond copies given
// to the handler. Answering posts the handler, with the response, to the session's executor (the
// only thread hop); the coroutine resumes there and writes the response. Each network thread has
// an AsyncRegistry listing its unanswered calls, so that Stop can give up on those still
// unanswered after the grace period while the io_context still exists (destroying a handler
// posts the unwinding of its coroutine to that io_context). The registry's mutex orders every
// answer against that: an answer either posts before Stop gives up, or finds the call abandoned.

struct AsyncLink {
  AsyncLink* prev = nullptr;
  AsyncLink* next = nullptr;
  // Under the registry's mutex: destroy the completion handler without invoking it.
  virtual void Abandon() noexcept = 0;

 protected:
  ~AsyncLink() = default;
};

struct AsyncRegistry {
  std::mutex mu;
  AsyncLink* head = nullptr;  // guarded by mu
  bool closed = false;        // guarded by mu: Stop gave up on the calls; take no new ones

  void LinkLocked(AsyncLink* l) {
    l->prev = nullptr;
    l->next = head;
    if (head) head->prev = l;
    head = l;
  }
  void UnlinkLocked(AsyncLink* l) {
    if (l->prev) l->prev->next = l->next;
    if (l->next) l->next->prev = l->prev;
    if (head == l) head = l->next;
    l->prev = l->next = nullptr;
  }
  // Gives up on every unanswered call; later answers are ignored.
  void Close() {
    std::lock_guard lock(mu);
    closed = true;
    while (head) {
      AsyncLink* l = head;
      UnlinkLocked(l);
      l->Abandon();
    }
  }
};

// H: the coroutine's completion handler for void(Response).
template <typename H>
class AsyncCall final : public Respond::State, public AsyncLink {
 public:
  AsyncCall(H handler, std::shared_ptr<AsyncRegistry> registry, const std::string& route_name,
            bool json)
      : handler_(std::move(handler)),
        registry_(std::move(registry)),
        route_name_(route_name),
        json_(json) {}

  // Registers the call; false (and the handler is answered 503) if the server is stopping.
  bool Start() {
    std::lock_guard lock(registry_->mu);
    if (!registry_->closed) {
      registry_->LinkLocked(this);
      return true;
    }
    PostLocked(ErrorResponse(503, "Server is shutting down", json_));
    return false;
  }

 private:
  void Deliver(Response response, bool dropped) noexcept override {
    std::lock_guard lock(registry_->mu);
    if (!handler_) return;  // abandoned by Stop (the server may be gone; touch nothing else)
    if (dropped) {
      spdlog::error("http: async handler {} dropped its Respond without answering", route_name_);
      response = ErrorResponse(500, "Internal server error", json_);
    } else if (!ValidStatus(response.status)) {
      spdlog::error("http: async handler {} answered status {}", route_name_, response.status);
      response = ErrorResponse(500, "Internal server error", json_);
    }
    registry_->UnlinkLocked(this);
    PostLocked(std::move(response));
  }

  void Abandon() noexcept override { handler_.reset(); }

  void PostLocked(Response response) {
    auto ex = net::get_associated_executor(*handler_);
    net::post(ex, [handler = std::move(*handler_), response = std::move(response)]() mutable {
      handler(std::move(response));
    });
    handler_.reset();
  }

  std::optional<H> handler_;  // guarded by registry_->mu; empty once posted or abandoned
  std::shared_ptr<AsyncRegistry> registry_;
  const std::string& route_name_;  // only used while registered (the Router is alive then)
  const bool json_;
};

// Runs an async handler with a copy of respond; a throw answers 500 unless already answered.
void InvokeAsyncHandler(const Router::Route& route, const Request& req, const Respond& respond,
                        bool json) {
  try {
    route.async_handler(req, respond);
    return;
  } catch (const std::exception& e) {
    spdlog::error("http: async handler {} threw: {}", route.options.name, e.what());
  } catch (...) {
    spdlog::error("http: async handler {} threw a non-exception", route.options.name);
  }
  if (!respond.answered()) respond(ErrorResponse(500, "Internal server error", json));
}

// Starts route's async handler for req and completes with its answer on the calling coroutine's
// executor. req must stay untouched until then.
auto RunAsync(const Router::Route& route, const Request& req, bool json,
              std::shared_ptr<AsyncRegistry> registry, net::thread_pool& pool) {
  return net::async_initiate<const net::use_awaitable_t<IoExecutor>&, void(Response)>(
      [&route, &req, json, &pool](auto handler, std::shared_ptr<AsyncRegistry> registry) {
        using Call = AsyncCall<decltype(handler)>;
        auto* call = new Call(std::move(handler), std::move(registry), route.options.name, json);
        Respond respond(call);  // owns the call from here on
        if (!call->Start()) return;
        if (route.options.blocking) {
          net::post(pool, [&route, &req, json, respond = std::move(respond)] {
            InvokeAsyncHandler(route, req, respond, json);
          });
        } else {
          InvokeAsyncHandler(route, req, respond, json);
        }
      },
      kUseAwaitable, std::move(registry));
}

}  // namespace

class Session;

struct Worker {
  // Declared before ioc: sessions unregister themselves while ioc's destructor destroys them.
  std::unordered_set<Session*> sessions;
  // Unanswered asynchronous requests of this thread's sessions (shared with their Respond
  // states, which may outlive the server).
  std::shared_ptr<AsyncRegistry> async = std::make_shared<AsyncRegistry>();
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<IoExecutor>> guard;
  std::thread thread;
  bool stopping = false;  // touched only on this worker's thread
};

struct RouteStats {
  std::array<Counter*, 5> requests{};
  std::array<Histogram*, 5> latency{};
};

class Server::Impl {
 public:
  Impl(ServerOptions o, const Router& r, EventHub* e, Metrics* m)
      : opts(std::move(o)), router(r), events(e), metrics(m) {}
  // Sessions still alive are destroyed with their io_context and report to this object, so the
  // workers go first (after the pool, whose queued work refers to them).
  ~Impl() {
    pool.reset();
    workers.clear();
  }

  Task<> AcceptLoop();
  // Counts a connection from the client `key` (AddressKey); false if it already holds
  // max_connections_per_address.
  bool TakeAddressSlot(const std::string& key) {
    std::lock_guard lock(per_address_mu);
    std::size_t& n = per_address[key];
    if (n >= opts.max_connections_per_address) return false;
    ++n;
    return true;
  }
  void ReleaseAddressSlot(const std::string& key) {
    std::lock_guard lock(per_address_mu);
    auto it = per_address.find(key);
    if (it != per_address.end() && --it->second == 0) per_address.erase(it);
  }
  bool Busy() const { return live->load(std::memory_order_relaxed) >= busy_threshold; }
  // Near the cap: idle connections on every thread get busy_idle_timeout from now, at most
  // once a second.
  void TrimIdleConnections();
  void SessionEnded() {
    if (live->fetch_sub(1) == 1 && stopping.load()) {
      { std::lock_guard lock(mu); }
      cv.notify_all();
    }
  }
  void RegisterMetrics();
  // Answers a connection refused at accept with `answer` (a whole response) and closes it.
  void RefuseConnection(Socket& socket, std::string_view answer);
  void Record(const Router::Route* route, int status, Clock::duration elapsed) {
    if (!metrics) return;
    const RouteStats& s = route ? route_stats[route->index] : unmatched_stats;
    int c = StatusClass(status);
    s.requests[c]->Inc();
    s.latency[c]->Observe(std::chrono::duration<double>(elapsed).count());
  }

  ServerOptions opts;
  const Router& router;
  EventHub* events;
  Metrics* metrics;
  std::vector<std::unique_ptr<Worker>> workers;  // destroyed after pool (declared before)
  std::unique_ptr<net::thread_pool> pool;
  std::optional<Acceptor> acceptor;
  std::uint16_t port = 0;
  // Shared with metric gauges, which may outlive the server.
  std::shared_ptr<std::atomic<std::size_t>> live = std::make_shared<std::atomic<std::size_t>>(0);
  std::shared_ptr<std::atomic<std::size_t>> streams = std::make_shared<std::atomic<std::size_t>>(0);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;
  std::vector<RouteStats> route_stats;
  RouteStats unmatched_stats;
  Counter* timeouts = nullptr;
  Counter* rejected = nullptr;
  // Open connections per client (AddressKey), when max_connections_per_address applies. The
  // accept loop adds, sessions remove on their own threads.
  std::mutex per_address_mu;
  std::unordered_map<std::string, std::size_t> per_address;  // guarded by per_address_mu
  const std::size_t busy_threshold = static_cast<std::size_t>(
      static_cast<double>(opts.max_connections) * std::clamp(opts.busy_fraction, 0.0, 1.0));
  Clock::time_point last_trim;      // accept loop only
  Clock::time_point last_busy_log;  // accept loop only
};

// Wake-up link between an EventHub subscription and a session: the hub's notify only touches
// this (never the session), and the posted wake-up checks `session` on the session's thread.
struct SseSignal {
  std::atomic<bool> pending{false};
  Session* session = nullptr;  // set and cleared on the session's thread
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& srv, Worker& w, Socket socket)
      : srv_(srv),
        w_(w),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        sse_timer_(socket_.get_executor()) {}

  ~Session() {
    sub_.Reset();
    if (sse_signal_) sse_signal_->session = nullptr;
    if (registered_) w_.sessions.erase(this);
    if (!address_key_.empty()) srv_.ReleaseAddressSlot(address_key_);
    if (counted_) srv_.SessionEnded();
  }

  // address_key: the client's slot taken with TakeAddressSlot (empty if none), released when
  // the session ends.
  void MarkCounted(std::string address_key) {
    counted_ = true;
    address_key_ = std::move(address_key);
  }

  // Waits at most until `d` for the next request if idle now (the server is near its cap).
  void TrimIdle(Clock::time_point d) {
    if (state_ == State::kIdle && deadline_ > d) SetDeadline(d);
  }

  // self keeps the session alive for the coroutine's whole life (the caller's reference may go
  // away before the coroutine first runs).
  Task<> Run(std::shared_ptr<Session> self);

  // Graceful stop (on the session's thread): idle connections and event streams close now,
  // a request in progress is answered with Connection: close first.
  void OnStop() {
    closing_ = true;
    if (state_ == State::kIdle) CloseSocket();
    if (state_ == State::kSse) EndStream();
  }
  void ForceClose() {
    closing_ = true;
    EndStream();
    CloseSocket();
  }

  void Wake() { sse_timer_.cancel(); }

 private:
  enum class State { kIdle, kReading, kBusy, kSse };

  Task<> Watchdog(std::shared_ptr<Session> self);
  Task<bool> ServeOne();
  Task<bool> ReadMore(RequestParser& parser, Clock::time_point first_byte);
  Task<bool> Write(std::string_view head, std::string_view body);
  Task<bool> SendResponse(const Response& r, std::string_view body, bool keep_alive, int version);
  Task<bool> RejectAndClose(int status, std::string_view message, bool json,
                            const Router::Route* route = nullptr);
  Task<> LingeringClose();
  Task<bool> ServeEventStream(const Router::Route& route, Clock::time_point t0);
  Response Invoke(const Router::Route& route);
  bool PrepareRequest();  // target -> path, query; false: malformed
  void ResetRequest();
  void StartDisconnectWatch();
  void LogAccess(const Router::Route* route, int status, Clock::duration elapsed) const;

  void SetDeadline(Clock::time_point d) {
    deadline_ = d;
    if (d < timer_expiry_) {
      timer_expiry_ = d;
      timer_.expires_at(d);  // cancels the watchdog's wait; it re-arms
    }
  }
  void NoDeadline() { deadline_ = Clock::time_point::max(); }
  void CloseSocket() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  void EndStream() {
    sse_done_ = true;
    sse_timer_.cancel();
  }

  Server::Impl& srv_;
  Worker& w_;
  Socket socket_;
  SteadyTimer timer_;      // watchdog
  SteadyTimer sse_timer_;  // event stream wake-ups and heartbeats
  beast::flat_buffer buffer_;
  Request req_;
  std::string head_;
  std::vector<std::string_view> segments_;
  std::string peer_;
  std::string address_key_;
  Clock::time_point deadline_ = Clock::time_point::max();
  // The time the request being read may take to arrive: ServerOptions::read_timeout, or its
  // route's longer RouteOptions::read_timeout once the header has named the route.
  Clock::duration read_timeout_{};
  Clock::time_point timer_expiry_ = Clock::time_point::max();
  State state_ = State::kIdle;
  bool closing_ = false;
  bool closed_ = false;
  bool registered_ = false;
  bool counted_ = false;
  bool head_request_ = false;
  bool encoded_slash_ = false;
  // Event streams.
  EventHub::Subscription sub_;
  std::shared_ptr<SseSignal> sse_signal_;
  bool sse_done_ = false;
  std::array<char, 256> scratch_{};
};

// ---------------------------------------------------------------------------------------------

Task<> Session::Watchdog(std::shared_ptr<Session> self) {
  const auto longest =
      std::max({srv_.opts.idle_timeout, srv_.opts.read_timeout, srv_.opts.write_timeout});
  while (!closed_) {
    auto now = Clock::now();
    timer_expiry_ = deadline_ == Clock::time_point::max() ? now + longest : deadline_;
    timer_.expires_at(timer_expiry_);
    beast::error_code ec;
    co_await timer_.async_wait(net::redirect_error(kUseAwaitable, ec));
    if (closed_) break;
    if (Clock::now() >= deadline_) {
      if (srv_.timeouts) srv_.timeouts->Inc();
      CloseSocket();
      break;
    }
  }
}

Task<> Session::Run(std::shared_ptr<Session> self) {
  w_.sessions.insert(this);
  registered_ = true;
  beast::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string();
  net::co_spawn(socket_.get_executor(), Watchdog(self), [](std::exception_ptr e) {
    if (e) spdlog::error("http: watchdog failed");
  });
  // Also when this coroutine is destroyed mid-request (Stop giving up on an unanswered request):
  // the watchdog, which holds the session too, must end.
  struct EndWatchdog {
    Session* s;
    ~EndWatchdog() {
      s->closed_ = true;
      s->timer_.cancel();
    }
  } end_watchdog{this};
  try {
    while (!closing_ && !w_.stopping) {
      if (!co_await ServeOne()) break;
    }
  } catch (const std::exception& e) {
    spdlog::error("http: connection failed: {}", e.what());
  }
  CloseSocket();
}

void Session::ResetRequest() {
  req_.method.clear();
  req_.target.clear();
  req_.path.clear();
  req_.query.clear();
  req_.headers.clear();
  req_.cookies.clear();
  req_.params.clear();
  req_.body.clear();
  if (req_.body.capacity() > 256 * 1024) req_.body.shrink_to_fit();
}

bool Session::PrepareRequest() {
  std::string_view target = req_.target;
  if (target.empty()) return false;
  if (target.front() != '/') {
    // absolute-form ("http://host/path"): keep the path.
    std::size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) return false;
    std::size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  std::size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  std::size_t hash = raw_path.find('#');
  if (hash != std::string_view::npos) raw_path = raw_path.substr(0, hash);
  // An encoded slash would make a path segment look like two; such paths match no route.
  encoded_slash_ = raw_path.find("%2F") != std::string_view::npos ||
                   raw_path.find("%2f") != std::string_view::npos;
  if (!PercentDecode(raw_path, false, &req_.path)) return false;
  if (!IsValidUtf8(req_.path) || req_.path.find('\0') != std::string::npos) return false;
  if (q != std::string_view::npos && q + 1 < target.size()) {
    std::string_view raw_query = target.substr(q + 1);
    std::size_t qhash = raw_query.find('#');
    if (qhash != std::string_view::npos) raw_query = raw_query.substr(0, qhash);
    auto parsed = ParseForm(raw_query);
    if (!parsed) return false;
    req_.query = std::move(*parsed);
  }
  auto cookie = req_.headers.find("cookie");
  if (cookie != req_.headers.end()) ParseCookies(cookie->second, &req_.cookies);
  req_.remote_address = peer_;
  if (srv_.opts.trust_proxy) {
    auto xff = req_.headers.find("x-forwarded-for");
    if (xff != req_.headers.end()) {
      std::string_view v = xff->second;
      std::size_t comma = v.rfind(',');
      std::string_view last = Trim(comma == std::string_view::npos ? v : v.substr(comma + 1));
      if (!last.empty()) req_.remote_address.assign(last);
    }
  }
  return true;
}

// Reads more bytes into buffer_. first_byte: when this request started arriving (or
// time_point::max() if nothing has arrived yet: then the idle timeout applies).
Task<bool> Session::ReadMore(RequestParser& parser, Clock::time_point first_byte) {
  if (first_byte != Clock::time_point::max()) {
    state_ = State::kReading;
    SetDeadline(std::min(deadline_, first_byte + read_timeout_));
  }
  beast::error_code ec;
  std::size_t n = co_await socket_.async_read_some(buffer_.prepare(kReadChunk),
                                                   net::redirect_error(kUseAwaitable, ec));
  if (ec) co_return false;
  buffer_.commit(n);
  co_return true;
}

Task<bool> Session::ServeOne() {
  ResetRequest();
  RequestParser parser(req_);
  parser.header_limit(static_cast<std::uint32_t>(srv_.opts.header_limit));
  // Checked against the route's limit once the header is in (boost::none would compare as
  // "smaller than any length" in Beast 1.74).
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  head_request_ = false;
  read_timeout_ = srv_.opts.read_timeout;

  // --- Header. ---
  Clock::time_point first_byte = Clock::time_point::max();
  if (buffer_.size() > 0) {
    first_byte = Clock::now();
  } else {
    state_ = State::kIdle;
    SetDeadline(Clock::now() +
                (srv_.Busy() ? srv_.opts.busy_idle_timeout : srv_.opts.idle_timeout));
  }
  for (;;) {
    if (buffer_.size() > 0) {
      beast::error_code ec;
      std::size_t n = parser.put(buffer_.data(), ec);
      buffer_.consume(n);
      if (!ec && parser.is_header_done()) break;
      if (ec && ec != bhttp::error::need_more) {
        if (ec == bhttp::error::header_limit) {
          co_return co_await RejectAndClose(431, "Request header fields too large", false);
        }
        if (parser.bad_framing() != nullptr) {
          co_return co_await RejectAndClose(parser.bad_framing_status(), parser.bad_framing(),
                                            false);
        }
        co_return co_await RejectAndClose(400, "Malformed request", false);
      }
    }
    if (buffer_.size() >= srv_.opts.header_limit + 4) {
      co_return co_await RejectAndClose(431, "Request header fields too large", false);
    }
    if (closing_ || w_.stopping) co_return false;
    if (!co_await ReadMore(parser, first_byte)) co_return false;
    if (first_byte == Clock::time_point::max()) first_byte = Clock::now();
  }
  state_ = State::kBusy;
  const auto t0 = Clock::now();
  head_request_ = req_.method == "HEAD";
  bool keep_alive = parser.keep_alive();
  const int version = parser.version();

  if (!PrepareRequest()) {
    co_return co_await RejectAndClose(400, "Malformed request target", WantsJson(req_));
  }
  const bool json = WantsJson(req_);

  Router::Match match;
  if (!encoded_slash_) {
    SplitPath(req_.path, &segments_);
    match = srv_.router.Find(req_.method, segments_, &req_.params);
  }
  const Router::Route* route = match.route;

  // --- Body. ---
  bool unread_body = false;
  if (!parser.is_done()) {
    if (route == nullptr ||
        (route->kind != Router::Kind::kHandler && route->kind != Router::Kind::kAsync)) {
      keep_alive = false;  // not reading a body nobody wants; answer and close
      unread_body = true;
    } else {
      std::size_t limit =
          route->options.body_limit ? route->options.body_limit : srv_.opts.body_limit;
      auto length = parser.content_length();
      if (length && *length > limit) {
        if (srv_.rejected) srv_.rejected->Inc();
        co_return co_await RejectAndClose(413, "Request body too large", json, route);
      }
      parser.body_limit(limit);
      parser.eager(true);
      if (route->options.read_timeout > read_timeout_) {
        read_timeout_ = route->options.read_timeout;
        deadline_ = first_byte + read_timeout_;  // later than the one set: the watchdog re-arms
      }
      if (parser.expect_continue() && buffer_.size() == 0) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await Write(kContinue, {})) co_return false;
      }
      for (;;) {
        if (buffer_.size() > 0) {
          beast::error_code ec;
          std::size_t n = parser.put(buffer_.data(), ec);
          buffer_.consume(n);
          if (!ec && parser.is_done()) break;
          if (ec == bhttp::error::body_limit) {
            if (srv_.rejected) srv_.rejected->Inc();
            co_return co_await RejectAndClose(413, "Request body too large", json, route);
          }
          if (ec && ec != bhttp::error::need_more) {
            co_return co_await RejectAndClose(400, "Malformed request body", json, route);
          }
          if (!ec && parser.is_done()) break;
        }
        if (!co_await ReadMore(parser, first_byte)) co_return false;
      }
      state_ = State::kBusy;
    }
  }
  NoDeadline();

  // --- Dispatch. ---
  Response response;
  std::string_view body;
  if (route == nullptr) {
    if (match.method_not_allowed) {
      response = ErrorResponse(405, "Method not allowed", json);
      response.Header("Allow", match.allow);
    } else if (!json && srv_.router.not_found()) {
      try {
        response = srv_.router.not_found()(req_);
      } catch (const std::exception& e) {
        spdlog::error("http: not-found handler threw: {}", e.what());
        response = ErrorResponse(404, "Page not found", false);
      }
      response.status = 404;
    } else {
      response = ErrorResponse(404, "Not found", json);
    }
    body = response.body;
  } else if (route->kind == Router::Kind::kEventStream) {
    co_return co_await ServeEventStream(*route, t0);
  } else if (route->kind == Router::Kind::kStatic) {
    const StaticFile* file = route->statics->Find(req_.params["path"]);
    if (file == nullptr) {
      response = ErrorResponse(404, "Not found", json);
      body = response.body;
    } else {
      response.content_type = file->content_type;
      response.headers.reserve(2);
      response.Header("ETag", file->etag);
      response.Header("Cache-Control", "public, max-age=3600");
      auto inm = req_.headers.find("if-none-match");
      if (inm != req_.headers.end() &&
          (inm->second.find(file->etag) != std::string::npos || Trim(inm->second) == "*")) {
        response.status = 304;
      } else {
        body = file->content;
      }
    }
  } else if (route->kind == Router::Kind::kAsync) {
    response = co_await RunAsync(*route, req_, json, w_.async, *srv_.pool);
    body = response.body;
  } else if (route->options.blocking) {
    response = co_await RunOnPool(*srv_.pool, [this, route] { return Invoke(*route); });
    body = response.body;
  } else {
    response = Invoke(*route);
    body = response.body;
  }

  keep_alive = keep_alive && !closing_ && !w_.stopping;
  bool ok = co_await SendResponse(response, body, keep_alive, version);
  auto elapsed = Clock::now() - t0;
  srv_.Record(route, response.status, elapsed);
  LogAccess(route, response.status, elapsed);
  if (ok && unread_body) co_await LingeringClose();
  co_return ok&& keep_alive;
}

Response Session::Invoke(const Router::Route& route) {
  try {
    Response r = route.handler(req_);
    if (!ValidStatus(r.status)) {
      spdlog::error("http: handler {} returned status {}", route.options.name, r.status);
      return ErrorResponse(500, "Internal server error", WantsJson(req_));
    }
    return r;
  } catch (const std::exception& e) {
    spdlog::error("http: handler {} threw: {}", route.options.name, e.what());
  } catch (...) {
    spdlog::error("http: handler {} threw a non-exception", route.options.name);
  }
  return ErrorResponse(500, "Internal server error", WantsJson(req_));
}

Task<bool> Session::SendResponse(const Response& r, std::string_view body, bool keep_alive,
                                 int version) {
  if (StatusHasNoBody(r.status)) body = {};
  head_.clear();
  ConnectionHeader conn = !keep_alive    ? ConnectionHeader::kClose
                          : version < 11 ? ConnectionHeader::kKeepAlive
                                         : ConnectionHeader::kNone;
  AppendResponseHead(r, body.size(), conn, &head_);
  if (head_request_) body = {};
  state_ = State::kBusy;
  co_return co_await Write(head_, body);
}

Task<bool> Session::Write(std::string_view head, std::string_view body) {
  std::array<net::const_buffer, 2> bufs{net::buffer(head.data(), head.size()),
                                        net::buffer(body.data(), body.size())};
  const std::size_t total = head.size() + body.size();
  beast::error_code ec;
  // The socket is non-blocking: try to write everything now (the usual case for small
  // responses) and only suspend for what the kernel did not take.
  std::size_t n = socket_.write_some(bufs, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    n = 0;
    ec = {};
  }
  if (ec) co_return false;
  if (n == total) co_return true;
  std::array<net::const_buffer, 2> rest = bufs;
  if (n < head.size()) {
    rest[0] = net::buffer(head.data() + n, head.size() - n);
  } else {
    rest[0] = net::const_buffer();
    rest[1] = net::buffer(body.data() + (n - head.size()), total - n);
  }
  auto saved = deadline_;
  SetDeadline(Clock::now() + srv_.opts.write_timeout);
  co_await net::async_write(socket_, rest, net::redirect_error(kUseAwaitable, ec));
  deadline_ = saved;
  co_return !ec;
}

Task<bool> Session::RejectAndClose(int status, std::string_view message, bool json,
                                   const Router::Route* route) {
  state_ = State::kBusy;
  const auto t0 = Clock::now();
  if (status >= 500) {
    spdlog::error("http: {} {} from {}", status, message, peer_);
  } else if (status == 413 || status == 431) {
    spdlog::debug("http: {} {} from {}", status, message, peer_);
  }
  Response r = ErrorResponse(status, message, json);
  if (status == 431 || status == 400 || status == 501) {
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(message) + "\n";
  }
  head_request_ = false;
  if (co_await SendResponse(r, r.body, false, 11)) co_await LingeringClose();
  srv_.Record(route, status, Clock::now() - t0);
  co_return false;
}

// After answering a request whose body we did not read, stop sending and discard what the
// client still sends for a little while: closing with unread data would make the kernel send
// a reset, which can destroy our response before the client reads it.
Task<> Session::LingeringClose() {
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  SetDeadline(Clock::now() +
              std::min<Clock::duration>(srv_.opts.read_timeout, std::chrono::seconds(2)));
  std::size_t total = 0;
  while (total < kLingerMaxBytes) {
    std::size_t n = co_await socket_.async_read_some(net::buffer(scratch_),
                                                     net::redirect_error(kUseAwaitable, ec));
    if (ec) break;
    total += n;
  }
}

void Session::LogAccess(const Router::Route* route, int status, Clock::duration elapsed) const {
  auto* logger = spdlog::default_logger_raw();
  // Every answer at debug level; a server error (5xx) always, for the operator.
  const auto level = status >= 500 ? spdlog::level::err : spdlog::level::debug;
  if (!logger->should_log(level)) return;
  // Never log query strings or tokens of /s/ links.
  std::string_view what = req_.target;
  if (req_.path.starts_with("/s/") || req_.path == "/s") {
    what = route ? std::string_view(route->pattern) : std::string_view("/s/...");
  }
  logger->log(level, "{} {} {} {} {:.3f}ms {}", req_.remote_address, req_.method, what, status,
              std::chrono::duration<double, std::milli>(elapsed).count(),
              route ? route->options.name : std::string("-"));
}

// --- Server-sent events. ---------------------------------------------------------------------

void Session::StartDisconnectWatch() {
  socket_.async_read_some(net::buffer(scratch_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) {
                              self->EndStream();
                              return;
                            }
                            self->StartDisconnectWatch();  // clients send nothing; ignore it
                          });
}

Task<bool> Session::ServeEventStream(const Router::Route& route, Clock::time_point t0) {
  const bool json = WantsJson(req_);
  Result<std::string> topic = Fail(Code::kInternal, "event stream failed");
  try {
    topic = route.topic_for(req_);
  } catch (const std::exception& e) {
    spdlog::error("http: event stream {} threw: {}", route.options.name, e.what());
  }
  if (!topic || srv_.events == nullptr) {
    Response r =
        !topic ? (json ? JsonError(topic.error())
                       : ErrorResponse(StatusFor(topic.error().code), topic.error().message, false))
               : ErrorResponse(503, "Event streams are not available", json);
    bool ok = co_await SendResponse(r, r.body, !closing_ && !w_.stopping, 11);
    srv_.Record(&route, r.status, Clock::now() - t0);
    LogAccess(&route, r.status, Clock::now() - t0);
    co_return ok && !closing_;
  }

  state_ = State::kSse;
  srv_.streams->fetch_add(1);
  sse_signal_ = std::make_shared<SseSignal>();
  sse_signal_->session = this;
  sub_ = srv_.events->Subscribe(*topic, [signal = sse_signal_, ex = socket_.get_executor()]() {
    if (!signal->pending.exchange(true)) {
      net::post(ex, [signal] {
        if (signal->session != nullptr) signal->session->Wake();
      });
    }
  });
  // A request's memory is not needed while streaming.
  buffer_.clear();
  buffer_.shrink_to_fit();
  ResetRequest();
  req_.target.shrink_to_fit();
  req_.path.shrink_to_fit();

  Response head;
  head.content_type = "text/event-stream; charset=utf-8";
  head.Header("Cache-Control", "no-store");
  head.Header("X-Accel-Buffering", "no");
  head_.clear();
  // No Content-Length for a stream: the body ends when the connection closes.
  AppendResponseHead(head, std::nullopt, ConnectionHeader::kNone, &head_);
  head_ += "retry: 3000\n\n";
  std::uint64_t last_seq = 0;
  if (SseEventPtr latest = sub_.Latest()) {
    head_ += latest->frame;
    last_seq = latest->seq;
  }
  srv_.Record(&route, 200, Clock::now() - t0);
  LogAccess(&route, 200, Clock::now() - t0);
  bool ok = co_await Write(head_, {});
  head_.clear();
  head_.shrink_to_fit();
  NoDeadline();

  if (ok) {
    StartDisconnectWatch();
    const auto heartbeat = srv_.opts.sse_heartbeat;
    const auto min_interval = srv_.opts.sse_min_interval;
    auto last_write = Clock::now();
    std::vector<SseEventPtr> pending;
    std::vector<net::const_buffer> bufs;
    static constexpr std::string_view kHeartbeat = ":\n\n";
    while (!sse_done_ && !closing_ && !w_.stopping) {
      auto now = Clock::now();
      beast::error_code ec;
      if (sse_signal_->pending.load() && now < last_write + min_interval) {
        // Too soon after the last write: wait out the interval. `pending` stays set meanwhile,
        // so further publishes do not post more wake-ups; what they publish goes out together.
        sse_timer_.expires_at(last_write + min_interval);
        co_await sse_timer_.async_wait(net::redirect_error(kUseAwaitable, ec));
        continue;
      }
      sse_signal_->pending.store(false);
      pending.clear();
      sub_.Since(last_seq, &pending);
      if (!pending.empty()) {
        bufs.clear();
        for (const auto& e : pending) bufs.push_back(net::buffer(e->frame));
        last_seq = pending.back()->seq;
        SetDeadline(now + srv_.opts.write_timeout);
        co_await net::async_write(socket_, bufs, net::redirect_error(kUseAwaitable, ec));
        NoDeadline();
        if (ec) break;
        last_write = Clock::now();
        continue;
      }
      if (now >= last_write + heartbeat) {
        if (!co_await Write(kHeartbeat, {})) break;
        last_write = Clock::now();
        continue;
      }
      sse_timer_.expires_at(last_write + heartbeat);
      co_await sse_timer_.async_wait(net::redirect_error(kUseAwaitable, ec));
    }
  }
  sse_signal_->session = nullptr;
  sub_.Reset();
  srv_.streams->fetch_sub(1);
  co_return false;  // the stream ends with the connection
}

// --- Server. ---------------------------------------------------------------------------------

Task<> Server::Impl::AcceptLoop() {
  std::size_t next = 0;
  SteadyTimer backoff(acceptor->get_executor());
  for (;;) {
    Worker& w = *workers[next++ % workers.size()];
    beast::error_code ec;
    Socket socket = co_await acceptor->async_accept(w.ioc, net::redirect_error(kUseAwaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open() || stopping) break;
      spdlog::warn("http: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));  // e.g. out of file descriptors
      co_await backoff.async_wait(net::redirect_error(kUseAwaitable, ec));
      continue;
    }
    if (stopping) break;
    if (live->load() >= opts.max_connections) {
      static constexpr std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 20\r\nRetry-After: 5\r\nConnection: close\r\n\r\nServer is too busy\r\n";
      RefuseConnection(socket, kBusy);
      if (auto now = Clock::now(); now >= last_busy_log + std::chrono::seconds(1)) {
        last_busy_log = now;  // a 5xx is logged, but not ten thousand times a second
        spdlog::error("http: 503: {} connections open (server.max_connections); refusing more",
                      live->load());
      }
      continue;
    }
    std::string address_key;
    if (opts.max_connections_per_address > 0 && !opts.trust_proxy) {
      auto peer = socket.remote_endpoint(ec);
      if (!ec) address_key = AddressKey(peer.address());
      if (!address_key.empty() && !TakeAddressSlot(address_key)) {
        static constexpr std::string_view kTooMany =
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 45\r\nRetry-After: 5\r\nConnection: close\r\n\r\n"
            "Too many open connections from your address\r\n";
        RefuseConnection(socket, kTooMany);
        continue;
      }
    }
    live->fetch_add(1);
    if (Busy()) TrimIdleConnections();
    auto session = std::make_shared<Session>(*this, w, std::move(socket));
    session->MarkCounted(std::move(address_key));
    net::co_spawn(w.ioc.get_executor(), session->Run(session), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("http: connection coroutine failed: {}", ex.what());
      }
    });
  }
}

void Server::Impl::RefuseConnection(Socket& socket, std::string_view answer) {
  if (rejected) rejected->Inc();
  beast::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(net::buffer(answer.data(), answer.size()), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void Server::Impl::TrimIdleConnections() {
  auto now = Clock::now();
  if (now < last_trim + std::chrono::seconds(1)) return;
  last_trim = now;
  const auto until = now + opts.busy_idle_timeout;
  for (auto& wp : workers) {
    Worker* w = wp.get();
    net::post(w->ioc, [w, until] {
      for (Session* session : w->sessions) session->TrimIdle(until);
    });
  }
}

void Server::Impl::RegisterMetrics() {
  if (!metrics) return;
  static constexpr std::array<const char*, 5> kClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  const char* kRequests = "undersigned_http_requests_total";
  const char* kLatency = "undersigned_http_request_duration_seconds";
  auto make = [&](const std::string& name) {
    RouteStats s;
    for (std::size_t c = 0; c < kClasses.size(); ++c) {
      Labels labels = {{"route", name}, {"code", kClasses[c]}};
      s.requests[c] =
          &metrics->AddCounter(kRequests, "HTTP requests by route and status class", labels);
      s.latency[c] = &metrics->AddHistogram(
          kLatency, "HTTP request latency in seconds by route and status class", labels);
    }
    return s;
  };
  for (const auto& r : router.routes()) route_stats.push_back(make(r->options.name));
  unmatched_stats = make("unmatched");
  metrics->HideEmptySeries(kRequests);
  metrics->HideEmptySeries(kLatency);
  timeouts = &metrics->AddCounter("undersigned_http_timeouts_total",
                                  "Connections closed because a client was too slow or idle");
  rejected = &metrics->AddCounter(
      "undersigned_http_rejected_total",
      "Requests refused for size (413) or connections refused for capacity (503)");
  metrics->Gauge("undersigned_http_connections", "Open HTTP connections",
                 [live = live] { return static_cast<double>(live->load()); });
  metrics->Gauge("undersigned_http_event_streams", "Open server-sent event streams",
                 [streams = streams] { return static_cast<double>(streams->load()); });
}

Server::Server(ServerOptions options, const Router& router, EventHub* events, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, events, metrics)) {
  impl_->RegisterMetrics();
}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

Result<std::uint16_t> Server::Start() {
  Impl& s = *impl_;
  if (s.started) return Fail(Code::kInternal, "server already started");
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(s.opts.address, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, s.opts.port);
  } else {
    // A host name such as "localhost": take its first address.
    net::io_context resolver_context;
    tcp::resolver resolver(resolver_context);
    auto results = resolver.resolve(s.opts.address, std::to_string(s.opts.port), ec);
    if (ec || results.empty()) {
      return Fail(Code::kInvalidArgument, "bad listen address: " + s.opts.address);
    }
    endpoint = results.begin()->endpoint();
  }
  int n = std::max(1, s.opts.io_threads);
  for (int i = 0; i < n; ++i) s.workers.push_back(std::make_unique<Worker>());
  s.acceptor.emplace(s.workers[0]->ioc);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string what = "cannot listen on " + s.opts.address + ":" + std::to_string(s.opts.port) +
                       ": " + ec.message();
    s.acceptor.reset();
    s.workers.clear();
    return Fail(Code::kUnavailable, what);
  }
  s.port = s.acceptor->local_endpoint().port();
  s.pool = std::make_unique<net::thread_pool>(std::max(1, s.opts.blocking_threads));
  s.started = true;
  net::co_spawn(s.workers[0]->ioc.get_executor(), s.AcceptLoop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http: accept loop failed: {}", ex.what());
    }
  });
  for (auto& wp : s.workers) {
    Worker* w = wp.get();
    w->guard.emplace(w->ioc.get_executor());
    w->thread = std::thread([w] {
      t_network_thread = true;
      for (;;) {
        try {
          w->ioc.run();
          break;
        } catch (const std::exception& e) {
          spdlog::error("http: network thread caught: {}", e.what());
        }
      }
    });
  }
  spdlog::info("http: listening on {}:{}", s.opts.address, s.port);
  return s.port;
}

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping = true;
  const auto deadline = Clock::now() + grace;
  net::post(s.workers[0]->ioc, [&s] {
    beast::error_code ec;
    s.acceptor->close(ec);
  });
  for (auto& wp : s.workers) {
    Worker* w = wp.get();
    net::post(w->ioc, [w] {
      w->stopping = true;
      std::vector<Session*> sessions(w->sessions.begin(), w->sessions.end());
      for (Session* session : sessions) session->OnStop();
    });
  }
  {
    std::unique_lock lock(s.mu);
    s.cv.wait_until(lock, deadline, [&] { return s.live->load() == 0; });
  }
  if (s.live->load() > 0) {
    spdlog::warn("http: closing {} connections still open after the grace period", s.live->load());
    for (auto& wp : s.workers) {
      Worker* w = wp.get();
      net::post(w->ioc, [w] {
        std::vector<Session*> sessions(w->sessions.begin(), w->sessions.end());
        for (Session* session : sessions) session->ForceClose();
      });
    }
  }
  // Blocking handlers still running cannot be interrupted; wait for them, drop queued ones.
  s.pool->stop();
  s.pool->join();
  // Asynchronous requests still unanswered are given up: their coroutines unwind on their
  // network threads (ending their sessions) and their Respond calls will be ignored.
  for (auto& wp : s.workers) wp->async->Close();
  if (s.live->load() > 0) {
    std::unique_lock lock(s.mu);
    s.cv.wait_for(lock, std::chrono::seconds(1), [&] { return s.live->load() == 0; });
  }
  for (auto& wp : s.workers) {
    wp->guard.reset();
    wp->ioc.stop();
  }
  for (auto& wp : s.workers) {
    if (wp->thread.joinable()) wp->thread.join();
  }
  s.acceptor.reset();
  spdlog::info("http: stopped");
}

std::uint16_t Server::port() const { return impl_->port; }

std::size_t Server::connections() const { return impl_->live->load(); }

bool Server::OnNetworkThread() { return t_network_thread; }

void AddMetricsRoute(Router& router, const Metrics& metrics,
                     std::shared_ptr<const Networks> allowed) {
  router.Get(
      "/metrics",
      [&metrics, allowed = std::move(allowed)](const Request& req) {
        if (allowed && !allowed->Contains(req.remote_address)) {
          return Response::Text(
              "/metrics is served only to the networks in server.metrics_allow, or on "
              "server.metrics_listen\n",
              403);
        }
        return Response::Json(metrics.RenderPrometheus(), 200, Metrics::kContentType);
      },
      // Blocking: gauge callbacks registered by other modules may query the store.
      RouteOptions{.blocking = true, .name = "metrics"});
}

void AddOpsRoutes(Router& router, const Metrics& metrics, std::function<bool()> healthy) {
  AddMetricsRoute(router, metrics, nullptr);
  AddHealthRoute(router, std::move(healthy));
}

void AddHealthRoute(Router& router, std::function<bool()> healthy) {
  router.Get(
      "/healthz",
      [healthy = std::move(healthy)](const Request&) {
        if (healthy && !healthy()) return Response::Text("unavailable\n", 503);
        return Response::Text("ok\n", 200);
      },
      RouteOptions{.name = "healthz"});
}

}  // namespace undersigned::http
