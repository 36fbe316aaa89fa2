// EventHub: publish/subscribe of server-sent events by topic string (e.g. "campaign:<slug>").
//
// Publish() formats the event once as an SSE frame ("event: name\ndata: ...\n\n") and keeps
// the latest few events of each topic, so a subscriber that arrives later gets the latest event
// at once, and a subscriber that is briefly busy (a slow write) catches up on what it missed.
// Subscribers are not handed events: they are told "something new on your topic" through their
// notify callback and then pull with Since(). This keeps Publish() cheap with many thousands of
// subscribers, and coalesces bursts for subscribers that cannot keep up (they skip to the
// retained events; intermediate events older than the retained window are dropped - fine for
// live counters, which only need the latest state).
//
// Thread-safety: all methods are thread-safe. notify callbacks run on the publisher's thread
// while the topic's lock is held: they must be quick and must not call back into the hub (the
// server's callback only posts a wake-up to the connection's executor). After a Subscription is
// destroyed or reset, its notify is never called again.
//
// Ownership: the hub must outlive every Subscription and every Server that uses it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace undersigned::http {

struct SseEvent {
  std::uint64_t seq = 0;  // per topic, increasing from 1
  std::string name;       // event name ("count"); empty for unnamed "message" events
  std::string data;       // payload as published
  std::string frame;      // the formatted SSE frame, ready to write
};
using SseEventPtr = std::shared_ptr<const SseEvent>;

// "event: <name>\ndata: <line1>\ndata: <line2>\n\n"; CR and LF in name are dropped, data lines
// are split on LF (CR LF and CR are normalized).
std::string FormatSseFrame(std::string_view event_name, std::string_view data);

class EventHub {
 private:
  struct Topic;

 public:
  // Number of recent events kept per topic (the latest is always kept).
  static constexpr std::size_t kRetained = 8;

  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { Reset(); }

    // Unsubscribes; afterwards notify is never called.
    void Reset();
    bool active() const { return topic_ != nullptr; }

    // Appends to *out the retained events with seq > after, oldest first. Pass 0 to get what
    // is retained (a new subscriber usually wants just Latest()).
    void Since(std::uint64_t after, std::vector<SseEventPtr>* out) const;
    SseEventPtr Latest() const;

   private:
    friend class EventHub;
    std::shared_ptr<Topic> topic_;
    std::list<std::function<void()>>::iterator it_;
  };

  EventHub() = default;
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Records the event as the topic's latest and notifies the topic's subscribers.
  void Publish(std::string_view topic, std::string_view event_name, std::string_view data);

  // notify: called after each Publish to the topic (see the thread-safety note above).
  Subscription Subscribe(std::string_view topic, std::function<void()> notify);

  // The latest event of a topic, or nullptr if nothing was published to it.
  SseEventPtr Latest(std::string_view topic) const;

  // Total number of live subscriptions (for metrics).
  std::size_t SubscriberCount() const;

 private:
  struct Topic {
    mutable std::mutex mu;
    std::uint64_t next_seq = 1;
    std::deque<SseEventPtr> recent;  // oldest first, at most kRetained
    std::list<std::function<void()>> subscribers;
    EventHub* hub = nullptr;
  };

  std::shared_ptr<Topic> TopicFor(std::string_view topic, bool create) const;

  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_;
  std::atomic<std::size_t> subscriber_count_{0};
};

}  // namespace undersigned::http
