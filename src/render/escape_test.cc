#include "render/escape.h"

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

TEST(EscapeHtml, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(EscapeHtml("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  EXPECT_EQ(EscapeHtml("a & b \"c\""), "a &amp; b &quot;c&quot;");
  EXPECT_EQ(EscapeHtml("\" onmouseover=\"x"), "&quot; onmouseover=&quot;x");
  EXPECT_EQ(EscapeHtml(""), "");
  EXPECT_EQ(EscapeHtml("plain text"), "plain text");
  EXPECT_EQ(EscapeHtml("caf\xC3\xA9 \xE2\x9C\x8A"), "caf\xC3\xA9 \xE2\x9C\x8A");
}

TEST(EscapeHtml, AppendsWithoutTemporaries) {
  std::string out = "x=";
  AppendEscapedHtml(out, "<&>");
  EXPECT_EQ(out, "x=&lt;&amp;&gt;");
}

TEST(PercentEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b&c=d?e#f/g+h"), "a%20b%26c%3Dd%3Fe%23f%2Fg%2Bh");
  EXPECT_EQ(PercentEncode("@user \xE2\x9C\x8A"), "%40user%20%E2%9C%8A");
  EXPECT_EQ(PercentEncode("\"<>"), "%22%3C%3E");
  EXPECT_EQ(PercentEncode("\n"), "%0A");
}

}  // namespace
}  // namespace undersigned::render
