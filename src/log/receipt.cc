#include "log/receipt.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "log/encoding.h"
#include "log/leaf.h"
#include "log/proof.h"

namespace undersigned::log {
namespace {

using nlohmann::json;

// An inclusion proof in a tree of at most 2^64 leaves has at most 64 hashes.
constexpr size_t kMaxProofHashes = 64;

tl::unexpected<Error> Bad(const std::string& field, const std::string& what) {
  return Fail(Code::kInvalidArgument, "receipt: \"" + field + "\" " + what);
}

Result<std::string> GetString(const json& obj, const std::string& key, const std::string& name,
                              bool required_non_empty) {
  auto it = obj.find(key);
  if (it == obj.end()) return Bad(name, "is missing");
  if (!it->is_string()) return Bad(name, "is not a string");
  std::string s = it->get<std::string>();
  if (required_non_empty && s.empty()) return Bad(name, "is empty");
  return s;
}

Result<std::vector<uint8_t>> GetBase64(const json& obj, const std::string& key) {
  auto s = GetString(obj, key, key, false);
  if (!s) return Fail(s.error());
  auto bytes = Base64Decode(*s);
  if (!bytes) return Bad(key, "is not canonical base64");
  return *bytes;
}

Result<void> OnlyMembers(const json& obj, const std::set<std::string>& allowed,
                         const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!allowed.count(it.key())) {
      return Fail(Code::kInvalidArgument, "receipt: unknown member \"" + it.key() + "\"" + where);
    }
  }
  return {};
}

}  // namespace

std::string FormatReceipt(const Receipt& r) {
  nlohmann::ordered_json proof = nlohmann::ordered_json::array();
  for (const Hash& h : r.inclusion_proof) proof.push_back(Base64Encode(h));
  // ordered_json keeps the documented member order.
  nlohmann::ordered_json doc;
  doc["format"] = std::string(kReceiptFormat);
  doc["log_url"] = r.log_url;
  doc["origin"] = r.origin;
  doc["verifier_key"] = r.verifier_key;
  doc["campaign"] = nlohmann::ordered_json{
      {"uuid", r.campaign_uuid}, {"slug", r.campaign_slug}, {"title", r.campaign_title}};
  doc["leaf_index"] = r.leaf_index;
  doc["leaf"] = Base64Encode(r.leaf);
  doc["salt"] = Base64Encode(r.salt);
  doc["inclusion_proof"] = std::move(proof);
  doc["checkpoint"] = r.checkpoint;
  if (r.text) {
    doc["text"] = nlohmann::ordered_json{{"version", r.text->version},
                                         {"demand", r.text->demand},
                                         {"letter_markdown", r.text->letter_markdown}};
  }
  // Invalid UTF-8 (never written by the server) is replaced rather than thrown on.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<Receipt> ParseReceipt(std::string_view text) {
  if (text.size() > kMaxReceiptBytes) {
    return Fail(Code::kInvalidArgument,
                "receipt: larger than " + std::to_string(kMaxReceiptBytes) + " bytes");
  }
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Fail(Code::kInvalidArgument, "receipt: not valid JSON");
  if (!doc.is_object()) return Fail(Code::kInvalidArgument, "receipt: not a JSON object");
  if (auto ok = OnlyMembers(doc,
                            {"format", "log_url", "origin", "verifier_key", "campaign",
                             "leaf_index", "leaf", "salt", "inclusion_proof", "checkpoint", "text"},
                            "");
      !ok) {
    return Fail(ok.error());
  }

  auto format = GetString(doc, "format", "format", false);
  if (!format) return Fail(format.error());
  if (*format != kReceiptFormat) {
    return Bad("format", "is \"" + *format + "\", want \"" + std::string(kReceiptFormat) + "\"");
  }

  Receipt r;
  auto log_url = GetString(doc, "log_url", "log_url", false);
  if (!log_url) return Fail(log_url.error());
  r.log_url = *log_url;
  auto origin = GetString(doc, "origin", "origin", true);
  if (!origin) return Fail(origin.error());
  r.origin = *origin;
  auto vkey = GetString(doc, "verifier_key", "verifier_key", true);
  if (!vkey) return Fail(vkey.error());
  r.verifier_key = *vkey;

  auto campaign = doc.find("campaign");
  if (campaign == doc.end()) return Bad("campaign", "is missing");
  if (!campaign->is_object()) return Bad("campaign", "is not an object");
  if (auto ok = OnlyMembers(*campaign, {"uuid", "slug", "title"}, " in \"campaign\""); !ok) {
    return Fail(ok.error());
  }
  auto uuid = GetString(*campaign, "uuid", "campaign.uuid", true);
  if (!uuid) return Fail(uuid.error());
  auto slug = GetString(*campaign, "slug", "campaign.slug", false);
  if (!slug) return Fail(slug.error());
  auto title = GetString(*campaign, "title", "campaign.title", false);
  if (!title) return Fail(title.error());
  r.campaign_uuid = *uuid;
  r.campaign_slug = *slug;
  r.campaign_title = *title;

  auto index = doc.find("leaf_index");
  if (index == doc.end()) return Bad("leaf_index", "is missing");
  if (!index->is_number_unsigned()) return Bad("leaf_index", "is not a non-negative integer");
  r.leaf_index = index->get<uint64_t>();

  auto leaf = GetBase64(doc, "leaf");
  if (!leaf) return Fail(leaf.error());
  if (leaf->empty()) return Bad("leaf", "is empty");
  r.leaf.assign(leaf->begin(), leaf->end());

  auto salt = GetBase64(doc, "salt");
  if (!salt) return Fail(salt.error());
  if (salt->size() != kSaltBytes) {
    return Bad("salt",
               "is " + std::to_string(salt->size()) + " bytes, want " + std::to_string(kSaltBytes));
  }
  r.salt = std::move(*salt);

  auto proof = doc.find("inclusion_proof");
  if (proof == doc.end()) return Bad("inclusion_proof", "is missing");
  if (!proof->is_array()) return Bad("inclusion_proof", "is not an array");
  if (proof->size() > kMaxProofHashes) {
    return Bad("inclusion_proof", "has more than " + std::to_string(kMaxProofHashes) + " hashes");
  }
  for (size_t i = 0; i < proof->size(); ++i) {
    const std::string name = "inclusion_proof[" + std::to_string(i) + "]";
    const json& h = (*proof)[i];
    if (!h.is_string()) return Bad(name, "is not a string");
    auto bytes = Base64Decode(h.get<std::string>());
    if (!bytes) return Bad(name, "is not canonical base64");
    if (bytes->size() != 32) {
      return Bad(name, "is " + std::to_string(bytes->size()) + " bytes, want a 32-byte hash");
    }
    Hash hash;
    std::copy(bytes->begin(), bytes->end(), hash.begin());
    r.inclusion_proof.push_back(hash);
  }

  auto checkpoint = GetString(doc, "checkpoint", "checkpoint", true);
  if (!checkpoint) return Fail(checkpoint.error());
  r.checkpoint = *checkpoint;

  if (auto text = doc.find("text"); text != doc.end()) {
    if (!text->is_object()) return Bad("text", "is not an object");
    if (auto ok = OnlyMembers(*text, {"version", "demand", "letter_markdown"}, " in \"text\"");
        !ok) {
      return Fail(ok.error());
    }
    auto version = text->find("version");
    if (version == text->end()) return Bad("text.version", "is missing");
    if (!version->is_number_integer() || version->get<int64_t>() < 1) {
      return Bad("text.version", "is not an integer of at least 1");
    }
    auto demand = GetString(*text, "demand", "text.demand", false);
    if (!demand) return Fail(demand.error());
    auto letter = GetString(*text, "letter_markdown", "text.letter_markdown", false);
    if (!letter) return Fail(letter.error());
    r.text = ReceiptText{version->get<int64_t>(), std::move(*demand), std::move(*letter)};
  }
  return r;
}

Result<Checkpoint> VerifyReceipt(const Receipt& r, std::string_view verifier_key,
                                 std::string_view identity) {
  if (r.origin.empty()) return Fail(Code::kInvalidArgument, "receipt: no origin");
  auto checkpoint = VerifyCheckpoint(r.checkpoint, verifier_key, r.origin);
  if (!checkpoint) {
    Error e = checkpoint.error();
    e.message = "receipt checkpoint: " + e.message;
    return Fail(std::move(e));
  }
  auto leaf = ParseLeaf(r.leaf);
  if (!leaf) return Fail(Code::kInvalidArgument, "receipt " + leaf.error().message);
  if (leaf->campaign != r.campaign_uuid) {
    return Fail(Code::kInvalidArgument,
                "receipt: the leaf is for campaign " + leaf->campaign + ", not " + r.campaign_uuid);
  }
  if (r.leaf_index >= checkpoint->size) {
    return Fail(Code::kInvalidArgument, "receipt: leaf #" + std::to_string(r.leaf_index) +
                                            " is not in the checkpoint's tree of " +
                                            std::to_string(checkpoint->size) + " leaves");
  }
  if (auto ok = VerifyInclusion(LeafHash(r.leaf), r.leaf_index, checkpoint->size, r.inclusion_proof,
                                checkpoint->root);
      !ok) {
    return Fail(Code::kInvalidArgument, "receipt: the inclusion proof of leaf #" +
                                            std::to_string(r.leaf_index) + " does not verify (" +
                                            ok.error().message + ")");
  }
  if (leaf->text.empty() != !r.text) {
    return Fail(Code::kInvalidArgument, leaf->text.empty()
                                            ? "receipt: carries a text, but its leaf names none"
                                            : "receipt: its leaf names text " + leaf->text +
                                                  " but the receipt does not carry that text");
  }
  if (r.text && TextHash(r.text->demand, r.text->letter_markdown) != leaf->text) {
    return Fail(Code::kInvalidArgument,
                "receipt: the text it carries (version " + std::to_string(r.text->version) +
                    ") is not the text its leaf names (" + leaf->text + "): it was changed");
  }
  if (!identity.empty()) {
    if (r.salt.size() != kSaltBytes) {
      return Fail(Code::kInvalidArgument, "receipt: the salt is not 32 bytes");
    }
    if (Commitment(r.salt, identity) != leaf->commitment) {
      return Fail(Code::kInvalidArgument, "receipt: the leaf's commitment is not to " +
                                              std::string(identity) +
                                              " (with this salt); is it the address you signed "
                                              "with?");
    }
  }
  return checkpoint;
}

}  // namespace undersigned::log
