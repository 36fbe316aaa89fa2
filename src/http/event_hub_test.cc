#include "http/event_hub.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace undersigned::http {
namespace {

TEST(FormatSseFrameTest, NamedAndMultiline) {
  EXPECT_EQ(FormatSseFrame("count", "{\"n\":1}"), "event: count\ndata: {\"n\":1}\n\n");
  EXPECT_EQ(FormatSseFrame("", "a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(FormatSseFrame("x\ny", ""), "event: xy\ndata: \n\n");
}

TEST(EventHubTest, LatestIsKeptForLateSubscribers) {
  EventHub hub;
  EXPECT_EQ(hub.Latest("campaign:a"), nullptr);
  hub.Publish("campaign:a", "count", "1");
  hub.Publish("campaign:a", "count", "2");
  hub.Publish("campaign:b", "count", "9");
  auto latest = hub.Latest("campaign:a");
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->data, "2");
  EXPECT_EQ(latest->seq, 2u);
  auto sub = hub.Subscribe("campaign:a", [] {});
  ASSERT_NE(sub.Latest(), nullptr);
  EXPECT_EQ(sub.Latest()->frame, "event: count\ndata: 2\n\n");
}

TEST(EventHubTest, NotifiesAndCatchesUp) {
  EventHub hub;
  std::atomic<int> notified{0};
  auto sub = hub.Subscribe("t", [&] { notified++; });
  EXPECT_EQ(hub.SubscriberCount(), 1u);
  hub.Publish("t", "e", "1");
  hub.Publish("t", "e", "2");
  hub.Publish("other", "e", "x");
  EXPECT_EQ(notified.load(), 2);
  std::vector<SseEventPtr> events;
  sub.Since(0, &events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]->data, "1");
  EXPECT_EQ(events[1]->data, "2");
  events.clear();
  sub.Since(1, &events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->data, "2");
}

TEST(EventHubTest, RetainsOnlyRecentEvents) {
  EventHub hub;
  auto sub = hub.Subscribe("t", [] {});
  for (int i = 1; i <= 20; ++i) hub.Publish("t", "e", std::to_string(i));
  std::vector<SseEventPtr> events;
  sub.Since(0, &events);
  ASSERT_EQ(events.size(), EventHub::kRetained);
  EXPECT_EQ(events.back()->data, "20");
  EXPECT_EQ(events.front()->seq, 20 - EventHub::kRetained + 1);
}

TEST(EventHubTest, ResetStopsNotifications) {
  EventHub hub;
  std::atomic<int> notified{0};
  auto sub = hub.Subscribe("t", [&] { notified++; });
  EventHub::Subscription moved = std::move(sub);
  EXPECT_FALSE(sub.active());
  EXPECT_TRUE(moved.active());
  hub.Publish("t", "e", "1");
  moved.Reset();
  hub.Publish("t", "e", "2");
  EXPECT_EQ(notified.load(), 1);
  EXPECT_EQ(hub.SubscriberCount(), 0u);
}

TEST(EventHubTest, ConcurrentPublishAndSubscribe) {
  EventHub hub;
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int i = 0; i < 2000; ++i) hub.Publish("t", "e", std::to_string(i));
    stop = true;
  });
  int rounds = 0;
  while (!stop.load() || rounds < 10) {
    std::atomic<int> n{0};
    auto sub = hub.Subscribe("t", [&] { n++; });
    std::vector<SseEventPtr> events;
    sub.Since(0, &events);
    ++rounds;
  }
  publisher.join();
  EXPECT_EQ(hub.Latest("t")->data, "1999");
  EXPECT_EQ(hub.SubscriberCount(), 0u);
}

}  // namespace
}  // namespace undersigned::http
