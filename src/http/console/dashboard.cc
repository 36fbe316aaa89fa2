// Watching a campaign: its dashboard and the organizers' list of its signatures (issue 13, parts
// 3 and 4), over service::DashboardService, which decides who may see what (view for the
// figures, view_signers for the list, export for the CSV) and what a row may show (what the
// public export shows; an email only for a signer who asked for updates and is neither sealed
// nor anonymous).
//
//   GET /console/c/{slug}/dashboard?per=hour|day    exact counts, the confirmation rate, the chart
//                                                   of signatures over time (SVG with its table),
//                                                   counts by group, country and source, the
//                                                   outbox
//   GET /console/c/{slug}/signatures?q=&source=&state=&page=   the list, 50 a page
//   GET /console/c/{slug}/signatures.csv?q=&source=&state=     every match, as a download
#include <functional>
#include <sstream>
#include <string>

#include "core/utf8.h"
#include "http/console/routes.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

constexpr int kPerPage = 50;

// name_of: how a key reads (a group's key as the group's name); null: as it is.
Data Tally(const char* heading, const service::TopTally& t, const char* none,
           const std::function<std::string(const std::string&)>& name_of = nullptr) {
  DataList rows;
  for (const TallyRow& r : t.top) {
    Data row;
    row.set("key", r.key.empty() ? std::string(none) : name_of ? name_of(r.key) : r.key);
    row.set("confirmed", render::FormatThousands(r.confirmed));
    row.set("pending", render::FormatThousands(r.pending));
    rows.push_back(row);
  }
  if (t.other_keys > 0) {
    Data row;
    row.set("key", "the " + std::to_string(t.other_keys) + " others");
    row.set("confirmed", render::FormatThousands(t.other.confirmed));
    row.set("pending", render::FormatThousands(t.other.pending));
    rows.push_back(row);
  }
  Data d;
  d.set("heading", std::string(heading));
  d.set("rows", Data(rows));
  d.set("empty", Data(rows.empty()));
  return d;
}

Result<SignatureSearch> SearchOf(const Request& req) {
  SignatureSearch s;
  s.text = req.Query("q").value_or("");
  s.source = req.Query("source").value_or("");
  const std::string state = req.Query("state").value_or("");
  if (!state.empty()) {
    for (SignatureState st : {SignatureState::kPending, SignatureState::kConfirmed,
                              SignatureState::kWithdrawn, SignatureState::kInvalidated}) {
      if (state == SignatureStateName(st)) s.state = st;
    }
    if (!s.state) {
      return Fail(Code::kInvalidArgument,
                  "state must be pending, confirmed, withdrawn or "
                  "invalidated, not '" +
                      state + "'");
    }
  }
  if (s.text.size() > 200 || s.source.size() > 200) {
    return Fail(Code::kInvalidArgument, "a search of at most 200 characters");
  }
  return s;
}

}  // namespace

void RegisterDashboard(Router& router, KitPtr kit) {
  router.Add(
      "GET", "/console/c/{slug}/dashboard",
      SignedInGet(
          kit,
          [](ConsoleKit& k, const Request& req, const Visit& v) {
            if (k.dashboard() == nullptr) {
              return k.Error(&v, req,
                             ::undersigned::Error{Code::kUnavailable, "no dashboard", {}, 0});
            }
            service::DashboardRange range;
            const bool per_day = req.Query("per").value_or("hour") == "day";
            range.bucket = per_day ? render::ChartBucket::kDay : render::ChartBucket::kHour;
            const std::string slug = req.Param("slug");
            auto o = k.dashboard()->Overview(v.actor(), slug, range);
            if (!o) return k.Error(&v, req, o.error());
            auto chart = k.dashboard()->SignaturesChart(v.actor(), slug, range);
            if (!chart) return k.Error(&v, req, chart.error());
            Data d;
            Data c;
            c.set("slug", o->campaign.slug);
            c.set("title", o->campaign.title);
            d.set("c", c);
            d.set("confirmed", render::FormatThousands(o->counts.confirmed));
            d.set("pending", render::FormatThousands(o->counts.pending));
            d.set("withdrawn", render::FormatThousands(o->counts.withdrawn));
            d.set("goal", render::FormatThousands(o->campaign.goal));
            d.set("rate", std::to_string(static_cast<int>(o->confirmation_rate * 100 + 0.5)) + "%");
            d.set("per_day", Data(per_day));
            d.set("chart_svg", chart->svg);
            d.set("chart_table", chart->table_html);
            DataList tallies;
            const Campaign& campaign = o->campaign;
            tallies.push_back(Tally("By group", o->groups, "(none)", [&](const std::string& key) {
              for (const SignerGroup& g : campaign.groups) {
                if (g.key == key) return g.name;
              }
              return key;  // the public group of a campaign without groups, or one dropped
            }));
            tallies.push_back(Tally("By country", o->countries, "(not given)"));
            tallies.push_back(Tally("By referring site", o->referrers, "(none or unknown)"));
            tallies.push_back(Tally("By utm_source", o->utm_sources, "(none)"));
            tallies.push_back(Tally("By share channel", o->channels, "(not a share link)"));
            tallies.push_back(Tally("By how they signed", o->sources, "(unknown)"));
            d.set("tallies", Data(tallies));
            Data outbox;
            outbox.set("queued", render::FormatThousands(o->outbox.queued));
            outbox.set("failing", render::FormatThousands(o->outbox.failing));
            outbox.set("given_up", render::FormatThousands(o->outbox.given_up));
            outbox.set("sent", render::FormatThousands(o->outbox.sent));
            outbox.set("instance_wide", Data(o->outbox_is_instance_wide));
            d.set("outbox", outbox);
            return k.Page(&v, "console_dashboard", std::move(d), "Dashboard: " + o->campaign.title);
          }),
      ConsoleRoute("console_dashboard"));

  router.Add(
      "GET", "/console/c/{slug}/signatures",
      SignedInGet(
          kit,
          [](ConsoleKit& k, const Request& req, const Visit& v) {
            if (k.dashboard() == nullptr) {
              return k.Error(&v, req,
                             ::undersigned::Error{Code::kUnavailable, "no dashboard", {}, 0});
            }
            auto search = SearchOf(req);
            if (!search) return k.Error(&v, req, search.error());
            int page = 1;
            if (auto p = req.Query("page");
                p && !p->empty() && p->size() < 7 &&
                p->find_first_not_of("0123456789") == std::string::npos) {
              page = std::max(1, std::stoi(*p));
            }
            const std::string slug = req.Param("slug");
            auto list = k.dashboard()->Signatures(v.actor(), slug, *search, Page{page, kPerPage});
            if (!list) return k.Error(&v, req, list.error());
            DataList rows;
            for (const auto& r : list->rows) {
              Data row;
              row.set("id", r.id);
              row.set("name", r.name);
              row.set("group", r.group);
              row.set("verified", Data(r.verified));
              row.set("visibility", r.visibility);
              row.set("place",
                      r.postal_code.empty() ? r.country : r.postal_code + ", " + r.country);
              row.set("comment", r.comment);
              row.set("signed_at", r.signed_at);
              row.set("state", r.state);
              row.set("source", r.source);
              row.set("email", render::TextOrNothing(r.email));
              rows.push_back(row);
            }
            std::string query = "q=" + PercentEncode(search->text) +
                                "&source=" + PercentEncode(search->source) +
                                "&state=" + PercentEncode(req.Query("state").value_or(""));
            const std::string base = "/console/c/" + slug + "/signatures";
            Data d;
            Data c;
            c.set("slug", slug);
            d.set("c", c);
            d.set("rows", Data(rows));
            d.set("empty", Data(rows.empty()));
            d.set("total", render::FormatThousands(list->total));
            d.set("q", search->text);
            d.set("source", search->source);
            d.set("csv_url", base + ".csv?" + query);
            d.set("prev_url", page > 1
                                  ? Data(base + "?" + query + "&page=" + std::to_string(page - 1))
                                  : Data(false));
            d.set("next_url", static_cast<std::int64_t>(page) * kPerPage < list->total
                                  ? Data(base + "?" + query + "&page=" + std::to_string(page + 1))
                                  : Data(false));
            return k.Page(&v, "console_signatures", std::move(d), "Signatures");
          }),
      ConsoleRoute("console_signatures"));

  router.Add(
      "GET", "/console/c/{slug}/signatures.csv",
      SignedInGet(kit,
                  [](ConsoleKit& k, const Request& req, const Visit& v) {
                    if (k.dashboard() == nullptr) {
                      return k.Error(
                          &v, req, ::undersigned::Error{Code::kUnavailable, "no dashboard", {}, 0});
                    }
                    auto search = SearchOf(req);
                    if (!search) return k.Error(&v, req, search.error());
                    const std::string slug = req.Param("slug");
                    std::ostringstream out;
                    if (auto r = k.dashboard()->ExportCsv(v.actor(), slug, *search, out); !r) {
                      return k.Error(&v, req, r.error());
                    }
                    Response r = Response::Text(out.str());
                    r.content_type = "text/csv; charset=utf-8";
                    r.Header("Content-Disposition",
                             "attachment; filename=\"signatures-" + slug + ".csv\"");
                    ConsoleHeaders(&r);
                    return r;
                  }),
      ConsoleRoute("console_signatures_csv"));
}

}  // namespace undersigned::http::console
