#include "service/log.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "log/encoding.h"
#include "log/leaf.h"
#include "log/proof.h"
#include "log/receipt.h"
#include "service/campaigns.h"
#include "service/ids.h"

namespace undersigned::service {
namespace {

constexpr const char* kKeySecret = "log-key";
constexpr const char* kOriginValue = "log-origin";
constexpr const char* kCheckpointFileName = "log-checkpoint";

// A note signer from a 32-byte seed, named `name`, through the private key string format that
// log/note.h parses.
Result<log::NoteSigner> SignerFromSeed(const std::string& seed, const std::string& name) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return Fail(Code::kInternal,
                "the stored log key is not " + std::to_string(crypto_sign_SEEDBYTES) + " bytes");
  }
  std::array<std::uint8_t, 32> pk{};
  std::array<std::uint8_t, 64> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  sodium_memzero(sk.data(), sk.size());
  std::string key_material(1, static_cast<char>(log::kSignatureTypeEd25519));
  key_material += seed;
  char id[9];
  std::snprintf(id, sizeof id, "%08x", log::Ed25519KeyId(name, pk));
  std::string private_key =
      "PRIVATE+KEY+" + name + "+" + id + "+" + log::Base64Encode(key_material);
  auto signer = log::NoteSigner::FromPrivateKey(private_key);
  sodium_memzero(private_key.data(), private_key.size());
  sodium_memzero(key_material.data(), key_material.size());
  if (!signer) {
    return Fail(Code::kInvalidArgument,
                "the log's origin '" + name + "' cannot name a key: " + signer.error().message);
  }
  return signer;
}

// Writes path atomically and durably: a temporary file, fsync, rename, fsync of the directory.
Result<void> WriteFileDurably(const std::filesystem::path& path, const std::string& content) {
  const std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(Code::kInternal, "cannot write " + tmp + ": " + std::strerror(errno));
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Fail(Code::kInternal, "cannot write " + tmp + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Fail(Code::kInternal, "cannot sync " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Fail(Code::kInternal, "cannot rename " + tmp + ": " + std::strerror(errno));
  }
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

// Reads perfect-subtree hashes through the store.
class StoreNodeReader final : public log::NodeReader {
 public:
  explicit StoreNodeReader(Store& store) : store_(store) {}
  Result<log::Hash> Node(std::uint8_t level, std::uint64_t index) override {
    auto r = store_.LogNodes(level, index, 1);
    if (!r) return Fail(r.error());
    return r->front();
  }

 private:
  Store& store_;
};

Error Refuse(std::string message) {
  return Error{Code::kConflict, "the signature log: " + std::move(message), {}, 0};
}

}  // namespace

std::string OriginFromBaseUrl(std::string url) {
  auto scheme = url.find("://");
  if (scheme != std::string::npos) url = url.substr(scheme + 3);
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.empty()) url = "localhost";
  return url + "/log";
}

Result<std::unique_ptr<LogService>> LogService::Open(Store& store, const Clock& clock,
                                                     LogOptions options) {
  auto seed = store.InstanceSecret(kKeySecret);
  if (!seed) return Fail(seed.error());
  std::string initial =
      options.origin.empty() ? OriginFromBaseUrl(options.base_url) : options.origin;
  auto origin = store.InstanceValue(kOriginValue, initial);
  if (!origin) return Fail(origin.error());
  if (!options.origin.empty() && options.origin != *origin) {
    return Fail(Code::kInvalidArgument,
                "log.origin is '" + options.origin + "' but this instance's log was started as '" +
                    *origin + "'; a log's origin cannot change (remove the setting to keep it)");
  }
  auto signer = SignerFromSeed(*seed, *origin);
  if (!signer) return Fail(signer.error());
  return std::unique_ptr<LogService>(
      new LogService(store, clock, std::move(options), *origin, std::move(*signer)));
}

LogService::LogService(Store& store, const Clock& clock, LogOptions options, std::string origin,
                       log::NoteSigner signer)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      origin_(std::move(origin)),
      signer_(std::move(signer)) {}

LogService::~LogService() { Stop(); }

std::string LogService::PublicKey() const {
  return log::Base64Encode(signer_.Verifier().public_key);
}

std::string LogService::CheckpointFile() const {
  return (std::filesystem::path(options_.data_dir) / kCheckpointFileName).string();
}

Result<void> LogService::Verify() {
  if (!options_.enabled) return {};
  // The checkpoints this instance signed: the file (outside the database) and the table.
  struct Signed {
    std::string where;
    log::Checkpoint checkpoint;
    std::optional<log::Hash> stored_root;  // found while reading the leaves
  };
  std::vector<Signed> signed_checkpoints;
  const std::string vkey = VerifierKey();
  auto add_note = [&](const std::string& note, const std::string& where) -> Result<void> {
    auto c = log::VerifyCheckpoint(note, vkey, origin_);
    if (!c) {
      return Fail(Refuse(where + " is not a checkpoint signed by this instance's key (" +
                         c.error().message + ")"));
    }
    signed_checkpoints.push_back({where, *c, std::nullopt});
    return {};
  };
  std::error_code ec;
  if (std::filesystem::exists(CheckpointFile(), ec)) {
    std::ifstream in(CheckpointFile(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (auto r = add_note(text.str(), CheckpointFile()); !r) return r;
  }
  auto stored = store_.LatestCheckpoint();
  if (!stored) return Fail(stored.error());
  if (*stored) {
    if (auto r = add_note((*stored)->note, "the database's latest checkpoint"); !r) return r;
  }

  auto head = store_.GetLogHead();
  if (!head) return Fail(head.error());
  log::CompactRange range;
  log::LeafCounts counts;
  std::optional<Error> problem;
  for (Signed& s : signed_checkpoints) {
    if (s.checkpoint.size == 0) s.stored_root = log::EmptyRoot();
  }
  auto scan = store_.ForEachLogLeaf([&](std::uint64_t index, std::string_view entry,
                                        std::string_view stored_hash) {
    if (index != range.Size()) {
      problem = Refuse("leaf " + std::to_string(range.Size()) + " is missing from the database");
      return false;
    }
    log::Hash h = log::LeafHash(entry);
    if (stored_hash != std::string_view(reinterpret_cast<const char*>(h.data()), h.size())) {
      problem = Refuse("leaf " + std::to_string(index) + " does not match its stored hash");
      return false;
    }
    auto leaf = log::ParseLeaf(entry);
    if (!leaf) {
      problem = Refuse("leaf " + std::to_string(index) + " is malformed: " + leaf.error().message);
      return false;
    }
    counts.Add(*leaf);
    range.Append(h);
    for (Signed& s : signed_checkpoints) {
      if (s.checkpoint.size == range.Size()) s.stored_root = range.Root();
    }
    return true;
  });
  if (!scan) return Fail(scan.error());
  if (problem) return Fail(*problem);

  if (range.Size() != head->size || range.Root() != head->root) {
    return Fail(Refuse("the stored node hashes do not match the stored leaves (" +
                       std::to_string(range.Size()) + " leaves)"));
  }
  for (const Signed& s : signed_checkpoints) {
    if (s.checkpoint.size > range.Size()) {
      return Fail(Refuse(
          "this instance already published a checkpoint of " + std::to_string(s.checkpoint.size) +
          " entries (" + s.where + ") but the database holds only " + std::to_string(range.Size()) +
          ". The database is older than the log it published (a restored backup?) and "
          "appending to it would fork the log. Restore the newest backup; if forking is "
          "accepted, move " +
          CheckpointFile() + " away (auditors will see the fork)."));
    }
    if (!s.stored_root || *s.stored_root != s.checkpoint.root) {
      return Fail(Refuse("the stored log differs from the checkpoint of size " +
                         std::to_string(s.checkpoint.size) + " that this instance signed (" +
                         s.where + "): entries were changed or removed"));
    }
  }
  std::map<std::string, std::int64_t> from_leaves(counts.by_campaign.begin(),
                                                  counts.by_campaign.end());
  for (const LogCampaignCount& c : head->counts) {
    std::int64_t expected = 0;
    if (auto it = from_leaves.find(c.uuid); it != from_leaves.end()) {
      expected = it->second;
      from_leaves.erase(it);
    }
    if (expected != c.confirmed) {
      return Fail(Refuse("campaign '" + c.slug + "' counts " + std::to_string(c.confirmed) +
                         " confirmed signatures but its log entries add up to " +
                         std::to_string(expected)));
    }
  }
  for (const auto& [uuid, n] : from_leaves) {
    if (n != 0) return Fail(Refuse("entries name campaign " + uuid + ", which does not exist"));
  }
  return {};
}

Result<void> LogService::Start() {
  if (!options_.enabled) return {};
  if (auto stored = store_.LatestCheckpoint(); stored && *stored) {
    // Publish what was signed last, then sign the current head if it moved.
    auto c = log::VerifyCheckpoint((*stored)->note, VerifierKey(), origin_);
    if (c) {
      auto p = std::make_shared<PublishedCheckpoint>();
      p->size = c->size;
      p->root = c->root;
      p->note = (*stored)->note;
      p->counts_json = (*stored)->counts_json;
      p->created = (*stored)->created;
      auto j = nlohmann::json::parse(p->counts_json, nullptr, false);
      if (j.is_object() && j.contains("campaigns") && j["campaigns"].is_array()) {
        for (const auto& cj : j["campaigns"]) {
          if (cj.contains("uuid") && cj["uuid"].is_string() && cj.contains("confirmed") &&
              cj["confirmed"].is_number_integer()) {
            p->confirmed[cj["uuid"].get<std::string>()] = cj["confirmed"].get<std::int64_t>();
          }
        }
      }
      std::lock_guard lk(mu_);
      latest_ = std::move(p);
    }
  }
  if (auto r = MakeCheckpoint(); !r) return r;
  std::lock_guard lk(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  return {};
}

void LogService::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogService::Loop() {
  const auto interval = std::chrono::seconds(std::max(options_.checkpoint_seconds, 1));
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, interval, [&] { return wanted_ || stop_; });
      if (stop_) return;
      wanted_ = false;
    }
    if (auto r = MakeCheckpoint(); !r) {
      spdlog::error("log: could not make a checkpoint: {}", r.error().message);
    }
  }
}

Result<void> LogService::MakeCheckpoint() {
  std::lock_guard make(make_mu_);
  auto head = store_.GetLogHead();
  if (!head) return Fail(head.error());
  {
    std::lock_guard lk(mu_);
    if (latest_ && latest_->size == head->size) {
      cv_.notify_all();
      return {};
    }
  }
  log::Checkpoint c{origin_, head->size, head->root, {}};
  auto note = log::SignCheckpoint(signer_, c);
  if (!note) return Fail(note.error());

  auto p = std::make_shared<PublishedCheckpoint>();
  p->size = head->size;
  p->root = head->root;
  p->note = *note;
  p->created = clock_.Now();
  // Campaigns with no confirmed signature are left out (a draft's slug is not public).
  nlohmann::ordered_json campaigns = nlohmann::ordered_json::array();
  for (const LogCampaignCount& cc : head->counts) {
    if (cc.confirmed == 0) continue;
    p->confirmed[cc.uuid] = cc.confirmed;
    nlohmann::ordered_json groups = nlohmann::ordered_json::object();
    for (const GroupCount& g : cc.groups) {
      if (g.confirmed != 0) groups[g.key] = g.confirmed;
    }
    campaigns.push_back({{"uuid", cc.uuid},
                         {"slug", cc.slug},
                         {"confirmed", cc.confirmed},
                         {"groups", std::move(groups)}});
  }
  nlohmann::ordered_json body = {{"origin", origin_},
                                 {"tree_size", head->size},
                                 {"checkpoint", *note},
                                 {"campaigns", std::move(campaigns)}};
  p->counts_json = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  // Durable in both places before anyone is shown it.
  if (auto r = store_.SaveCheckpoint({p->size, p->note, p->counts_json, p->created}); !r) {
    return r;
  }
  if (auto r = WriteFileDurably(CheckpointFile(), p->note); !r) return r;
  {
    std::lock_guard lk(mu_);
    latest_ = std::move(p);
  }
  cv_.notify_all();
  return {};
}

std::shared_ptr<const PublishedCheckpoint> LogService::Latest() const {
  std::lock_guard lk(mu_);
  return latest_;
}

std::shared_ptr<const PublishedCheckpoint> LogService::WaitCovering(
    std::uint64_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  auto covers = [&] { return latest_ && latest_->size > index; };
  if (covers()) return latest_;
  if (!thread_.joinable()) return nullptr;
  wanted_ = true;
  cv_.notify_all();
  cv_.wait_for(lk, timeout, [&] { return covers() || stop_; });
  return covers() ? latest_ : nullptr;
}

Result<std::vector<log::Hash>> LogService::InclusionProof(std::uint64_t index, std::uint64_t size) {
  auto latest = Latest();
  const std::uint64_t published = latest ? latest->size : 0;
  if (size == 0 || size > published) {
    return Fail(Code::kInvalidArgument,
                "size must be between 1 and the latest checkpoint's size (" +
                    std::to_string(published) + ")");
  }
  if (index >= size) return Fail(Code::kInvalidArgument, "index must be below size");
  StoreNodeReader reader(store_);
  return log::InclusionProof(reader, index, size);
}

Result<std::vector<log::Hash>> LogService::ConsistencyProof(std::uint64_t from, std::uint64_t to) {
  auto latest = Latest();
  const std::uint64_t published = latest ? latest->size : 0;
  if (to > published) {
    return Fail(Code::kInvalidArgument, "to must be at most the latest checkpoint's size (" +
                                            std::to_string(published) + ")");
  }
  if (from == 0 || from >= to) {
    return Fail(Code::kInvalidArgument, "from must be at least 1 and below to");
  }
  StoreNodeReader reader(store_);
  return log::ConsistencyProof(reader, from, to);
}

namespace {
// Whether the tile's nodes all lie within a tree of `size` leaves.
bool TileWithin(const log::TileId& t, std::uint64_t size, int level_bits) {
  if (t.width == 0 || t.width > log::kTileWidth || level_bits >= 64) return false;
  const std::uint64_t end = t.index * log::kTileWidth + t.width;  // nodes at that level
  if (end > (size >> level_bits)) return false;
  return true;
}
}  // namespace

Result<std::string> LogService::Tile(const log::TileId& tile) {
  auto latest = Latest();
  const int level = log::kTileHeight * tile.level;
  if (!latest || tile.level > log::kMaxTileLevel || !TileWithin(tile, latest->size, level)) {
    return Fail(Code::kNotFound, "no such tile in the latest checkpoint");
  }
  auto hashes =
      store_.LogNodes(static_cast<std::uint8_t>(level), tile.index * log::kTileWidth, tile.width);
  if (!hashes) return Fail(hashes.error());
  return log::EncodeTile(*hashes);
}

Result<std::string> LogService::EntryBundle(const log::TileId& tile) {
  auto latest = Latest();
  if (!latest || !TileWithin(tile, latest->size, 0)) {
    return Fail(Code::kNotFound, "no such entry bundle in the latest checkpoint");
  }
  auto entries = store_.LogEntries(tile.index * log::kTileWidth, tile.width);
  if (!entries) return Fail(entries.error());
  return log::EncodeEntryBundle(*entries);
}

Result<std::string> LogService::Receipt(const std::string& token, CampaignService& campaigns) {
  if (!options_.enabled) return Fail(Code::kNotFound, "this site keeps no signature log");
  if (token.empty() || token.size() > 128) return Fail(Code::kNotFound, "Unknown link.");
  auto info = store_.LogReceipt(HashToken(token));
  if (!info) {
    if (info.error().code == Code::kConflict) {
      return Fail(Code::kConflict, "This signature is not confirmed, so it is not in the log.");
    }
    return Fail(info.error().code == Code::kNotFound
                    ? Error{Code::kNotFound, "Unknown link.", {}, 0}
                    : info.error());
  }
  auto checkpoint = WaitCovering(info->leaf_index, std::chrono::seconds(5));
  if (!checkpoint) {
    return Fail(Error{Code::kUnavailable,
                      "Your signature is not in a signed checkpoint yet; try again in a few "
                      "seconds.",
                      {},
                      5});
  }
  auto proof = InclusionProof(info->leaf_index, checkpoint->size);
  if (!proof) return Fail(proof.error());
  auto snap = campaigns.SnapshotById(info->campaign_id);
  if (!snap) return Fail(Code::kNotFound, "no such campaign");
  log::Receipt r;
  r.log_url = options_.base_url;
  r.origin = origin_;
  r.verifier_key = VerifierKey();
  r.campaign_uuid = snap->campaign.uuid;
  r.campaign_slug = snap->campaign.slug;
  r.campaign_title = snap->campaign.title;
  r.leaf_index = info->leaf_index;
  r.leaf = info->entry;
  r.salt.assign(info->salt.begin(), info->salt.end());
  r.inclusion_proof = std::move(*proof);
  r.checkpoint = checkpoint->note;
  // The text the leaf names, so that the signer keeps what they signed.
  if (auto leaf = log::ParseLeaf(info->entry); leaf && !leaf->text.empty()) {
    const auto& texts = *snap->texts;
    auto it = std::find_if(texts.begin(), texts.end(),
                           [&](const CampaignText& t) { return t.hash == leaf->text; });
    if (it == texts.end()) {
      return Fail(Code::kInternal, "the text version named by leaf " +
                                       std::to_string(info->leaf_index) + " is not kept");
    }
    r.text = log::ReceiptText{it->version, it->demand, it->letter_markdown};
  }
  return log::FormatReceipt(r);
}

}  // namespace undersigned::service
