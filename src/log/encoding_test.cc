#include "log/encoding.h"

#include <gtest/gtest.h>

namespace undersigned::log {
namespace {

TEST(Base64, RoundTripsEveryLengthUpTo40) {
  std::vector<uint8_t> bytes;
  for (int n = 0; n <= 40; ++n) {
    auto text = Base64Encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    auto back = Base64Decode(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
}

TEST(Base64, KnownValues) {
  EXPECT_EQ(Base64Encode(std::string_view("")), "");
  EXPECT_EQ(Base64Encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(Base64Encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string_view("\xfb\xff")), "+/8=");
}

TEST(Base64, RejectsAnythingNonCanonical) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Zh==", "Zm9=", " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n",
                          "-_8=", "Zm9v====", "====", "Z==="}) {
    EXPECT_FALSE(Base64Decode(bad)) << bad;
  }
  EXPECT_FALSE(Base64Decode(std::string_view("Zm9v\0\0\0\0", 8)));
}

TEST(Hex, RoundTripAndRejects) {
  std::vector<uint8_t> bytes = {0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(HexEncode(bytes), "007f80ff");
  EXPECT_EQ(*HexDecode("007F80ff"), bytes);
  EXPECT_FALSE(HexDecode("0"));
  EXPECT_FALSE(HexDecode("0g"));
}

}  // namespace
}  // namespace undersigned::log
