// The pages the links in an attendee's mail open (issue 15, part 1; service/events.h), public
// and without a session, by the rule of signatures' links: a GET only shows a page with a
// button (mail scanners and link previews fetch links), and the button's POST acts.
//
//   GET  /c/{slug}/events/{event}/confirm?t=   "Confirm that you are coming"
//   POST /c/{slug}/events/{event}/confirm      confirms: accepted, or waitlisted when full
//   GET  /c/{slug}/events/{event}/cancel?t=    "Cancel your place"
//   POST /c/{slug}/events/{event}/cancel       cancels (the waitlist moves up)
//
// The token (field or query "t") is the proof, as for the unsubscribe link: no CSRF token is
// checked. The place of a private event appears on a page only once the RSVP is accepted.
//
// Thread-safety: RegisterEventLinkPages runs once at start-up; its handlers are thread-safe.
// Ownership: the services and templates in the deps are borrowed and must outlive the Router.
#pragma once

#include <string>

#include "core/clock.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/events.h"

namespace undersigned::http {

struct EventLinkPagesDeps {
  service::CampaignService& campaigns;
  service::EventService& events;
  const render::Templates& templates;
  std::string base_url;
  std::string csrf_secret;
  pages::SiteInfo site;
  const Clock* clock = nullptr;
};

void RegisterEventLinkPages(Router& router, EventLinkPagesDeps deps);

}  // namespace undersigned::http
