// GET /c/{slug}/organizations/{uuid}/logo.png: an approved organization's re-encoded logo, as
// the campaign page shows it (cached for good: it never changes, and its URL names the
// organization).
#include <memory>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "http/pages/organization_site.h"

namespace undersigned::http::pages {
namespace {

using SnapshotPtr = std::shared_ptr<const service::CampaignSnapshot>;

// An approved logo never changes (the decision is final and the logo cannot be replaced), and
// its URL names the organization's uuid.
constexpr const char* kLogoCacheControl = "public, max-age=31536000, immutable";

Response Logo(OrganizationSite& site, const Request& req) {
  SnapshotPtr snap = site.kit.PublicSnapshot(req.Param("slug"));
  const std::string uuid = req.Param("uuid");
  bool listed = false;
  if (snap) {
    for (const Organization& o : snap->organizations) {
      listed = listed || (o.uuid == uuid && o.has_logo);
    }
  }
  if (!listed) return site.NoLogo();
  auto png = site.deps.organizations.Logo(uuid);
  if (!png) {
    if (png.error().code != Code::kNotFound) {
      spdlog::error("pages: organization logo {}: {}", uuid, png.error().message);
      return site.kit.InternalError();
    }
    return site.NoLogo();
  }
  return site.Png(std::move(*png), kLogoCacheControl);
}

}  // namespace

void AddOrganizationLogoRoutes(Router& router, const OrganizationSitePtr& site) {
  router.Get("/c/{slug}/organizations/{uuid}/logo.png",
             [site](const Request& req) { return Logo(*site, req); },
             {true, 0, "organization_logo"});
}

}  // namespace undersigned::http::pages
