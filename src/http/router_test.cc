#include "http/router.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace undersigned::http {
namespace {

Handler Named(std::string name) {
  return [name](const Request&) { return Response::Text(name); };
}

struct Found {
  std::string name;  // route name, "" if none
  std::map<std::string, std::string> params;
  bool method_not_allowed = false;
  std::string allow;
};

Found FindIn(const Router& r, std::string_view method, std::string_view path) {
  std::vector<std::string_view> segs;
  SplitPath(path, &segs);
  Found f;
  auto m = r.Find(method, segs, &f.params);
  if (m.route) f.name = m.route->options.name;
  f.method_not_allowed = m.method_not_allowed;
  f.allow = m.allow;
  return f;
}

TEST(SplitPathTest, Shapes) {
  std::vector<std::string_view> s;
  SplitPath("/", &s);
  EXPECT_EQ(s, (std::vector<std::string_view>{""}));
  SplitPath("/c/x", &s);
  EXPECT_EQ(s, (std::vector<std::string_view>{"c", "x"}));
  SplitPath("/api/v2/", &s);
  EXPECT_EQ(s, (std::vector<std::string_view>{"api", "v2", ""}));
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.Get("/", Named("home"), {.name = "home"});
    r.Get("/c/{slug}", Named("page"), {.name = "page"});
    r.Get("/c/{slug}.json", Named("json"), {.name = "json"});
    r.Post("/c/{slug}/sign", Named("sign"), {.blocking = true, .name = "sign"});
    r.Get("/c/new", Named("new"), {.name = "new"});
    r.Get("/api/v2/", Named("entry"), {.name = "entry"});
    r.Get("/api/v2/petitions/{id}/signatures", Named("sigs"), {.name = "sigs"});
    r.Post("/api/v2/petitions/{id}/signatures", Named("sigs_post"), {.name = "sigs_post"});
    r.Get("/img/og-{slug}.png", Named("og"), {.name = "og"});
    r.Get("/files/{rest...}", Named("files"), {.name = "files"});
  }
  Router r;
};

TEST_F(RouterTest, LiteralsAndParams) {
  EXPECT_EQ(FindIn(r, "GET", "/").name, "home");
  auto f = FindIn(r, "GET", "/c/hello");
  EXPECT_EQ(f.name, "page");
  EXPECT_EQ(f.params["slug"], "hello");
  auto s = FindIn(r, "GET", "/api/v2/petitions/42/signatures");
  EXPECT_EQ(s.name, "sigs");
  EXPECT_EQ(s.params["id"], "42");
  EXPECT_EQ(FindIn(r, "POST", "/api/v2/petitions/42/signatures").name, "sigs_post");
  EXPECT_EQ(FindIn(r, "POST", "/c/x/sign").params["slug"], "x");
  EXPECT_EQ(FindIn(r, "GET", "/api/v2/").name, "entry");
  EXPECT_EQ(FindIn(r, "GET", "/api/v2").name, "");  // the slash is significant
}

TEST_F(RouterTest, SuffixParamWinsOverPlainParam) {
  auto f = FindIn(r, "GET", "/c/hello.json");
  EXPECT_EQ(f.name, "json");
  EXPECT_EQ(f.params["slug"], "hello");
  // ".json" alone leaves an empty parameter: falls back to the plain parameter route.
  EXPECT_EQ(FindIn(r, "GET", "/c/.json").name, "page");
  EXPECT_EQ(FindIn(r, "GET", "/c/.json").params["slug"], ".json");
}

TEST_F(RouterTest, LiteralWinsOverParam) { EXPECT_EQ(FindIn(r, "GET", "/c/new").name, "new"); }

TEST_F(RouterTest, PrefixAndSuffixAffixes) {
  auto f = FindIn(r, "GET", "/img/og-my-slug.png");
  EXPECT_EQ(f.name, "og");
  EXPECT_EQ(f.params["slug"], "my-slug");
  EXPECT_EQ(FindIn(r, "GET", "/img/og-.png").name, "");
  EXPECT_EQ(FindIn(r, "GET", "/img/x.png").name, "");
}

TEST_F(RouterTest, RestParam) {
  auto f = FindIn(r, "GET", "/files/a/b/c.css");
  EXPECT_EQ(f.name, "files");
  EXPECT_EQ(f.params["rest"], "a/b/c.css");
  EXPECT_EQ(FindIn(r, "GET", "/files/").name, "");
  EXPECT_EQ(FindIn(r, "GET", "/files").name, "");
}

TEST_F(RouterTest, NotFoundAndMethodNotAllowed) {
  auto nf = FindIn(r, "GET", "/nope");
  EXPECT_EQ(nf.name, "");
  EXPECT_FALSE(nf.method_not_allowed);
  EXPECT_EQ(FindIn(r, "GET", "/c/x/y").name, "");
  EXPECT_EQ(FindIn(r, "GET", "/c//").name, "");  // empty segment never matches a param

  auto mna = FindIn(r, "DELETE", "/c/x");
  EXPECT_TRUE(mna.method_not_allowed);
  EXPECT_EQ(mna.allow, "GET, HEAD");
  auto sign = FindIn(r, "GET", "/c/x/sign");
  EXPECT_TRUE(sign.method_not_allowed);
  EXPECT_EQ(sign.allow, "POST");
}

TEST_F(RouterTest, HeadUsesGetRoute) {
  EXPECT_EQ(FindIn(r, "HEAD", "/c/x").name, "page");
  r.Add("HEAD", "/c/{slug}", Named("head"), {.name = "head"});
  EXPECT_EQ(FindIn(r, "HEAD", "/c/x").name, "head");
  EXPECT_EQ(FindIn(r, "GET", "/c/x").name, "page");
}

TEST_F(RouterTest, RouteOptionsKept) {
  std::vector<std::string_view> segs;
  SplitPath("/c/x/sign", &segs);
  auto m = r.Find("POST", segs, nullptr);
  ASSERT_NE(m.route, nullptr);
  EXPECT_TRUE(m.route->options.blocking);
  Router r2;
  r2.Get("/unnamed/{x}", Named("u"));
  EXPECT_EQ(r2.routes()[0]->options.name, "/unnamed/{x}");
}

TEST(RouterPatternTest, BadPatternsThrow) {
  Router r;
  EXPECT_THROW(r.Get("nope", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/a/{x", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/a/x}", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/a/{x}{y}", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/a/{}", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/a/{rest...}/b", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/a", Handler()), std::invalid_argument);
}

TEST(RouterAsyncTest, AddAsyncRoute) {
  Router r;
  r.PostAsync("/c/{slug}/sign", [](const Request&, Respond respond) { respond(Response()); },
              {.blocking = true, .name = "sign"});
  r.GetAsync("/c/{slug}/later", [](const Request&, Respond) {});
  std::vector<std::string_view> segs;
  SplitPath("/c/x/sign", &segs);
  std::map<std::string, std::string> params;
  auto m = r.Find("POST", segs, &params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->kind, Router::Kind::kAsync);
  EXPECT_TRUE(static_cast<bool>(m.route->async_handler));
  EXPECT_FALSE(static_cast<bool>(m.route->handler));
  EXPECT_TRUE(m.route->options.blocking);
  EXPECT_EQ(params["slug"], "x");
  // HEAD is served by the async GET route.
  EXPECT_EQ(FindIn(r, "HEAD", "/c/x/later").name, "/c/{slug}/later");
  EXPECT_THROW(r.AddAsync("GET", "/a", AsyncHandler()), std::invalid_argument);
  EXPECT_THROW(r.AddAsync("GET", "nope", [](const Request&, Respond) {}), std::invalid_argument);
}

TEST(RespondTest, FirstCallWinsAndCopiesShareIt) {
  std::vector<int> got;
  Respond respond([&got](Response r) { got.push_back(r.status); });
  EXPECT_TRUE(static_cast<bool>(respond));
  EXPECT_FALSE(respond.answered());
  Respond copy = respond;
  copy(Response::Text("a", 201));
  EXPECT_TRUE(respond.answered());
  respond(Response::Text("b", 202));  // ignored
  copy(Response::Text("c", 203));     // ignored
  EXPECT_EQ(got, std::vector<int>{201});
}

TEST(RespondTest, DroppingTheLastCopyAnswers500) {
  std::vector<int> got;
  {
    Respond respond([&got](Response r) { got.push_back(r.status); });
    Respond copy = respond;
    Respond moved = std::move(respond);
    EXPECT_FALSE(static_cast<bool>(respond));  // NOLINT(bugprone-use-after-move)
    respond(Response());                       // empty: does nothing
    copy = Respond();                          // one copy left
    EXPECT_TRUE(got.empty());
  }
  EXPECT_EQ(got, std::vector<int>{500});
  // Answered then dropped: nothing more.
  got.clear();
  {
    Respond([&got](Response r) { got.push_back(r.status); })(Response::Text("ok"));
  }
  EXPECT_EQ(got, std::vector<int>{200});
}

TEST(RespondTest, ConcurrentAnswersDeliverOnce) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> delivered{0};
    Respond respond([&delivered](Response) { delivered.fetch_add(1); });
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([copy = respond, i] { copy(Response::Text("x", 200 + i)); });
    }
    respond = Respond();
    for (auto& t : threads) t.join();
    EXPECT_EQ(delivered.load(), 1);
  }
}

TEST(RespondTest, UsableAsStdFunction) {
  int status = 0;
  Respond respond([&status](Response r) { status = r.status; });
  std::function<void(Response)> fn = respond;
  respond = Respond();
  fn(Response::Text("x", 204));
  EXPECT_EQ(status, 204);
}

TEST(RouterStaticTest, MissingDirectoryFails) {
  Router r;
  auto res = r.AddStatic("/static", "/definitely/not/here");
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Code::kNotFound);
}

}  // namespace
}  // namespace undersigned::http
