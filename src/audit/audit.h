// The auditor: reads a whole log over its HTTP interface, checks it, and recomputes every
// campaign's count from the leaves.
//
// Audit() performs, in order (the server's contract is in docs and issue 4):
//   1. The key: AuditOptions::key if given, else the state file's, else GET /log/key, trusted on
//      first use (the report says so).
//   2. GET /log/counts (the counts as they stood at checkpoint C), then GET /c/<slug>.json of
//      every campaign it lists, then GET /log/checkpoint (so its size N >= C).
//   3. Verifies both checkpoint notes with the key (and the state's origin, if any).
//   4. Reads every entry bundle and every tile of the tree of N leaves: each entry must parse as
//      a leaf and hash to the leaf hash in the level-0 tile, the root of the entries and the root
//      of the tiles (upper tiles checked against lower ones) must both be the checkpoint's root.
//   5. Consistency with the previous state: the first state.tree_size leaves must hash to the
//      state's root (a fork or a rollback otherwise), and the /log/counts checkpoint must be a
//      prefix of the latest one.
//   6. Recounts each campaign (and group) from the first C leaves and compares with /log/counts,
//      and each page's "log" count with the leaves up to the size the page names.
//   7. Asks the server for inclusion proofs of a few leaves and a consistency proof from the
//      previous state (and from C) and verifies them: receipts rely on those endpoints.
// Anything the log serves that is wrong is a finding; the audit passes when there are none.
// When it passes and AuditOptions::state_file is set, the new state is saved (atomically).
//
// Memory is O(campaigns + log n): leaves are streamed a bundle at a time.
//
// Thread-safety: Audit() is reentrant; it calls fetch from the calling thread only (and the
// read-ahead fetches, if any, from threads it starts and joins before returning).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "audit/fetch.h"
#include "core/error.h"
#include "log/merkle.h"
#include "log/note.h"

namespace undersigned::audit {

// What the auditor remembers between runs: the last checkpoint it verified.
struct AuditState {
  std::string origin;
  std::string verifier_key;
  uint64_t tree_size = 0;
  log::Hash root{};
  std::string checkpoint;  // the signed note, for the record
  friend bool operator==(const AuditState&, const AuditState&) = default;
};

// {"origin", "verifier_key", "tree_size", "root" (base64), "checkpoint"}, pretty-printed.
std::string FormatAuditState(const AuditState& state);
// kInvalidArgument naming the member for a malformed state.
Result<AuditState> ParseAuditState(std::string_view json);
// nullopt when the file does not exist; kInvalidArgument when it cannot be parsed, kInternal when
// it cannot be read.
Result<std::optional<AuditState>> LoadAuditState(const std::string& path);
// Writes path + ".tmp", fsyncs it and renames it over path.
Result<void> SaveAuditState(const std::string& path, const AuditState& state);

struct AuditOptions {
  // Verifier key to trust. Empty: the state file's key, else /log/key (trusted on first use).
  std::string key;
  // Where the previous state is read from and the new one saved on success. Empty: no state.
  std::string state_file;
  // The audit refuses (an error, not a finding) to download a log larger than this.
  uint64_t max_leaves = 100'000'000;
  // How many server inclusion proofs to check (first, last and evenly spaced leaves).
  size_t inclusion_samples = 3;
  // Findings of one kind (e.g. leaves whose hash differs from the tile) listed individually
  // before the rest are summarised in one line.
  size_t max_findings_per_kind = 10;
  // Read-ahead for the bulk download: when make_fetch is set, read_ahead_threads threads, each
  // with its own Fetch from make_fetch (an HttpFetcher is not thread-safe), download the level-0
  // tiles and entry bundles in the order the audit reads them, at most read_ahead_window ahead,
  // so that the network and the server work while the audit hashes. Empty: every request goes
  // through `fetch` on the calling thread.
  std::function<Fetch()> make_fetch;
  size_t read_ahead_threads = 2;
  size_t read_ahead_window = 32;
};

// A campaign's counts as recomputed and as published.
struct CampaignCounts {
  std::string uuid;
  std::string slug;
  int64_t from_leaves = 0;                  // at the /log/counts size
  std::map<std::string, int64_t> groups;    // from the leaves, at the /log/counts size
  std::optional<int64_t> published;         // /log/counts "confirmed"
  std::optional<int64_t> page;              // /c/<slug>.json "log"."confirmed"
  std::optional<uint64_t> page_tree_size;   // /c/<slug>.json "log"."tree_size"
  std::optional<int64_t> page_from_leaves;  // leaves' count at page_tree_size
  std::optional<int64_t> live;              // /c/<slug>.json "confirmed"
};

struct AuditReport {
  std::vector<std::string> findings;  // empty: the audit passed
  std::vector<std::string> notes;     // things worth knowing that are not problems
  std::string verifier_key;
  std::string key_source;  // "--key", "the state file", "/log/key, trusted on first use"
  bool key_trusted_on_first_use = false;
  log::Checkpoint checkpoint;  // the latest checkpoint (verified when there is no finding)
  std::string checkpoint_note;
  uint64_t counts_tree_size = 0;
  uint64_t leaves_verified = 0;        // entries that parsed and matched their tile hash
  std::optional<AuditState> previous;  // the state the audit started from
  std::vector<CampaignCounts> campaigns;
  std::optional<AuditState> new_state;  // what was (or would have been) saved
  bool state_saved = false;

  bool passed() const { return findings.empty(); }
  // A human-readable summary: what was checked, the counts, then the findings.
  void Print(std::ostream& out) const;
};

// Audits the log behind fetch. Errors (nothing to report about the log itself, "could not
// audit"): kUnavailable when a request fails (network, 5xx), kInvalidArgument for bad options, a
// log over max_leaves or a key that cannot be parsed, kNotFound when /log/checkpoint, /log/key
// or /log/counts is missing, kInternal when the state file cannot be read or written.
Result<AuditReport> Audit(const Fetch& fetch, const AuditOptions& options);

}  // namespace undersigned::audit
