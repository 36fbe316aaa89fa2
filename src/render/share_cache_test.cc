#include "render/share_cache.h"

#include <atomic>
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

}  // namespace
}  // namespace undersigned::render
