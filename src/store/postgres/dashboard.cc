// PgDashboard (dashboard.h): the dashboard's reads on PostgreSQL.
#include "store/postgres/dashboard.h"

#include <string>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "store/postgres/queries.h"
#include "store/postgres/rows.h"
#include "store/tally_rollup.h"

namespace undersigned::store::pg {
namespace {

// No criterion at all: every signature matches, and the total is the campaign's counts'.
bool MatchesEverything(const SignatureSearch& s) {
  return s.text.empty() && !s.group && !s.state && !s.created_from && !s.created_until &&
         s.source.empty() && !s.before_id;
}

}  // namespace

Result<CampaignCounts> PgDashboard::Counts(std::int64_t campaign_id) {
  Result<CampaignCounts> out = CampaignCounts();
  with_conn_([&](PgConn& conn) {
    auto r = conn.Run(sql::kCountsOf, PgParams().Int(campaign_id), "reading counts");
    if (!r) {
      out = Fail(r.error());
    } else if (r->rows() > 0) {
      out = CountsFrom(*r, 0, 0);
    }
  });
  return out;
}

Result<std::vector<HourCounts>> PgDashboard::SignatureHours(std::int64_t campaign_id, UnixTime from,
                                                            UnixTime to) {
  Result<std::vector<HourCounts>> out = std::vector<HourCounts>();
  with_conn_([&](PgConn& conn) {
    auto r = conn.Run(sql::kSignatureHours, PgParams().Int(campaign_id).Int(from).Int(to),
                      "reading hourly counts");
    if (!r) {
      out = Fail(r.error());
      return;
    }
    for (int i = 0; i < r->rows(); ++i) {
      out->push_back(HourCounts{r->Int(i, 0), r->Int(i, 1), r->Int(i, 2), r->Int(i, 3)});
    }
  });
  return out;
}

Result<SignatureTallies> PgDashboard::Tallies(std::int64_t campaign_id) {
  Result<SignatureTallies> out = SignatureTallies();
  with_conn_([&](PgConn& conn) {
    auto r = conn.Run(sql::kTallies, PgParams().Int(campaign_id), "reading the tallies");
    if (!r) {
      out = Fail(r.error());
      return;
    }
    for (int i = 0; i < r->rows(); ++i) {
      std::vector<TallyRow>* tally = TallyOfKind(*out, r->View(i, 0));
      if (tally != nullptr) tally->push_back(TallyRow{r->Text(i, 1), r->Int(i, 2), r->Int(i, 3)});
    }
    for (auto* t : {&out->groups, &out->countries, &out->referrers, &out->utm_sources,
                    &out->channels, &out->sources}) {
      SortTally(*t);
    }
  });
  return out;
}

Result<SignatureTallies> PgDashboard::RecountTallies(std::int64_t campaign_id) {
  Result<SignatureTallies> out = SignatureTallies();
  with_conn_([&](PgConn& conn) {
    auto r = conn.Run(sql::kRecountTallies, PgParams().Int(campaign_id), "counting signatures");
    if (!r) {
      out = Fail(r.error());
      return;
    }
    // GROUPING's bits, most significant first: group_key, country, ref_host, utm_source,
    // share_channel, source; the one clear is the tally's column.
    std::vector<TallyRow>* tallies[] = {&out->groups,      &out->countries, &out->referrers,
                                        &out->utm_sources, &out->channels,  &out->sources};
    for (int i = 0; i < r->rows(); ++i) {
      const std::int64_t mask = r->Int(i, 0);
      for (int column = 0; column < 6; ++column) {
        if ((mask & (std::int64_t{1} << (5 - column))) != 0) continue;
        tallies[column]->push_back(TallyRow{r->Text(i, 1), r->Int(i, 2), r->Int(i, 3)});
        break;
      }
    }
    for (std::vector<TallyRow>* t : tallies) SortTally(*t);
  });
  return out;
}

Result<OutboxCounts> PgDashboard::CountOutbox() {
  Result<OutboxCounts> out = OutboxCounts();
  with_conn_([&](PgConn& conn) {
    auto r = conn.Run(sql::kOutboxCounts, PgParams().Int(kOutboxNever), "counting the outbox");
    if (!r) {
      out = Fail(r.error());
      return;
    }
    out->queued = r->Int(0, 0);
    out->failing = r->Int(0, 1);
    out->given_up = r->Int(0, 2);
    out->sent = r->Int(0, 3);
  });
  return out;
}

Result<Paged<Signature>> PgDashboard::SearchSignatures(std::int64_t campaign_id,
                                                       const SignatureSearch& search, Page page) {
  const Limits lim = PageLimits(page);
  const std::string text = ToLowerAscii(search.text);
  PgParams params;
  params.Int(campaign_id).OptText(text.empty() ? nullptr : text.c_str());
  params.OptText(search.group ? search.group->c_str() : nullptr);
  params.OptText(search.state ? SignatureStateName(*search.state) : nullptr);
  params.Int(search.created_from).Int(search.created_until);
  params.OptText(search.source.empty() ? nullptr : search.source.c_str());
  params.Int(search.before_id);
  Result<Paged<Signature>> out = Paged<Signature>();
  with_conn_([&](PgConn& conn) {
    // One snapshot, so that the page and its total agree.
    if (auto b = conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "reading"); !b) {
      out = Fail(b.error());
      return;
    }
    auto run = [&]() -> Result<void> {
      if (MatchesEverything(search)) {
        // Every row is in exactly one of the counts: no need to count them.
        auto c = conn.Run(sql::kCountsOf, PgParams().Int(campaign_id), "reading counts");
        if (!c) return Fail(c.error());
        if (c->rows() > 0) {
          const CampaignCounts counts = CountsFrom(*c, 0, 0);
          out->total = counts.pending + counts.confirmed + counts.withdrawn;
        }
      } else {
        auto n = conn.Run(sql::kCountSearch, params, "counting signatures");
        if (!n) return Fail(n.error());
        out->total = n->Int(0, 0);
      }
      if (lim.offset >= out->total) return {};
      PgParams page_params = params;
      page_params.Int(lim.limit).Int(lim.offset);
      auto r = conn.Run(sql::kSearchSignatures, page_params, "searching signatures");
      if (!r) return Fail(r.error());
      for (int i = 0; i < r->rows(); ++i) out->items.push_back(SignatureFrom(*r, i));
      return {};
    }();
    if (!run) {
      (void)conn.Exec("ROLLBACK", "rolling back");
      out = Fail(run.error());
      return;
    }
    if (auto c = conn.Exec("COMMIT", "reading"); !c) out = Fail(c.error());
  });
  return out;
}

}  // namespace undersigned::store::pg
