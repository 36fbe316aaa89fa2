#include "service/dashboard.h"

#include <algorithm>
#include <utility>

#include "core/group.h"
#include "service/csv.h"

namespace undersigned::service {
namespace {

constexpr UnixTime kHour = 3600;
constexpr UnixTime kDay = 86400;
constexpr int kMaxTop = 100;
constexpr int kMaxPerPage = 500;
constexpr int kExportPage = 2000;

const char* Visibility(const Signature& s) {
  if (s.sealed || s.form.protection == Protection::kSealed) return "sealed";
  if (s.form.protection == Protection::kAnonymous) return "anonymous";
  return s.form.public_name ? "public" : "private";
}

}  // namespace

TopTally DashboardService::Top(std::vector<TallyRow> rows, int n) {
  TopTally out;
  const std::size_t keep = std::min(rows.size(), static_cast<std::size_t>(std::max(n, 0)));
  for (std::size_t i = keep; i < rows.size(); ++i) {
    out.other.confirmed += rows[i].confirmed;
    out.other.pending += rows[i].pending;
    ++out.other_keys;
  }
  rows.resize(keep);
  out.top = std::move(rows);
  return out;
}

SignerRow DashboardService::RowOf(const Signature& s) {
  const bool is_protected = s.sealed || s.form.protection != Protection::kNone;
  SignerRow r;
  r.id = s.uuid;
  // A sealed signature holds no name before its reveal (the store keeps it encrypted), an
  // anonymous one never had one: cleared here as well, so that no path can show one.
  if (!is_protected || (s.form.protection == Protection::kSealed && !s.sealed)) {
    r.name = s.form.name;
    r.postal_code = s.form.postal_code;
  }
  r.group = s.form.group;
  r.verified = s.verified;
  r.visibility = Visibility(s);
  r.country = s.sealed ? "" : s.form.country;
  r.comment = s.sealed ? "" : s.form.comment;
  const UnixTime t = s.confirmed.value_or(s.created);
  r.signed_at = DayRounded(s) ? FormatIso8601(StartOfDay(t)).substr(0, 10) : FormatIso8601(t);
  r.state = SignatureStateName(s.state);
  r.source = s.source;
  if (!is_protected) {
    std::string detail;
    auto add = [&detail](const char* what, const std::string& v) {
      if (v.empty()) return;
      detail += (detail.empty() ? "" : ", ") + std::string(what) + v;
    };
    add("channel ", s.origin.channel);
    add("utm_source ", s.origin.utm_source);
    add("utm_medium ", s.origin.utm_medium);
    add("utm_campaign ", s.origin.utm_campaign);
    add("via ", s.origin.referrer);
    if (!detail.empty()) r.source += " (" + detail + ")";
  }
  if (s.form.wants_updates && s.form.protection == Protection::kNone && !s.sealed) {
    r.email = s.form.email;
  }
  return r;
}

std::string DashboardService::CsvHeader() {
  return "id,name,group,verified,visibility,postal_code,country,comment,signed_at,state,source,"
         "email\r\n";
}

std::string DashboardService::CsvLine(const SignerRow& r) {
  std::string line;
  for (const std::string* v : {&r.id, &r.name, &r.group}) line += CsvField(*v) + ',';
  line += std::string(r.verified ? "yes" : "no") + ',' + r.visibility + ',';
  for (const std::string* v : {&r.postal_code, &r.country, &r.comment}) line += CsvField(*v) + ',';
  line += r.signed_at + ',' + r.state + ',' + CsvField(r.source) + ',' + CsvField(r.email);
  return line + "\r\n";
}

Result<Campaign> DashboardService::Authorized(const Actor& by, const std::string& slug,
                                              CampaignAction action) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  if (auto ok = accounts_.Authorize(by, campaign->id, action); !ok) return Fail(ok.error());
  return campaign;
}

Result<std::pair<UnixTime, UnixTime>> DashboardService::Window(const DashboardRange& range) const {
  const bool daily = range.bucket == render::ChartBucket::kDay;
  const UnixTime to = range.to.value_or(clock_.Now() + 1);
  const UnixTime from = range.from.value_or(to - (daily ? 30 * kDay : 48 * kHour));
  if (from >= to) {
    return Fail(FieldErrors({{"from", "must be before the end of the range"}}));
  }
  const UnixTime bucket = daily ? kDay : kHour;
  if ((to - from) / bucket >= static_cast<UnixTime>(render::kMaxChartBuckets)) {
    return Fail(FieldErrors({{"from",
                              "the range is too long for the chart: ask for a shorter "
                              "range, or per day"}}));
  }
  if (range.top < 1 || range.top > kMaxTop) {
    return Fail(FieldErrors({{"top", "must be between 1 and " + std::to_string(kMaxTop)}}));
  }
  // From the start of its hour, so that the hour it falls in is counted whole.
  return std::make_pair(from - (((from % kHour) + kHour) % kHour), to);
}

Result<Dashboard> DashboardService::Overview(const Actor& by, const std::string& slug,
                                             const DashboardRange& range) {
  auto window = Window(range);
  if (!window) return Fail(window.error());
  auto campaign = Authorized(by, slug, CampaignAction::kView);
  if (!campaign) return Fail(campaign.error());
  Dashboard d;
  d.campaign = std::move(*campaign);
  d.from = window->first;
  d.to = window->second;
  DashboardStore& db = store_.dashboard();
  auto counts = db.Counts(d.campaign.id);
  if (!counts) return Fail(counts.error());
  d.counts = *counts;
  const std::int64_t all = d.counts.pending + d.counts.confirmed + d.counts.withdrawn;
  d.confirmation_rate = all > 0 ? static_cast<double>(d.counts.confirmed) / all : 0.0;
  auto hours = db.SignatureHours(d.campaign.id, d.from, d.to);
  if (!hours) return Fail(hours.error());
  for (const HourCounts& h : *hours) {
    d.signed_series.push_back({h.hour, h.pending + h.confirmed + h.withdrawn});
    d.confirmed_series.push_back({h.hour, h.confirmed});
  }
  auto tallies = db.Tallies(d.campaign.id);
  if (!tallies) return Fail(tallies.error());
  d.groups = Top(std::move(tallies->groups), range.top);
  d.countries = Top(std::move(tallies->countries), range.top);
  d.referrers = Top(std::move(tallies->referrers), range.top);
  d.utm_sources = Top(std::move(tallies->utm_sources), range.top);
  d.channels = Top(std::move(tallies->channels), range.top);
  d.sources = Top(std::move(tallies->sources), range.top);
  auto outbox = Outbox();
  if (!outbox) return Fail(outbox.error());
  d.outbox = outbox->first;
  d.outbox_as_of = outbox->second;
  return d;
}

Result<std::pair<OutboxCounts, UnixTime>> DashboardService::Outbox() {
  // (One reader at a time: the others wait for its answer rather than read the table too.)
  std::lock_guard lock(outbox_mu_);
  const UnixTime now = clock_.Now();
  if (outbox_ && now >= outbox_->second && now - outbox_->second < kOutboxSeconds) {
    return *outbox_;
  }
  auto counts = store_.dashboard().CountOutbox();
  if (!counts) return Fail(counts.error());
  outbox_ = std::make_pair(*counts, now);
  return *outbox_;
}

Result<render::Chart> DashboardService::SignaturesChart(const Actor& by, const std::string& slug,
                                                        const DashboardRange& range) {
  auto window = Window(range);
  if (!window) return Fail(window.error());
  auto campaign = Authorized(by, slug, CampaignAction::kView);
  if (!campaign) return Fail(campaign.error());
  auto hours = store_.dashboard().SignatureHours(campaign->id, window->first, window->second);
  if (!hours) return Fail(hours.error());
  std::vector<render::ChartPoint> series;
  series.reserve(hours->size());
  for (const HourCounts& h : *hours) {
    series.push_back({h.hour, std::max<std::int64_t>(h.pending + h.confirmed + h.withdrawn, 0)});
  }
  render::ChartOptions options;
  options.bucket = range.bucket;
  options.time_zone = campaign->time_zone.empty() ? "UTC" : campaign->time_zone;
  options.from = window->first;
  options.to = window->second;
  return render::RenderSignaturesChart(series, options);
}

Result<SignerList> DashboardService::Signatures(const Actor& by, const std::string& slug,
                                                const SignatureSearch& search, Page page) {
  if (page.page < 1 || page.per_page < 1) {
    return Fail(FieldErrors({{"page", "pages are numbered from 1, with at least one row"}}));
  }
  page.per_page = std::min(page.per_page, kMaxPerPage);
  auto campaign = Authorized(by, slug, CampaignAction::kViewSigners);
  if (!campaign) return Fail(campaign.error());
  auto found = store_.dashboard().SearchSignatures(campaign->id, search, page);
  if (!found) return Fail(found.error());
  SignerList out;
  out.total = found->total;
  for (const Signature& s : found->items) out.rows.push_back(RowOf(s));
  return out;
}

Result<void> DashboardService::ExportCsv(const Actor& by, const std::string& slug,
                                         const SignatureSearch& search, std::ostream& out) {
  auto campaign = Authorized(by, slug, CampaignAction::kExport);
  if (!campaign) return Fail(campaign.error());
  out << CsvHeader();
  SignatureSearch next = search;
  for (;;) {
    auto found = store_.dashboard().SearchSignatures(campaign->id, next, Page{1, kExportPage});
    if (!found) return Fail(found.error());
    for (const Signature& s : found->items) out << CsvLine(RowOf(s));
    if (!out) return Fail(Code::kInternal, "writing the CSV failed");
    if (found->items.size() < static_cast<std::size_t>(kExportPage)) return {};
    next.before_id = found->items.back().id;
  }
}

}  // namespace undersigned::service
