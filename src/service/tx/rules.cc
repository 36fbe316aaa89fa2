#include "service/tx/rules.h"

#include <span>

#include "core/clock.h"
#include "core/group.h"

namespace undersigned::tx {

SignAction DecideSign(std::optional<SignatureState> existing, int confirm_sends, bool confirm_now,
                      int max_confirm_sends) {
  if (!existing) return SignAction::kCreate;
  if (*existing == SignatureState::kWithdrawn) return SignAction::kResign;
  // Invalidated by the organizers: signing again changes nothing and mails nothing.
  if (*existing == SignatureState::kInvalidated) return SignAction::kResendLimit;
  if (confirm_now) {
    return *existing == SignatureState::kPending ? SignAction::kRecordConfirm
                                                 : SignAction::kRecordAgain;
  }
  if (confirm_sends >= max_confirm_sends) return SignAction::kResendLimit;
  return *existing == SignatureState::kPending ? SignAction::kResend : SignAction::kAlreadySigned;
}

bool ReachesThreshold(const Campaign& c, std::int64_t confirmed, UnixTime now) {
  if (!c.threshold || c.outcome != CampaignOutcome::kPending) return false;
  return confirmed >= *c.threshold && !(c.deadline && now > *c.deadline);
}

CampaignOutcome OutcomeAtDeadline(std::int64_t threshold, std::int64_t confirmed) {
  return confirmed >= threshold ? CampaignOutcome::kSucceeded : CampaignOutcome::kFailed;
}

bool MayReveal(const SignerGroup& group, std::int64_t count) {
  if (group.seal_thresholds.empty()) return false;
  std::int64_t lowest = group.seal_thresholds.front();
  for (std::int64_t t : group.seal_thresholds) lowest = std::min(lowest, t);
  return count >= lowest;
}

Result<std::optional<OrganizationState>> DecideOrganizationState(OrganizationState state,
                                                                 OrganizationDecision decision) {
  if (decision == OrganizationDecision::kWithdraw) {
    if (state == OrganizationState::kRejected) return std::optional<OrganizationState>();
    if (state != OrganizationState::kApproved) {
      return Fail(Code::kConflict, std::string("Only an approval can be withdrawn; the "
                                               "organization is ") +
                                       OrganizationStateName(state) + ".");
    }
    return std::optional<OrganizationState>(OrganizationState::kRejected);
  }
  const OrganizationState target = decision == OrganizationDecision::kApprove
                                       ? OrganizationState::kApproved
                                       : OrganizationState::kRejected;
  if (state == target) return std::optional<OrganizationState>();
  if (state == OrganizationState::kPending) {
    return Fail(Code::kConflict, "The organization has not confirmed its contact address yet.");
  }
  if (state != OrganizationState::kConfirmed) {
    return Fail(Code::kConflict,
                std::string("The organization was already ") + OrganizationStateName(state) + ".");
  }
  return std::optional<OrganizationState>(target);
}

std::string LeafEntry(std::string_view campaign_uuid, log::LeafEvent event,
                      std::string_view group_key, UnixTime now, std::string_view text_hash,
                      std::string_view salt, std::string_view canonical_email) {
  log::Leaf leaf;
  leaf.campaign = std::string(campaign_uuid);
  leaf.event = event;
  leaf.group = group_key.empty() ? std::string(kPublicGroupKey) : std::string(group_key);
  leaf.day = FormatIso8601(now).substr(0, 10);
  leaf.text = std::string(text_hash);
  leaf.commitment =
      log::Commitment(std::span<const std::uint8_t>(
                          reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                      canonical_email);
  return log::FormatLeaf(leaf);
}

}  // namespace undersigned::tx
