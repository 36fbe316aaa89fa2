// A campaign's events as a calendar anyone can subscribe to (issue 15, part 1):
//
//   GET /c/{slug}/events.ics   text/calendar (RFC 5545): every listed (and cancelled) event's
//                              times, in their time zones; a private place is left out
//                              (service::EventService::CampaignCalendar).
//
// Thread-safety: RegisterEventFeed runs once at start-up; its handler is thread-safe.
// Ownership: the service is borrowed and must outlive the Router.
#pragma once

#include <string>

#include "http/router.h"
#include "service/events.h"

namespace undersigned::http {

// site_host: the host the calendar's UIDs end in (e.g. "example.org").
void RegisterEventFeed(Router& router, service::EventService& events, std::string site_host);

}  // namespace undersigned::http
