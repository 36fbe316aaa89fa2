#include "render/share_cache.h"

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

// A rendering that says what it was asked to show and counts its calls.
struct Renderer {
  std::atomic<int> calls{0};
  std::string fields, count;
  ShareImageCache::RenderFn Fn() {
    return [this]() -> Result<std::string> {
      ++calls;
      return "image of " + fields + " at " + count;
    };
  }
};

TEST(ShareImageCache, ACachedHitDoesNotRender) {
  ShareImageCache cache(10'000);
  Renderer r{{}, "title", "12"};
  auto a = cache.Get("card:x", "title", "12", 0, r.Fn());
  ASSERT_TRUE(a);
  for (int i = 0; i < 100; ++i) {
    auto b = cache.Get("card:x", "title", "12", 50'000 + i, r.Fn());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->get(), a->get());  // the same image, not a copy
  }
  EXPECT_EQ(r.calls.load(), 1);
  EXPECT_EQ(cache.renders(), 1u);
  EXPECT_EQ((*a)->bytes, "image of title at 12");
  EXPECT_EQ((*a)->etag, StrongEtag("image of title at 12"));
  EXPECT_EQ((*a)->etag.front(), '"');
}

TEST(ShareImageCache, ANewCountRendersAtMostOncePerInterval) {
  ShareImageCache cache(10'000);
  Renderer r{{}, "title", "12"};
  ASSERT_TRUE(cache.Get("card:x", "title", "12", 1'000, r.Fn()));
  // The count moves within the interval: the old image is served.
  r.count = "13";
  auto stale = cache.Get("card:x", "title", "13", 5'000, r.Fn());
  ASSERT_TRUE(stale);
  EXPECT_EQ((*stale)->count, "12");
  EXPECT_EQ(r.calls.load(), 1);
  // Once the image is old enough, the new count is rendered, once.
  auto fresh = cache.Get("card:x", "title", "13", 11'000, r.Fn());
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)->count, "13");
  EXPECT_EQ((*fresh)->bytes, "image of title at 13");
  EXPECT_NE((*fresh)->etag, (*stale)->etag);
  ASSERT_TRUE(cache.Get("card:x", "title", "13", 11'001, r.Fn()));
  EXPECT_EQ(r.calls.load(), 2);
}

TEST(ShareImageCache, NewFieldsRenderAtOnce) {
  ShareImageCache cache(10'000);
  Renderer r{{}, "old title", "12"};
  ASSERT_TRUE(cache.Get("card:x", "old title", "12", 1'000, r.Fn()));
  r.fields = "new title";
  auto edited = cache.Get("card:x", "new title", "12", 1'001, r.Fn());
  ASSERT_TRUE(edited);
  EXPECT_EQ((*edited)->fields, "new title");
  EXPECT_EQ(r.calls.load(), 2);
  // Keys are apart.
  ASSERT_TRUE(cache.Get("flyer:x", "new title", "12", 1'002, r.Fn()));
  EXPECT_EQ(r.calls.load(), 3);
}

TEST(ShareImageCache, AFailedRenderingKeepsTheOldImageOrFails) {
  ShareImageCache cache(0);
  auto fail = []() -> Result<std::string> { return Fail(Code::kInternal, "cairo: out of memory"); };
  auto none = cache.Get("card:x", "t", "1", 0, fail);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Code::kInternal);
  Renderer r{{}, "t", "1"};
  ASSERT_TRUE(cache.Get("card:x", "t", "1", 1, r.Fn()));
  auto kept = cache.Get("card:x", "t", "2", 2, fail);
  ASSERT_TRUE(kept);
  EXPECT_EQ((*kept)->count, "1");
}

TEST(ShareImageCache, ConcurrentFirstRequestsRenderOnce) {
  ShareImageCache cache(10'000);
  Renderer r{{}, "t", "1"};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (auto img = cache.Get("card:x", "t", "1", 0, r.Fn()); img && (*img)->count == "1") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(r.calls.load(), 1);
}

TEST(ShareImageCache, ForgetDropsTheEntry) {
  ShareImageCache cache(10'000);
  Renderer r{{}, "t", "1"};
  ASSERT_TRUE(cache.Get("card:x", "t", "1", 0, r.Fn()));
  cache.Forget("card:x");
  ASSERT_TRUE(cache.Get("card:x", "t", "1", 1, r.Fn()));
  EXPECT_EQ(r.calls.load(), 2);
}

TEST(ShareImageCache, GetAsyncAnswersAHitAtOnceOnTheCallingThread) {
  ShareImageCache cache(10'000);
  Renderer r{{}, "t", "1"};
  ASSERT_TRUE(cache.Get("card:x", "t", "1", 0, r.Fn()));
  bool answered = false;
  cache.GetAsync("card:x", "t", "1", 5, r.Fn(), [&](const Result<ShareImageCache::ImagePtr>& img) {
    ASSERT_TRUE(img);
    EXPECT_EQ((*img)->bytes, "image of t at 1");
    answered = true;
  });
  EXPECT_TRUE(answered);  // before GetAsync returned
  EXPECT_EQ(r.calls.load(), 1);
}

TEST(ShareImageCache, GetAsyncRendersOnceOnItsOwnThreadForEveryoneWaiting) {
  ShareImageCache cache(10'000);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> calls{0};
  std::thread::id render_thread;
  auto render = [&, open]() -> Result<std::string> {
    open.wait();  // held until every request below is queued
    render_thread = std::this_thread::get_id();
    ++calls;
    return std::string("rendered");
  };
  std::vector<std::promise<std::string>> answers(5);
  for (auto& a : answers) {
    cache.GetAsync("card:x", "t", "1", 0, render,
                   [&a](const Result<ShareImageCache::ImagePtr>& img) {
                     a.set_value(img ? (*img)->bytes : "error: " + img.error().message);
                   });
  }
  gate.set_value();
  for (auto& a : answers) EXPECT_EQ(a.get_future().get(), "rendered");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(render_thread, std::this_thread::get_id());
  EXPECT_EQ(cache.renders(), 1u);
}

TEST(ShareImageCache, GetAsyncServesTheOldImageWhileANewOneRenders) {
  ShareImageCache cache(0);
  Renderer r{{}, "t", "1"};
  ASSERT_TRUE(cache.Get("card:x", "t", "1", 0, r.Fn()));
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::promise<std::string> first, second;
  // The count moved: the first request renders (and waits for it)...
  cache.GetAsync(
      "card:x", "t", "2", 1,
      [open]() -> Result<std::string> {
        open.wait();
        return std::string("image at 2");
      },
      [&](const Result<ShareImageCache::ImagePtr>& img) { first.set_value((*img)->bytes); });
  // ...while the next one gets the old image at once.
  cache.GetAsync("card:x", "t", "2", 2, r.Fn(), [&](const Result<ShareImageCache::ImagePtr>& img) {
    second.set_value((*img)->bytes);
  });
  EXPECT_EQ(second.get_future().get(), "image of t at 1");
  gate.set_value();
  EXPECT_EQ(first.get_future().get(), "image at 2");
  EXPECT_EQ(r.calls.load(), 1);  // only the first Get rendered with r
}

}  // namespace
}  // namespace undersigned::render
