// The console's use cases, one file each (http/console/console.h says how to add one). Each
// registers its routes; RegisterConsole (console.cc) calls them all with one shared kit.
#pragma once

#include <memory>

#include "http/console/console_kit.h"
#include "http/router.h"

namespace undersigned::http::console {

using KitPtr = std::shared_ptr<ConsoleKit>;

void RegisterSignIn(Router& router, KitPtr kit);        // sign_in.cc
void RegisterHome(Router& router, KitPtr kit);          // home.cc
void RegisterCampaign(Router& router, KitPtr kit);      // campaign.cc
void RegisterCampaignForm(Router& router, KitPtr kit);  // campaign_form.cc
void RegisterDashboard(Router& router, KitPtr kit);     // dashboard.cc
void RegisterActions(Router& router, KitPtr kit);       // actions.cc
void RegisterAccount(Router& router, KitPtr kit);       // account.cc
void RegisterMembers(Router& router, KitPtr kit);       // members.cc

// Options of a console route: blocking (it touches the store), named for metrics.
RouteOptions ConsoleRoute(const char* name);

}  // namespace undersigned::http::console
