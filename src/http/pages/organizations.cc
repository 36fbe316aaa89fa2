// RegisterOrganizationPages: the co-signing organizations' routes, one use case per file (see
// organization_site.h).
#include "http/pages/organizations.h"

#include <memory>
#include <utility>

#include "http/pages/organization_site.h"
#include "http/url.h"

namespace undersigned::http {

std::string OrganizationLogoPath(const std::string& slug, const std::string& uuid) {
  return "/c/" + PercentEncode(slug) + "/organizations/" + PercentEncode(uuid) + "/logo.png";
}

void RegisterOrganizationPages(Router& router, OrganizationPagesDeps deps) {
  auto site = std::make_shared<pages::OrganizationSite>(std::move(deps));
  pages::AddOrganizationFormRoutes(router, site);
  pages::AddOrganizationLogoRoutes(router, site);
  pages::AddOrganizationLinkRoutes(router, site);
}

}  // namespace undersigned::http
