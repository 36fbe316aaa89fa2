// The one-click unsubscribe from a campaign's updates (issue 13, part 7; service/updates.h),
// public and without a session:
//
//   GET  /u/unsubscribe?t=   a page with a button: a GET changes nothing (mail scanners and link
//                            previews fetch links)
//   POST /u/unsubscribe?t=   unsubscribes, idempotently. RFC 8058 one-click: a mail client POSTs
//                            "List-Unsubscribe=One-Click" to the URL of the mail's
//                            List-Unsubscribe header, with no cookie, no session and no page to
//                            confirm on; so this POST takes no CSRF token and checks no Origin.
//                            The token (an HMAC of campaign, person and update) is the proof,
//                            and the worst a forged POST could do with a stolen token is what the
//                            token's owner could. The token may also come in the form body
//                            (field "t", as the page's button sends it).
//
// Thread-safety: RegisterUnsubscribePages runs once at start-up; its handlers are thread-safe.
// Ownership: the services and templates in the deps are borrowed and must outlive the Router.
#pragma once

#include <string>

#include "core/clock.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/updates.h"

namespace undersigned::http {

struct UnsubscribePagesDeps {
  service::CampaignService& campaigns;
  service::UnsubscribeService& unsubscribe;
  const render::Templates& templates;
  std::string base_url;     // no trailing slash (one is stripped)
  std::string csrf_secret;  // the pages' secret (the page kit needs one; no form here checks it)
  pages::SiteInfo site;
  const Clock* clock = nullptr;  // nullptr = Clock::System()
};

void RegisterUnsubscribePages(Router& router, UnsubscribePagesDeps deps);

}  // namespace undersigned::http
