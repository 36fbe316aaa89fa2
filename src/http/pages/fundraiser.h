// The public fundraiser pages and the payment provider's webhook (issue 14, parts 1 and 2;
// service/fundraising.h):
//
//   GET  /f/{slug}           the fundraiser: story, thermometer (exact total, number of gifts,
//                            each line item's progress), the donors who chose to be named, and
//                            the gift form (suggested amounts, another amount, monthly never
//                            pre-selected, a line item, name, email, named or not)
//   POST /f/{slug}/give      starts a donation and answers 303 to the provider's Checkout page;
//                            a bad form is shown again (422) with what to fix
//   GET  /f/{slug}/thanks    the page Checkout sends the donor back to: it says the gift is
//                            confirmed when the payment arrives, never that it was paid (the
//                            redirect proves nothing: only the webhook counts)
//   GET  /f/{slug}/events    server-sent "totals" events (topic FundraiserTopic), as JSON
//   GET  /f/{slug}.json      the same totals, now
//   POST /webhooks/stripe    the raw body verified with the Stripe-Signature header before
//                            anything is parsed: 400 on a bad signature or an old timestamp,
//                            200 once handled (duplicates and unknown events included), 503 if
//                            the store could not keep it (Stripe retries), 404 while payments
//                            are off; events about a pledge (its metadata's pledge_id) are
//                            handed to service::PledgeService::ApplyWebhook
//
// Thread-safety: RegisterFundraiserPages runs once at start-up; its handlers are thread-safe.
// Ownership: the services, templates and verifier in the deps are borrowed and must outlive the
// Router.
#pragma once

#include <string>

#include "core/clock.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "payments/webhook.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/fundraising.h"
#include "service/pledges.h"

namespace undersigned::http {

struct FundraiserPagesDeps {
  service::CampaignService& campaigns;
  service::FundraisingService& fundraising;
  const render::Templates& templates;
  std::string base_url;  // no trailing slash (one is stripped)
  std::string csrf_secret;
  pages::SiteInfo site;
  const payments::WebhookVerifier* webhooks = nullptr;  // null: payments off
  const Clock* clock = nullptr;                         // nullptr = Clock::System()
  // Events whose object carries our pledge_id go to it first (http/pages/pledge.h).
  service::PledgeService* pledges = nullptr;
};

// "fundraiser:<slug>": the event hub topic of a fundraiser's totals.
std::string FundraiserTopic(const std::string& slug);
// {"slug","currency","goal","total","donations","items":[{"key","goal","total","donations"}]},
// amounts in minor units (integers) and as "total_text" for people.
std::string FundraiserTotalsJson(const Fundraiser& f, const FundraiserTotals& t);

void RegisterFundraiserPages(Router& router, FundraiserPagesDeps deps);

}  // namespace undersigned::http
