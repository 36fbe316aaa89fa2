// ModerationService: what the campaign's organizers may do about signatures they did not write
// (issue 13, part 5): hide a comment or a public name (the signature still counts), run a
// campaign's comment approval queue, and invalidate a signature, one at a time or every one a
// filter matches (address ranges, email domain, time window, state), after a preview of how many
// would go. Invalidating removes a signature from every count, list, export and delivery, and
// appends an "invalidate" leaf to the signature log in the same transaction (log/leaf.h), so the
// published counts stay auditable. The rules are in core/moderation.h and the transaction
// scripts in service/tx/moderation.cc; this decides who may (AccountService::Authorize: moderate
// for hiding and the queue, invalidate for invalidating; Actor::Operator() for the CLI) and
// records every action in the action record.
//
// What a moderator is shown of a signature (ModeratedSignature) is what the public export shows,
// plus the comment under review: never an address, a network, or a sealed or anonymous signer's
// name or details.
//
// Thread-safe. Holds references to the Store, the CampaignService, the AccountService and the
// Clock (owned by app::App), which outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/moderation.h"
#include "service/accounts.h"
#include "service/campaigns.h"
#include "service/tx/scripts.h"
#include "store/store.h"

namespace undersigned::service {

struct ModerationOptions {
  // How long a signer's network is kept after they signed (then ForgetExpiredNetworks clears
  // it): long enough to find a flood, not longer (docs/moderation.md).
  int network_retention_days = 30;
  int preview_sample = 20;  // signatures shown in a preview
};

// A signature as a moderator sees it.
struct ModeratedSignature {
  std::string uuid;
  SignatureState state = SignatureState::kPending;
  UnixTime created = 0;  // the day only for sealed and anonymous signers
  std::string group;
  // The public name if the signer chose one (and it is not sealed); otherwise "(not public)",
  // "(sealed)" or "(anonymous)".
  std::string shown_as;
  std::string email_domain;  // of a signer without protection; else empty
  std::string comment;       // as written (empty for a sealed signer: it is sealed)
  store::CommentReview comment_review = store::CommentReview::kNone;
  bool name_hidden = false;
  std::optional<UnixTime> invalidated;
  std::string invalidation_reason;
};

struct ModerationPreview {
  std::int64_t count = 0;  // what InvalidateMatching with this filter would invalidate now
  std::vector<ModeratedSignature> sample;
};

struct InvalidationResult {
  int invalidated = 0;  // signatures removed by this action
  int counted = 0;      // of which were confirmed (each an "invalidate" leaf)
  int notified = 0;     // signers told
  CampaignCounts counts;
};

class ModerationService {
 public:
  ModerationService(Store& store, CampaignService& campaigns, AccountService& accounts,
                    const Clock& clock, ModerationOptions options,
                    std::function<void()> wake_mailer);

  // Hides (or shows again) a signature's comment or public name. Action moderate.
  Result<ModeratedSignature> HideComment(const Actor& by, const std::string& slug,
                                         const std::string& signature_uuid, bool hidden);
  Result<ModeratedSignature> HideName(const Actor& by, const std::string& slug,
                                      const std::string& signature_uuid, bool hidden);
  // The comment approval queue (action moderate): on, a comment shows only once approved;
  // approving shows it, rejecting hides it.
  Result<void> SetCommentApproval(const Actor& by, const std::string& slug, bool on);
  Result<bool> CommentApproval(const Actor& by, const std::string& slug);
  Result<std::vector<ModeratedSignature>> AwaitingComments(const Actor& by, const std::string& slug,
                                                           int limit);
  Result<ModeratedSignature> ApproveComment(const Actor& by, const std::string& slug,
                                            const std::string& signature_uuid, bool approve);

  // Invalidates one signature (action invalidate); reason is required (CheckReason); notify: the
  // signer is mailed (the "invalidated" kind) if they left an address.
  Result<InvalidationResult> Invalidate(const Actor& by, const std::string& slug,
                                        const std::string& signature_uuid,
                                        const std::string& reason, bool notify);
  // How many signatures the filter matches now, and a sample (action invalidate).
  Result<ModerationPreview> Preview(const Actor& by, const ModerationFilter& filter);
  // Invalidates every one, if they are still exactly expected_count (else kConflict and nothing
  // changes: preview again).
  Result<InvalidationResult> InvalidateMatching(const Actor& by, const ModerationFilter& filter,
                                                std::int64_t expected_count,
                                                const std::string& reason, bool notify);

  // Forgets the networks of signatures older than the retention; returns how many. For the
  // server's housekeeping.
  Result<std::int64_t> ForgetExpiredNetworks();

 private:
  Result<Campaign> CampaignFor(const Actor& by, const std::string& slug, CampaignAction action);
  // The signature's row id, if it is the campaign's.
  Result<std::int64_t> SignatureIn(const Campaign& c, const std::string& uuid);
  Result<ModeratedSignature> ChangeVisibility(const Actor& by, const std::string& slug,
                                              const std::string& uuid,
                                              const tx::VisibilityChange& change,
                                              const std::string& action);
  // Publishes the campaign's new counts and recent signers.
  void Changed(std::int64_t campaign_id, const CampaignCounts* counts);
  static std::string ByWhom(const Actor& by);

  Store& store_;
  CampaignService& campaigns_;
  AccountService& accounts_;
  const Clock& clock_;
  ModerationOptions options_;
  std::function<void()> wake_mailer_;
};

// "none", "approved", "hidden".
const char* CommentReviewName(store::CommentReview r);

// What a moderator may see of a candidate row (see ModeratedSignature).
ModeratedSignature ModeratedView(const store::ModerationCandidate& c);

}  // namespace undersigned::service
