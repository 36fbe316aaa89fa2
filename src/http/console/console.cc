#include "http/console/console.h"

#include <memory>
#include <utility>

#include "http/console/routes.h"

namespace undersigned::http {

namespace console {

RouteOptions ConsoleRoute(const char* name) {
  RouteOptions o;
  o.blocking = true;
  o.name = name;
  return o;
}

Response SeeOther(const std::string& location) {
  Response r = Response::Redirect(location);
  ConsoleHeaders(&r);
  return r;
}

}  // namespace console

std::function<bool(const Request&, std::int64_t)> MaySeeDraft(service::AccountService& accounts) {
  return [&accounts](const Request& req, std::int64_t campaign_id) {
    auto who = accounts.Authenticate(req.Cookie(service::kSessionCookie));
    return who && accounts.Authorize(who->actor(), campaign_id, CampaignAction::kView).has_value();
  };
}

void RegisterConsole(Router& router, ConsoleDeps deps) {
  auto kit = std::make_shared<console::ConsoleKit>(std::move(deps));
  console::RegisterSignIn(router, kit);
  console::RegisterHome(router, kit);
  console::RegisterCampaign(router, kit);
  console::RegisterCampaignForm(router, kit);
  console::RegisterDashboard(router, kit);
  console::RegisterModeration(router, kit);
  console::RegisterActions(router, kit);
  console::RegisterAccount(router, kit);
  console::RegisterMembers(router, kit);
  console::RegisterOrganizations(router, kit);
  console::RegisterUpdates(router, kit);
  console::RegisterDelivery(router, kit);
  console::RegisterPicture(router, kit);
  console::RegisterTokens(router, kit);
  console::RegisterEvents(router, kit);
}

}  // namespace undersigned::http
