#include "http/pages/csrf.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace undersigned::http::pages {
namespace {

TEST(Csrf, TokenVerifiesOnlyForItsNonceAndSecret) {
  Csrf csrf("secret-one", false);
  const std::string nonce = Csrf::NewNonce();
  ASSERT_TRUE(Csrf::WellFormedNonce(nonce));
  const std::string token = csrf.TokenFor(nonce);
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(token, csrf.TokenFor(nonce));  // deterministic
  EXPECT_TRUE(csrf.Verify(nonce, token));

  EXPECT_FALSE(csrf.Verify(Csrf::NewNonce(), token));
  EXPECT_FALSE(csrf.Verify(nonce, ""));
  EXPECT_FALSE(csrf.Verify(nonce, token.substr(1)));
  std::string flipped = token;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(csrf.Verify(nonce, flipped));
  EXPECT_FALSE(csrf.Verify("", token));
  EXPECT_FALSE(csrf.Verify("short", csrf.TokenFor("short")));  // malformed nonce

  Csrf other("secret-two", false);
  EXPECT_FALSE(other.Verify(nonce, token));
}

TEST(Csrf, TokenIsTheHmacSha256OfTheNonce) {
  // RFC 4231, test case 2, in base64url; the same from copies of the keyed state, from threads.
  const Csrf csrf("Jefe", false);
  EXPECT_EQ(csrf.TokenFor("what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
  const Csrf copy = csrf;
  std::vector<std::thread> threads;
  std::atomic<int> matches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (copy.TokenFor("what do ya want for nothing?") ==
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM") {
          ++matches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(matches.load(), 800);
}

TEST(Csrf, NoncesAreRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string n = Csrf::NewNonce();
    EXPECT_TRUE(Csrf::WellFormedNonce(n)) << n;
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_FALSE(Csrf::WellFormedNonce(std::string(43, '=')));
  EXPECT_FALSE(Csrf::WellFormedNonce(std::string(44, 'a')));
}

TEST(Csrf, CookieAttributes) {
  EXPECT_EQ(Csrf("s", false).CookieValue("abc"), "us_csrf=abc; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(Csrf("s", true).CookieValue("abc"),
            "us_csrf=abc; Path=/; HttpOnly; SameSite=Lax; Secure");
}

TEST(Csrf, NonceForReusesAValidCookie) {
  Csrf csrf("s", false);
  Request req;
  bool set = false;
  std::string fresh = csrf.NonceFor(req, &set);
  EXPECT_TRUE(set);
  req.cookies[kCsrfCookie] = fresh;
  EXPECT_EQ(csrf.NonceFor(req, &set), fresh);
  EXPECT_FALSE(set);
  req.cookies[kCsrfCookie] = "<script>";
  EXPECT_NE(csrf.NonceFor(req, &set), "<script>");
  EXPECT_TRUE(set);
}

TEST(Origin, Normalizes) {
  EXPECT_EQ(OriginOf("https://Sign.Example.org/"), "https://sign.example.org");
  EXPECT_EQ(OriginOf("https://sign.example.org:443/x?y"), "https://sign.example.org");
  EXPECT_EQ(OriginOf("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(OriginOf("http://localhost:80"), "http://localhost");
  EXPECT_EQ(OriginOf("ftp://x"), "");
  EXPECT_EQ(OriginOf("null"), "");
}

TEST(Origin, AllowsSameSiteOnly) {
  const std::string expected = "https://sign.example.org";
  Request req;
  EXPECT_TRUE(OriginAllowed(req, expected));  // no Origin: the token decides
  req.headers["origin"] = "https://sign.example.org";
  EXPECT_TRUE(OriginAllowed(req, expected));
  req.headers["origin"] = "null";
  EXPECT_TRUE(OriginAllowed(req, expected));
  req.headers["origin"] = "https://evil.example";
  EXPECT_FALSE(OriginAllowed(req, expected));
  req.headers["origin"] = "http://sign.example.org";  // other scheme
  EXPECT_FALSE(OriginAllowed(req, expected));
  req.headers["origin"] = "https://sign.example.org.evil.example";
  EXPECT_FALSE(OriginAllowed(req, expected));
  req.headers["origin"] = "garbage";
  EXPECT_FALSE(OriginAllowed(req, expected));
  // Reached under its own Host (base_url names another host): allowed.
  req.headers["origin"] = "http://127.0.0.1:8080";
  req.headers["host"] = "127.0.0.1:8080";
  EXPECT_TRUE(OriginAllowed(req, expected));
  req.headers["host"] = "127.0.0.1:9090";
  EXPECT_FALSE(OriginAllowed(req, expected));
}

}  // namespace
}  // namespace undersigned::http::pages
