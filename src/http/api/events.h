// OSDI events and attendances as Action Network speaks them (issue 15, part 1), under /api/v2/
// beside the petitions (api.h) and the fundraising pages (fundraising.h):
//
//   GET  /api/v2/events                                   every event time the caller may see
//   GET  /api/v2/events/{id}                              one
//   GET  /api/v2/events/{id}/attendances                  its RSVPs, oldest first (token)
//   GET  /api/v2/events/{id}/attendances/{aid}            one RSVP (token)
//   POST /api/v2/events/{id}/attendances
//   POST /api/v2/events/{id}/record_attendance_helper     an RSVP
//
// One OSDI event per time (slot): an OSDI event has one start_date, end_date and capacity,
// while an undersigned event may have several times. {id} is the slot's id; each OSDI event
// carries `undersigned:event` (the event's id, slug and how many times it has) so that a client
// can group the times of one event again. Fields: title, description (Markdown), start_date and
// end_date (UTC, "Z"), timezone_identifier (IANA), capacity (0: no limit), total_accepted
// (places taken: accepted RSVPs and their guests), undersigned:waitlisted, status (confirmed,
// tentative for a draft or a proposal, cancelled), visibility (public once listed, private
// before), instructions (the accessibility notes), browser_url, and location {venue,
// address_lines, public} for an event in person, or undersigned:online_link for one online.
//
// A private place is absent from every answer without a token: location is then {public:
// false} and the online link is left out. With a token (the operator's or the campaign's
// organizers') the place is there, and so are drafts and proposals.
//
// Attendances (token only): status accepted, cancelled, tentative (waitlisted, with
// undersigned:waitlist_position) or "needs action" (pending: the mailed link not yet pressed),
// undersigned:status (pending, accepted, waitlisted, cancelled), attended (checked in),
// undersigned:guests, referrer_data {referrer, source}, person {given_name, email_addresses}.
//
// The helper takes person {given_name, family_name, email_addresses[0].address},
// undersigned:guests, referrer_data.referrer and status. No status (or "accepted") is a yes; a
// caller with a token is trusted: the RSVP is placed at once, accepted or, on a full time,
// waitlisted and answered 200 all the same (never refused). Without a token it is the public's
// RSVP: pending, mailed a link to confirm, answered 200 {} (as a signature: the answer does not
// tell whether the address had answered already), limited per address. "declined" or
// "cancelled" (token only) cancels that address's live RSVP to the time, promoting the
// waitlist.
//
// Auth: the OSDI-API-Token header or osdi-api-token query parameter; a wrong token is 401; a
// token scoped to a campaign reaches only that campaign's events; a read-only token cannot
// write. Recorded as the operator.
//
// Thread-safety and ownership as api.h: the deps' services must outlive the router.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/rate_limiter.h"
#include "http/router.h"
#include "service/api_tokens.h"
#include "service/campaigns.h"
#include "service/events.h"

namespace undersigned::http {

struct EventsApiDeps {
  service::EventService& events;
  service::CampaignService& campaigns;
  service::ApiTokenService& tokens;
  Store& store;  // read-only lookups by slot id (the service answers everything else)
  const Clock& clock;
  std::string base_url;  // links are absolute
  // Calls without a token, per address (the public's RSVPs are mailed).
  RateLimit per_address{40, 4.0, true};
};

void RegisterEventsApi(Router& router, EventsApiDeps deps);

}  // namespace undersigned::http
