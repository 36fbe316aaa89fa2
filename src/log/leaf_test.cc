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
  for (LeafEvent e :
       {LeafEvent::kConfirm, LeafEvent::kWithdraw, LeafEvent::kReveal, LeafEvent::kInvalidate}) {
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
      good.substr(0, good.size() - 1),          // no final newline
      good + "\n",                              // trailing bytes
      "undersigned/leaf/v3" + good.substr(19),  // other version
      "undersigned/leaf/v2" + good.substr(19),  // v2 without its text line
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

TEST(LeafTest, ALeafWithATextIsV2WithTheTextLine) {
  Leaf l = Sample();
  l.text = std::string(64, 'b');
  const std::string entry = FormatLeaf(l);
  EXPECT_EQ(entry,
            "undersigned/leaf/v2\ncampaign 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\nevent "
            "withdraw\ngroup public\nday 2024-02-29\ntext " +
                std::string(64, 'b') + "\ncommitment " + std::string(64, 'a') + "\n");
  auto parsed = ParseLeaf(entry);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, l);
  // A v1 leaf (logged before texts were versioned) still parses, with no text.
  auto old = ParseLeaf(FormatLeaf(Sample()));
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_TRUE(old->text.empty());
  // The text line is only for v2, and only as 64 lowercase hex digits.
  std::string v1_with_text = entry;
  v1_with_text.replace(0, kLeafHeader.size(), kLeafHeaderV1);
  EXPECT_FALSE(ParseLeaf(v1_with_text));
  l.text = std::string(64, 'B');
  EXPECT_FALSE(ParseLeaf(FormatLeaf(l)));
  l.text = "abc";
  EXPECT_FALSE(ValidateLeaf(l));
}

TEST(LeafTest, TextHashIsTheDocumentedDigest) {
  // sha256("undersigned/text/v1\ndemand 16\nEnd the contract\nletter 11\nDear Dana,\n\n")
  EXPECT_EQ(TextHash("End the contract", "Dear Dana,\n"),
            "c6d74f593f5cd7f1a8295ae62a1b68e3d1268b3452155892b98ad04d5a5b41b8");
  // Lengths keep the fields apart: moving bytes between demand and letter changes the hash.
  EXPECT_NE(TextHash("ab", "c"), TextHash("a", "bc"));
  EXPECT_NE(TextHash("a", ""), TextHash("", "a"));
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

TEST(LeafTest, AnInvalidationSubtractsOneLikeAWithdrawal) {
  Leaf l = Sample();
  l.event = LeafEvent::kInvalidate;
  EXPECT_EQ(CountDelta(LeafEvent::kInvalidate), -1);
  EXPECT_NE(FormatLeaf(l).find("\nevent invalidate\n"), std::string::npos);
  LeafCounts counts;
  Leaf c = Sample();
  c.event = LeafEvent::kConfirm;
  counts.Add(c);
  counts.Add(c);
  counts.Add(l);
  EXPECT_EQ(counts.by_campaign[l.campaign], 1);
  EXPECT_EQ(counts.by_group[l.campaign]["public"], 1);
}

}  // namespace
}  // namespace undersigned::log
