#include "render/qr.h"

#include <string>

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

// A finder pattern's 7x7 square at (x0, y0): dark ring, light ring, dark 3x3 centre.
bool FinderAt(const QrMatrix& m, int x0, int y0) {
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 7; ++x) {
      const int ring = std::max(std::abs(x - 3), std::abs(y - 3));
      const bool dark = ring != 2;
      if (m.at(x0 + x, y0 + y) != dark) return false;
    }
  }
  return true;
}

TEST(Qr, EncodesAUrlWithFinderPatterns) {
  auto m = EncodeQr("https://sign.example.org/c/end-the-contract");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((m->size - 17) % 4, 0) << m->size;  // 21, 25, 29...: version 1 to 40
  EXPECT_GE(m->size, 25);
  EXPECT_EQ(m->dark.size(), static_cast<std::size_t>(m->size * m->size));
  EXPECT_TRUE(FinderAt(*m, 0, 0));
  EXPECT_TRUE(FinderAt(*m, m->size - 7, 0));
  EXPECT_TRUE(FinderAt(*m, 0, m->size - 7));
  EXPECT_FALSE(FinderAt(*m, m->size - 7, m->size - 7));  // no fourth one
}

TEST(Qr, LongerTextNeedsALargerCode) {
  auto small = EncodeQr("https://a.example/c/x");
  auto large = EncodeQr("https://sign.example.org/c/" + std::string(200, 'x'));
  ASSERT_TRUE(small && large);
  EXPECT_GT(large->size, small->size);
}

TEST(Qr, RefusesEmptyAndOversizedText) {
  auto empty = EncodeQr("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Code::kInvalidArgument);
  auto huge = EncodeQr(std::string(5000, 'x'));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, Code::kInvalidArgument);
  EXPECT_NE(huge.error().message.find("too long"), std::string::npos) << huge.error().message;
}

}  // namespace
}  // namespace undersigned::render
