// DashboardService: what an organizer watches of a campaign (issue 13, parts 3 and 4): its
// exact counts and confirmation rate, signatures per hour or per day (series for
// render/chart.h, and the chart itself), counts by group, country and source (top N and the
// rest), the outbox's state, and the list of its signatures, searchable and exportable as CSV.
// The console's pages and any other caller (CLI, API) use this, never the store directly.
//
// Authorization: every call names an Actor and is checked by AccountService::Authorize against
// the campaign (membership read fresh): the figures and chart need CampaignAction::kView, the
// list kViewSigners, the CSV kExport. An unknown campaign is kNotFound.
//
// What the list shows is what the public export shows (SigningService::Export: name, group,
// verified, visibility, postal code, country, comment, the time signed, day-rounded for sealed
// and anonymous signers), plus its state and source, and an email address only for a signer who
// asked for updates and is neither sealed nor anonymous. A sealed signer's name is not in the
// store before the reveal (store/sealed_fields.h), an anonymous signer's never; their origin
// (referrer, utm_*, share channel) is not shown per row either, only counted.
//
// Costs: the chart reads the hourly rollup (at most 24 rows a day of the window, whatever the
// number of signatures); the tallies read their rollup (a row per key: store/tally_rollup.h),
// not the signatures (see bench/README.md, "dashboard", for the figures at 1,000,000
// signatures); the outbox's counts read the whole outbox table (about 60 ms at 100,000
// messages), so they are read at most once per kOutboxSeconds for every caller, and may be
// that old (Dashboard::outbox_as_of says when they were read).
//
// Thread-safe (its one state, the outbox's counts last read, is behind a mutex). Holds
// references to the store, the account service and the clock, which must outlive it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/campaign.h"
#include "render/chart.h"
#include "service/accounts.h"
#include "store/store.h"

namespace undersigned::service {

// A tally's biggest keys, and what the others add up to.
struct TopTally {
  std::vector<TallyRow> top;
  TallyRow other;               // key "", the sum of the rest (zero if there is no rest)
  std::int64_t other_keys = 0;  // how many keys the rest has
};

struct DashboardRange {
  render::ChartBucket bucket = render::ChartBucket::kHour;
  // [from, to): unset: the last 48 hours (per hour) or 30 days (per day) up to now.
  std::optional<UnixTime> from;
  std::optional<UnixTime> to;
  int top = 10;  // keys per tally (1..100)
};

struct Dashboard {
  Campaign campaign;
  CampaignCounts counts;         // exact, as the store has them now
  double confirmation_rate = 0;  // confirmed / (confirmed + pending + withdrawn); 0 if none
  UnixTime from = 0, to = 0;     // the window the series cover (from on an hour's edge)
  // Per hour of the window, oldest first, hours without a move left out: new signatures (every
  // state), and the net change of the confirmed count (confirmations less withdrawals of
  // confirmed signatures; may be negative). render::RenderSignaturesChart buckets them by hour
  // or day in the campaign's time zone.
  std::vector<render::ChartPoint> signed_series;
  std::vector<render::ChartPoint> confirmed_series;
  TopTally groups, countries, referrers, utm_sources, channels, sources;
  OutboxCounts outbox;
  UnixTime outbox_as_of = 0;  // when they were read (at most kOutboxSeconds ago)
  // The outbox's counts are the whole instance's: a message does not say which campaign it is
  // about once it is sent (its payload is cleared). Always true today; a page says so.
  bool outbox_is_instance_wide = true;
};

// One row of the organizers' list (and its CSV).
struct SignerRow {
  std::string id;  // the signature's public id (as the API shows it)
  std::string name;
  std::string group;
  bool verified = false;
  std::string visibility;  // public, private, sealed, anonymous (as the export says)
  std::string postal_code;
  std::string country;
  std::string comment;
  std::string signed_at;  // ISO 8601; only the day (YYYY-MM-DD) for sealed and anonymous
  std::string state;      // pending, confirmed, withdrawn
  std::string source;     // "form", "api", "cli", then " (channel x, utm_source y, via host)"
                          // when known and the signer is neither sealed nor anonymous
  std::string email;      // only a signer who asked for updates, neither sealed nor anonymous
};

struct SignerList {
  std::vector<SignerRow> rows;
  std::int64_t total = 0;  // matches in all pages
};

class DashboardService {
 public:
  // How long the outbox's counts are reused (they cost a read of the whole outbox table, and a
  // dashboard reloaded every second by several organizers must not slow signing down).
  static constexpr UnixTime kOutboxSeconds = 5;

  DashboardService(Store& store, AccountService& accounts, const Clock& clock)
      : store_(store), accounts_(accounts), clock_(clock) {}

  // kInvalidArgument for a range with from >= to, one longer than render::kMaxChartBuckets
  // buckets, or top out of 1..100.
  Result<Dashboard> Overview(const Actor& by, const std::string& slug,
                             const DashboardRange& range = {});
  // The chart of new signatures over the range (render/chart.h: SVG and table), titled for it,
  // in the campaign's time zone.
  Result<render::Chart> SignaturesChart(const Actor& by, const std::string& slug,
                                        const DashboardRange& range = {});
  // The list, newest first. page.per_page is capped at 500.
  Result<SignerList> Signatures(const Actor& by, const std::string& slug,
                                const SignatureSearch& search, Page page);
  // Every match as CSV (header then one line per signature, newest first), streamed to out.
  Result<void> ExportCsv(const Actor& by, const std::string& slug, const SignatureSearch& search,
                         std::ostream& out);

  // A Signature as the list shows it (the rules above). Public for the tests.
  static SignerRow RowOf(const Signature& s);
  // The CSV header and a row, as ExportCsv writes them.
  static std::string CsvHeader();
  static std::string CsvLine(const SignerRow& row);
  // The n biggest keys of a sorted tally, and the rest summed.
  static TopTally Top(std::vector<TallyRow> rows, int n);

 private:
  Result<Campaign> Authorized(const Actor& by, const std::string& slug, CampaignAction action);
  Result<std::pair<UnixTime, UnixTime>> Window(const DashboardRange& range) const;
  // The outbox's counts and when they were read: the last read if younger than kOutboxSeconds.
  Result<std::pair<OutboxCounts, UnixTime>> Outbox();

  Store& store_;
  AccountService& accounts_;
  const Clock& clock_;
  std::mutex outbox_mu_;
  std::optional<std::pair<OutboxCounts, UnixTime>> outbox_;  // guarded by outbox_mu_
};

}  // namespace undersigned::service
