#include "core/password.h"

#include <string>

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(PasswordTest, LengthBoundsAreCountedInCharacters) {
  EXPECT_TRUE(CheckPassword("correct horse").has_value());
  EXPECT_TRUE(CheckPassword(std::string(12, 'a')).has_value());
  auto short_one = CheckPassword(std::string(11, 'a'));
  ASSERT_FALSE(short_one.has_value());
  EXPECT_EQ(short_one.error().code, Code::kInvalidArgument);
  EXPECT_NE(short_one.error().field_errors.at("password").find("at least 12"), std::string::npos);
  // Twelve characters of two bytes each pass; eleven do not, though they are 22 bytes.
  std::string twelve, eleven;
  for (int i = 0; i < 12; ++i) twelve += "\xc3\xa9";  // é
  eleven = twelve.substr(2);
  EXPECT_TRUE(CheckPassword(twelve).has_value());
  EXPECT_FALSE(CheckPassword(eleven).has_value());
  EXPECT_TRUE(CheckPassword(std::string(kMaxPasswordBytes, 'a')).has_value());
  auto long_one = CheckPassword(std::string(kMaxPasswordBytes + 1, 'a'));
  ASSERT_FALSE(long_one.has_value());
  EXPECT_NE(long_one.error().field_errors.at("password").find("at most"), std::string::npos);
}

TEST(PasswordTest, ControlCharactersAndBrokenUtf8AreRefused) {
  EXPECT_FALSE(CheckPassword("correct horse\nbattery").has_value());
  EXPECT_FALSE(CheckPassword(std::string("correct horse\0battery", 21)).has_value());
  EXPECT_FALSE(CheckPassword("correct horse \xff battery").has_value());
  EXPECT_TRUE(CheckPassword("  leading and trailing spaces  ").has_value());
}

}  // namespace
}  // namespace undersigned
