#include "core/utf8.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(Utf8, Validates) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(Utf8, ControlCharsAndTrim) {
  EXPECT_TRUE(HasControlChars(std::string("a\0b", 3), true));
  EXPECT_FALSE(HasControlChars("a\nb", true));
  EXPECT_TRUE(HasControlChars("a\nb", false));
  EXPECT_EQ(Trim("  x y \n"), "x y");
  EXPECT_EQ(ToLowerAscii("AbC\xC3\x89"), "abc\xC3\x89");
}

}  // namespace
}  // namespace undersigned
