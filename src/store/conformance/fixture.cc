#include "store/conformance/fixture.h"

#include <cstdio>
#include <functional>
#include <string_view>

namespace undersigned::store::conformance {

std::string HashOf(const std::string& token) {
  std::size_t h1 = std::hash<std::string>{}(token);
  std::size_t h2 = std::hash<std::string>{}(token + "#");
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016zx%016zx%016zx%016zx", h1, h2, h1 ^ 0x5555, h2 ^ 0xaaaa);
  return buf;
}

Campaign SampleCampaign(const std::string& slug, CampaignStatus status) {
  Campaign c;
  c.slug = slug;
  c.title = "Title of " + slug;
  c.demand = "Do the right thing";
  c.letter_markdown = "Dear *CEO*,\n\nplease.";
  c.targets = {Target{"Marc Benioff", "CEO", "Salesforce", "benioff", "benioff.bsky.social",
                      "@benioff@mastodon.social", ""},
               Target{"Ada \"Q\" Lovelace", "", "", "", "", "", ""}};
  c.goal = 1000;
  c.deadline = kT0 + 86400;
  c.status = status;
  c.language = "en";
  c.created = kT0;
  c.modified = kT0;
  return c;
}

NewSignature SampleSignature(std::int64_t campaign_id, const std::string& email, UnixTime now,
                             bool confirm_now, int n) {
  NewSignature s;
  s.campaign_id = campaign_id;
  s.form.name = "Signer Number" + std::to_string(n);
  s.form.email = email;
  s.form.postal_code = "12345";
  s.form.country = "DE";
  s.form.comment = "Because \"quotes\" and\nnewlines";
  s.form.public_name = true;
  s.form.wants_updates = (n % 2) == 0;
  s.canonical_email = email;
  s.source = confirm_now ? "api" : "form";
  s.confirm_now = confirm_now;
  s.token = "token-" + std::to_string(n);
  s.token_hash = HashOf(s.token);
  s.mail_payload = R"({"campaign_title":"T","slug":"s"})";
  s.max_confirm_sends = 3;
  s.now = now;
  return s;
}

void ExpectCounts(const CampaignCounts& c, std::int64_t pending, std::int64_t confirmed,
                  std::int64_t withdrawn) {
  EXPECT_EQ(c.pending, pending);
  EXPECT_EQ(c.confirmed, confirmed);
  EXPECT_EQ(c.withdrawn, withdrawn);
}

std::multimap<std::string, nlohmann::json> OutcomeMails(Store& store) {
  std::multimap<std::string, nlohmann::json> out;
  auto due = store.DueOutbox(kT0 + 10 * 86400, 100000);
  EXPECT_TRUE(due);
  for (const auto& m : *due) {
    if (m.kind == "outcome") out.emplace(m.recipient, nlohmann::json::parse(m.payload));
  }
  return out;
}

LogContents ReadLog(Store& store) {
  LogContents out;
  auto r =
      store.ForEachLogLeaf([&](std::uint64_t index, std::string_view entry, std::string_view hash) {
        EXPECT_EQ(index, out.leaves.size());
        auto leaf = log::ParseLeaf(entry);
        EXPECT_TRUE(leaf) << (leaf ? "" : leaf.error().message);
        log::Hash h = log::LeafHash(entry);
        EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()), hash);
        out.tree.Append(h);
        if (leaf) out.leaves.push_back(*leaf);
        return true;
      });
  EXPECT_TRUE(r);
  return out;
}

void StoreTest::SetUp() {
  std::string skip;
  backend_ = MakeBackend(GetParam(), &skip);
  if (!backend_) GTEST_SKIP() << skip;
  Open();
}

void StoreTest::TearDown() {
  store_.reset();
  backend_.reset();
}

void StoreTest::Open() {
  store_.reset();
  auto s = backend_->Open();
  ASSERT_TRUE(s.has_value()) << s.error().message;
  store_ = std::move(*s);
}

Campaign StoreTest::NewCampaign(const std::string& slug, CampaignStatus status) {
  return SampleCampaign(slug, status);
}

Campaign StoreTest::MustCreate(const std::string& slug, CampaignStatus status) {
  auto c = store_->CreateCampaign(NewCampaign(slug, status));
  EXPECT_TRUE(c.has_value()) << c.error().message;
  return c.value_or(Campaign{});
}

NewSignature StoreTest::NewSig(std::int64_t campaign_id, const std::string& email, UnixTime now,
                               bool confirm_now) {
  return SampleSignature(campaign_id, email, now, confirm_now, ++counter_);
}

CampaignCounts StoreTest::CountsOf(std::int64_t campaign_id) {
  auto all = store_->LoadAllCounts();
  EXPECT_TRUE(all.has_value());
  return (*all)[campaign_id];
}

std::string StoreTest::MustSign(const NewSignature& s) {
  auto r = tx::Sign(*store_, s);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r ? r->signature.uuid : std::string();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(BackendNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace undersigned::store::conformance
