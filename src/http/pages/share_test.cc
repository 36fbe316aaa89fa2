#include "http/pages/share.h"

#include <gtest/gtest.h>

#include "http/url.h"

namespace undersigned::http::pages {
namespace {

Campaign Sample() {
  Campaign c;
  c.slug = "drop-ice";
  c.title = "Drop the ICE contract & speak out";
  Target a;
  a.name = "Marc Benioff";
  a.x_handle = "Benioff";
  a.bluesky_handle = "benioff.bsky.social";
  a.mastodon_handle = "benioff@mastodon.social";
  Target b;
  b.name = "Keith Block";
  c.targets = {a, b};
  return c;
}

std::string QueryValue(const std::string& url, const std::string& key) {
  std::size_t q = url.find('?');
  std::string query = url.substr(q + 1);
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    std::string part =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (part.rfind(key + "=", 0) == 0) {
      std::string out;
      EXPECT_TRUE(PercentDecode(part.substr(key.size() + 1), false, &out));
      return out;
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return "<missing>";
}

TEST(ShareMessage, NamesHandlesPerNetwork) {
  const Campaign c = Sample();
  const std::string url = "https://sign.example.org/c/drop-ice";
  EXPECT_EQ(ShareMessage(c, Network::kX, url),
            "I signed \u201CDrop the ICE contract & speak out\u201D to @Benioff and Keith Block. "
            "Add your name: https://sign.example.org/c/drop-ice");
  EXPECT_NE(ShareMessage(c, Network::kBluesky, url).find("to @benioff.bsky.social and Keith"),
            std::string::npos);
  EXPECT_NE(ShareMessage(c, Network::kMastodon, url).find("to @benioff@mastodon.social and"),
            std::string::npos);
  EXPECT_NE(ShareMessage(c, Network::kPlain, url).find("to Marc Benioff and Keith Block."),
            std::string::npos);
}

TEST(ShareMessage, XFitsIn280) {
  Campaign c = Sample();
  c.title = std::string(200, 'a');
  std::string msg = ShareMessage(c, Network::kX, "https://x.test/c/drop-ice");
  // Count code points, with the URL counted as 23 as X does.
  std::size_t url_len = std::string("https://x.test/c/drop-ice").size();
  std::size_t cps = 0;
  for (unsigned char ch : msg) cps += (ch & 0xC0) != 0x80 ? 1 : 0;
  EXPECT_LE(cps - url_len + 23, 280u) << msg;
  EXPECT_NE(msg.find("\u2026"), std::string::npos);
}

TEST(BuildShareLinks, EncodesEveryUrl) {
  const Campaign c = Sample();
  const std::string url = "https://sign.example.org/c/drop-ice";
  ShareSet s = BuildShareLinks(c, url);
  ASSERT_EQ(s.links.size(), 6u);
  std::map<std::string, std::string> by;
  for (const auto& l : s.links) {
    by[l.network] = l.url;
    EXPECT_EQ(l.url.find(' '), std::string::npos) << l.url;
    EXPECT_EQ(l.url.find('"'), std::string::npos) << l.url;
    EXPECT_EQ(l.url.find('<'), std::string::npos) << l.url;
  }
  EXPECT_EQ(by["x"].rfind("https://x.com/intent/tweet?text=", 0), 0u);
  EXPECT_EQ(QueryValue(by["x"], "text"), ShareMessage(c, Network::kX, url + "?s=x"));
  EXPECT_NE(by["x"].find("%40Benioff"), std::string::npos);
  EXPECT_NE(by["x"].find("%26%20speak"), std::string::npos);  // & inside the text
  EXPECT_EQ(by["bluesky"].rfind("https://bsky.app/intent/compose?text=", 0), 0u);
  EXPECT_EQ(QueryValue(by["bluesky"], "text"),
            ShareMessage(c, Network::kBluesky, url + "?s=bluesky"));
  EXPECT_EQ(by["mastodon"], "/c/drop-ice/share/mastodon");
  EXPECT_EQ(by["facebook"],
            "https://www.facebook.com/sharer/sharer.php?u="
            "https%3A%2F%2Fsign.example.org%2Fc%2Fdrop-ice%3Fs%3Dfacebook");
  // Each link names its own channel, so that signatures through it are counted by channel.
  EXPECT_EQ(s.text, ShareMessage(c, Network::kPlain, url + "?s=copy"));
  EXPECT_EQ(QueryValue(by["whatsapp"], "text"),
            ShareMessage(c, Network::kPlain, url + "?s=whatsapp"));
  EXPECT_EQ(by["email"].rfind("mailto:?subject=", 0), 0u);
  EXPECT_EQ(QueryValue(by["email"], "subject"), c.title);
  EXPECT_EQ(QueryValue(by["email"], "body"), ShareMessage(c, Network::kPlain, url + "?s=email"));
}

TEST(JoinNames, English) {
  EXPECT_EQ(JoinNames({}), "");
  EXPECT_EQ(JoinNames({"A"}), "A");
  EXPECT_EQ(JoinNames({"A", "B"}), "A and B");
  EXPECT_EQ(JoinNames({"A", "B", "C"}), "A, B and C");
}

TEST(Mastodon, NormalizesServer) {
  EXPECT_EQ(NormalizeMastodonServer("mastodon.social"), "mastodon.social");
  EXPECT_EQ(NormalizeMastodonServer(" https://Mastodon.Social/@me "), "mastodon.social");
  EXPECT_EQ(NormalizeMastodonServer("@me@hachyderm.io"), "hachyderm.io");
  EXPECT_EQ(NormalizeMastodonServer("localhost"), std::nullopt);
  EXPECT_EQ(NormalizeMastodonServer("evil.com\"><script>"), std::nullopt);
  EXPECT_EQ(NormalizeMastodonServer("a..b"), std::nullopt);
  EXPECT_EQ(NormalizeMastodonServer(""), std::nullopt);
  EXPECT_EQ(MastodonShareUrl("mastodon.social", "hi @x@y.z https://a.b/c"),
            "https://mastodon.social/share?text=hi%20%40x%40y.z%20https%3A%2F%2Fa.b%2Fc");
}

}  // namespace
}  // namespace undersigned::http::pages
