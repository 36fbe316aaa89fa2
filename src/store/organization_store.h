// OrganizationStore: Reading co-signing organizations (written by service/tx/organizations.cc).
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class OrganizationStore {
 public:
  virtual ~OrganizationStore() = default;

  virtual Result<OrganizationOutcome> FindOrganizationByConfirmToken(const std::string& hash) = 0;
  virtual Result<OrganizationOutcome> FindOrganizationByReviewToken(const std::string& hash) = 0;
  // A campaign's organizations in the order they were submitted; state empty = all.
  virtual Result<std::vector<Organization>> ListOrganizations(
      std::int64_t campaign_id, std::optional<OrganizationState> state) = 0;
  // The re-encoded logo of an approved organization; kNotFound otherwise (none, or not shown).
  // any_state: whatever its state (for the organizers' review page).
  virtual Result<std::string> OrganizationLogo(const std::string& uuid, bool any_state) = 0;
};

}  // namespace undersigned
