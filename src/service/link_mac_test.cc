// The links' keyed MACs (service/link_mac.h): a token names its id and proves it, for one key
// and one purpose only.
#include "service/link_mac.h"

#include <gtest/gtest.h>

#include <string>

namespace undersigned::service {
namespace {

TEST(LinkMacTest, ATokenProvesItsIdForItsKeyAndPurposeOnly) {
  const std::string key(32, 'k');
  const std::string token = IdLinkToken(key, "rsvp-cancel", 42);
  EXPECT_EQ(token.substr(0, 3), "42.");
  EXPECT_EQ(token.size(), 3 + kLinkMacHexDigits);
  EXPECT_EQ(CheckIdLinkToken(key, "rsvp-cancel", token), 42);
  // Another purpose, another key, another id, a digit changed: refused.
  EXPECT_FALSE(CheckIdLinkToken(key, "pledge", token));
  EXPECT_FALSE(CheckIdLinkToken(std::string(32, 'x'), "rsvp-cancel", token));
  EXPECT_FALSE(CheckIdLinkToken(key, "rsvp-cancel", "43" + token.substr(2)));
  std::string forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(CheckIdLinkToken(key, "rsvp-cancel", forged));
  for (const char* bad : {"", "42", ".abc", "-1.abc", "0.abc", "x.abc", "42.", "42x.abc"}) {
    EXPECT_FALSE(CheckIdLinkToken(key, "rsvp-cancel", bad)) << bad;
  }
  EXPECT_FALSE(CheckIdLinkToken(key, "rsvp-cancel", token + std::string(64, '0')));
}

TEST(LinkMacTest, TheMacIsHmacSha256) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacHex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacBytes("Jefe", "what do ya want for nothing?").size(), 32u);
}

}  // namespace
}  // namespace undersigned::service
