// The pages of co-signing organizations (issue 3, item 6; core/organization.h): what an
// organization fills in to co-sign a campaign, the page behind the link mailed to its contact
// address, the page behind the link mailed to the campaign's organizers, and the logos.
// Server-rendered HTML that works without JavaScript; every POST is CSRF-checked like the sign
// form (http/pages/csrf.h: same cookie, same secret, so one cookie serves both).
//
//   GET  /c/{slug}/organizations/new        the form (multipart/form-data, with a logo file)
//   POST /c/{slug}/organizations            submit it; "check your email" (422 with the form
//                                           and a message per field when something is wrong)
//   GET  /c/{slug}/organizations            303 to the form (a reload after an error)
//   GET  /o/confirm?t=   POST /o/confirm    the contact's link: a page with a button; only the
//                                           POST confirms (a mail scanner's GET changes nothing)
//   GET  /o/review?t=    POST /o/review     the organizers' link: the organization with Approve
//                                           and Reject buttons; the POST (decision=approve|reject)
//                                           decides, for good
//   GET  /o/review/logo?t=                  its logo for the review page (see review_logo)
//   GET  /c/{slug}/organizations/{uuid}/logo.png   an approved organization's re-encoded logo
//
// The campaign page's "Co-signing organizations" section and the JSON count are rendered by
// campaign_page.cc and counts.cc (with views.cc) from CampaignSnapshot::organizations (approved
// ones only).
//
// One use case per file (organization_form.cc, organization_links.cc, organization_logo.cc),
// sharing one OrganizationSite (http/pages/organization_site.h); RegisterOrganizationPages only
// wires them.
//
// Thread-safety: RegisterOrganizationPages runs once at start-up; the handlers it installs are
// thread-safe (they share one state object owned by the routes).
// Ownership: the services and templates in OrganizationPagesDeps are borrowed and must outlive
// the Router.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/organizations.h"

namespace undersigned::http {

// Largest body POST /c/{slug}/organizations accepts: a logo of up to 1 MiB
// (render::LogoLimits::max_bytes) plus the text fields and the multipart framing, with room to
// spare so that a logo somewhat over 1 MiB gets the form back with a message rather than a bare
// 413. Equal to http::MultipartLimits::max_total_bytes. Only this route gets it; every other
// route keeps the server's default (64 KiB).
inline constexpr std::size_t kOrganizationBodyLimit = std::size_t{2} << 20;
// And the time it may take to arrive: a 2 MiB upload at 512 kbit/s takes about 33 s, while every
// other route keeps the server's read timeout (10 s by default) against slow clients.
inline constexpr std::chrono::milliseconds kUploadReadTimeout{60'000};

struct OrganizationPagesDeps {
  service::CampaignService& campaigns;
  service::OrganizationService& organizations;
  const render::Templates& templates;
  std::string base_url;          // "https://sign.example.org", no trailing slash (one is stripped)
  std::string csrf_secret;       // the same secret as PagesDeps::csrf_secret
  pages::SiteInfo site;          // who runs the site (header, footer)
  const Clock* clock = nullptr;  // for deadlines; nullptr = Clock::System()
  // The stored (re-encoded) logo of an organization by uuid whatever its state, so that the
  // organizers see it before they decide. The store has no such read yet
  // (Store::OrganizationLogo serves approved logos only): while this is empty, the review page
  // shows the logo once the organization is approved and says that one was uploaded before.
  std::function<Result<std::string>(const std::string& uuid)> review_logo;
  std::string flash_secret;  // the same secret as PagesDeps::flash_secret
};

void RegisterOrganizationPages(Router& router, OrganizationPagesDeps deps);

// "/c/<slug>/organizations/<uuid>/logo.png" (slug percent-encoded).
std::string OrganizationLogoPath(const std::string& slug, const std::string& uuid);

}  // namespace undersigned::http
