// SqliteDashboard (dashboard.h): the dashboard's reads on SQLite.
#include "store/sqlite/dashboard.h"

#include <sqlite3.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"
#include "store/tally_rollup.h"

namespace undersigned::store {
namespace {

// Counts per key, then the sorted tally.
class Tally {
 public:
  void Add(std::string_view key, bool confirmed) {
    auto it = rows_.find(key);
    if (it == rows_.end()) it = rows_.emplace(std::string(key), TallyRow{std::string(key)}).first;
    (confirmed ? it->second.confirmed : it->second.pending) += 1;
  }
  std::vector<TallyRow> Sorted() && {
    std::vector<TallyRow> out;
    out.reserve(rows_.size());
    for (auto& [key, row] : rows_) out.push_back(std::move(row));
    SortTally(out);
    return out;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, TallyRow, Hash, std::equal_to<>> rows_;
};

// No criterion at all: every signature matches, and the total is the campaign's counts'.
bool MatchesEverything(const SignatureSearch& s) {
  return s.text.empty() && !s.group && !s.state && !s.created_from && !s.created_until &&
         s.source.empty() && !s.before_id;
}

}  // namespace

Result<CampaignCounts> SqliteDashboard::Counts(std::int64_t campaign_id) {
  auto r = store_.Reader();
  return ReadCounts(*r, campaign_id);
}

Result<std::vector<HourCounts>> SqliteDashboard::SignatureHours(std::int64_t campaign_id,
                                                                UnixTime from, UnixTime to) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql::kSignatureHours);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, from).Bind(3, to);
  std::vector<HourCounts> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    out.push_back(HourCounts{st->Int(0), st->Int(1), st->Int(2), st->Int(3)});
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "reading hourly counts"));
  return out;
}

Result<SignatureTallies> SqliteDashboard::Tallies(std::int64_t campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql::kTallies);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  SignatureTallies out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    std::vector<TallyRow>* tally = TallyOfKind(out, st->View(0));
    if (tally != nullptr) tally->push_back(TallyRow{st->Text(1), st->Int(2), st->Int(3)});
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "reading the tallies"));
  for (auto* t : {&out.groups, &out.countries, &out.referrers, &out.utm_sources, &out.channels,
                  &out.sources}) {
    SortTally(*t);
  }
  return out;
}

Result<SignatureTallies> SqliteDashboard::RecountTallies(std::int64_t campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql::kTallyRows);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  Tally groups, countries, referrers, utm_sources, channels, sources;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    const bool confirmed = st->Bool(0);
    groups.Add(st->View(1), confirmed);
    countries.Add(st->View(2), confirmed);
    referrers.Add(st->View(3), confirmed);
    utm_sources.Add(st->View(4), confirmed);
    channels.Add(st->View(5), confirmed);
    sources.Add(st->View(6), confirmed);
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "counting signatures"));
  return SignatureTallies{std::move(groups).Sorted(),    std::move(countries).Sorted(),
                          std::move(referrers).Sorted(), std::move(utm_sources).Sorted(),
                          std::move(channels).Sorted(),  std::move(sources).Sorted()};
}

Result<OutboxCounts> SqliteDashboard::CountOutbox() {
  auto r = store_.Reader();
  auto st = r->Prepare(sql::kOutboxCounts);
  if (!st) return Fail(st.error());
  st->Bind(1, kOutboxNever);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting the outbox"));
  OutboxCounts c;
  c.queued = st->Int(1);
  c.failing = st->Int(2);
  c.given_up = st->Int(3);
  c.sent = st->Int(0) - c.queued - c.failing - c.given_up;
  return c;
}

Result<Paged<Signature>> SqliteDashboard::SearchSignatures(std::int64_t campaign_id,
                                                           const SignatureSearch& search,
                                                           Page page) {
  const Limits lim = PageLimits(page);
  const std::string text = ToLowerAscii(search.text);
  auto bind = [&](Stmt& st) {
    st.Bind(1, campaign_id);
    BindOptText(st, 2, text.empty() ? nullptr : text.c_str());
    BindOptText(st, 3, search.group ? search.group->c_str() : nullptr);
    BindOptText(st, 4, search.state ? SignatureStateName(*search.state) : nullptr);
    st.Bind(5, search.created_from).Bind(6, search.created_until);
    BindOptText(st, 7, search.source.empty() ? nullptr : search.source.c_str());
    st.Bind(8, search.before_id);
  };
  auto r = store_.Reader();
  Db& db = *r;
  // One read transaction, so that the page and its total agree.
  auto begin = db.Prepare(sql::kBeginRead);
  if (!begin) return Fail(begin.error());
  if (auto x = StepDone(db, *begin, "reading"); !x) return Fail(x.error());
  auto result = [&]() -> Result<Paged<Signature>> {
    Paged<Signature> out;
    int rc;
    if (MatchesEverything(search)) {
      // Every row is in exactly one of the counts: no need to count them.
      auto c = ReadCounts(db, campaign_id);
      if (!c) return Fail(c.error());
      out.total = c->pending + c->confirmed + c->withdrawn;
    } else {
      auto count = db.Prepare(sql::kCountSearch);
      if (!count) return Fail(count.error());
      bind(*count);
      rc = count->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting signatures"));
      out.total = count->Int(0);
      count->Reset();
    }
    if (lim.offset >= out.total) return out;
    auto st = db.Prepare(sql::kSearchSignatures);
    if (!st) return Fail(st.error());
    bind(*st);
    st->Bind(9, lim.limit).Bind(10, lim.offset);
    while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(SignatureFromRow(*st));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "searching signatures"));
    return out;
  }();
  auto end = db.Prepare(sql::kEndRead);
  if (end) (void)StepDone(db, *end, "reading");
  return result;
}

}  // namespace undersigned::store
