// PublicSite: what the public pages' use cases share, and the functions that add each use
// case's routes (RegisterPages, http/pages/pages.h, calls them all). One use case per file:
//
//   home.cc            GET /  (open campaigns), GET /favicon.ico, the router's 404 page
//   campaign_page.cc   GET /c/{slug}  (the cached page; CampaignPage also renders it with a
//                      form's errors for sign.cc)
//   sign.cc            POST /c/{slug}/sign, GET /c/{slug}/sign, GET /c/{slug}/sent
//   token_pages.cc     GET and POST /s/confirm and /s/withdraw
//   counts.cc          GET /c/{slug}.json, GET /c/{slug}/events  (and CountsJson)
//   share_mastodon.cc  GET /c/{slug}/share/mastodon
//   share_images.cc    GET /c/{slug}/card.png, /c/{slug}/flyer.pdf, /c/{slug}/poster.pdf
//   ask.cc             GET /c/{slug}/ask/{n}, /c/{slug}/ask/{n}/send
//   embed.cc           GET /c/{slug}/embed, /c/{slug}/embed/count, /oembed (EmbedPages; the
//                      widget's POST /c/{slug}/embed/sign is sign.cc's)
//
// Ownership: RegisterPages makes one PublicSite, shared (std::shared_ptr) by the routes of every
// use case, so it lives as long as the Router; the services and templates in deps are borrowed
// and must outlive the Router. Thread-safety: every member is safe to use from any thread
// (PageKit, FlashStore and CampaignPage guard their own state).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/group.h"
#include "http/pages/campaign_page.h"
#include "http/pages/embed.h"
#include "http/pages/flash.h"
#include "http/pages/page_kit.h"
#include "http/pages/pages.h"
#include "http/router.h"

namespace undersigned::http::pages {

struct PublicSite {
  explicit PublicSite(PagesDeps d)
      : deps(std::move(d)),
        kit(deps.campaigns, deps.templates, deps.base_url, deps.csrf_secret, deps.site, deps.clock),
        flash(deps.flash_secret),
        campaign_page(kit, deps.log, deps.may_see_draft, !deps.embed_ancestors.empty(),
                      deps.fundraising, deps.events),
        embed(kit, deps.embed_ancestors) {}

  PagesDeps deps;
  PageKit kit;
  FlashStore flash;            // the sign form's and the token pages' flash cookies
  CampaignPage campaign_page;  // the campaign page and its cache
  EmbedPages embed;            // the widget and counter other sites frame, and oEmbed
};

using SitePtr = std::shared_ptr<PublicSite>;

void AddHomeRoutes(Router& router, const SitePtr& site);
void AddCampaignPageRoutes(Router& router, const SitePtr& site);
void AddCountsRoutes(Router& router, const SitePtr& site);
void AddSignRoutes(Router& router, const SitePtr& site);
void AddShareRoutes(Router& router, const SitePtr& site);
// The share images (share_images.cc): the Open Graph card, the flyer and the poster.
void AddShareImageRoutes(Router& router, const SitePtr& site);
void AddTokenRoutes(Router& router, const SitePtr& site);
// Asking the people who can move the targets (ask.cc): a page of posts per person.
void AddAskRoutes(Router& router, const SitePtr& site);
// The embeds (embed.cc): the widget, the counter and oEmbed.
void AddEmbedRoutes(Router& router, const SitePtr& site);
// The router's 404 page, and GET /favicon.ico.
void AddFallbackRoutes(Router& router, const SitePtr& site);

// Who "verified employee of X" names: the group's organization, else its name.
inline const std::string& OrganizationOf(const SignerGroup& g) {
  return g.organization.empty() ? g.name : g.organization;
}

}  // namespace undersigned::http::pages
