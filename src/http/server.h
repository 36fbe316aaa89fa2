// Server: the HTTP/1.1 server of undersigned (Boost.Beast parser, Asio coroutines).
//
// It owns the listening socket, the network threads (one io_context per thread; each connection
// lives on one of them, so per-connection state needs no locks) and the blocking executor (a
// thread pool that runs handlers whose route is marked blocking). Per connection: one coroutine,
// a fresh parser per request, keep-alive and pipelining (responses in request order), header,
// body and time limits (431, 413 with a response, 400 for malformed requests, timeouts close
// the connection), security headers on every response, access log at debug level, request
// counts and latency histograms in Metrics, server-sent event streams fed by the EventHub.
// Asynchronous routes (Router::AddAsync) suspend their connection until the request is answered
// through its Respond, from any thread: the answer is posted to the connection's network thread,
// which writes it; no thread waits meanwhile.
//
// Lifetime: the Router, EventHub and Metrics passed in must outlive the Server. Start() once,
// Stop() once (the destructor stops if needed). Start/Stop/port are to be called from one
// controlling thread (not from a handler).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "http/event_hub.h"
#include "http/metrics.h"
#include "http/networks.h"
#include "http/router.h"

namespace undersigned::http {

struct ServerOptions {
  std::string address = "127.0.0.1";    // "0.0.0.0" or "::" to listen on all interfaces
  std::uint16_t port = 0;               // 0 picks a free port; Start() returns it
  int io_threads = 2;                   // network threads (each runs its own io_context)
  int blocking_threads = 64;            // threads of the blocking executor
  std::size_t header_limit = 8 * 1024;  // request line + headers; larger -> 431
  std::size_t body_limit = 64 * 1024;   // default for routes that set no limit; larger -> 413
  // Time to receive a whole request (headers and body) once its first byte has arrived.
  std::chrono::milliseconds read_timeout{10'000};
  // Time a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{30'000};
  // Time to write a response that the client does not read.
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 10'000;  // beyond: answered 503 and closed
  // Connections one client may hold at once (an IPv4 address, or an IPv6 /64: one host's
  // share); beyond: answered 429 and closed, so that one client cannot take every connection.
  // It counts socket peers, so it is not applied with trust_proxy (every peer is then the
  // proxy, which should limit connections itself). 0: no limit. The default leaves room for an
  // office of 600 people behind one NAT, each with a page open on its event stream.
  std::size_t max_connections_per_address = 2'000;
  // Once the open connections reach busy_fraction of max_connections, a kept-alive connection
  // waits at most busy_idle_timeout for its next request (those already waiting too), so idle
  // ones make room for new visitors.
  double busy_fraction = 0.75;
  std::chrono::milliseconds busy_idle_timeout{2'000};
  // Take the client address from X-Forwarded-For (its last entry: the address the proxy saw)
  // instead of the socket peer. Only when a reverse proxy in front sets it.
  bool trust_proxy = false;
  // Event streams: comment heartbeat interval, and the shortest interval between two writes to
  // one stream. An event after a quiet period goes out at once; events that follow within the
  // interval are sent together at its end. This bounds the writes (and wake-ups) per stream
  // when a campaign is signed hundreds of times a second and thousands of pages watch it.
  std::chrono::milliseconds sse_heartbeat{15'000};
  std::chrono::milliseconds sse_min_interval{250};
};

class Server {
 public:
  // events: used by event-stream routes (may be nullptr if the router has none).
  // metrics: receives http metrics (may be nullptr).
  Server(ServerOptions options, const Router& router, EventHub* events = nullptr,
         Metrics* metrics = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Returns the bound port. Fails (kUnavailable) if the
  // address cannot be bound.
  Result<std::uint16_t> Start();

  // Graceful shutdown: stops accepting, closes idle keep-alive connections and event streams,
  // lets in-flight requests finish and be answered (with Connection: close) until `grace` has
  // passed, then closes whatever is left and joins all threads. Blocks until done. Idempotent.
  // In-flight requests include asynchronous ones not yet answered. After `grace`, blocking
  // handlers still running are waited for (they cannot be interrupted), while asynchronous
  // requests still unanswered are given up: their connections close and their Respond does
  // nothing from then on (it may safely outlive the Server).
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000));

  std::uint16_t port() const;

  // Open connections right now (for tests and metrics).
  std::size_t connections() const;

  // True on one of the server's network threads (any Server's). Tests use it to check that
  // blocking handlers run elsewhere.
  static bool OnNetworkThread();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Registers GET /healthz ("ok", or 503 "unavailable" when healthy() returns false; healthy may
// be empty). It runs on a network thread: keep healthy() cheap.
void AddHealthRoute(Router& router, std::function<bool()> healthy = {});

// Registers GET /metrics (Prometheus text), on the blocking executor (gauges may query the
// store). allowed: the networks whose clients (Request::remote_address) may read it, others get
// 403; nullptr: everyone (a listener of its own, reachable only by the operator).
void AddMetricsRoute(Router& router, const Metrics& metrics,
                     std::shared_ptr<const Networks> allowed);

// Both, /metrics open to everyone: for tests.
void AddOpsRoutes(Router& router, const Metrics& metrics, std::function<bool()> healthy = {});

}  // namespace undersigned::http
