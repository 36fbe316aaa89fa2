#include "log/leaf.h"

#include <gtest/gtest.h>

#include <vector>

namespace undersigned::log {
namespace {

Leaf Sample() {
  Leaf l;
  l.campaign = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  l.event = LeafEvent::kWithdraw;
  l.group = "public";
  l.day = "2024-02-29";
  l.commitment = std::string(64, 'a');
  return l;
}

TEST(LeafTest, FormatsTheDocumentedLines) {
  EXPECT_EQ(FormatLeaf(Sample()),
            "undersigned/leaf/v1\ncampaign 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\nevent "
            "withdraw\ngroup public\nday 2024-02-29\ncommitment " +
                std::string(64, 'a') + "\n");
}

TEST(LeafTest, ParseIsTheInverseOfFormat) {
  for (LeafEvent e : {LeafEvent::kConfirm, LeafEvent::kWithdraw, LeafEvent::kReveal}) {
    Leaf l = Sample();
    l.event = e;
    auto parsed = ParseLeaf(FormatLeaf(l));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, l);
  }
}

TEST(LeafTest, ParseRejectsEveryOtherSpelling) {
  const std::string good = FormatLeaf(Sample());
  std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() - 1),                                         // no final newline
      good + "\n",                                                             // trailing bytes
      "undersigned/leaf/v2" + good.substr(19),                                 // other version
      good.substr(0, 20) + "campaign  x" + good.substr(good.find("\nevent")),  // two spaces
  };
  Leaf l = Sample();
  l.day = "2023-02-29";  // not a leap year
  bad.push_back(FormatLeaf(l));
  l = Sample();
  l.commitment = std::string(64, 'A');  // upper case
  bad.push_back(FormatLeaf(l));
  l = Sample();
  l.group = "has space";
  bad.push_back(FormatLeaf(l));
  std::string swapped = good;
  auto ev = swapped.find("event withdraw");
  swapped.replace(ev, 14, "event destroy!");
  bad.push_back(swapped);
  for (const auto& b : bad) EXPECT_FALSE(ParseLeaf(b)) << b;
}

TEST(LeafTest, CommitmentDependsOnSaltAndIdentity) {
  std::vector<uint8_t> salt(kSaltBytes, 7);
  std::string c = Commitment(salt, "ada@example.org");
  EXPECT_EQ(c.size(), 64u);
  EXPECT_EQ(c, Commitment(salt, "ada@example.org"));
  EXPECT_NE(c, Commitment(salt, "bob@example.org"));
  salt[0] = 8;
  EXPECT_NE(c, Commitment(salt, "ada@example.org"));
  Leaf l = Sample();
  l.commitment = c;
  EXPECT_TRUE(ValidateLeaf(l));
}

TEST(LeafTest, CountsFollowEvents) {
  LeafCounts counts;
  Leaf l = Sample();
  l.event = LeafEvent::kConfirm;
  counts.Add(l);
  counts.Add(l);
  l.event = LeafEvent::kReveal;
  counts.Add(l);
  l.event = LeafEvent::kWithdraw;
  counts.Add(l);
  EXPECT_EQ(counts.by_campaign[l.campaign], 1);
  EXPECT_EQ(counts.by_group[l.campaign]["public"], 1);
}

}  // namespace
}  // namespace undersigned::log
