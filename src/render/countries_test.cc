#include "render/countries.h"

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

TEST(CountryNameTest, NamesKnownCodesAndKeepsTheRest) {
  EXPECT_EQ(CountryName("DE"), "Germany");
  EXPECT_EQ(CountryName("gb"), "United Kingdom");
  EXPECT_EQ(CountryName("XX"), "XX");
  EXPECT_EQ(CountryName(""), "");
}

}  // namespace
}  // namespace undersigned::render
