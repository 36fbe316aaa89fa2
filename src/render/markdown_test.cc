#include "render/markdown.h"

#include <gtest/gtest.h>

#include <cctype>

namespace undersigned::render {
namespace {

TEST(RenderMarkdown, RendersCommonMark) {
  std::string html =
      RenderMarkdown("Dear **Marc**,\n\n- one\n- two\n\n[site](https://example.org/a?b=1&c=2)");
  EXPECT_NE(html.find("<strong>Marc</strong>"), std::string::npos);
  EXPECT_NE(html.find("<li>one</li>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"https://example.org/a?b=1&amp;c=2\">site</a>"), std::string::npos);
}

TEST(RenderMarkdown, DropsRawHtml) {
  std::string html = RenderMarkdown(
      "<script>alert(1)</script>\n\nHello <img src=x onerror=alert(1)> "
      "<b onclick=\"x()\">bold</b>\n\n<div>\n<iframe src=\"https://evil\"></iframe>\n</div>\n");
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("<iframe"), std::string::npos) << html;
  EXPECT_EQ(html.find("onclick"), std::string::npos) << html;
  EXPECT_EQ(html.find("onerror"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b "), std::string::npos) << html;
  EXPECT_NE(html.find("Hello"), std::string::npos) << html;
}

TEST(RenderMarkdown, RefusesDangerousUrls) {
  for (const char* md :
       {"[x](javascript:alert(1))", "[x](JavaScript:alert(1))", "[x](vbscript:msgbox)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)", "![x](javascript:alert(1))",
        "<javascript:alert(1)>", "[x]\n\n[x]: javascript:alert(1)"}) {
    std::string html = RenderMarkdown(md);
    std::string lower;
    for (char c : html) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // The text may still read "javascript:..."; no URL attribute may carry it.
    for (const char* bad : {"=\"javascript:", "=\"vbscript:", "=\"data:text/html"}) {
      EXPECT_EQ(lower.find(bad), std::string::npos) << md << " -> " << html;
    }
  }
}

TEST(RenderMarkdown, EscapesTextAndAttributes) {
  std::string html = RenderMarkdown("a < b & c\n\n[x](https://e.org/\"onmouseover=\"y)");
  EXPECT_NE(html.find("a &lt; b &amp; c"), std::string::npos) << html;
  EXPECT_EQ(html.find("\"onmouseover"), std::string::npos) << html;
}

TEST(RenderMarkdown, ReplacesInvalidUtf8) {
  std::string html = RenderMarkdown("bad \xC3\x28 byte \xFF end");
  EXPECT_EQ(html.find('\xFF'), std::string::npos);
  EXPECT_NE(html.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  EXPECT_NE(html.find("end"), std::string::npos);
}

TEST(RenderMarkdown, ShiftsHeadingsBelowThePage) {
  std::string html = RenderMarkdown("# Top\n\n## Sub\n\n###### Deep", 3);
  EXPECT_NE(html.find("<h3>Top</h3>"), std::string::npos) << html;
  EXPECT_NE(html.find("<h4>Sub</h4>"), std::string::npos) << html;
  EXPECT_NE(html.find("<h6>Deep</h6>"), std::string::npos) << html;
  // A letter whose first heading is "##" still starts at the requested level.
  EXPECT_NE(RenderMarkdown("## Ask\n\n### Why", 3).find("<h3>Ask</h3>\n<h4>Why</h4>"),
            std::string::npos);
  EXPECT_NE(RenderMarkdown("# Top").find("<h1>Top</h1>"), std::string::npos);
  EXPECT_EQ(RenderMarkdown("no headings", 3), "<p>no headings</p>\n");
}

TEST(RenderMarkdown, EmptyInput) { EXPECT_EQ(RenderMarkdown(""), ""); }

}  // namespace
}  // namespace undersigned::render
