// OrganizingService: the campaign use cases an organizer performs from the console, with the
// same rules as the CLI (CampaignService validates and stores) plus who may do them
// (AccountService::Authorize) and the record of organizer actions:
//  - Create: any signed-in, active user may start a campaign and becomes its owner; it starts
//    as a draft unless they choose otherwise.
//  - Edit: needs kEdit on the campaign; changing its status needs kSetStatus as well. An edit
//    of the demand or letter after signing started keeps the earlier text as a version (the
//    campaign page says "Edited on ..."), and the record names the fields that changed.
//  - The picture: setting, re-describing or removing it needs kEdit and is recorded
//    (campaign.image, with the new picture's size and description, or its removal).
//
// Thread-safe as its collaborators are. Borrows them; they must outlive it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/campaign.h"
#include "service/accounts.h"
#include "service/campaigns.h"

namespace undersigned::service {

// The names of the fields that differ between two versions of a campaign ("title", "letter",
// "targets", "groups", ...), in a fixed order; empty if none do.
std::vector<std::string> ChangedFields(const Campaign& before, const Campaign& after);

class OrganizingService {
 public:
  OrganizingService(CampaignService& campaigns, AccountService& accounts, Store& store,
                    const Clock& clock);

  // Creates c and makes `by` its owner. kForbidden for the operator's Actor (no user to own
  // it: the CLI's `campaign create` is the operator's way); kInvalidArgument with
  // field_errors as CampaignService::Create.
  Result<Campaign> Create(const Actor& by, Campaign c);
  // Replaces the campaign's fields with c's (c.id names it). kNotFound/kForbidden as
  // Authorize; kInvalidArgument as CampaignService::Update.
  Result<Campaign> Edit(const Actor& by, Campaign c);
  // CampaignService::SetImage / RemoveImage, for `by` (kEdit on the campaign).
  Result<Campaign> SetImage(const Actor& by, std::int64_t campaign_id, std::string_view uploaded,
                            const std::string& alt);
  Result<Campaign> RemoveImage(const Actor& by, std::int64_t campaign_id);

 private:
  CampaignService& campaigns_;
  AccountService& accounts_;
  Store& store_;
  const Clock& clock_;
};

}  // namespace undersigned::service
