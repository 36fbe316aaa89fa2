// The public pages of a campaign's events (issue 15, part 1; service/events.h):
//
//   GET  /c/{slug}/agenda                          the listed events, with their times (not
//                                                  /c/{slug}/events: the live count's stream)
//   GET  /c/{slug}/events/{event}                  an event: its description (Markdown), its
//                                                  times in their zone with the places left (or
//                                                  "waitlist"), accessibility, host, the place
//                                                  or "sent to confirmed attendees", the RSVP form
//   POST /c/{slug}/events/{event}/rsvp             the form: "check your email" (the mailed link
//                                                  opens the confirm page, event_links.h), or the
//                                                  page again with what was typed and the errors
//   GET  /c/{slug}/events/{event}/calendar.ics     the event's times as a calendar (public fields)
//   GET  /c/{slug}/propose-event                   a supporter proposes an event they host
//   POST /c/{slug}/propose-event                   "an organizer will review it"
//
// A private place never appears here (EventService::Show clears it). Forms use the CSRF
// cookie and token of the other public forms (PageKit).
//
// Thread-safety: RegisterEventPages runs once at start-up; its handlers are thread-safe.
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

struct EventPagesDeps {
  service::CampaignService& campaigns;
  service::EventService& events;
  const render::Templates& templates;
  std::string base_url;
  std::string csrf_secret;
  pages::SiteInfo site;
  const Clock* clock = nullptr;
  std::string mail_note;  // set when the site sends no mail (see PagesDeps)
};

void RegisterEventPages(Router& router, EventPagesDeps deps);

}  // namespace undersigned::http
