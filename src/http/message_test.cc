#include "http/message.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/url.h"

namespace undersigned::http {
namespace {

TEST(ParseFormTest, DecodesPairsPlusAndPercent) {
  auto form = ParseForm("name=Ada+Lovelace&email=ada%40example.org&comment=caf%C3%A9");
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->find("name")->second, "Ada Lovelace");
  EXPECT_EQ(form->find("email")->second, "ada@example.org");
  EXPECT_EQ(form->find("comment")->second, "caf\xC3\xA9");
}

TEST(ParseFormTest, RepeatedKeysKeepAllValuesInOrder) {
  auto form = ParseForm("t=1&t=2&x=&t=3");
  ASSERT_TRUE(form.has_value());
  auto [b, e] = form->equal_range("t");
  std::vector<std::string> values;
  for (auto it = b; it != e; ++it) values.push_back(it->second);
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(form->find("x")->second, "");
}

TEST(ParseFormTest, EmptyAndOddShapes) {
  EXPECT_TRUE(ParseForm("")->empty());
  EXPECT_TRUE(ParseForm("&&")->empty());
  auto f = ParseForm("flag&a=1&&=ignored&b==2");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->find("flag")->second, "");
  EXPECT_EQ(f->find("a")->second, "1");
  EXPECT_EQ(f->find("b")->second, "=2");
  EXPECT_EQ(f->count(""), 0u);
  EXPECT_EQ(ParseForm("a=%2B%26%3D")->find("a")->second, "+&=");
}

TEST(ParseFormTest, RejectsBadPercentEncoding) {
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "a=%G1", "%=1", "a=1&b=%%41", "a=50%"}) {
    auto r = ParseForm(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
}

TEST(ParseFormTest, RejectsInvalidUtf8) {
  for (const char* bad :
       {"a=%FF", "a=%C3", "a=%C0%AF", "a=%ED%A0%80", "a=%F4%90%80%80", "%80=x", "a=\xC3("}) {
    auto r = ParseForm(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
  EXPECT_TRUE(ParseForm("a=%F0%9F%98%80").has_value());  // emoji, 4 bytes
}

TEST(ParseFormTest, RejectsNul) { EXPECT_FALSE(ParseForm("a=x%00y").has_value()); }

TEST(UrlTest, PercentDecodeAndEncode) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a+b%20c", false, &out));
  EXPECT_EQ(out, "a+b c");
  EXPECT_EQ(PercentEncode("a b/é~"), "a%20b%2F%C3%A9~");
  out.clear();
  EXPECT_TRUE(PercentDecode(PercentEncode("x y&z=é"), true, &out));
  EXPECT_EQ(out, "x y&z=é");
}

TEST(UrlTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));       // euro sign
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xB0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));  // > U+10FFFF
}

TEST(StatusForTest, MapsEveryCode) {
  EXPECT_EQ(StatusFor(Code::kInvalidArgument), 400);
  EXPECT_EQ(StatusFor(Code::kUnauthenticated), 401);
  EXPECT_EQ(StatusFor(Code::kForbidden), 403);
  EXPECT_EQ(StatusFor(Code::kNotFound), 404);
  EXPECT_EQ(StatusFor(Code::kConflict), 409);
  EXPECT_EQ(StatusFor(Code::kPayloadTooLarge), 413);
  EXPECT_EQ(StatusFor(Code::kTooManyRequests), 429);
  EXPECT_EQ(StatusFor(Code::kUnavailable), 503);
  EXPECT_EQ(StatusFor(Code::kInternal), 500);
}

TEST(JsonErrorTest, BodyStatusAndRetryAfter) {
  Error e{Code::kTooManyRequests, "Slow down \"please\"", {}, 30};
  Response r = JsonError(e);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"], "Slow down \"please\"");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  EXPECT_EQ(r.headers[0].second, "30");

  Error fields{Code::kInvalidArgument, "Check the form", {{"email", "Enter an email"}}, 0};
  auto j2 = nlohmann::json::parse(JsonError(fields).body);
  EXPECT_EQ(j2["fields"]["email"], "Enter an email");
  EXPECT_EQ(JsonError(fields).status, 400);

  // Invalid UTF-8 in a message must not throw.
  Error bad{Code::kInternal, "oops \xFF", {}, 0};
  EXPECT_EQ(JsonError(bad).status, 500);
}

TEST(ResponseTest, Factories) {
  EXPECT_EQ(Response::Html("<p>x</p>").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Response::Text("x", 201).status, 201);
  EXPECT_EQ(Response::Text("x").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Response::Json("{}", 200, "application/hal+json").content_type, "application/hal+json");
  Response r = Response::Redirect("/c/x");
  EXPECT_EQ(r.status, 303);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Location", "/c/x"}));
}

TEST(RequestTest, Accessors) {
  Request req;
  req.headers["accept"] = "text/html";
  req.query.emplace("page", "2");
  req.query.emplace("page", "3");
  req.params["slug"] = "x";
  req.cookies["csrf"] = "t";
  EXPECT_EQ(req.Header("accept"), "text/html");
  EXPECT_EQ(req.Header("missing"), "");
  EXPECT_EQ(req.Query("page"), "2");
  EXPECT_FALSE(req.Query("nope").has_value());
  EXPECT_EQ(req.Param("slug"), "x");
  EXPECT_EQ(req.Param("id"), "");
  EXPECT_EQ(req.Cookie("csrf"), "t");
  EXPECT_EQ(req.Cookie("other"), "");
}

}  // namespace
}  // namespace undersigned::http
