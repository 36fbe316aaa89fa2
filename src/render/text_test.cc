#include "render/text.h"

#include <gtest/gtest.h>

#include <limits>

namespace undersigned::render {
namespace {

TEST(FormatThousands, GroupsDigits) {
  EXPECT_EQ(FormatThousands(0), "0");
  EXPECT_EQ(FormatThousands(999), "999");
  EXPECT_EQ(FormatThousands(1000), "1,000");
  EXPECT_EQ(FormatThousands(12345), "12,345");
  EXPECT_EQ(FormatThousands(1234567), "1,234,567");
  EXPECT_EQ(FormatThousands(-1234), "-1,234");
  EXPECT_EQ(FormatThousands(std::numeric_limits<std::int64_t>::min()),
            "-9,223,372,036,854,775,808");
}

TEST(FormatDate, EnglishUtc) {
  EXPECT_EQ(FormatDate(0), "1 January 1970");
  EXPECT_EQ(FormatDate(1'795'348'416), "22 November 2026");
}

TEST(PercentOf, ClampsAndFloors) {
  EXPECT_EQ(PercentOf(0, 100), 0);
  EXPECT_EQ(PercentOf(1, 3), 33);
  EXPECT_EQ(PercentOf(150, 100), 100);
  EXPECT_EQ(PercentOf(5, 0), 0);
  EXPECT_EQ(PercentOf(-5, 10), 0);
}

}  // namespace
}  // namespace undersigned::render
