// OSDI fundraising_pages and donations as Action Network speaks them (issue 14, part 4), under
// /api/v2/ beside the petitions (api.h):
//
//   GET  /api/v2/fundraising_pages                      every fundraiser the token may see
//   GET  /api/v2/fundraising_pages/{id}                 one (id: its uuid)
//   GET  /api/v2/fundraising_pages/{id}/donations       its donations, oldest first, paged
//   GET  /api/v2/fundraising_pages/{id}/donations/{did} one donation
//   POST /api/v2/fundraising_pages/{id}/donations
//   POST /api/v2/fundraising_pages/{id}/record_donation_helper   an offline gift
//
// Fields: a page has title, description (the story), currency, total_donations,
// total_amount ("25.00"), undersigned:goal ("10000.00") and undersigned:status; a donation
// has amount ("25.00", exactly as stored), currency, recipients [{display_name, amount}],
// payment {method, reference_number, authorization_stored: false},
// action_network:recurrence {recurring, period: "Monthly"}, undersigned:status, and the donor
// (person {given_name, family_name?, email_addresses} in the helper; donor name only in what we
// answer, never an address). The helper takes amount or recipients[0].amount (a malformed or
// negative amount is 400 naming the field), payment.method and payment.reference_number, and
// person.given_name/family_name/email_addresses[0].address; it is recorded as succeeded at once.
//
// Auth: every call needs an API token; a token scoped to a campaign sees only that campaign's
// fundraisers; the helper needs a token that is not read-only. Recorded in the action record
// as the operator (the token stands for the site's operator or the campaign's organizers).
//
// Thread-safety and ownership as api.h: the deps' services must outlive the router.
#pragma once

#include <string>

#include "http/router.h"
#include "service/api_tokens.h"
#include "service/fundraising.h"

namespace undersigned::http {

struct FundraisingApiDeps {
  service::FundraisingService& fundraising;
  service::ApiTokenService& tokens;
  Store& store;          // read-only lookups by uuid (the service answers everything else)
  std::string base_url;  // links are absolute
};

void RegisterFundraisingApi(Router& router, FundraisingApiDeps deps);

}  // namespace undersigned::http
