// The record of organizer actions, shown and exported (append-only: AccountStore refuses
// changes to it).
//
//   GET /console/c/{slug}/actions?page=    a campaign's record, newest first (kViewActions)
//   GET /console/c/{slug}/actions.jsonl    all of it as JSON Lines, oldest first, as a download
//   GET /console/actions?page=             the whole instance's record (administrators)
//   GET /console/actions.jsonl
#include <optional>
#include <string>

#include "http/console/routes.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

constexpr int kPerPage = 50;

int PageNumber(const Request& req) {
  auto p = req.Query("page");
  if (!p || p->empty() || p->size() > 6) return 1;
  int n = 0;
  for (char c : *p) {
    if (c < '0' || c > '9') return 1;
    n = n * 10 + (c - '0');
  }
  return n < 1 ? 1 : n;
}

Response ShowRecord(ConsoleKit& kit, const Request& req, const Visit& v,
                    std::optional<Campaign> c) {
  ActionFilter filter;
  if (c) filter.campaign_id = c->id;
  const int page = PageNumber(req);
  auto entries = kit.accounts().ListNamedActions(v.actor(), filter, Page{page, kPerPage});
  if (!entries) return kit.Error(&v, req, entries.error());
  DataList rows;
  for (const auto& a : entries->items) {
    Data row;
    row.set("at", FormatIso8601(a.entry.at));
    row.set("who", a.who.empty() ? "the server's operator (command line)" : a.who);
    row.set("action", a.entry.action);
    row.set("subject", a.entry.subject);
    row.set("detail", a.entry.detail == "{}" ? "" : a.entry.detail);
    rows.push_back(row);
  }
  const std::string base = c ? "/console/c/" + c->slug + "/actions" : "/console/actions";
  Data d;
  d.set("heading", c ? "Record of actions: " + c->title : "Record of actions");
  d.set("rows", Data(rows));
  d.set("empty", Data(rows.empty()));
  d.set("export_url", base + ".jsonl");
  d.set("prev_url", page > 1 ? Data(base + "?page=" + std::to_string(page - 1)) : Data(false));
  d.set("next_url", static_cast<std::int64_t>(page) * kPerPage < entries->total
                        ? Data(base + "?page=" + std::to_string(page + 1))
                        : Data(false));
  d.set("total", std::to_string(entries->total));
  return kit.Page(&v, "console_actions", std::move(d), "Record of actions");
}

Response Export(ConsoleKit& kit, const Request& req, const Visit& v, std::optional<Campaign> c) {
  ActionFilter filter;
  if (c) filter.campaign_id = c->id;
  auto text = kit.accounts().ExportActions(v.actor(), filter);
  if (!text) return kit.Error(&v, req, text.error());
  Response r = Response::Text(std::move(*text));
  r.content_type = "application/jsonl; charset=utf-8";
  r.Header("Content-Disposition",
           "attachment; filename=\"actions" + (c ? "-" + c->slug : std::string()) + ".jsonl\"");
  ConsoleHeaders(&r);
  return r;
}

}  // namespace

void RegisterActions(Router& router, KitPtr kit) {
  auto campaign_route = [kit](bool as_export) {
    return SignedInGet(kit, [as_export](ConsoleKit& k, const Request& req, const Visit& v) {
      auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kViewActions);
      if (!c) return k.Error(&v, req, c.error());
      return as_export ? Export(k, req, v, *c) : ShowRecord(k, req, v, *c);
    });
  };
  auto instance_route = [kit](bool as_export) {
    return SignedInGet(kit, [as_export](ConsoleKit& k, const Request& req, const Visit& v) {
      return as_export ? Export(k, req, v, std::nullopt) : ShowRecord(k, req, v, std::nullopt);
    });
  };
  router.Add("GET", "/console/c/{slug}/actions", campaign_route(false),
             ConsoleRoute("console_actions"));
  router.Add("GET", "/console/c/{slug}/actions.jsonl", campaign_route(true),
             ConsoleRoute("console_actions_export"));
  router.Add("GET", "/console/actions", instance_route(false), ConsoleRoute("console_actions"));
  router.Add("GET", "/console/actions.jsonl", instance_route(true),
             ConsoleRoute("console_actions_export"));
}

}  // namespace undersigned::http::console
