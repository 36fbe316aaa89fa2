// The public pages of conditional pledges (issue 14, part 3; service/pledges.h):
//
//   GET  /p/{slug}            the pledge campaign: its condition (who must act, what, by when),
//                             the deadline, the live count of pledgers and the total pledged,
//                             the state (open, met, failed; the evidence link of a declared
//                             outcome), and the pledge form (amount for a money pledge, name,
//                             email)
//   POST /p/{slug}/pledge     makes the pledge: a money pledge answers 303 to the provider's
//                             Checkout page in setup mode (the card is saved there, nothing is
//                             charged); a money-free one is made at once; a bad form is shown
//                             again (422) with what to fix and what was typed
//   GET  /p/{slug}/thanks     where Checkout sends the pledger back: the pledge counts once the
//                             provider confirms the saved card (the webhook), never from here
//   GET  /p/{slug}.json       the live totals, now
//   GET  /p/{slug}/complete?t=  a pledge that needs its donor: 303 to a Checkout payment page
//   GET  /p/{slug}/withdraw?t=  the withdrawal page; POST withdraws (before the decision only)
//
// The Stripe webhook stays at POST /webhooks/stripe (http/pages/fundraiser.h), which hands
// events carrying a pledge_id to service::PledgeService::ApplyWebhook.
//
// Thread-safety: RegisterPledgePages runs once at start-up; its handlers are thread-safe.
// Ownership: the services and templates in the deps are borrowed and must outlive the Router.
#pragma once

#include <string>

#include "core/clock.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/pledges.h"

namespace undersigned::http {

struct PledgePagesDeps {
  service::CampaignService& campaigns;
  service::PledgeService& pledges;
  const render::Templates& templates;
  std::string base_url;  // no trailing slash (one is stripped)
  std::string csrf_secret;
  pages::SiteInfo site;
  const Clock* clock = nullptr;  // nullptr = Clock::System()
};

// {"slug","status","pledgers","pledged","pledged_text","collected","collected_text",
//  "threshold","deadline"}: amounts in minor units and as text for people.
std::string PledgeTotalsJson(const PledgeCampaign& c, const PledgeTotals& t);

void RegisterPledgePages(Router& router, PledgePagesDeps deps);

}  // namespace undersigned::http
