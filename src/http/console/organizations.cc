// Co-signing organizations (issue 13, part 6), over service::OrganizationReviewService, which
// decides who may (approve_orgs) and records each decision.
//
//   GET  /console/c/{slug}/organizations               every organization by state: those
//            waiting for a decision first (name, website, statement, contact, logo), then the
//            approved (with "withdraw the approval"), the unconfirmed and the rejected
//   GET  /console/c/{slug}/organizations/{uuid}/logo   the logo as submitted (re-encoded PNG),
//            whatever the state, for the review (never cached)
//   POST /console/c/{slug}/organizations/{uuid}        decision=approve|reject|withdraw
#include <string>

#include "core/utf8.h"
#include "http/console/routes.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

Data Row(const Organization& o, const std::string& slug, const std::string& csrf) {
  Data row;
  row.set("uuid", o.uuid);
  row.set("slug", slug);
  row.set("csrf", csrf);
  row.set("name", o.form.name);
  row.set("website", o.form.website);
  row.set("contact", o.form.contact_email);
  row.set("statement", render::TextOrNothing(o.form.statement));
  row.set("has_logo", Data(o.has_logo));
  row.set("submitted", render::FormatDate(o.created));
  row.set("decided", o.decided ? render::FormatDate(*o.decided) : std::string());
  return row;
}

Response Show(ConsoleKit& k, const Request& req, const Visit& v, const std::string& error,
              int status) {
  const std::string slug = req.Param("slug");
  auto c = k.CampaignFor(v, slug, CampaignAction::kApproveOrganizations);
  if (!c) return k.Error(&v, req, c.error());
  auto list = k.organization_review()->List(v.actor(), c->slug);
  if (!list) return k.Error(&v, req, list.error());
  DataList waiting, approved, pending, rejected;
  for (const Organization& o : *list) {
    Data row = Row(o, c->slug, v.csrf);
    row.set("decide", Data(o.state == OrganizationState::kConfirmed));
    row.set("withdraw", Data(o.state == OrganizationState::kApproved));
    switch (o.state) {
      case OrganizationState::kConfirmed:
        waiting.push_back(std::move(row));
        break;
      case OrganizationState::kApproved:
        approved.push_back(std::move(row));
        break;
      case OrganizationState::kPending:
        pending.push_back(std::move(row));
        break;
      case OrganizationState::kRejected:
        rejected.push_back(std::move(row));
        break;
    }
  }
  Data d;
  d.set("slug", c->slug);
  d.set("title", c->title);
  d.set("error", render::TextOrNothing(error));
  d.set("done", render::TextOrNothing(req.Query("done").value_or("")));
  d.set("none", Data(list->empty()));
  for (auto& [key, rows] : {std::pair{"waiting", &waiting}, std::pair{"approved", &approved},
                            std::pair{"pending", &pending}, std::pair{"rejected", &rejected}}) {
    d.set(std::string("any_") + key, Data(!rows->empty()));
    d.set(key, Data(std::move(*rows)));
  }
  return k.Page(&v, "console_organizations", std::move(d), "Organizations: " + c->title, status);
}

bool Available(ConsoleKit& k) { return k.organization_review() != nullptr; }
const ::undersigned::Error kUnavailable{
    Code::kUnavailable, "The organizations' review is off.", {}, 0};

}  // namespace

void RegisterOrganizations(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/organizations",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (!Available(k)) return k.Error(&v, req, kUnavailable);
                           return Show(k, req, v, "", 200);
                         }),
             ConsoleRoute("console_organizations"));

  router.Add("GET", "/console/c/{slug}/organizations/{uuid}/logo",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (!Available(k)) return k.Error(&v, req, kUnavailable);
                           auto png = k.organization_review()->Logo(v.actor(), req.Param("slug"),
                                                                    req.Param("uuid"));
                           if (!png) return k.Error(&v, req, png.error());
                           Response r;
                           r.content_type = "image/png";
                           r.body = std::move(*png);
                           ConsoleHeaders(&r);
                           r.Header("X-Content-Type-Options", "nosniff");
                           return r;
                         }),
             ConsoleRoute("console_organization_logo"));

  router.Add(
      "POST", "/console/c/{slug}/organizations/{uuid}",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     if (!Available(k)) return k.Error(&v, req, kUnavailable);
                     const std::string what = pages::First(form, "decision");
                     OrganizationDecision decision;
                     if (what == "approve") {
                       decision = OrganizationDecision::kApprove;
                     } else if (what == "reject") {
                       decision = OrganizationDecision::kReject;
                     } else if (what == "withdraw") {
                       decision = OrganizationDecision::kWithdraw;
                     } else {
                       return Show(k, req, v, "Choose approve, reject or withdraw.", 400);
                     }
                     auto r = k.organization_review()->Decide(v.actor(), req.Param("slug"),
                                                              req.Param("uuid"), decision);
                     if (!r) {
                       if (r.error().code == Code::kConflict) {
                         return Show(k, req, v, r.error().message, 409);
                       }
                       return k.Error(&v, req, r.error());
                     }
                     const std::string& name = r->organization.form.name;
                     const std::string done =
                         decision == OrganizationDecision::kApprove
                             ? name + " is approved: it is on the campaign's page."
                         : decision == OrganizationDecision::kReject
                             ? name + " is rejected: it is never shown."
                             : "The approval of " + name +
                                   " is withdrawn: it is no longer on the campaign's page.";
                     return SeeOther("/console/c/" + req.Param("slug") +
                                     "/organizations?done=" + PercentEncode(done));
                   }),
      ConsoleRoute("console_organization_decide"));
}

}  // namespace undersigned::http::console
