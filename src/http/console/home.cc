// The console's front page.
//
//   GET /console    the campaigns the signed-in user has a role on (title, status, count, their
//                   role), every campaign for administrators, and "Start a campaign"
#include <set>
#include <string>

#include "http/console/routes.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

Data CampaignRow(const service::CampaignSnapshot& s, const std::string& role) {
  Data row;
  row.set("slug", s.campaign.slug);
  row.set("title", s.campaign.title);
  row.set("status", StatusName(s.campaign.status));
  row.set("draft", Data(s.campaign.status == CampaignStatus::kDraft));
  row.set("confirmed", std::to_string(s.counts.confirmed));
  row.set("role", role);
  return row;
}

}  // namespace

void RegisterHome(Router& router, KitPtr kit) {
  router.Add(
      "GET", "/console",
      SignedInGet(kit,
                  [](ConsoleKit& k, const Request& req, const Visit& v) {
                    ConsoleKit* kit = &k;
                    auto mine = kit->accounts().MyCampaigns(v.actor());
                    if (!mine) return kit->Error(&v, req, mine.error());
                    DataList rows;
                    std::set<std::int64_t> shown;
                    for (const Membership& m : *mine) {
                      auto snap = kit->campaigns().SnapshotById(m.campaign_id);
                      if (!snap) continue;
                      rows.push_back(CampaignRow(*snap, RoleName(m.role)));
                      shown.insert(m.campaign_id);
                    }
                    Data d;
                    d.set("mine", Data(rows));
                    d.set("has_mine", Data(!rows.empty()));
                    if (v.who.user.admin) {
                      // Administrators see every campaign (up to the newest 200 here).
                      DataList others;
                      auto all = kit->campaigns().List(std::nullopt, TimeFilter{}, Page{1, 200});
                      if (!all) return kit->Error(&v, req, all.error());
                      for (const Campaign& c : all->items) {
                        if (shown.count(c.id)) continue;
                        auto snap = kit->campaigns().SnapshotById(c.id);
                        if (snap) others.push_back(CampaignRow(*snap, "administrator"));
                      }
                      Data admin;
                      admin.set("rows", Data(others));
                      admin.set("empty", Data(others.empty()));
                      d.set("admin", admin);
                    } else {
                      d.set("admin", Data(false));
                    }
                    return kit->Page(&v, "console_home", std::move(d), "Your campaigns");
                  }),
      ConsoleRoute("console_home"));
}

}  // namespace undersigned::http::console
