// DashboardStore: what an organizer's dashboard reads of a campaign (service/dashboard.h):
// hourly count deltas for the chart and tallies by group, country and origin (both rollups),
// the outbox's state, and the organizers' search of its signatures. Reached through
// Store::dashboard(); see store.h for threads and errors. Read-only: nothing here writes.
//
// Privacy: the rows SearchSignatures returns are whole Signatures (the service decides what
// of them is shown); a sealed signature's personal fields are never in them (the store keeps
// those encrypted until the reveal) and searching never matches them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace undersigned {

// One hour's moves of a campaign's counts (as campaign_counts moves them): new signatures in it
// are pending + confirmed + withdrawn; confirmed is the net change of the confirmed count.
// Sealed and anonymous signatures are counted in their day's first hour (write_tx.h DeltaHour).
struct HourCounts {
  UnixTime hour = 0;  // Unix seconds, a multiple of 3600
  std::int64_t pending = 0;
  std::int64_t confirmed = 0;
  std::int64_t withdrawn = 0;
};

// How many of a campaign's signatures (pending or confirmed; withdrawn ones are not counted)
// have one value of a field.
struct TallyRow {
  std::string key;  // "" for none (no country given, no referrer, ...)
  std::int64_t confirmed = 0;
  std::int64_t pending = 0;
};

// A campaign's tallies, each sorted by confirmed + pending, most first, then by key.
struct SignatureTallies {
  std::vector<TallyRow> groups;       // group key
  std::vector<TallyRow> countries;    // ISO code as stored ("" for a sealed signer's)
  std::vector<TallyRow> referrers;    // SignatureOrigin::referrer
  std::vector<TallyRow> utm_sources;  // SignatureOrigin::utm_source
  std::vector<TallyRow> channels;     // SignatureOrigin::channel (our share links)
  std::vector<TallyRow> sources;      // Signature::source ("form", "api", "cli")
};

// The outbox's messages by state, for the whole instance (a message does not say which campaign
// it is about once sent: its payload is cleared).
struct OutboxCounts {
  std::int64_t queued = 0;    // never tried yet
  std::int64_t failing = 0;   // tried and failed, will be tried again
  std::int64_t given_up = 0;  // tried until the sender gave up (kOutboxNever)
  std::int64_t sent = 0;
};

// The organizers' search of a campaign's signatures; every criterion set must match.
struct SignatureSearch {
  std::string text;  // "" or a substring (ASCII case-insensitive) of the name, postal code or
                     // country (never matches a sealed or anonymous signature's fields)
  std::optional<std::string> group;  // group key
  std::optional<SignatureState> state;
  std::optional<UnixTime> created_from;   // created >= (a protected one: its day)
  std::optional<UnixTime> created_until;  // created < (a protected one: its day)
  // A value of the origin: matches the share channel, utm_source or referrer host exactly, or
  // the source ("form", "api"); "" matches any.
  std::string source;
  // Only signatures with a smaller id (keyset paging: the id of the last row of the page
  // before), so that reading every match in pages costs one pass.
  std::optional<std::int64_t> before_id;
};

// Sorts a tally as SignatureTallies keeps them: confirmed + pending, most first, then by key.
inline void SortTally(std::vector<TallyRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const TallyRow& a, const TallyRow& b) {
    const std::int64_t x = a.confirmed + a.pending, y = b.confirmed + b.pending;
    return x != y ? x > y : a.key < b.key;
  });
}

class DashboardStore {
 public:
  virtual ~DashboardStore() = default;

  // The campaign's counts as committed now (exact; on PostgreSQL every node's rows summed).
  virtual Result<CampaignCounts> Counts(std::int64_t campaign_id) = 0;

  // The campaign's hours with any move in [from, to), oldest first. Reads at most one row per
  // hour of the window (a range of the rollup's key), whatever the number of signatures.
  virtual Result<std::vector<HourCounts>> SignatureHours(std::int64_t campaign_id, UnixTime from,
                                                         UnixTime to) = 0;
  // Every tally of the campaign's signatures, from their rollup (store/tally_rollup.h).
  virtual Result<SignatureTallies> Tallies(std::int64_t campaign_id) = 0;
  virtual Result<OutboxCounts> CountOutbox() = 0;
  // Matching signatures, newest first, with their total.
  virtual Result<Paged<Signature>> SearchSignatures(std::int64_t campaign_id,
                                                    const SignatureSearch& search, Page page) = 0;
};

}  // namespace undersigned
