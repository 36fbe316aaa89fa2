#include "http/event_hub.h"

namespace undersigned::http {

std::string FormatSseFrame(std::string_view event_name, std::string_view data) {
  std::string frame;
  frame.reserve(event_name.size() + data.size() + 24);
  if (!event_name.empty()) {
    frame += "event: ";
    for (char c : event_name) {
      if (c != '\r' && c != '\n') frame += c;
    }
    frame += '\n';
  }
  // Each line of data gets its own "data:" field.
  std::size_t pos = 0;
  for (;;) {
    std::size_t end = data.find_first_of("\r\n", pos);
    std::string_view line =
        data.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    frame += "data: ";
    frame += line;
    frame += '\n';
    if (end == std::string_view::npos) break;
    pos = end + 1;
    if (data[end] == '\r' && pos < data.size() && data[pos] == '\n') ++pos;
  }
  frame += '\n';
  return frame;
}

EventHub::Subscription::Subscription(Subscription&& other) noexcept
    : topic_(std::move(other.topic_)), it_(other.it_) {
  other.topic_ = nullptr;
}

EventHub::Subscription& EventHub::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    topic_ = std::move(other.topic_);
    it_ = other.it_;
    other.topic_ = nullptr;
  }
  return *this;
}

void EventHub::Subscription::Reset() {
  if (!topic_) return;
  {
    std::lock_guard lock(topic_->mu);
    topic_->subscribers.erase(it_);
  }
  topic_->hub->subscriber_count_.fetch_sub(1, std::memory_order_relaxed);
  topic_ = nullptr;
}

void EventHub::Subscription::Since(std::uint64_t after, std::vector<SseEventPtr>* out) const {
  if (!topic_) return;
  std::lock_guard lock(topic_->mu);
  for (const auto& e : topic_->recent) {
    if (e->seq > after) out->push_back(e);
  }
}

SseEventPtr EventHub::Subscription::Latest() const {
  if (!topic_) return nullptr;
  std::lock_guard lock(topic_->mu);
  return topic_->recent.empty() ? nullptr : topic_->recent.back();
}

std::shared_ptr<EventHub::Topic> EventHub::TopicFor(std::string_view topic, bool create) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  if (!create) return nullptr;
  auto t = std::make_shared<Topic>();
  t->hub = const_cast<EventHub*>(this);
  topics_.emplace(std::string(topic), t);
  return t;
}

void EventHub::Publish(std::string_view topic, std::string_view event_name, std::string_view data) {
  auto event = std::make_shared<SseEvent>();
  event->name = std::string(event_name);
  event->data = std::string(data);
  event->frame = FormatSseFrame(event_name, data);
  std::shared_ptr<Topic> t = TopicFor(topic, true);
  std::lock_guard lock(t->mu);
  event->seq = t->next_seq++;
  t->recent.push_back(std::move(event));
  if (t->recent.size() > kRetained) t->recent.pop_front();
  for (auto& notify : t->subscribers) notify();
}

EventHub::Subscription EventHub::Subscribe(std::string_view topic, std::function<void()> notify) {
  Subscription s;
  s.topic_ = TopicFor(topic, true);
  {
    std::lock_guard lock(s.topic_->mu);
    s.it_ = s.topic_->subscribers.insert(s.topic_->subscribers.end(), std::move(notify));
  }
  subscriber_count_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

SseEventPtr EventHub::Latest(std::string_view topic) const {
  std::shared_ptr<Topic> t = TopicFor(topic, false);
  if (!t) return nullptr;
  std::lock_guard lock(t->mu);
  return t->recent.empty() ? nullptr : t->recent.back();
}

std::size_t EventHub::SubscriberCount() const {
  return subscriber_count_.load(std::memory_order_relaxed);
}

}  // namespace undersigned::http
