// The organizer console (issue 13): the pages where organizers sign in and run their campaigns
// from a browser, under /console. Server-rendered HTML that works without JavaScript
// (static/console.js only adds the live Markdown preview).
//
// How it is built, and how to add a page:
//  - One use case per file (sign_in.cc, home.cc, campaign_form.cc, ...), each with a
//    `void Register<UseCase>(Router&, std::shared_ptr<ConsoleKit>)` declared in routes.h and
//    called from RegisterConsole (console.cc).
//  - A handler translates and nothing more: kit->SignedIn(req) (the session, or the sign-in
//    redirect to answer instead), kit->CheckPost(...) for every POST (Origin, form, and a CSRF
//    token bound to the session), then one call to a service (AccountService,
//    OrganizingService, CampaignService, ... the same ones the CLI and the API call), which
//    decides who may do what (AccountService::Authorize reads the role fresh every time) and
//    records the action. kit->Page(...) renders a template in the console's layout;
//    kit->Error(...) is the one mapping from an Error to a page (status from http::StatusFor).
//  - Console routes are `blocking` (they touch the store, sign-ins hash passwords).
//  - Pages never show a signer's email address unless the signer asked for updates, and never
//    a sealed or anonymous signer's identity: they show what the public export shows.
//
// Routes (each file's comment lists its own):
//   sign_in.cc        /console/sign-in, /console/link, /console/sign-out
//   home.cc           /console (the campaigns one may see)
//   campaign.cc       /console/c/{slug} (where a campaign stands, what one may do)
//   campaign_form.cc  /console/campaigns/new, /console/c/{slug}/edit, /console/preview
//   dashboard.cc      /console/c/{slug}/dashboard, /console/c/{slug}/signatures (and .csv)
//   moderation.cc     /console/c/{slug}/moderation (the comment queue, hiding, invalidation)
//   actions.cc        /console/c/{slug}/actions (and .jsonl), /console/actions (administrators)
//   account.cc        /console/account (password, second factor, sessions)
//   members.cc        /console/c/{slug}/members
//   organizations.cc  /console/c/{slug}/organizations (co-signers: review, logo, withdraw)
//   updates.cc        /console/c/{slug}/updates (write, preview, test, send; delivery counts)
//   delivery.cc       /console/c/{slug}/delivery (the letter as it stands, its PDF, sending)
//   events.cc         /console/c/{slug}/events (events, their times, attendees, proposals)
//
// Ownership: the services and templates in ConsoleDeps are borrowed and must outlive the Router.
// Thread-safety: RegisterConsole runs once at start-up; the handlers are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "render/templates.h"
#include "service/accounts.h"
#include "service/campaigns.h"
#include "service/dashboard.h"
#include "service/events.h"
#include "service/moderation.h"
#include "service/organization_review.h"
#include "service/organizing.h"
#include "service/target_delivery.h"
#include "service/updates.h"

namespace undersigned::http {

struct ConsoleDeps {
  service::AccountService& accounts;
  service::CampaignService& campaigns;
  service::OrganizingService& organizing;
  const render::Templates& templates;
  std::string base_url;          // "https://sign.example.org", no trailing slash (one is stripped)
  std::string csrf_secret;       // e.g. Store::InstanceSecret("csrf"), as the public pages'
  pages::SiteInfo site;          // who runs the site (header, footer)
  const Clock* clock = nullptr;  // nullptr = Clock::System()
  // The dashboard and the signatures list; nullptr: those pages answer 503.
  service::DashboardService* dashboard = nullptr;
  // Hiding, the comment queue and invalidation; nullptr: those pages answer 503.
  service::ModerationService* moderation = nullptr;
  // The review of co-signing organizations; nullptr: that page answers 503.
  service::OrganizationReviewService* organization_review = nullptr;
  // Updates to signers; nullptr: those pages answer 503.
  service::UpdateService* updates = nullptr;
  // Delivery of the letter to its targets; nullptr: that page answers 503.
  service::TargetDeliveryService* deliveries = nullptr;
  // Other sites may frame the widget and counter (http/pages/embed.h): the campaign's page
  // offers their snippets.
  bool embeds = true;
  // Events (issue 15): their pages, times, attendee list and proposals; nullptr: those pages
  // answer 503.
  service::EventService* events = nullptr;
};

void RegisterConsole(Router& router, ConsoleDeps deps);

// For PagesDeps::may_see_draft: true if the request's console session belongs to someone who
// may view that campaign (its organizers, administrators). accounts must outlive the function.
std::function<bool(const Request&, std::int64_t campaign_id)> MaySeeDraft(
    service::AccountService& accounts);

}  // namespace undersigned::http
