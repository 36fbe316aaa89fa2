// OrganizationService: co-signing organizations (core/organization.h) from submission to the
// campaign page: checks the form and the logo (render/logo.h re-encodes it), stores it with a
// one-time link mailed to its contact address, confirms that, lets an organizer approve or
// reject it (by the link mailed to them, or the CLI), and serves approved logos.
//
// Thread-safe. Holds references to the Store, the CampaignService and the Clock (owned by
// app::App). Calls `wake_mailer` after a commit that queued mail.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/organization.h"
#include "core/rate_limiter.h"
#include "service/campaigns.h"
#include "service/token_guard.h"
#include "store/store.h"

namespace undersigned::service {

class OrganizationService {
 public:
  OrganizationService(Store& store, CampaignService& campaigns, const Clock& clock,
                      std::function<void()> wake_mailer);

  // kNotFound (no open campaign), kConflict (closed, or this address already submitted one),
  // kInvalidArgument with field_errors (name, website, contact_email, statement, logo),
  // kTooManyRequests (more than a few submissions from remote_address; empty skips the limit).
  // logo: the uploaded bytes, empty for none.
  Result<Organization> Submit(const std::string& slug, OrganizationForm form, std::string_view logo,
                              const std::string& remote_address = "");
  // By raw token (from the mail link). Confirming queues the review mail to the organizers.
  // remote_address: who presented it, for the TokenGuard (empty: not throttled);
  // kTooManyRequests when that address guessed too many.
  Result<OrganizationOutcome> Confirm(const std::string& token,
                                      const std::string& remote_address = "");
  Result<OrganizationOutcome> PeekConfirm(const std::string& token,
                                          const std::string& remote_address = "");
  Result<OrganizationOutcome> PeekReview(const std::string& token,
                                         const std::string& remote_address = "");
  // An organizer's decision through the review link.
  Result<OrganizationOutcome> Review(const std::string& token, bool approve,
                                     const std::string& remote_address = "");
  // Throttles the token lookups above; guard (owned by the caller, outliving this) may be null.
  void SetTokenGuard(TokenGuard* guard) { token_guard_ = guard; }
  // By the organization's uuid within the campaign, with no one's authority checked: callers
  // are OrganizationReviewService (service/organization_review.h), which checks and records,
  // and tests.
  Result<OrganizationOutcome> Decide(const std::string& slug, const std::string& uuid,
                                     OrganizationDecision decision);
  Result<std::vector<Organization>> List(const std::string& slug,
                                         std::optional<OrganizationState> state);
  // The same by the campaign's id (the API has the campaign already), in the order they were
  // submitted; state empty = all.
  Result<std::vector<Organization>> ListByCampaignId(std::int64_t campaign_id,
                                                     std::optional<OrganizationState> state);
  // PNG bytes of an approved organization's logo; kNotFound otherwise.
  Result<std::string> Logo(const std::string& uuid);
  // PNG bytes of an organization's logo whatever its state, for the organizers' review page
  // (reached with a review token); kNotFound if it has none.
  Result<std::string> LogoForReview(const std::string& uuid);

 private:
  Result<OrganizationOutcome> Decided(Result<OrganizationOutcome> r);

  Store& store_;
  CampaignService& campaigns_;
  const Clock& clock_;
  std::function<void()> wake_mailer_;
  // Each submission mails an address the submitter chose: a few per network address, then
  // one a minute, so the form cannot be used to flood mailboxes.
  RateLimiter per_address_;
  TokenGuard* token_guard_ = nullptr;
};

}  // namespace undersigned::service
