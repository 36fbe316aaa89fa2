// The console's use cases, one file each (http/console/console.h says how to add one). Each
// registers its routes; RegisterConsole (console.cc) calls them all with one shared kit.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "http/console/console_kit.h"
#include "http/router.h"

namespace undersigned::http::console {

using KitPtr = std::shared_ptr<ConsoleKit>;

void RegisterSignIn(Router& router, KitPtr kit);         // sign_in.cc
void RegisterHome(Router& router, KitPtr kit);           // home.cc
void RegisterCampaign(Router& router, KitPtr kit);       // campaign.cc
void RegisterCampaignForm(Router& router, KitPtr kit);   // campaign_form.cc
void RegisterDashboard(Router& router, KitPtr kit);      // dashboard.cc
void RegisterModeration(Router& router, KitPtr kit);     // moderation.cc
void RegisterActions(Router& router, KitPtr kit);        // actions.cc
void RegisterAccount(Router& router, KitPtr kit);        // account.cc
void RegisterMembers(Router& router, KitPtr kit);        // members.cc
void RegisterOrganizations(Router& router, KitPtr kit);  // organizations.cc
void RegisterUpdates(Router& router, KitPtr kit);        // updates.cc
void RegisterDelivery(Router& router, KitPtr kit);       // delivery.cc
void RegisterPicture(Router& router, KitPtr kit);        // picture.cc
void RegisterTokens(Router& router, KitPtr kit);         // tokens.cc
void RegisterEvents(Router& router, KitPtr kit);         // events.cc

// The campaign picture's form (console_picture_form.mustache) for c, with the description as
// typed (alt_typed, or the stored one if null) and a message per field; the edit page shows it
// below the campaign's form, and picture.cc's own page shows it again with what went wrong.
render::Data PictureFormData(const Visit& v, const Campaign& c, const std::string* alt_typed,
                             const std::map<std::string, std::string>& errors);

// Options of a console route: blocking (it touches the store), named for metrics.
RouteOptions ConsoleRoute(const char* name);

// A 303 to location, with the console's headers.
Response SeeOther(const std::string& location);

// A handler for signed-in visitors: fn(kit, req, visit) runs only with a session (else the
// sign-in redirect, or the 401 page, is answered).
template <typename Fn>
Handler SignedInGet(KitPtr kit, Fn fn) {
  return [kit, fn](const Request& req) -> Response {
    auto visit = kit->SignedIn(req);
    if (auto* r = std::get_if<Response>(&visit)) return std::move(*r);
    return fn(*kit, req, std::get<Visit>(visit));
  };
}

// The same for a form: fn(kit, req, visit, form) runs only once ConsoleKit::CheckPost passed.
template <typename Fn>
Handler SignedInPost(KitPtr kit, Fn fn) {
  return [kit, fn](const Request& req) -> Response {
    auto visit = kit->SignedIn(req);
    if (auto* r = std::get_if<Response>(&visit)) return std::move(*r);
    const Visit& v = std::get<Visit>(visit);
    pages::Form form;
    if (auto refused = kit->CheckPost(req, v, &form)) return std::move(*refused);
    return fn(*kit, req, v, form);
  };
}

// The same for a form with a file: fn(kit, req, visit, form, files) runs only once
// ConsoleKit::CheckUploadPost passed.
template <typename Fn>
Handler SignedInUpload(KitPtr kit, MultipartLimits limits, Fn fn) {
  return [kit, limits, fn](const Request& req) -> Response {
    auto visit = kit->SignedIn(req);
    if (auto* r = std::get_if<Response>(&visit)) return std::move(*r);
    const Visit& v = std::get<Visit>(visit);
    pages::Form form;
    std::map<std::string, FormPart> files;
    if (auto refused = kit->CheckUploadPost(req, v, limits, &form, &files)) {
      return std::move(*refused);
    }
    return fn(*kit, req, v, form, files);
  };
}

}  // namespace undersigned::http::console
