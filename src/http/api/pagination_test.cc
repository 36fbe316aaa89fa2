#include "http/api/pagination.h"

#include <gtest/gtest.h>

namespace undersigned::http::api {
namespace {

TEST(ParsePaginationTest, Defaults) {
  auto p = ParsePagination(std::nullopt, std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, 1);
  EXPECT_EQ(p->per_page, 25);
}

TEST(ParsePaginationTest, ValuesAndClamping) {
  auto p = ParsePagination("3", "10");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, 3);
  EXPECT_EQ(p->per_page, 10);
  p = ParsePagination(" 2 ", "+5");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, 2);
  EXPECT_EQ(p->per_page, 5);
  p = ParsePagination("1", "500");  // clamped like Action Network
  ASSERT_TRUE(p);
  EXPECT_EQ(p->per_page, kMaxPerPage);
  p = ParsePagination(std::to_string(kMaxPage), "1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, kMaxPage);
}

TEST(ParsePaginationTest, BadValuesNameTheParameter) {
  for (const char* bad : {"0", "-1", "abc", "1.5", "", "1e3", "99999999999999999999", "10000001"}) {
    auto p = ParsePagination(std::string(bad), std::nullopt);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Code::kInvalidArgument);
    EXPECT_NE(p.error().message.find("page must be a whole number"), std::string::npos);
  }
  for (const char* bad : {"0", "-3", "x", ""}) {
    auto p = ParsePagination(std::nullopt, std::string(bad));
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().message.rfind("per_page", 0), 0u) << p.error().message;
  }
}

TEST(PaginateTest, Math) {
  PageInfo i = Paginate(Page{1, 25}, 0);
  EXPECT_EQ(i.total_pages, 0);
  EXPECT_FALSE(i.has_next);
  EXPECT_FALSE(i.has_previous);

  i = Paginate(Page{1, 25}, 25);
  EXPECT_EQ(i.total_pages, 1);
  EXPECT_FALSE(i.has_next);

  i = Paginate(Page{1, 25}, 26);
  EXPECT_EQ(i.total_pages, 2);
  EXPECT_TRUE(i.has_next);
  EXPECT_FALSE(i.has_previous);

  i = Paginate(Page{2, 25}, 26);
  EXPECT_FALSE(i.has_next);
  EXPECT_TRUE(i.has_previous);
  EXPECT_EQ(i.total_records, 26);

  i = Paginate(Page{7, 10}, 26);  // past the end: no next, previous still offered
  EXPECT_EQ(i.total_pages, 3);
  EXPECT_FALSE(i.has_next);
  EXPECT_TRUE(i.has_previous);

  i = Paginate(Page{1, 1}, 1'000'000);
  EXPECT_EQ(i.total_pages, 1'000'000);
}

}  // namespace
}  // namespace undersigned::http::api
