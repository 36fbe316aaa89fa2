#include "core/clock.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(Iso8601, FormatsAndParses) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(1'700'000'000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(ParseIso8601("2023-11-14T22:13:20Z"), 1'700'000'000);
  EXPECT_EQ(ParseIso8601("2023-11-14T23:13:20+01:00"), 1'700'000'000);
  EXPECT_EQ(ParseIso8601("2023-11-14"), 1'699'920'000);
  EXPECT_EQ(ParseIso8601("2024-02-29T00:00:00.123Z"), 1'709'164'800);
}

TEST(Iso8601, RejectsGarbage) {
  for (const char* bad : {"", "2023", "2023-13-01", "2023-11-14T25:00:00Z", "2023-11-14Tx",
                          "2023-11-14T22:13:20Zjunk", "yesterday"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace undersigned
