// OrganizationReviewService: the organizers' side of co-signing organizations (issue 13, part 6),
// for the console and the CLI alike: every organization of a campaign (with its contact and its
// logo, shown before deciding), and the decisions: approve or reject a confirmed one, and
// withdraw an approval later (core/organization.h OrganizationDecision). Each needs the
// approve_orgs action on the campaign (AccountService::Authorize reads the role fresh; the CLI
// acts as Actor::Operator()) and is recorded in the action record as "organization.approve",
// "organization.reject" or "organization.withdraw" with the organization's uuid and name.
//
// The decision itself, and the refresh of the campaign's page, are OrganizationService's; this
// decides who may. (The review link mailed to organizers stays OrganizationService::Review:
// the link is its own authority.)
//
// Thread-safe (no state of its own). Holds references to the OrganizationService, the
// AccountService and the CampaignService (owned by app::App), which outlive it.
#pragma once

#include <string>
#include <vector>

#include "core/organization.h"
#include "service/accounts.h"
#include "service/campaigns.h"
#include "service/organizations.h"

namespace undersigned::service {

class OrganizationReviewService {
 public:
  OrganizationReviewService(OrganizationService& organizations, AccountService& accounts,
                            CampaignService& campaigns)
      : organizations_(organizations), accounts_(accounts), campaigns_(campaigns) {}

  // Every organization of the campaign, in the order they were submitted. kNotFound for an
  // unknown campaign or one `by` has no role on; kForbidden without approve_orgs.
  Result<std::vector<Organization>> List(const Actor& by, const std::string& slug);
  // kNotFound for an organization that is not the campaign's; kConflict for a decision its
  // state does not allow (rules.h DecideOrganizationState). A no-op (deciding again the same
  // way) is not recorded.
  Result<OrganizationOutcome> Decide(const Actor& by, const std::string& slug,
                                     const std::string& uuid, OrganizationDecision decision);
  // The organization's logo (PNG) whatever its state, for the review; kNotFound if it has none
  // or is not the campaign's.
  Result<std::string> Logo(const Actor& by, const std::string& slug, const std::string& uuid);

 private:
  Result<Campaign> Authorized(const Actor& by, const std::string& slug);

  OrganizationService& organizations_;
  AccountService& accounts_;
  CampaignService& campaigns_;
};

}  // namespace undersigned::service
