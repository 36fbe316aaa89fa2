// Test-only: an in-memory undersigned log that answers the server's HTTP contract (/log/key,
// /log/checkpoint, /log/counts, /c/<slug>.json, tiles, entry bundles, proofs) through a Fetch,
// with knobs to make it lie. Not thread-safe.
#pragma once

#include <stdlib.h>

#include <charconv>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/fetch.h"
#include "log/encoding.h"
#include "log/leaf.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/receipt.h"
#include "log/tiles.h"

namespace undersigned::audit::testing {

// A fresh directory under the system's temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "audit_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline constexpr std::string_view kOrigin = "audit.example.org/log";

class FakeLog {
 public:
  FakeLog() : FakeLog(*log::GenerateNoteKey(kOrigin)) {}
  explicit FakeLog(log::GeneratedKey key)
      : key_(std::move(key)), signer_(*log::NoteSigner::FromPrivateKey(key_.private_key)) {}

  // Campaigns listed by /log/counts (uuid -> slug).
  void AddCampaign(const std::string& uuid, const std::string& slug) { campaigns_[uuid] = slug; }

  // Appends a leaf of campaign uuid. Salt and identity make the commitment.
  void Append(const std::string& uuid, log::LeafEvent event, const std::string& group = "public",
              const std::string& identity = "") {
    log::Leaf l;
    l.campaign = uuid;
    l.event = event;
    l.group = group;
    l.day = "2024-06-1" + std::to_string(entries_.size() % 10);
    l.commitment = log::Commitment(
        SaltFor(entries_.size()),
        identity.empty() ? "s" + std::to_string(entries_.size()) + "@example.org" : identity);
    AppendEntry(log::FormatLeaf(l));
  }
  // Appends raw entry bytes (e.g. a malformed leaf).
  void AppendEntry(const std::string& entry) {
    entries_.push_back(entry);
    tree_.Append(log::LeafHash(entry));
  }

  static std::vector<uint8_t> SaltFor(uint64_t index) {
    std::vector<uint8_t> salt(log::kSaltBytes, 0);
    for (int i = 0; i < 8; ++i) salt[i] = static_cast<uint8_t>(index >> (8 * i));
    salt[31] = 0xA5;
    return salt;
  }

  uint64_t Size() const { return tree_.Size(); }
  const std::vector<std::string>& entries() const { return entries_; }
  log::MemoryTree& tree() { return tree_; }
  const log::GeneratedKey& key() const { return key_; }
  const log::NoteSigner& signer() const { return signer_; }

  // The size of the checkpoint served (default: every leaf).
  uint64_t ServedSize() const { return served_size ? *served_size : Size(); }
  // The size of the /log/counts checkpoint and of the pages' "log" object (default: served).
  uint64_t CountsSize() const { return counts_size ? *counts_size : ServedSize(); }

  std::string SignedCheckpoint(uint64_t size, const log::NoteSigner* signer = nullptr) {
    const std::string origin = served_origin.empty() ? std::string(kOrigin) : served_origin;
    return *log::SignCheckpoint(signer ? *signer : signer_,
                                log::Checkpoint{origin, size, tree_.RootAt(size), {}});
  }

  log::LeafCounts CountsAt(uint64_t size) const {
    log::LeafCounts counts;
    for (uint64_t i = 0; i < size; ++i) {
      if (auto l = log::ParseLeaf(entries_[i])) counts.Add(*l);
    }
    return counts;
  }

  // A receipt for leaf `index` proven against the checkpoint of `size` leaves.
  log::Receipt MakeReceipt(uint64_t index, uint64_t size, const std::string& slug = "") {
    log::Receipt r;
    r.log_url = "http://fake.invalid";
    r.origin = std::string(kOrigin);
    r.verifier_key = key_.verifier_key;
    r.leaf_index = index;
    r.leaf = entries_[index];
    r.campaign_uuid = log::ParseLeaf(r.leaf)->campaign;
    r.campaign_slug = slug.empty() ? campaigns_[r.campaign_uuid] : slug;
    r.campaign_title = "Campaign " + r.campaign_slug;
    r.salt = SaltFor(index);
    r.inclusion_proof = *log::InclusionProof(tree_, index, size);
    r.checkpoint = SignedCheckpoint(size);
    return r;
  }

  Result<std::string> Get(const std::string& path) {
    requests.push_back(path);
    auto body = Serve(path);
    if (tamper) tamper(path, body);
    return body;
  }

  Fetch fetch() {
    return [this](const std::string& path) { return Get(path); };
  }

  // Knobs.
  std::optional<uint64_t> served_size;
  std::optional<uint64_t> counts_size;
  std::string served_origin;                           // default kOrigin
  const log::NoteSigner* checkpoint_signer = nullptr;  // sign /log/checkpoint with another key
  std::map<std::string, int64_t> count_adjust;         // added to a campaign's /log/counts count
  std::map<std::string, int64_t> page_adjust;          // added to a page's "log" count
  std::set<std::string> unlisted;                      // campaigns left out of /log/counts
  std::function<void(const std::string& path, Result<std::string>& body)> tamper;
  std::vector<std::string> requests;

 private:
  static std::optional<uint64_t> QueryParam(const std::string& query, const std::string& name) {
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      const std::string part = query.substr(pos, amp - pos);
      if (part.rfind(name + "=", 0) == 0) {
        uint64_t v = 0;
        const std::string num = part.substr(name.size() + 1);
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
        if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
        return v;
      }
      pos = amp + 1;
    }
    return std::nullopt;
  }

  static nlohmann::json Hashes(const std::vector<log::Hash>& hashes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hashes) out.push_back(log::Base64Encode(h));
    return out;
  }

  Result<std::string> NotFound(const std::string& path) {
    return Fail(Code::kNotFound, "GET " + path + ": 404 Not Found");
  }

  bool TileExists(const log::TileId& id) {
    for (const log::TileId& t : log::TilesForSize(ServedSize())) {
      if (t == id) return true;
    }
    return false;
  }

  Result<std::string> Serve(const std::string& path) {
    const uint64_t size = ServedSize();
    if (path == "/log/key") return key_.verifier_key + "\n";
    if (path == "/log/checkpoint") return SignedCheckpoint(size, checkpoint_signer);
    if (path == "/log/counts") {
      const uint64_t c = CountsSize();
      const log::LeafCounts counts = CountsAt(c);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [uuid, slug] : campaigns_) {
        if (unlisted.count(uuid)) continue;
        auto it = counts.by_campaign.find(uuid);
        int64_t n = it == counts.by_campaign.end() ? 0 : it->second;
        if (auto a = count_adjust.find(uuid); a != count_adjust.end()) n += a->second;
        nlohmann::json groups = nlohmann::json::object();
        if (auto g = counts.by_group.find(uuid); g != counts.by_group.end()) {
          for (const auto& [group, k] : g->second) groups[group] = k;
        }
        list.push_back({{"uuid", uuid}, {"slug", slug}, {"confirmed", n}, {"groups", groups}});
      }
      nlohmann::json doc = {
          {"origin", served_origin.empty() ? std::string(kOrigin) : served_origin},
          {"tree_size", c},
          {"checkpoint", SignedCheckpoint(c)},
          {"campaigns", list}};
      return doc.dump();
    }
    if (path.rfind("/c/", 0) == 0 && path.size() > 8 && path.substr(path.size() - 5) == ".json") {
      const std::string slug = path.substr(3, path.size() - 8);
      for (const auto& [uuid, s] : campaigns_) {
        if (s != slug) continue;
        const uint64_t c = CountsSize();
        auto at = CountsAt(c).by_campaign;
        auto live = CountsAt(Size()).by_campaign;
        int64_t n = at.count(uuid) ? at[uuid] : 0;
        if (auto a = page_adjust.find(uuid); a != page_adjust.end()) n += a->second;
        nlohmann::json doc = {{"slug", slug},
                              {"title", "Campaign " + slug},
                              {"confirmed", live.count(uuid) ? live[uuid] : 0},
                              {"log", {{"tree_size", c}, {"confirmed", n}}}};
        return doc.dump();
      }
      return NotFound(path);
    }
    if (path.rfind("/log/tile/entries/", 0) == 0) {
      auto id = log::ParseEntryBundlePath(path.substr(5));
      if (!id || !TileExists(*id)) return NotFound(path);
      std::vector<std::string> bundle(entries_.begin() + id->index * 256,
                                      entries_.begin() + id->index * 256 + id->width);
      return log::EncodeEntryBundle(bundle);
    }
    if (path.rfind("/log/tile/", 0) == 0) {
      auto id = log::ParseTilePath(path.substr(5));
      if (!id || !TileExists(*id)) return NotFound(path);
      auto hashes = log::TileHashes(tree_, *id);
      if (!hashes) return Fail(hashes.error());
      return log::EncodeTile(*hashes);
    }
    if (path.rfind("/log/proof/inclusion?", 0) == 0) {
      const std::string q = path.substr(path.find('?') + 1);
      auto index = QueryParam(q, "index");
      auto n = QueryParam(q, "size");
      if (!index || !n || *n > size) return NotFound(path);
      auto proof = log::InclusionProof(tree_, *index, *n);
      if (!proof) return NotFound(path);
      return nlohmann::json{{"leaf_index", *index}, {"tree_size", *n}, {"hashes", Hashes(*proof)}}
          .dump();
    }
    if (path.rfind("/log/proof/consistency?", 0) == 0) {
      const std::string q = path.substr(path.find('?') + 1);
      auto from = QueryParam(q, "from");
      auto to = QueryParam(q, "to");
      if (!from || !to || *to > size) return NotFound(path);
      auto proof = log::ConsistencyProof(tree_, *from, *to);
      if (!proof) return NotFound(path);
      return nlohmann::json{{"from", *from}, {"to", *to}, {"hashes", Hashes(*proof)}}.dump();
    }
    return NotFound(path);
  }

  log::GeneratedKey key_;
  log::NoteSigner signer_;
  std::vector<std::string> entries_;
  log::MemoryTree tree_;
  std::map<std::string, std::string> campaigns_;
};

}  // namespace undersigned::audit::testing
