// OrganizationSite: what the co-signing organizations' pages share (one use case per file:
// organization_form.cc, the form and its submission; organization_links.cc, the pages behind
// the links mailed to the organization's contact and to the campaign's organizers;
// organization_logo.cc, the approved logos), and the functions that add each one's routes
// (RegisterOrganizationPages, http/pages/organizations.h, calls them all).
//
// Ownership: RegisterOrganizationPages makes one OrganizationSite, shared (std::shared_ptr) by
// the routes, so it lives as long as the Router; the services and templates in deps are
// borrowed and must outlive the Router. Thread-safety: every member is safe to use from any
// thread (PageKit and FlashStore guard their own state; the rest is immutable).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "http/pages/flash.h"
#include "http/pages/organizations.h"
#include "http/pages/page_kit.h"
#include "http/router.h"

namespace undersigned::http::pages {

struct OrganizationSite {
  explicit OrganizationSite(OrganizationPagesDeps d)
      : deps(std::move(d)),
        kit(deps.campaigns, deps.templates, deps.base_url, deps.csrf_secret, deps.site, deps.clock),
        flash(deps.flash_secret) {}

  // A page of the campaign's look with a heading and paragraphs (done.mustache, no sharing).
  Response DonePage(const Campaign& c, const std::string& heading,
                    const std::vector<std::string>& paragraphs);
  // 404 for a logo.
  Response NoLogo();
  // PNG bytes with that Cache-Control, never sniffed.
  static Response Png(std::string bytes, const char* cache_control);
  // The answer of a page behind a mailed link (path: "/o/confirm", "/o/review") whose call
  // failed with e: kit.ErrorResponse(e, TokenErrors(e, path, token)).
  Response TokenError(const Error& e, const std::string& path, const std::string& token);
  // How those pages word their errors.
  static PageErrors TokenErrors(const Error& e, const std::string& path, const std::string& token);
  // 409: the campaign no longer takes organizations.
  ErrorSpec Closed(const Campaign& c) const;
  // 503: busy or restarting; back: where the page links.
  static ErrorSpec Busy(const std::string& back, const std::string& back_text);

  OrganizationPagesDeps deps;
  PageKit kit;
  FlashStore flash;  // what a submitted form hands to its "check your email" page
};

using OrganizationSitePtr = std::shared_ptr<OrganizationSite>;

void AddOrganizationFormRoutes(Router& router, const OrganizationSitePtr& site);
void AddOrganizationLinkRoutes(Router& router, const OrganizationSitePtr& site);
void AddOrganizationLogoRoutes(Router& router, const OrganizationSitePtr& site);

// “s”: a name or title in curly quotes.
inline std::string Quoted(const std::string& s) { return "\u201C" + s + "\u201D"; }

}  // namespace undersigned::http::pages
