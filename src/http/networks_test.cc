#include "http/networks.h"

#include <gtest/gtest.h>

namespace undersigned::http {
namespace {

TEST(NetworksTest, ContainsAddressesOfItsNetworks) {
  auto n = Networks::Parse("127.0.0.0/8, ::1/128,10.1.2.3, 192.168.0.0/23, fd00::/8");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_TRUE(n->Contains("127.0.0.1"));
  EXPECT_TRUE(n->Contains("127.255.0.9"));
  EXPECT_TRUE(n->Contains("::ffff:127.0.0.1"));  // IPv4 on an IPv6 socket
  EXPECT_TRUE(n->Contains("::1"));
  EXPECT_TRUE(n->Contains("10.1.2.3"));
  EXPECT_FALSE(n->Contains("10.1.2.4"));
  EXPECT_TRUE(n->Contains("192.168.1.200"));  // /23: a prefix that ends inside a byte
  EXPECT_FALSE(n->Contains("192.168.2.1"));
  EXPECT_TRUE(n->Contains("fd12:3456::1"));
  EXPECT_FALSE(n->Contains("fe80::1"));
  EXPECT_FALSE(n->Contains("8.8.8.8"));
  EXPECT_FALSE(n->Contains("not an address"));
  EXPECT_FALSE(n->Contains(""));
}

TEST(NetworksTest, EmptyListMatchesNothing) {
  auto n = Networks::Parse(" ");
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->Contains("127.0.0.1"));
}

TEST(NetworksTest, BadEntryIsNamed) {
  for (const char* bad : {"10.0.0.0/33", "localhost", "10.0.0/8", "::1/129", "1.2.3.4/x"}) {
    auto n = Networks::Parse(std::string("127.0.0.1, ") + bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().code, Code::kInvalidArgument);
    EXPECT_NE(n.error().message.find(bad), std::string::npos) << n.error().message;
  }
}

}  // namespace
}  // namespace undersigned::http
