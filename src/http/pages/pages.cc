// RegisterPages: the public pages' routes, one use case per file (see public_site.h).
#include "http/pages/pages.h"

#include <memory>
#include <utility>

#include "http/pages/public_site.h"

namespace undersigned::http {

void RegisterPages(Router& router, PagesDeps deps) {
  auto site = std::make_shared<pages::PublicSite>(std::move(deps));
  pages::AddHomeRoutes(router, site);
  pages::AddCampaignPageRoutes(router, site);
  pages::AddCountsRoutes(router, site);
  pages::AddSignRoutes(router, site);
  pages::AddShareRoutes(router, site);
  pages::AddShareImageRoutes(router, site);
  pages::AddTokenRoutes(router, site);
  pages::AddEmbedRoutes(router, site);
  pages::AddAskRoutes(router, site);
  pages::AddFallbackRoutes(router, site);
}

}  // namespace undersigned::http
