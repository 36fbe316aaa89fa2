// LogService: the instance's signature log as the outside world sees it (issue 4). The store
// appends leaves in the transactions that change counts (store.h); this service signs
// checkpoints of that tree with the instance's Ed25519 key, refuses a stored tree that does not
// match its own leaves, counts or last signed checkpoint, and answers what GET /log/... serves:
// checkpoints, tiles, entry bundles, proofs, published counts and signers' receipts.
//
// Checkpoints: a background thread asks the store for its durable head every
// checkpoint_seconds (and at once when a receipt waits for one) and signs a new checkpoint when
// the tree grew. Each is kept in the store (log_checkpoints, with the counts published with it)
// and, before it is served, in <data_dir>/log-checkpoint (fsynced): the file lives outside the
// database, so a database restored from an older backup is caught at start-up instead of
// silently forking the published log.
//
// The key: its 32-byte seed is the instance secret "log-key"; the key's name (and the
// checkpoints' origin) is fixed at the first start ("log-origin"): the configured origin, or
// the base URL without its scheme plus "/log".
//
// Ownership: borrows the Store and Clock (they must outlive it); owns its thread, which Stop()
// (or the destructor) joins. Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/tiles.h"
#include "store/store.h"

namespace undersigned::service {

class CampaignService;

// The origin a log gets at its first start when none is configured: the base URL without its
// scheme, plus "/log" ("https://sign.example.org/x/" -> "sign.example.org/x/log").
std::string OriginFromBaseUrl(std::string base_url);

struct LogOptions {
  bool enabled = true;
  std::string origin;    // empty: derived from base_url at the first start
  std::string base_url;  // "https://sign.example.org"
  std::string data_dir;  // where the log-checkpoint file lives
  int checkpoint_seconds = 2;
};

// A signed checkpoint and what was published with it. Immutable once made.
struct PublishedCheckpoint {
  std::uint64_t size = 0;
  log::Hash root{};
  std::string note;         // the signed checkpoint (GET /log/checkpoint)
  std::string counts_json;  // GET /log/counts
  UnixTime created = 0;
  std::unordered_map<std::string, std::int64_t> confirmed;  // campaign uuid -> count at `size`
};

class LogService {
 public:
  // Loads (making on first use) the key and origin. Does not check or sign anything yet.
  static Result<std::unique_ptr<LogService>> Open(Store& store, const Clock& clock,
                                                  LogOptions options);
  ~LogService();

  bool enabled() const { return options_.enabled; }
  const std::string& origin() const { return origin_; }
  std::string VerifierKey() const { return signer_.VerifierKey(); }
  // The raw Ed25519 public key, base64.
  std::string PublicKey() const;

  // The start-up check: every stored leaf hashes to its stored hash and parses; the stored node
  // hashes give the same tree as the leaves; every campaign's confirmed count equals the count
  // its leaves add up to; and the last checkpoint this instance signed (file and table) is a
  // prefix of the stored tree. kConflict with a message saying what is wrong and what to do.
  // Nothing to check (ok) when the log is off.
  Result<void> Verify();

  // Signs a checkpoint of the current tree if it has none, then starts the checkpoint thread.
  Result<void> Start();
  void Stop();

  // The latest checkpoint, or nullptr before Start (or with the log off).
  std::shared_ptr<const PublishedCheckpoint> Latest() const;
  // The latest checkpoint once it covers leaf `index`, asking for one at once; nullptr if none
  // does within timeout.
  std::shared_ptr<const PublishedCheckpoint> WaitCovering(std::uint64_t index,
                                                          std::chrono::milliseconds timeout);

  // Proofs within the latest checkpoint. kInvalidArgument (saying why) for indexes or sizes
  // outside it.
  Result<std::vector<log::Hash>> InclusionProof(std::uint64_t index, std::uint64_t size);
  Result<std::vector<log::Hash>> ConsistencyProof(std::uint64_t from, std::uint64_t to);
  // Tile and entry-bundle bytes (C2SP tlog-tiles) within the latest checkpoint; kNotFound
  // beyond it.
  Result<std::string> Tile(const log::TileId& tile);
  Result<std::string> EntryBundle(const log::TileId& tile);

  // The receipt (log/receipt.h JSON) of the signature confirmed with this token (one that can
  // confirm: a confirmation mail's, not an "already signed" mail's withdraw-only one).
  // kNotFound for an unknown token, kConflict when it is not confirmed, kUnavailable when no
  // checkpoint covers it yet (retry in a few seconds).
  Result<std::string> Receipt(const std::string& token, CampaignService& campaigns);

 private:
  LogService(Store& store, const Clock& clock, LogOptions options, std::string origin,
             log::NoteSigner signer);
  // Signs and publishes a checkpoint of the durable head if it differs from the latest.
  Result<void> MakeCheckpoint();
  void Loop();
  std::string CheckpointFile() const;

  Store& store_;
  const Clock& clock_;
  const LogOptions options_;
  const std::string origin_;
  const log::NoteSigner signer_;

  std::mutex make_mu_;  // one MakeCheckpoint at a time

  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  std::shared_ptr<const PublishedCheckpoint> latest_;
  bool wanted_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace undersigned::service
