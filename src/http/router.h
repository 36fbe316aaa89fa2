// Router: the table of routes the server dispatches to. Built once at start-up (Add*, not
// thread-safe), then read concurrently by the server's threads (Find is const and thread-safe).
// The Router must outlive the Server that uses it.
//
// Patterns are paths of '/'-separated segments; each segment is one of
//   literal          "petitions"
//   parameter        "{id}"            matches one non-empty segment
//   affixed param    "{slug}.json"     literal prefix and/or suffix around one parameter
//   rest (last only) "{path...}"       one or more remaining segments (used by AddStatic)
// A trailing slash is significant: "/api/v2/" and "/api/v2" are different routes.
// When several patterns match a path, the most specific wins, segment by segment from the left
// (literal > affixed param > param > rest); so "/c/{slug}.json" beats "/c/{slug}" for
// "/c/x.json". Parameters are matched against percent-decoded segments; an encoded slash
// (%2F) never matches anything (the server answers 404).
//
// Asynchronous routes (AddAsync): the handler starts the work and returns at once; whoever
// finishes the work calls the Respond it was given, from any thread. A Respond is a small
// shared handle (copyable; copies share one answer): the first call answers, later calls are
// ignored, and when the last copy is destroyed unanswered the request is answered 500.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "http/message.h"
#include "http/static_files.h"

namespace undersigned::http {

struct RouteOptions {
  // Run the handler on the blocking executor (a thread pool, ServerOptions::blocking_threads)
  // instead of a network thread. Use it for anything that touches the store, hashes passwords
  // or waits on anything.
  bool blocking = false;
  // Largest request body accepted, in bytes; 0 means ServerOptions::body_limit (64 KiB by
  // default). Larger bodies are answered 413 and the connection is closed.
  std::size_t body_limit = 0;
  // Label for metrics and access logs, e.g. "campaign_page". Defaults to the pattern.
  std::string name;
  // How long the whole request may take to arrive, once its header is in; 0 or less than
  // ServerOptions::read_timeout means that. Longer for routes that take uploads (a logo from a
  // phone on a slow network), so that slow-client protection stays tight everywhere else.
  std::chrono::milliseconds read_timeout{0};
};

// Chooses the EventHub topic of an event-stream request (e.g. "campaign:" + slug). An error is
// answered like a handler error (404 for an unknown campaign...).
using TopicFor = std::function<Result<std::string>(const Request&)>;

// Answers one asynchronous request. Copyable and movable; all copies share one answer and may be
// used and destroyed on any threads concurrently. Call it once with the response:
//  - the first call answers (the response is written by the connection's own network thread;
//    the caller never blocks and never touches the socket); later calls are ignored (debug log);
//  - if the last copy is destroyed without a call, the request is answered 500 (error log);
//  - calling an empty (default-constructed or moved-from) Respond does nothing.
// The server creates one per asynchronous request (one allocation, shared by all copies). A
// Respond can also wrap any callable taking a Response (tests, adapters); that callable is then
// invoked once, on the answering thread, and with a 500 response if the last copy is dropped.
class Respond {
 public:
  // The shared completion state behind a Respond.
  class State {
   public:
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;

   protected:
    virtual ~State() = default;
    // Called exactly once, on the thread that answered or that dropped the last copy. dropped:
    // nobody answered (response is then default-constructed; the implementation answers 500).
    virtual void Deliver(Response response, bool dropped) noexcept = 0;

   private:
    friend class Respond;
    std::atomic<std::size_t> refs_{1};
    std::atomic<bool> answered_{false};
  };

  Respond() noexcept = default;
  // Takes over the one reference a new State starts with.
  explicit Respond(State* adopt) noexcept : state_(adopt) {}
  // Wraps a callable: fn(Response) is invoked once (see above). Allocates.
  template <typename F>
  requires(!std::same_as<std::remove_cvref_t<F>, Respond> &&
           std::invocable<std::remove_cvref_t<F>&, Response>)
      Respond(F&& fn)  // NOLINT(google-explicit-constructor): a Respond is a callback
      : state_(new CallableState<std::remove_cvref_t<F>>(std::forward<F>(fn))) {}

  Respond(const Respond& other) noexcept : state_(other.state_) {
    if (state_) state_->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  Respond(Respond&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Respond& operator=(Respond other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Respond() {
    if (state_) Release(state_);
  }

  // Answers the request (first call only). Never blocks; never throws.
  void operator()(Response response) const noexcept;

  explicit operator bool() const noexcept { return state_ != nullptr; }
  // True once some copy has answered (or the answer was given up on). A hint: another thread
  // may answer right after this returns false.
  bool answered() const noexcept {
    return state_ != nullptr && state_->answered_.load(std::memory_order_acquire);
  }

 private:
  template <typename F>
  class CallableState final : public State {
   public:
    template <typename G>
    explicit CallableState(G&& fn) : fn_(std::forward<G>(fn)) {}

   private:
    void Deliver(Response response, bool dropped) noexcept override {
      if (dropped) response = DroppedResponse();
      try {
        fn_(std::move(response));
      } catch (...) {
        // A callback that throws has nobody to report to.
      }
    }
    F fn_;
  };

  static Response DroppedResponse();
  static void Release(State* state) noexcept;

  State* state_ = nullptr;
};

// Starts an asynchronous request: must not block (it runs on a network thread unless the route is
// blocking). The Request stays valid until the request is answered (the connection does nothing
// else meanwhile); copy what outlives the answer. Throwing before answering answers 500.
using AsyncHandler = std::function<void(const Request&, Respond)>;

class Router {
 public:
  enum class Kind { kHandler, kEventStream, kStatic, kAsync };

  struct Segment {
    enum class Type { kLiteral, kParam, kRest };
    Type type = Type::kLiteral;
    std::string literal;  // kLiteral: the text; kParam: the literal prefix
    std::string suffix;   // kParam: the literal suffix
    std::string name;     // parameter name
  };

  struct Route {
    Kind kind = Kind::kHandler;
    std::string method;   // "GET", "POST", ...
    std::string pattern;  // as registered
    std::vector<Segment> segments;
    std::vector<int> score;                      // specificity per segment
    Handler handler;                             // kHandler
    AsyncHandler async_handler;                  // kAsync
    TopicFor topic_for;                          // kEventStream
    std::shared_ptr<const StaticFiles> statics;  // kStatic
    RouteOptions options;                        // name is never empty
    std::size_t index = 0;                       // position in routes()
  };

  struct Match {
    const Route* route = nullptr;     // the route to run, or nullptr
    bool method_not_allowed = false;  // a pattern matched but not with this method
    std::string allow;                // for 405: "GET, HEAD, POST"
  };

  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  Router(Router&&) = default;
  Router& operator=(Router&&) = default;

  // Adds a route. HEAD requests are served by the GET route (without the body) unless a HEAD
  // route is added. A malformed pattern is a bug: throws std::invalid_argument.
  void Add(std::string_view method, std::string_view pattern, Handler handler,
           RouteOptions options = {});
  void Get(std::string_view pattern, Handler handler, RouteOptions options = {}) {
    Add("GET", pattern, std::move(handler), std::move(options));
  }
  void Post(std::string_view pattern, Handler handler, RouteOptions options = {}) {
    Add("POST", pattern, std::move(handler), std::move(options));
  }

  // Adds an asynchronous route (see AsyncHandler and Respond). The handler is invoked on a
  // network thread, or on the blocking executor if options.blocking (for handlers with some
  // cheap blocking preparation); either way no thread waits for the answer. Metrics and the
  // access log see it like any route (latency runs until the answer is written). Server::Stop
  // waits for unanswered asynchronous requests like for running handlers, up to its grace
  // period; after that their connections are closed and their Respond calls ignored.
  void AddAsync(std::string_view method, std::string_view pattern, AsyncHandler handler,
                RouteOptions options = {});
  void GetAsync(std::string_view pattern, AsyncHandler handler, RouteOptions options = {}) {
    AddAsync("GET", pattern, std::move(handler), std::move(options));
  }
  void PostAsync(std::string_view pattern, AsyncHandler handler, RouteOptions options = {}) {
    AddAsync("POST", pattern, std::move(handler), std::move(options));
  }

  // A GET route answered with a text/event-stream of the EventHub topic chosen by topic_for:
  // the topic's latest event at once, then each published event, a comment heartbeat every
  // 15 s, until the client goes away or the server stops.
  void AddEventStream(std::string_view pattern, TopicFor topic_for, std::string name = "");

  // Serves the files under directory at prefix ("/static" -> "/static/css/site.css"), from
  // memory, with ETag and Cache-Control: public, max-age=3600. Reads the files now.
  [[nodiscard]] Result<void> AddStatic(std::string_view prefix,
                                       const std::filesystem::path& directory,
                                       std::string name = "static");

  // Renders the 404 page for browsers (JSON clients get {"error": ...}). Optional.
  void SetNotFound(Handler handler) { not_found_ = std::move(handler); }
  const Handler& not_found() const { return not_found_; }

  // segments: the percent-decoded path split on '/', without the leading empty segment
  // ("/c/x" -> {"c", "x"}; "/" -> {""}). On a match fills *params (may be nullptr).
  Match Find(std::string_view method, std::span<const std::string_view> segments,
             std::map<std::string, std::string>* params) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  Route& AddRoute(Kind kind, std::string_view method, std::string_view pattern,
                  RouteOptions options);

  std::vector<std::unique_ptr<Route>> routes_;
  Handler not_found_;
};

// Splits a path that starts with '/' into its segments (views into path).
// "/c/x" -> {"c", "x"}, "/" -> {""}, "/a/" -> {"a", ""}.
void SplitPath(std::string_view path, std::vector<std::string_view>* segments);

}  // namespace undersigned::http
