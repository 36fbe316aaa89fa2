#include "http/pages/flash.h"

#include <gtest/gtest.h>

namespace undersigned::http::pages {
namespace {

FlashEntry Typed(const std::string& slug, const std::string& name) {
  FlashEntry e;
  e.slug = slug;
  e.typed.name = name;
  return e;
}

TEST(FlashStore, GivesAnEntryBackToItsCampaignUntilItExpires) {
  FlashStore store(1000, 10);
  const std::string id = store.Put(Typed("a", "Ada"), 0);
  EXPECT_EQ(id.size(), 43u);
  auto got = store.Get(id, "a", 999);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.name, "Ada");
  EXPECT_TRUE(store.Get(id, "a", 999));  // reading does not consume it
  EXPECT_FALSE(store.Get(id, "b", 10));  // another campaign's pages
  EXPECT_FALSE(store.Get(id, "a", 1000));
  EXPECT_FALSE(store.Get("not-an-id", "a", 0));
  EXPECT_NE(store.Put(Typed("a", "Bo"), 0), id);
}

TEST(FlashStore, DropsTheOldestPastItsCapacity) {
  FlashStore store(1000, 2);
  const std::string first = store.Put(Typed("a", "1"), 0);
  const std::string second = store.Put(Typed("a", "2"), 0);
  const std::string third = store.Put(Typed("a", "3"), 0);
  EXPECT_FALSE(store.Get(first, "a", 0));
  EXPECT_TRUE(store.Get(second, "a", 0));
  EXPECT_TRUE(store.Get(third, "a", 0));
}

TEST(FlashStore, CookieIsScopedAndShortLived) {
  FlashStore store(600'000, 2);
  EXPECT_EQ(store.CookieValue("ID", "/c/x/", false),
            "us_flash=ID; Path=/c/x/; Max-Age=600; HttpOnly; SameSite=Lax");
  EXPECT_EQ(store.CookieValue("ID", "/c/x/", true),
            "us_flash=ID; Path=/c/x/; Max-Age=600; HttpOnly; SameSite=Lax; Secure");
}

}  // namespace
}  // namespace undersigned::http::pages
