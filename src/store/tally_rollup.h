// TallyRollup: a batch's moves of the dashboard's tallies (DashboardStore::Tallies), which a
// backend's writer keeps in a rollup table (signature_tallies: SQLite migration 10, PostgreSQL
// migration 8) in the same transaction as the signature rows that move them.
//
// What a tally counts (unchanged from the full recount, DashboardStore::RecountTallies): the
// campaign's signatures in state pending or confirmed, by the value of six stored columns:
// group_key, country, ref_host, utm_source, share_channel and source. So a row moves the
// tallies when it is inserted, and when a save changes its state (a confirmation, withdrawal,
// invalidation) or one of those columns (a re-signing that changes the group, country or
// source; a sealed signature's reveal, which writes its country in clear). Hiding a comment or
// a name moves nothing (the signature still counts). The origin's columns are written by the
// insert only: a save keeps the stored ones.
//
// Use: the writer calls Move(old, now) for every such write (nullptr: no row before); the
// deltas add up per (campaign, tally, key) in memory, and the writer adds them to the table
// just before COMMIT, one upsert of increments per key the batch moved. Not thread-safe (one
// per writer transaction); plain data, copied to roll a job back.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/group.h"
#include "store/dashboard_store.h"
#include "store/write_tx.h"

namespace undersigned::store {

// The tallies, in SignatureTallies' order, as the rollup's `kind` column names them.
inline constexpr int kTallyKinds = 6;
inline constexpr std::array<const char*, kTallyKinds> kTallyKindNames = {
    "group", "country", "referrer", "utm_source", "channel", "source"};

// The tally of t a rollup row of `kind` belongs to; nullptr for a kind this version does not
// know.
inline std::vector<TallyRow>* TallyOfKind(SignatureTallies& t, std::string_view kind) {
  std::vector<TallyRow>* all[kTallyKinds] = {&t.groups,      &t.countries, &t.referrers,
                                             &t.utm_sources, &t.channels,  &t.sources};
  for (int k = 0; k < kTallyKinds; ++k) {
    if (kind == kTallyKindNames[k]) return all[k];
  }
  return nullptr;
}

// The full recount of a campaign's tallies, from every signature in one read of them: what the
// rollup must always equal (the conformance suite and dashboard_bench compare the two). Slow on
// a big campaign (seconds at 1,000,000 signatures): never for pages. Both backends'
// DashboardStores implement it beside DashboardStore; RecountOf finds it.
class TallyRecount {
 public:
  virtual ~TallyRecount() = default;
  virtual Result<SignatureTallies> RecountTallies(std::int64_t campaign_id) = 0;
};

// The backend's recount, or nullptr if it has none.
inline TallyRecount* RecountOf(DashboardStore& d) { return dynamic_cast<TallyRecount*>(&d); }

// What one stored signature row adds to the tallies.
struct TallyFields {
  enum class Counted { kNo, kPending, kConfirmed };
  Counted counted = Counted::kNo;
  // group_key, country, ref_host, utm_source, share_channel, source, as stored.
  std::array<std::string, kTallyKinds> keys;

  static Counted CountedOf(std::string_view state) {
    if (state == "pending") return Counted::kPending;
    if (state == "confirmed") return Counted::kConfirmed;
    return Counted::kNo;
  }
  static Counted CountedOf(SignatureState state) {
    if (state == SignatureState::kPending) return Counted::kPending;
    if (state == SignatureState::kConfirmed) return Counted::kConfirmed;
    return Counted::kNo;
  }
  // A row as InsertSignature writes it.
  static TallyFields OfInsert(const SignatureRow& row) {
    const Signature& s = row.signature;
    TallyFields f;
    f.counted = CountedOf(s.state);
    f.keys = {s.form.group.empty() ? std::string(kPublicGroupKey) : s.form.group,
              s.form.country,
              s.origin.referrer,
              s.origin.utm_source,
              s.origin.channel,
              s.source};
    return f;
  }
  // The row stored as `before`, once SaveSignature wrote row over it (the origin is kept).
  static TallyFields OfSave(const TallyFields& before, const SignatureRow& row) {
    const Signature& s = row.signature;
    TallyFields f = before;
    f.counted = CountedOf(s.state);
    f.keys[0] = s.form.group.empty() ? std::string(kPublicGroupKey) : s.form.group;
    f.keys[1] = s.form.country;
    f.keys[5] = s.source;
    return f;
  }
  bool operator==(const TallyFields& o) const { return counted == o.counted && keys == o.keys; }
};

class TallyRollup {
 public:
  struct Key {
    std::int64_t campaign_id;
    int kind;  // index into kTallyKindNames
    std::string key;
    bool operator<(const Key& o) const {
      return std::tie(campaign_id, kind, key) < std::tie(o.campaign_id, o.kind, o.key);
    }
  };
  struct Delta {
    std::int64_t pending = 0;
    std::int64_t confirmed = 0;
  };

  // A row of campaign_id went from before (nullptr: it was not there) to now.
  void Move(std::int64_t campaign_id, const TallyFields* before, const TallyFields& now) {
    if (before != nullptr && *before == now) return;
    if (before != nullptr) Add(campaign_id, *before, -1);
    Add(campaign_id, now, +1);
  }
  // The deltas by key; entries that came back to zero are still there (skip them).
  const std::map<Key, Delta>& deltas() const { return deltas_; }
  bool empty() const { return deltas_.empty(); }
  void Clear() { deltas_.clear(); }

 private:
  void Add(std::int64_t campaign_id, const TallyFields& f, int sign) {
    if (f.counted == TallyFields::Counted::kNo) return;
    for (int k = 0; k < kTallyKinds; ++k) {
      Delta& d = deltas_[Key{campaign_id, k, f.keys[k]}];
      (f.counted == TallyFields::Counted::kPending ? d.pending : d.confirmed) += sign;
    }
  }

  std::map<Key, Delta> deltas_;
};

}  // namespace undersigned::store
