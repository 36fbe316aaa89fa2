#include "render/templates.h"

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

TEST(Templates, EscapesByDefaultAndRendersPartials) {
  auto t = Templates::FromSources({{"page", "{{> head}}<p>{{x}}</p><div>{{{raw}}}</div>"},
                                   {"head", "<title>{{title}}</title>"}});
  ASSERT_TRUE(t) << t.error().message;
  Data d;
  d.set("x", "<script>alert('x')</script>");
  d.set("raw", "<em>ok</em>");
  d.set("title", "A & B");
  auto html = t->Render("page", d);
  ASSERT_TRUE(html);
  EXPECT_EQ(*html,
            "<title>A &amp; B</title><p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"
            "<div><em>ok</em></div>");
}

TEST(Templates, RejectsBrokenTemplatesAndUnknownNames) {
  auto bad = Templates::FromSources({{"page", "{{#open}}never closed"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("page"), std::string::npos);

  auto t = Templates::FromSources({{"page", "x"}});
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->Has("nope"));
  EXPECT_EQ(t->Render("nope", Data()).error().code, Code::kNotFound);
}

TEST(Templates, MissingDirectoryIsNotFound) {
  auto t = Templates::Load("/nonexistent/undersigned/templates");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Code::kNotFound);
}

TEST(Templates, LoadsTheShippedTemplates) {
  const std::string dir = FindAssetDir("templates");
  auto t = Templates::Load(dir);
  ASSERT_TRUE(t) << dir << ": " << t.error().message;
  for (const char* name :
       {"header", "footer", "index", "campaign", "sign_form", "tally", "share_block", "check_email",
        "token", "done", "error", "share_mastodon"}) {
    EXPECT_TRUE(t->Has(name)) << name;
  }
  Data d;
  d.set("lang", "fr");
  d.set("page_title", "Page <not found>");
  d.set("site_name", "undersigned");
  d.set("ui_lang_attr", " lang=\"en\"");
  d.set("heading", "Not <found>");
  d.set("link_url", "/");
  d.set("link_text", "Home");
  Data paragraphs(Data::type::list);
  paragraphs.push_back(Data("It is <gone>."));
  d.set("paragraphs", paragraphs);
  auto html = t->Render("error", d);
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_NE(html->find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(html->find("<title>Page &lt;not found&gt; · undersigned</title>"), std::string::npos);
  EXPECT_NE(html->find("<h1>Not &lt;found&gt;</h1>"), std::string::npos);
  EXPECT_NE(html->find("<p>It is &lt;gone&gt;.</p>"), std::string::npos);
  EXPECT_NE(html->find("<main id=\"main\""), std::string::npos);
  EXPECT_NE(html->find("</main>"), std::string::npos);
  EXPECT_NE(html->find("<footer class=\"site-footer\" lang=\"en\">"), std::string::npos);
  EXPECT_EQ(html->find("style="), std::string::npos);
  EXPECT_EQ(html->find("<script>"), std::string::npos);
}

TEST(FindAssetDir, PrefersConfigured) { EXPECT_EQ(FindAssetDir("templates", "/opt/x"), "/opt/x"); }

}  // namespace
}  // namespace undersigned::render
