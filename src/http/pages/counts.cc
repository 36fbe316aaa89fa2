// The campaign's public counts: GET /c/{slug}.json (any origin may read it) and the
// server-sent "count" events of GET /c/{slug}/events (topic "campaign:<slug>"), both with the
// body CountsJson makes.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http/pages/public_site.h"

namespace undersigned::http {

std::string CampaignTopic(const std::string& slug) { return "campaign:" + slug; }

std::string CountsJson(const service::CampaignSnapshot& snap, UnixTime now,
                       const service::PublishedCheckpoint* log) {
  const Campaign& c = snap.campaign;
  nlohmann::ordered_json j;
  j["slug"] = c.slug;
  j["title"] = c.title;
  j["status"] = StatusName(StatusAt(c, now));
  j["goal"] = c.goal;
  j["confirmed"] = snap.counts.confirmed;
  UnixTime last = snap.counts.last_change;
  if (last == 0) last = c.modified != 0 ? c.modified : c.created;
  j["last_change"] = FormatIso8601(last);
  if (c.threshold) {
    j["threshold"] = *c.threshold;
    j["outcome"] = OutcomeName(c.outcome);
  }
  if (!c.groups.empty()) {
    // Counts by group, each exact only from the anonymity floor on.
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const pages::ShownGroup& g : pages::ShownGroups(c, snap.counts)) {
      nlohmann::ordered_json item;
      item["key"] = g.key;
      item["name"] = g.name;
      if (g.confirmed) {
        item["confirmed"] = *g.confirmed;
      } else {
        item["fewer_than"] = g.fewer_than;
      }
      if (g.goal) item["goal"] = *g.goal;
      groups.push_back(std::move(item));
    }
    j["groups"] = std::move(groups);
  }
  // Approved co-signing organizations, counted on their own.
  if (!snap.organizations.empty()) {
    j["organizations"] = static_cast<std::int64_t>(snap.organizations.size());
  }
  if (log != nullptr) {
    auto it = log->confirmed.find(c.uuid);
    j["log"] = {{"tree_size", log->size},
                {"confirmed", it == log->confirmed.end() ? 0 : it->second}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace pages {

void AddCountsRoutes(Router& router, const SitePtr& site) {
  router.Get("/c/{slug}.json",
             [site](const Request& req) {
               PageKit& kit = site->kit;
               auto snap = kit.PublicSnapshot(req.Param("slug"));
               auto checkpoint = site->deps.log != nullptr ? site->deps.log->Latest() : nullptr;
               Response r =
                   snap ? Response::Json(CountsJson(*snap, kit.clock().Now(), checkpoint.get()))
                        : JsonError(Error{Code::kNotFound, "no such campaign", {}, 0});
               r.Header("Access-Control-Allow-Origin", "*");
               r.Header("Cache-Control", "no-cache");
               return r;
             },
             {false, 0, "campaign_json"});
  router.AddEventStream(
      "/c/{slug}/events",
      [site](const Request& req) -> Result<std::string> {
        auto snap = site->kit.PublicSnapshot(req.Param("slug"));
        if (!snap) return Fail(Code::kNotFound, "no such campaign");
        return CampaignTopic(snap->campaign.slug);
      },
      "campaign_events");
}

}  // namespace pages
}  // namespace undersigned::http
