#include "service/completions.h"

#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace undersigned::service {
namespace {

TEST(CompletionThreadTest, RunsPostsInOrderOnItsOwnThread) {
  std::vector<int> seen;
  std::promise<std::thread::id> where;
  {
    CompletionThread t;
    for (int i = 0; i < 100; ++i) t.Post([&seen, i] { seen.push_back(i); });
    t.Post([&where] { where.set_value(std::this_thread::get_id()); });
  }  // the destructor runs what was posted, then joins
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace undersigned::service
