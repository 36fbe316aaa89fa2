#include "log/receipt.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log/encoding.h"
#include "log/leaf.h"
#include "log/proof.h"

namespace undersigned::log {
namespace {

using nlohmann::json;

constexpr std::string_view kOrigin = "petitions.example.org/log";
constexpr std::string_view kCampaign = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
constexpr std::string_view kEmail = "ada@example.org";

std::vector<uint8_t> Salt(uint8_t seed) { return std::vector<uint8_t>(kSaltBytes, seed); }

constexpr std::string_view kDemand = "End the contract";
constexpr std::string_view kLetter = "Dear Dana,\n\nplease end it.\n";

std::string Entry(uint64_t i, std::string_view campaign, std::string_view email,
                  std::string text = "") {
  Leaf l;
  l.text = std::move(text);
  l.campaign = std::string(campaign);
  l.event = LeafEvent::kConfirm;
  l.day = "2024-05-0" + std::to_string(1 + i % 9);
  l.commitment = Commitment(Salt(static_cast<uint8_t>(i)), email);
  return FormatLeaf(l);
}

// A log of 11 leaves signed with a fresh key, and a receipt for leaf 6 (ada's signature).
struct Fixture {
  GeneratedKey key = *GenerateNoteKey(kOrigin);
  MemoryTree tree;
  std::vector<std::string> entries;
  Receipt receipt;

  // with_text: leaf 6 is a v2 leaf naming version 2 of the text (kDemand, kLetter), which the
  // receipt carries.
  explicit Fixture(bool with_text = false) {
    for (uint64_t i = 0; i < 11; ++i) {
      entries.push_back(Entry(i, i % 3 == 1 ? "other-campaign" : kCampaign,
                              i == 6 ? kEmail : "someone" + std::to_string(i) + "@example.org",
                              with_text && i == 6 ? TextHash(kDemand, kLetter) : ""));
      tree.Append(LeafHash(entries.back()));
    }
    auto signer = *NoteSigner::FromPrivateKey(key.private_key);
    receipt.log_url = "https://petitions.example.org";
    receipt.origin = std::string(kOrigin);
    receipt.verifier_key = key.verifier_key;
    receipt.campaign_uuid = std::string(kCampaign);
    receipt.campaign_slug = "stop-it";
    receipt.campaign_title = "Stop \"it\" — now";
    receipt.leaf_index = 6;
    receipt.leaf = entries[6];
    receipt.salt = Salt(6);
    receipt.inclusion_proof = *InclusionProof(tree, 6, tree.Size());
    receipt.checkpoint =
        *SignCheckpoint(signer, Checkpoint{std::string(kOrigin), tree.Size(), tree.Root(), {}});
    if (with_text) receipt.text = ReceiptText{2, std::string(kDemand), std::string(kLetter)};
  }
};

TEST(Receipt, TheTextTheLeafNamesTravelsAndIsChecked) {
  Fixture f(true);
  auto parsed = ParseReceipt(FormatReceipt(f.receipt));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, f.receipt);
  EXPECT_TRUE(VerifyReceipt(*parsed, f.key.verifier_key, kEmail));

  // A letter changed after the fact no longer hashes to what the leaf names.
  Receipt edited = f.receipt;
  edited.text->letter_markdown += "P.S. and more.\n";
  auto r = VerifyReceipt(edited, f.key.verifier_key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not the text its leaf names"), std::string::npos)
      << r.error().message;
  // A receipt that drops the text of a v2 leaf, or adds one to a v1 leaf, is refused.
  Receipt dropped = f.receipt;
  dropped.text.reset();
  EXPECT_FALSE(VerifyReceipt(dropped, f.key.verifier_key));
  Fixture old;
  old.receipt.text = f.receipt.text;
  EXPECT_FALSE(VerifyReceipt(old.receipt, old.key.verifier_key));
  // And the text member is parsed strictly.
  json doc = json::parse(FormatReceipt(f.receipt));
  doc["text"]["version"] = 0;
  EXPECT_FALSE(ParseReceipt(doc.dump()));
  doc = json::parse(FormatReceipt(f.receipt));
  doc["text"].erase("demand");
  EXPECT_FALSE(ParseReceipt(doc.dump()));
}

TEST(Receipt, FormatHasExactlyTheDocumentedMembers) {
  Fixture f;
  const std::string text = FormatReceipt(f.receipt);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\n  \"format\": \"undersigned-receipt/v1\""), std::string::npos) << text;
  json doc = json::parse(text);
  std::vector<std::string> keys;
  for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"campaign", "checkpoint", "format", "inclusion_proof", "leaf",
                                      "leaf_index", "log_url", "origin", "salt", "verifier_key"}));
  EXPECT_EQ(doc["campaign"], (json{{"uuid", std::string(kCampaign)},
                                   {"slug", "stop-it"},
                                   {"title", "Stop \"it\" — now"}}));
  EXPECT_EQ(doc["leaf_index"], 6);
  EXPECT_EQ(doc["leaf"], Base64Encode(f.entries[6]));
  EXPECT_EQ(doc["salt"], Base64Encode(Salt(6)));
  ASSERT_EQ(doc["inclusion_proof"].size(), f.receipt.inclusion_proof.size());
  EXPECT_EQ(doc["inclusion_proof"][0], Base64Encode(f.receipt.inclusion_proof[0]));
  EXPECT_EQ(doc["checkpoint"], f.receipt.checkpoint);
  EXPECT_EQ(doc["verifier_key"], f.key.verifier_key);
}

TEST(Receipt, ParseIsTheInverseOfFormat) {
  Fixture f;
  auto parsed = ParseReceipt(FormatReceipt(f.receipt));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, f.receipt);
  // Compact JSON with members in another order is the same receipt.
  json doc = json::parse(FormatReceipt(f.receipt));
  parsed = ParseReceipt(doc.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, f.receipt);
}

// Applies `mutate` to the receipt's JSON and expects ParseReceipt to fail naming `field`.
void ExpectRejected(const Fixture& f, const std::function<void(json&)>& mutate,
                    const std::string& field) {
  json doc = json::parse(FormatReceipt(f.receipt));
  mutate(doc);
  auto parsed = ParseReceipt(doc.dump());
  ASSERT_FALSE(parsed) << "accepted a receipt with a bad " << field << ": " << doc.dump();
  EXPECT_EQ(parsed.error().code, Code::kInvalidArgument);
  EXPECT_NE(parsed.error().message.find(field), std::string::npos)
      << field << ": " << parsed.error().message;
}

TEST(Receipt, ParseIsStrictAndNamesTheField) {
  Fixture f;
  ExpectRejected(
      f, [](json& d) { d["format"] = "undersigned-receipt/v2"; }, "format");
  ExpectRejected(
      f, [](json& d) { d.erase("format"); }, "format");
  ExpectRejected(
      f, [](json& d) { d["extra"] = 1; }, "extra");
  ExpectRejected(
      f, [](json& d) { d["origin"] = ""; }, "origin");
  ExpectRejected(
      f, [](json& d) { d["verifier_key"] = 5; }, "verifier_key");
  ExpectRejected(
      f, [](json& d) { d.erase("checkpoint"); }, "checkpoint");
  ExpectRejected(
      f, [](json& d) { d["campaign"] = "x"; }, "campaign");
  ExpectRejected(
      f, [](json& d) { d["campaign"].erase("uuid"); }, "campaign.uuid");
  ExpectRejected(
      f, [](json& d) { d["campaign"]["id"] = 3; }, "id");
  ExpectRejected(
      f, [](json& d) { d["leaf_index"] = -1; }, "leaf_index");
  ExpectRejected(
      f, [](json& d) { d["leaf_index"] = 1.5; }, "leaf_index");
  ExpectRejected(
      f, [](json& d) { d["leaf_index"] = "6"; }, "leaf_index");
  ExpectRejected(
      f, [](json& d) { d["leaf"] = "not base64!"; }, "leaf");
  ExpectRejected(
      f, [](json& d) { d["leaf"] = ""; }, "leaf");
  ExpectRejected(
      f, [](json& d) { d["salt"] = Base64Encode(std::string(31, 'x')); }, "salt");
  ExpectRejected(
      f, [](json& d) { d["salt"] = "AAAA AAAA"; }, "salt");
  ExpectRejected(
      f, [](json& d) { d["inclusion_proof"][1] = Base64Encode(std::string(31, 'h')); },
      "inclusion_proof[1]");
  ExpectRejected(
      f, [](json& d) { d["inclusion_proof"][0] = 7; }, "inclusion_proof[0]");
  ExpectRejected(
      f, [](json& d) { d["inclusion_proof"] = "x"; }, "inclusion_proof");
  ExpectRejected(
      f,
      [](json& d) {
        d["inclusion_proof"] = json::array();
        for (int i = 0; i < 65; ++i) d["inclusion_proof"].push_back(Base64Encode(Hash{}));
      },
      "inclusion_proof");
  EXPECT_FALSE(ParseReceipt("{"));
  EXPECT_FALSE(ParseReceipt("[]"));
  EXPECT_FALSE(ParseReceipt(std::string(kMaxReceiptBytes + 1, ' ')));
}

TEST(Receipt, VerifiesAndReturnsTheCheckpoint) {
  Fixture f;
  auto cp = VerifyReceipt(f.receipt, f.key.verifier_key);
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->size, 11u);
  EXPECT_EQ(cp->root, f.tree.Root());
  EXPECT_EQ(cp->origin, kOrigin);
  auto with_identity = VerifyReceipt(f.receipt, f.key.verifier_key, kEmail);
  EXPECT_TRUE(with_identity) << with_identity.error().message;
}

TEST(Receipt, RejectsAnotherKey) {
  Fixture f;
  auto other = *GenerateNoteKey(kOrigin);
  auto r = VerifyReceipt(f.receipt, other.verifier_key);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnauthenticated) << r.error().message;
  EXPECT_NE(r.error().message.find("checkpoint"), std::string::npos) << r.error().message;
  EXPECT_FALSE(VerifyReceipt(f.receipt, "not a key"));
}

TEST(Receipt, RejectsAnotherOrigin) {
  Fixture f;
  f.receipt.origin = "elsewhere.example.org/log";
  auto r = VerifyReceipt(f.receipt, f.key.verifier_key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("origin"), std::string::npos) << r.error().message;
}

TEST(Receipt, RejectsALeafOfAnotherCampaign) {
  Fixture f;
  f.receipt.campaign_uuid = "other-campaign";
  auto r = VerifyReceipt(f.receipt, f.key.verifier_key);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("campaign"), std::string::npos) << r.error().message;
}

TEST(Receipt, RejectsAMalformedLeaf) {
  Fixture f;
  f.receipt.leaf += "\n";
  auto r = VerifyReceipt(f.receipt, f.key.verifier_key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("leaf"), std::string::npos) << r.error().message;
}

TEST(Receipt, RejectsAWrongProofIndexOrLeaf) {
  Fixture f;
  {
    Receipt r = f.receipt;
    r.inclusion_proof[0][3] ^= 1;
    auto v = VerifyReceipt(r, f.key.verifier_key);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("inclusion proof"), std::string::npos) << v.error().message;
  }
  {
    Receipt r = f.receipt;
    r.leaf_index = 7;
    EXPECT_FALSE(VerifyReceipt(r, f.key.verifier_key));
    r.leaf_index = 11;
    auto v = VerifyReceipt(r, f.key.verifier_key);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("not in the checkpoint"), std::string::npos);
  }
  {
    Receipt r = f.receipt;
    r.inclusion_proof.pop_back();
    EXPECT_FALSE(VerifyReceipt(r, f.key.verifier_key));
  }
  {
    // Another signer's leaf of the same campaign, with ada's proof.
    Receipt r = f.receipt;
    r.leaf = f.entries[8];
    EXPECT_FALSE(VerifyReceipt(r, f.key.verifier_key));
  }
  {
    // Every single-bit flip of the checkpoint note breaks the receipt.
    for (size_t i = 0; i < f.receipt.checkpoint.size(); i += 7) {
      Receipt r = f.receipt;
      r.checkpoint[i] ^= 0x01;
      EXPECT_FALSE(VerifyReceipt(r, f.key.verifier_key)) << i;
    }
  }
}

TEST(Receipt, IdentityMustMatchTheCommitment) {
  Fixture f;
  auto r = VerifyReceipt(f.receipt, f.key.verifier_key, "bob@example.org");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("commitment"), std::string::npos) << r.error().message;
  Receipt other_salt = f.receipt;
  other_salt.salt = Salt(99);
  EXPECT_FALSE(VerifyReceipt(other_salt, f.key.verifier_key, kEmail));
  // Without an identity the salt is not checked.
  EXPECT_TRUE(VerifyReceipt(other_salt, f.key.verifier_key));
}

}  // namespace
}  // namespace undersigned::log
