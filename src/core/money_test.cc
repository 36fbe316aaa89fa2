#include "core/money.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

TEST(Money, DecimalStringsBecomeExactMinorUnits) {
  EXPECT_EQ(ParseAmount("25.00", "USD", "amount").value(), 2500);
  EXPECT_EQ(ParseAmount("25", "USD", "amount").value(), 2500);
  EXPECT_EQ(ParseAmount("20.01", "USD", "amount").value(), 2001);
  EXPECT_EQ(ParseAmount("0.1", "EUR", "amount").value(), 10);
  EXPECT_EQ(ParseAmount("2500", "JPY", "amount").value(), 2500);
  // 0.29 is not exact as a double; here it is.
  EXPECT_EQ(ParseAmount("1234567.29", "USD", "amount").value(), 123456729);
}

TEST(Money, MalformedOrNegativeAmountsNameTheField) {
  for (const char* bad : {"", "-5.00", "+5", "5.001", "1,000.00", "1e3", " 5", "5.", ".5", "abc",
                          "99999999999999999999"}) {
    auto r = ParseAmount(bad, "USD", "amount");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_EQ(r.error().field_errors.count("amount"), 1u) << bad;
    EXPECT_EQ(r.error().message.rfind("amount:", 0), 0u) << r.error().message;
  }
  EXPECT_FALSE(ParseAmount("25.5", "JPY", "amount"));
}

TEST(Money, AmountsFormatBackExactly) {
  EXPECT_EQ(FormatAmount(2500, "USD"), "25.00");
  EXPECT_EQ(FormatAmount(2001, "USD"), "20.01");
  EXPECT_EQ(FormatAmount(5, "USD"), "0.05");
  EXPECT_EQ(FormatAmount(-2500, "USD"), "-25.00");
  EXPECT_EQ(FormatAmount(2500, "JPY"), "2500");
  EXPECT_EQ(DisplayAmount(420000, "USD"), "$4200.00");
  EXPECT_EQ(DisplayAmount(100, "CHF"), "1.00 CHF");
  EXPECT_TRUE(IsCurrencyCode("USD"));
  EXPECT_FALSE(IsCurrencyCode("usd"));
  EXPECT_FALSE(IsCurrencyCode("US"));
}

}  // namespace
}  // namespace undersigned
