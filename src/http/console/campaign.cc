// A campaign's page in the console: where it stands and what the organizer may do with it.
//
//   GET /console/c/{slug}    title, status, exact counts, the public (or draft) page, the
//                            links the visitor's role allows (kView), and the embeds' snippets
#include <string>

#include "http/console/routes.h"
#include "http/pages/embed.h"
#include "http/pages/views.h"

namespace undersigned::http::console {

using render::Data;

void RegisterCampaign(Router& router, KitPtr kit) {
  router.Add(
      "GET", "/console/c/{slug}",
      SignedInGet(kit,
                  [](ConsoleKit& k, const Request& req, const Visit& v) {
                    ConsoleKit* kit = &k;
                    auto c = kit->CampaignFor(v, req.Param("slug"), CampaignAction::kView);
                    if (!c) return kit->Error(&v, req, c.error());
                    auto snap = kit->campaigns().SnapshotById(c->id);
                    CampaignCounts counts = snap ? snap->counts : CampaignCounts{};
                    auto may = [&](CampaignAction a) {
                      return Data(kit->accounts().Authorize(v.actor(), c->id, a).has_value());
                    };
                    Data d;
                    Data cd;
                    cd.set("slug", c->slug);
                    cd.set("title", c->title);
                    cd.set("status", StatusName(StatusAt(*c, kit->clock().Now())));
                    cd.set("draft", Data(c->status == CampaignStatus::kDraft));
                    cd.set("url", pages::CampaignUrl(kit->pages().base_url(), c->slug));
                    cd.set("confirmed", std::to_string(counts.confirmed));
                    cd.set("pending", std::to_string(counts.pending));
                    cd.set("withdrawn", std::to_string(counts.withdrawn));
                    cd.set("goal", std::to_string(c->goal));
                    d.set("may_edit", may(CampaignAction::kEdit));
                    d.set("may_signers", may(CampaignAction::kViewSigners));
                    d.set("may_moderate", may(CampaignAction::kModerate));
                    d.set("may_orgs", may(CampaignAction::kApproveOrganizations));
                    d.set("may_update", may(CampaignAction::kSendUpdate));
                    d.set("may_deliver", may(CampaignAction::kDeliver));
                    d.set("may_members", may(CampaignAction::kManageMembers));
                    d.set("may_tokens", may(CampaignAction::kManageTokens));
                    d.set("may_actions", may(CampaignAction::kViewActions));
                    d.set("created", Data(req.Query("created").has_value()));
                    d.set("saved", Data(req.Query("saved").has_value()));
                    const std::string picture = req.Query("picture").value_or("");
                    d.set("picture_saved", Data(picture == "saved"));
                    d.set("picture_removed", Data(picture == "removed"));
                    if (c->image) {
                      Data p;
                      p.set("src", pages::PicturePath(c->slug, *c->image));
                      p.set("alt", c->image->alt);
                      cd.set("picture", p);
                    } else {
                      cd.set("picture", Data(false));
                    }
                    // The iframes other sites paste (http/pages/embed.h), once it is public.
                    if (kit->embeds() && c->status != CampaignStatus::kDraft) {
                      Data embed;
                      const std::string& base = kit->pages().base_url();
                      embed.set("widget", pages::WidgetSnippet(base, *c).html);
                      embed.set("counter", pages::CounterSnippet(base, *c).html);
                      d.set("embed", embed);
                    } else {
                      d.set("embed", Data(false));
                    }
                    d.set("c", cd);
                    return kit->Page(&v, "console_campaign", std::move(d), c->title);
                  }),
      ConsoleRoute("console_campaign"));
}

}  // namespace undersigned::http::console
