#include "audit/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "log/encoding.h"
#include "log/leaf.h"
#include "log/proof.h"
#include "log/tiles.h"

namespace undersigned::audit {
namespace {

using log::Hash;
using nlohmann::json;

std::string B64(const Hash& h) { return log::Base64Encode(h); }

std::optional<Hash> HashFromB64(std::string_view s) {
  auto bytes = log::Base64Decode(s);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  Hash h;
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::optional<json> ParseJson(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

std::optional<uint64_t> GetU64(const json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

std::optional<int64_t> GetI64(const json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> GetString(const json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Adds `context: ` to an error's message.
Error WithContext(Error e, const std::string& context) {
  e.message = context + ": " + e.message;
  return e;
}

// Errors of a request that mean "the log does not serve what it must" (a finding), as opposed
// to "we could not reach it" (the audit cannot be done).
bool IsLogFault(const Error& e) {
  return e.code == Code::kNotFound || e.code == Code::kInvalidArgument;
}

bool IsSafeSlug(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return s != "." && s != "..";
}

// Findings, with a cap per kind so that a rewritten log of a million leaves does not print a
// million lines.
class Findings {
 public:
  Findings(std::vector<std::string>* out, size_t cap) : out_(out), cap_(cap) {}
  void Add(std::string message) { out_->push_back(std::move(message)); }
  void AddCapped(const std::string& kind, std::string message) {
    if (++counts_[kind] <= cap_) out_->push_back(std::move(message));
  }
  void Summarize() {
    for (const auto& [kind, n] : counts_) {
      if (n > cap_) {
        out_->push_back("... and " + std::to_string(n - cap_) + " more " + kind +
                        " (only the first " + std::to_string(cap_) + " are listed)");
      }
    }
    counts_.clear();
  }

 private:
  std::vector<std::string>* out_;
  size_t cap_;
  std::map<std::string, size_t> counts_;
};

// /log/counts.
struct PublishedCampaign {
  std::string uuid;
  std::string slug;
  int64_t confirmed = 0;
  std::optional<std::map<std::string, int64_t>> groups;
};
struct PublishedCounts {
  std::string origin;
  uint64_t tree_size = 0;
  std::string checkpoint;
  std::vector<PublishedCampaign> campaigns;
};

Result<PublishedCounts> ParsePublishedCounts(std::string_view text) {
  auto bad = [](const std::string& what) {
    return Fail(Code::kInvalidArgument, "/log/counts: " + what);
  };
  auto doc = ParseJson(text);
  if (!doc || !doc->is_object()) return bad("not a JSON object");
  PublishedCounts out;
  auto origin = GetString(*doc, "origin");
  if (!origin) return bad("\"origin\" is missing or not a string");
  out.origin = *origin;
  auto size = GetU64(*doc, "tree_size");
  if (!size) return bad("\"tree_size\" is missing or not a non-negative integer");
  out.tree_size = *size;
  auto checkpoint = GetString(*doc, "checkpoint");
  if (!checkpoint) return bad("\"checkpoint\" is missing or not a string");
  out.checkpoint = *checkpoint;
  auto campaigns = doc->find("campaigns");
  if (campaigns == doc->end() || !campaigns->is_array()) {
    return bad("\"campaigns\" is missing or not an array");
  }
  for (size_t i = 0; i < campaigns->size(); ++i) {
    const json& c = (*campaigns)[i];
    const std::string where = "campaigns[" + std::to_string(i) + "]";
    PublishedCampaign pc;
    auto uuid = GetString(c, "uuid");
    if (!uuid || uuid->empty()) return bad(where + ".uuid is missing or not a string");
    pc.uuid = *uuid;
    auto slug = GetString(c, "slug");
    if (!slug) return bad(where + ".slug is missing or not a string");
    pc.slug = *slug;
    auto confirmed = GetI64(c, "confirmed");
    if (!confirmed) return bad(where + ".confirmed is missing or not an integer");
    pc.confirmed = *confirmed;
    if (auto g = c.find("groups"); g != c.end()) {
      if (!g->is_object()) return bad(where + ".groups is not an object");
      std::map<std::string, int64_t> groups;
      for (auto it = g->begin(); it != g->end(); ++it) {
        auto v = GetI64(*g, it.key().c_str());
        if (!v) return bad(where + ".groups." + it.key() + " is not an integer");
        groups[it.key()] = *v;
      }
      pc.groups = std::move(groups);
    }
    out.campaigns.push_back(std::move(pc));
  }
  return out;
}

// What a campaign page says about its log count.
struct PageCounts {
  std::optional<int64_t> live;
  std::optional<uint64_t> tree_size;
  std::optional<int64_t> confirmed;
};

// Downloads a known sequence of paths ahead of the consumer on worker threads, at most `window`
// paths ahead. Take(path) returns the result when path is the next one in the sequence, and
// nullopt otherwise (the caller then fetches it itself). The destructor stops the workers and
// joins them (after their requests in flight finish).
class ReadAhead {
 public:
  ReadAhead(std::vector<std::string> paths, size_t threads, size_t window,
            const std::function<Fetch()>& make_fetch)
      : paths_(std::move(paths)), window_(std::max<size_t>(window, 1)) {
    threads = std::clamp<size_t>(threads, 1, 16);
    for (size_t i = 0; i < threads; ++i) {
      workers_.emplace_back([this, fetch = make_fetch()] { Work(fetch); });
    }
  }
  ~ReadAhead() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  std::optional<Result<std::string>> Take(const std::string& path) {
    std::unique_lock lock(mu_);
    if (next_take_ >= paths_.size() || paths_[next_take_] != path) return std::nullopt;
    cv_.wait(lock, [&] { return ready_.count(next_take_) > 0; });
    auto node = ready_.extract(next_take_);
    ++next_take_;
    cv_.notify_all();
    return std::move(node.mapped());
  }

 private:
  void Work(const Fetch& fetch) {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] {
        return stop_ || next_claim_ >= paths_.size() || next_claim_ < next_take_ + window_;
      });
      if (stop_ || next_claim_ >= paths_.size()) return;
      const size_t i = next_claim_++;
      lock.unlock();
      Result<std::string> body = fetch(paths_[i]);
      lock.lock();
      ready_.emplace(i, std::move(body));
      cv_.notify_all();
    }
  }

  const std::vector<std::string> paths_;
  const size_t window_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_claim_ = 0;
  size_t next_take_ = 0;
  std::map<size_t, Result<std::string>> ready_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// The level-0 tiles and entry bundles of a tree, in the order LeafPass requests them.
std::vector<std::string> BulkPaths(uint64_t tree_size) {
  std::vector<std::string> paths;
  for (uint64_t t = 0; t * log::kTileWidth < tree_size; ++t) {
    const uint64_t left = tree_size - t * log::kTileWidth;
    const log::TileId id{0, t,
                         static_cast<uint16_t>(left < log::kTileWidth ? left : log::kTileWidth)};
    paths.push_back("/log/" + log::TilePath(id));
    paths.push_back("/log/" + log::EntryBundlePath(id));
  }
  return paths;
}

// The one pass over the leaves: streams entry bundles alongside the level-0 tiles that
// RootFromTiles reads, checks each entry against its tile hash, parses it, and keeps the roots
// and counts at the sizes the rest of the audit needs.
class LeafPass {
 public:
  LeafPass(const Fetch& fetch, uint64_t tree_size, std::vector<uint64_t> snapshot_sizes,
           std::set<uint64_t> samples, Findings* findings)
      : fetch_(fetch),
        size_(tree_size),
        snap_sizes_(std::move(snapshot_sizes)),
        samples_(std::move(samples)),
        findings_(findings) {
    std::sort(snap_sizes_.begin(), snap_sizes_.end());
    snap_sizes_.erase(std::unique(snap_sizes_.begin(), snap_sizes_.end()), snap_sizes_.end());
    Snapshot();
  }

  // Runs the pass. Returns an error only when the log could not be read (network); log faults
  // are findings, after which complete() is false.
  Result<void> Run() {
    auto tile_fetch = [this](const std::string& path) -> Result<std::string> {
      if (stopped_) return Fail(Code::kUnavailable, "audit stopped");
      auto body = fetch_("/log/" + path);
      if (!body) {
        fetch_error_ = body.error();
        fetch_error_path_ = "/log/" + path;
      }
      return body;
    };
    auto on_leaf = [this](uint64_t index, const Hash& tile_hash) { Leaf(index, tile_hash); };
    auto tiles_root = log::RootFromTiles(tile_fetch, size_, on_leaf);
    if (fatal_) return Fail(*fatal_);
    if (stopped_) return {};
    if (!tiles_root) {
      if (fetch_error_) {
        if (!IsLogFault(*fetch_error_)) return Fail(*fetch_error_);
        findings_->Add("the log does not serve " + fetch_error_path_ + ", which the checkpoint " +
                       "covers: " + fetch_error_->message);
      } else {
        findings_->Add("the tiles are inconsistent: " + tiles_root.error().message);
      }
      stopped_ = true;
      return {};
    }
    tiles_root_ = *tiles_root;
    if (range_.Size() != size_) {
      findings_->Add("read " + std::to_string(range_.Size()) + " leaves from the tiles, want " +
                     std::to_string(size_));
      stopped_ = true;
    }
    return {};
  }

  bool complete() const { return !stopped_; }
  const Hash& tiles_root() const { return tiles_root_; }
  Hash entries_root() const { return range_.Root(); }
  uint64_t verified() const { return verified_; }
  const Hash* RootAt(uint64_t size) const {
    auto it = roots_.find(size);
    return it == roots_.end() ? nullptr : &it->second;
  }
  const log::LeafCounts* CountsAt(uint64_t size) const {
    auto it = counts_.find(size);
    return it == counts_.end() ? nullptr : &it->second;
  }
  const std::map<uint64_t, Hash>& sample_hashes() const { return sample_hashes_; }

 private:
  void Leaf(uint64_t index, const Hash& tile_hash) {
    if (stopped_) return;
    const uint64_t bundle = index / log::kTileWidth;
    if (bundle != bundle_index_ && !LoadBundle(bundle)) return;
    const std::string& entry = bundle_[index % log::kTileWidth];
    const Hash h = log::LeafHash(entry);
    bool ok = true;
    if (h != tile_hash) {
      ok = false;
      findings_->AddCapped("leaves whose entry does not match the tile hash",
                           "leaf #" + std::to_string(index) +
                               ": the entry does not hash to the leaf hash in the level-0 tile (" +
                               B64(h) + " vs " + B64(tile_hash) + ")");
    }
    auto leaf = log::ParseLeaf(entry);
    if (!leaf) {
      ok = false;
      findings_->AddCapped("malformed leaves", "leaf #" + std::to_string(index) +
                                                   " is malformed (" + leaf.error().message +
                                                   "); it is not counted");
    } else {
      counts_now_.Add(*leaf);
    }
    if (ok) ++verified_;
    range_.Append(h);
    if (samples_.count(index)) sample_hashes_[index] = h;
    Snapshot();
  }

  bool LoadBundle(uint64_t bundle) {
    const uint64_t first = bundle * log::kTileWidth;
    const uint64_t left = size_ - first;
    const log::TileId id{0, bundle,
                         static_cast<uint16_t>(left < log::kTileWidth ? left : log::kTileWidth)};
    const std::string path = "/log/" + log::EntryBundlePath(id);
    auto body = fetch_(path);
    if (!body) {
      if (IsLogFault(body.error())) {
        findings_->Add("the log does not serve " + path +
                       ", which the checkpoint covers: " + body.error().message);
      } else {
        fatal_ = body.error();
      }
      stopped_ = true;
      return false;
    }
    auto entries = log::DecodeEntryBundle(*body, id.width);
    if (!entries) {
      findings_->Add(path + " is malformed: " + entries.error().message);
      stopped_ = true;
      return false;
    }
    bundle_ = std::move(*entries);
    bundle_index_ = bundle;
    return true;
  }

  void Snapshot() {
    while (next_snap_ < snap_sizes_.size() && snap_sizes_[next_snap_] <= range_.Size()) {
      if (snap_sizes_[next_snap_] == range_.Size()) {
        roots_[range_.Size()] = range_.Root();
        counts_[range_.Size()] = counts_now_;
      }
      ++next_snap_;
    }
  }

  const Fetch& fetch_;
  uint64_t size_;
  std::vector<uint64_t> snap_sizes_;
  size_t next_snap_ = 0;
  std::set<uint64_t> samples_;
  Findings* findings_;

  log::CompactRange range_;
  log::LeafCounts counts_now_;
  std::map<uint64_t, Hash> roots_;
  std::map<uint64_t, log::LeafCounts> counts_;
  std::map<uint64_t, Hash> sample_hashes_;
  std::vector<std::string> bundle_;
  uint64_t bundle_index_ = UINT64_MAX;
  uint64_t verified_ = 0;
  Hash tiles_root_{};
  bool stopped_ = false;
  std::optional<Error> fatal_;
  std::optional<Error> fetch_error_;
  std::string fetch_error_path_;
};

std::vector<Hash> ParseHashes(const json& doc, std::string* why) {
  std::vector<Hash> out;
  auto it = doc.find("hashes");
  if (it == doc.end() || !it->is_array()) {
    *why = "\"hashes\" is missing or not an array";
    return {};
  }
  if (it->size() > 128) {
    *why = "too many hashes";
    return {};
  }
  for (const json& h : *it) {
    std::optional<Hash> hash = h.is_string() ? HashFromB64(h.get<std::string>()) : std::nullopt;
    if (!hash) {
      *why = "a hash is not base64 of 32 bytes";
      return {};
    }
    out.push_back(*hash);
  }
  return out;
}

// Fetches a proof from path: the hashes when the answer is a JSON object whose two echoed
// numbers are what was asked for, or nullopt with *why saying what is wrong. An error only when
// the server could not be reached (a missing proof is a finding, reported here).
Result<std::optional<std::vector<Hash>>> FetchProof(
    const Fetch& fetch, const std::string& path, const char* what,
    std::initializer_list<std::pair<const char*, uint64_t>> echoed, Findings* findings,
    std::string* why) {
  auto body = fetch(path);
  if (!body) {
    if (!IsLogFault(body.error())) return Fail(WithContext(body.error(), what));
    findings->Add(std::string("the server does not give the ") + what + " " + path + ": " +
                  body.error().message);
    return std::optional<std::vector<Hash>>();
  }
  auto doc = ParseJson(*body);
  if (!doc || !doc->is_object()) {
    *why = "not a JSON object";
    return std::optional<std::vector<Hash>>(std::vector<Hash>{});
  }
  for (const auto& [key, want] : echoed) {
    if (GetU64(*doc, key) != want) {
      *why = std::string("\"") + key + "\" is not what was asked for";
      return std::optional<std::vector<Hash>>(std::vector<Hash>{});
    }
  }
  return std::optional<std::vector<Hash>>(ParseHashes(*doc, why));
}

// Fetches and checks the server's inclusion proof of one leaf. Returns an error only when the
// server could not be reached.
Result<void> CheckInclusionProof(const Fetch& fetch, uint64_t index, const Hash& leaf_hash,
                                 const log::Checkpoint& cp, Findings* findings) {
  const std::string path =
      "/log/proof/inclusion?index=" + std::to_string(index) + "&size=" + std::to_string(cp.size);
  std::string why;
  auto hashes = FetchProof(fetch, path, "inclusion proof",
                           {{"leaf_index", index}, {"tree_size", cp.size}}, findings, &why);
  if (!hashes) return Fail(hashes.error());
  if (!*hashes) return {};
  if (why.empty()) {
    if (auto ok = log::VerifyInclusion(leaf_hash, index, cp.size, **hashes, cp.root); !ok) {
      why = ok.error().message;
    }
  }
  if (!why.empty()) {
    findings->Add("the server's inclusion proof for leaf #" + std::to_string(index) + " at size " +
                  std::to_string(cp.size) + " is bad (" + why +
                  "): receipts made from it would not verify");
  }
  return {};
}

Result<void> CheckConsistencyProof(const Fetch& fetch, uint64_t from, const Hash& from_root,
                                   const log::Checkpoint& cp, const std::string& what,
                                   Findings* findings) {
  const std::string path =
      "/log/proof/consistency?from=" + std::to_string(from) + "&to=" + std::to_string(cp.size);
  std::string why;
  auto hashes = FetchProof(fetch, path, "consistency proof", {{"from", from}, {"to", cp.size}},
                           findings, &why);
  if (!hashes) return Fail(hashes.error());
  if (!*hashes) return {};
  if (why.empty()) {
    if (auto ok = log::VerifyConsistency(from, cp.size, **hashes, from_root, cp.root); !ok) {
      why = ok.error().message;
    }
  }
  if (!why.empty()) {
    findings->Add("the server's consistency proof from size " + std::to_string(from) + " (" + what +
                  ") to " + std::to_string(cp.size) + " does not verify (" + why + ")");
  }
  return {};
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

std::string Count(int64_t n) { return std::to_string(n); }

}  // namespace

// --------------------------------------------------------------------------- state file

std::string FormatAuditState(const AuditState& s) {
  nlohmann::ordered_json doc;
  doc["origin"] = s.origin;
  doc["verifier_key"] = s.verifier_key;
  doc["tree_size"] = s.tree_size;
  doc["root"] = B64(s.root);
  doc["checkpoint"] = s.checkpoint;
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<AuditState> ParseAuditState(std::string_view text) {
  auto bad = [](const std::string& what) {
    return Fail(Code::kInvalidArgument, "audit state: " + what);
  };
  auto doc = ParseJson(text);
  if (!doc || !doc->is_object()) return bad("not a JSON object");
  AuditState s;
  auto origin = GetString(*doc, "origin");
  if (!origin || origin->empty()) return bad("\"origin\" is missing or empty");
  s.origin = *origin;
  auto key = GetString(*doc, "verifier_key");
  if (!key || key->empty()) return bad("\"verifier_key\" is missing or empty");
  s.verifier_key = *key;
  auto size = GetU64(*doc, "tree_size");
  if (!size) return bad("\"tree_size\" is missing or not a non-negative integer");
  s.tree_size = *size;
  auto root_text = GetString(*doc, "root");
  std::optional<Hash> root = root_text ? HashFromB64(*root_text) : std::nullopt;
  if (!root) return bad("\"root\" is missing or not base64 of 32 bytes");
  s.root = *root;
  auto checkpoint = GetString(*doc, "checkpoint");
  if (!checkpoint) return bad("\"checkpoint\" is missing or not a string");
  s.checkpoint = *checkpoint;
  return s;
}

Result<std::optional<AuditState>> LoadAuditState(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return std::optional<AuditState>();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(Code::kInternal,
                "cannot read the state file " + path + ": " + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Fail(Code::kInternal, "cannot read the state file " + path);
  auto state = ParseAuditState(text);
  if (!state) return Fail(WithContext(state.error(), path));
  return std::optional<AuditState>(std::move(*state));
}

Result<void> SaveAuditState(const std::string& path, const AuditState& state) {
  const std::string tmp = path + ".tmp";
  const std::string text = FormatAuditState(state);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(Code::kInternal, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(Code::kInternal, "cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Fail(Code::kInternal, "cannot write " + tmp + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Fail(Code::kInternal,
                "cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
  }
  // Make the rename durable (best effort: some file systems refuse fsync on directories).
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

// --------------------------------------------------------------------------- the audit

Result<AuditReport> Audit(const Fetch& fetch, const AuditOptions& options) {
  AuditReport report;
  Findings findings(&report.findings, std::max<size_t>(options.max_findings_per_kind, 1));

  // The previous state.
  std::optional<AuditState> state;
  if (!options.state_file.empty()) {
    auto loaded = LoadAuditState(options.state_file);
    if (!loaded) return Fail(loaded.error());
    state = *loaded;
  }
  report.previous = state;

  // 1. The key.
  if (!options.key.empty()) {
    report.verifier_key = options.key;
    report.key_source = "--key";
    if (state && state->verifier_key != options.key) {
      report.notes.push_back("the key given differs from the one in the state file (" +
                             state->verifier_key + "); the given key is used and saved");
    }
  } else if (state) {
    report.verifier_key = state->verifier_key;
    report.key_source = "the state file";
  } else {
    auto body = fetch("/log/key");
    if (!body) return Fail(WithContext(body.error(), "fetching the log's key"));
    report.verifier_key = Trim(*body);
    report.key_source = "/log/key, trusted on first use";
    report.key_trusted_on_first_use = true;
    report.notes.push_back(
        "the key was fetched from the log itself and trusted on first use: compare it with the "
        "key the site publishes elsewhere (`undersigned log key` on the server) and pass it "
        "with --key; later audits use the key saved in the state file");
  }
  if (auto v = log::ParseVerifierKey(report.verifier_key); !v) {
    return Fail(Code::kInvalidArgument, "the verifier key \"" + report.verifier_key + "\" (from " +
                                            report.key_source +
                                            ") is not valid: " + v.error().message);
  }

  // 2. /log/counts, the campaign pages, then /log/checkpoint.
  auto counts_body = fetch("/log/counts");
  if (!counts_body) return Fail(WithContext(counts_body.error(), "fetching the log's counts"));
  std::optional<PublishedCounts> published;
  if (auto p = ParsePublishedCounts(*counts_body); p) {
    published = std::move(*p);
  } else {
    findings.Add(p.error().message);
  }

  std::map<std::string, PageCounts> pages;  // by uuid
  if (published) {
    std::set<std::string> seen;
    for (const PublishedCampaign& c : published->campaigns) {
      if (!seen.insert(c.uuid).second) {
        findings.Add("/log/counts lists campaign " + c.uuid + " more than once");
        continue;
      }
      if (!IsSafeSlug(c.slug)) {
        findings.Add("/log/counts gives campaign " + c.uuid + " the slug \"" + c.slug +
                     "\", which is not a valid slug");
        continue;
      }
      const std::string path = "/c/" + c.slug + ".json";
      auto body = fetch(path);
      if (!body) {
        if (body.error().code == Code::kNotFound) {
          report.notes.push_back("campaign " + c.slug + " has no public page (" + path +
                                 " is 404); its count is checked against /log/counts only");
          continue;
        }
        return Fail(WithContext(body.error(), "fetching " + path));
      }
      auto doc = ParseJson(*body);
      if (!doc || !doc->is_object()) {
        findings.Add(path + " is not a JSON object");
        continue;
      }
      PageCounts pc;
      pc.live = GetI64(*doc, "confirmed");
      auto log_it = doc->find("log");
      if (log_it == doc->end() || !log_it->is_object()) {
        findings.Add(path + " does not say which checkpoint its count is in (no \"log\" object)");
      } else {
        pc.tree_size = GetU64(*log_it, "tree_size");
        pc.confirmed = GetI64(*log_it, "confirmed");
        if (!pc.tree_size || !pc.confirmed) {
          findings.Add(path + ": \"log\" must have integer \"tree_size\" and \"confirmed\"");
          pc.tree_size.reset();
          pc.confirmed.reset();
        }
      }
      pages[c.uuid] = pc;
    }
  }

  auto note = fetch("/log/checkpoint");
  if (!note) return Fail(WithContext(note.error(), "fetching the latest checkpoint"));
  report.checkpoint_note = *note;

  // 3. The signatures.
  auto cp = log::VerifyCheckpoint(*note, report.verifier_key, state ? state->origin : "");
  if (!cp) {
    findings.Add("the latest checkpoint (/log/checkpoint) is not valid for key " +
                 report.verifier_key + " (from " + report.key_source + "): " + cp.error().message);
    return report;
  }
  report.checkpoint = *cp;
  if (cp->size > options.max_leaves) {
    return Fail(Code::kInvalidArgument,
                "the log has " + std::to_string(cp->size) + " leaves, more than the " +
                    std::to_string(options.max_leaves) + " this audit may download (--max-leaves)");
  }

  std::optional<log::Checkpoint> counts_cp;
  if (published) {
    auto c = log::VerifyCheckpoint(published->checkpoint, report.verifier_key, cp->origin);
    if (!c) {
      findings.Add("the checkpoint in /log/counts is not valid: " + c.error().message);
    } else if (c->size != published->tree_size) {
      findings.Add("/log/counts says tree_size " + std::to_string(published->tree_size) +
                   " but its checkpoint has size " + std::to_string(c->size));
    } else if (published->origin != cp->origin) {
      findings.Add("/log/counts names origin \"" + published->origin + "\", the checkpoint \"" +
                   cp->origin + "\"");
    } else if (c->size > cp->size) {
      findings.Add("/log/counts is at size " + std::to_string(c->size) +
                   ", beyond the latest checkpoint (" + std::to_string(cp->size) + ")");
    } else {
      counts_cp = *c;
      report.counts_tree_size = c->size;
    }
  }

  // 4. Every leaf and every tile.
  std::vector<uint64_t> snapshots = {cp->size};
  if (state && state->tree_size <= cp->size) snapshots.push_back(state->tree_size);
  if (counts_cp) snapshots.push_back(counts_cp->size);
  for (const auto& [uuid, page] : pages) {
    if (page.tree_size && *page.tree_size <= cp->size) snapshots.push_back(*page.tree_size);
  }
  std::set<uint64_t> samples;
  if (cp->size > 0 && options.inclusion_samples > 0) {
    samples.insert(cp->size - 1);
    if (options.inclusion_samples > 1) samples.insert(0);
    for (size_t k = 1; k + 1 < options.inclusion_samples; ++k) {
      samples.insert(cp->size / (options.inclusion_samples - 1) * k);
    }
  }
  std::optional<ReadAhead> read_ahead;
  if (options.make_fetch && cp->size > 0) {
    read_ahead.emplace(BulkPaths(cp->size), options.read_ahead_threads, options.read_ahead_window,
                       options.make_fetch);
  }
  const Fetch bulk_fetch = [&](const std::string& path) -> Result<std::string> {
    if (read_ahead) {
      if (auto r = read_ahead->Take(path)) return std::move(*r);
    }
    return fetch(path);
  };
  LeafPass pass(bulk_fetch, cp->size, snapshots, samples, &findings);
  if (auto ok = pass.Run(); !ok) return Fail(ok.error());
  read_ahead.reset();  // stops the workers before the proofs are fetched
  findings.Summarize();
  report.leaves_verified = pass.verified();
  bool tree_ok = false;
  if (pass.complete()) {
    tree_ok = true;
    if (pass.tiles_root() != cp->root) {
      tree_ok = false;
      findings.Add("the tiles hash to root " + B64(pass.tiles_root()) +
                   ", but the checkpoint signs " + B64(cp->root) + " for size " +
                   std::to_string(cp->size));
    }
    if (pass.entries_root() != cp->root) {
      tree_ok = false;
      findings.Add("the entries (leaves) hash to root " + B64(pass.entries_root()) +
                   ", but the checkpoint signs " + B64(cp->root) + " for size " +
                   std::to_string(cp->size) + ": leaves were changed, removed or added");
    }
  }

  // 5. Consistency with what was seen before.
  if (state) {
    if (state->tree_size > cp->size) {
      findings.Add("the log shrank: the state file records a checkpoint of size " +
                   std::to_string(state->tree_size) + " (root " + B64(state->root) +
                   "), the latest checkpoint has size " + std::to_string(cp->size) +
                   "; the log was rolled back or forked");
    } else if (const Hash* r = pass.RootAt(state->tree_size); tree_ok && r && *r != state->root) {
      findings.Add("fork: the first " + std::to_string(state->tree_size) + " leaves now hash to " +
                   B64(*r) + ", but the checkpoint audited before " + "(state file) has root " +
                   B64(state->root) + "; the log was rewritten");
    }
  }
  // (When the leaves do not match the checkpoint, the roots below are of leaves already
  // reported as wrong: comparing them would only repeat that finding.)
  if (counts_cp && tree_ok) {
    if (const Hash* r = pass.RootAt(counts_cp->size); r && *r != counts_cp->root) {
      findings.Add("the /log/counts checkpoint (size " + std::to_string(counts_cp->size) +
                   ") is not a prefix of the latest checkpoint: its root is " +
                   B64(counts_cp->root) + ", the leaves give " + B64(*r));
    }
  }

  // 6. Counts.
  const log::LeafCounts* at_counts = counts_cp ? pass.CountsAt(counts_cp->size) : nullptr;
  if (published && at_counts) {
    std::set<std::string> listed;
    for (const PublishedCampaign& c : published->campaigns) {
      if (!listed.insert(c.uuid).second) continue;
      CampaignCounts cc;
      cc.uuid = c.uuid;
      cc.slug = c.slug;
      if (auto it = at_counts->by_campaign.find(c.uuid); it != at_counts->by_campaign.end()) {
        cc.from_leaves = it->second;
      }
      if (auto it = at_counts->by_group.find(c.uuid); it != at_counts->by_group.end()) {
        cc.groups = it->second;
      }
      cc.published = c.confirmed;
      const std::string name = c.slug.empty() ? c.uuid : c.slug + " (" + c.uuid + ")";
      if (c.confirmed != cc.from_leaves) {
        findings.Add("campaign " + name + ": /log/counts says " + Count(c.confirmed) +
                     " confirmed at size " + std::to_string(counts_cp->size) +
                     ", the leaves give " + Count(cc.from_leaves));
      }
      if (c.groups) {
        std::set<std::string> groups;
        for (const auto& [g, n] : *c.groups) groups.insert(g);
        for (const auto& [g, n] : cc.groups) groups.insert(g);
        for (const std::string& g : groups) {
          auto pub = c.groups->find(g);
          auto mine = cc.groups.find(g);
          const int64_t p = pub == c.groups->end() ? 0 : pub->second;
          const int64_t m = mine == cc.groups.end() ? 0 : mine->second;
          if (p != m) {
            findings.Add("campaign " + name + ", group \"" + g + "\": /log/counts says " +
                         Count(p) + ", the leaves give " + Count(m));
          }
        }
      }
      if (auto pit = pages.find(c.uuid); pit != pages.end()) {
        const PageCounts& page = pit->second;
        cc.live = page.live;
        cc.page = page.confirmed;
        cc.page_tree_size = page.tree_size;
        if (page.tree_size && page.confirmed) {
          const std::string path = "/c/" + c.slug + ".json";
          if (*page.tree_size > cp->size) {
            findings.Add(path + " says its count is in the checkpoint of size " +
                         std::to_string(*page.tree_size) + ", beyond the latest checkpoint (" +
                         std::to_string(cp->size) + ")");
          } else if (const log::LeafCounts* at = pass.CountsAt(*page.tree_size)) {
            auto it = at->by_campaign.find(c.uuid);
            cc.page_from_leaves = it == at->by_campaign.end() ? 0 : it->second;
            if (*cc.page_from_leaves != *page.confirmed) {
              findings.Add("campaign " + name + ": the page " + path + " says " +
                           Count(*page.confirmed) + " confirmed at size " +
                           std::to_string(*page.tree_size) + ", the leaves give " +
                           Count(*cc.page_from_leaves));
            }
          }
        }
      }
      report.campaigns.push_back(std::move(cc));
    }
    for (const auto& [uuid, n] : at_counts->by_campaign) {
      if (listed.count(uuid)) continue;
      CampaignCounts cc;
      cc.uuid = uuid;
      cc.from_leaves = n;
      if (auto it = at_counts->by_group.find(uuid); it != at_counts->by_group.end()) {
        cc.groups = it->second;
      }
      if (n != 0) {
        findings.Add("campaign " + uuid + " has " + Count(n) +
                     " confirmed signatures in the log, but /log/counts does not list it");
      }
      report.campaigns.push_back(std::move(cc));
    }
  }

  // 7. The server's proofs (only meaningful when the tree itself checked out).
  if (tree_ok) {
    for (const auto& [index, hash] : pass.sample_hashes()) {
      if (auto ok = CheckInclusionProof(fetch, index, hash, *cp, &findings); !ok) {
        return Fail(ok.error());
      }
    }
    std::set<uint64_t> froms;
    if (state && state->tree_size > 0 && state->tree_size < cp->size) {
      if (auto ok = CheckConsistencyProof(fetch, state->tree_size, state->root, *cp,
                                          "the state file", &findings);
          !ok) {
        return Fail(ok.error());
      }
      froms.insert(state->tree_size);
    }
    if (counts_cp && counts_cp->size > 0 && counts_cp->size < cp->size &&
        !froms.count(counts_cp->size)) {
      if (auto ok = CheckConsistencyProof(fetch, counts_cp->size, counts_cp->root, *cp,
                                          "the /log/counts checkpoint", &findings);
          !ok) {
        return Fail(ok.error());
      }
    }
  }

  // Save.
  report.new_state =
      AuditState{cp->origin, report.verifier_key, cp->size, cp->root, report.checkpoint_note};
  if (report.passed() && !options.state_file.empty()) {
    if (auto ok = SaveAuditState(options.state_file, *report.new_state); !ok) {
      return Fail(ok.error());
    }
    report.state_saved = true;
  }
  return report;
}

void AuditReport::Print(std::ostream& out) const {
  out << "key: " << verifier_key << " (from " << key_source << ")\n";
  if (!checkpoint.origin.empty()) {
    out << "latest checkpoint: " << checkpoint.origin << ", size " << checkpoint.size << ", root "
        << B64(checkpoint.root) << "\n";
    out << "leaves verified: " << leaves_verified << " of " << checkpoint.size
        << " (entries that parsed as leaves and hashed to their tile's leaf hash)\n";
  }
  if (previous) {
    out << "previous audit: size " << previous->tree_size << ", root " << B64(previous->root)
        << "\n";
  } else {
    out << "previous audit: none (first audit with this state)\n";
  }
  if (!campaigns.empty()) {
    out << "counts at checkpoint size " << counts_tree_size << " (recomputed from the leaves):\n";
    for (const CampaignCounts& c : campaigns) {
      out << "  " << (c.slug.empty() ? c.uuid : c.slug) << ": " << c.from_leaves;
      if (c.published) out << " (published " << *c.published << ")";
      if (c.page && c.page_tree_size) {
        out << "; page: " << *c.page << " at size " << *c.page_tree_size;
      }
      if (c.live) out << "; live count now " << *c.live;
      if (c.groups.size() > 1 || (c.groups.size() == 1 && c.groups.begin()->first != "public")) {
        out << "; groups:";
        for (const auto& [g, n] : c.groups) out << " " << g << "=" << n;
      }
      out << "\n";
    }
  }
  for (const std::string& n : notes) out << "note: " << n << "\n";
  if (passed()) {
    out << "PASSED: the log is consistent and every count matches its leaves\n";
  } else {
    out << "FAILED: " << findings.size() << " finding" << (findings.size() == 1 ? "" : "s")
        << ":\n";
    for (const std::string& f : findings) out << "  - " << f << "\n";
  }
}

}  // namespace undersigned::audit
