// The pure decisions of the write use cases, with no store and no I/O: what signing does to an
// existing signature, whether a count decides a campaign, which sealed names a group count
// reveals, what an organization's decision leads to, the bytes of a log leaf. The transaction
// scripts (service/tx/*.cc) apply them inside a backend's transaction; rules_test.cc tests them
// on their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/signature.h"
#include "log/leaf.h"

namespace undersigned::tx {

// What a signing does, given the signature the person already has in the campaign (if any).
enum class SignAction {
  kCreate,         // no signature yet: insert (pending, or confirmed when it counts at once)
  kResign,         // withdrawn: a fresh signing over the same row
  kRecordConfirm,  // trusted client, pending: record it confirmed (it now counts)
  kRecordAgain,    // trusted client, confirmed: record the fields again (it already counts)
  kResend,         // pending: a new token and "confirm" mail
  kAlreadySigned,  // confirmed: a withdraw-only token and "already_signed" mail
  kResendLimit,    // pending or confirmed, and max_confirm_sends mails went out; or
                   // invalidated (moderation): nothing
};
SignAction DecideSign(std::optional<SignatureState> existing, int confirm_sends, bool confirm_now,
                      int max_confirm_sends);

// True if a change that brings the campaign's confirmed count to `confirmed` at `now` makes it
// succeed: it has a threshold, no outcome yet, the count reaches it and the deadline (if any)
// has not passed.
bool ReachesThreshold(const Campaign& c, std::int64_t confirmed, UnixTime now);
// The outcome of a campaign decided at its deadline with `confirmed` signatures.
CampaignOutcome OutcomeAtDeadline(std::int64_t threshold, std::int64_t confirmed);

// True if a group whose confirmed count is `count` may have sealed names to reveal: it has
// seal thresholds and count reaches the lowest. (Which ones: every confirmed sealed signature
// of the group with seal_threshold <= count.)
bool MayReveal(const SignerGroup& group, std::int64_t count);

// What DecideOrganization does to an organization in `state`: the state it moves to, nullopt if
// it is already there (a no-op), kConflict if it cannot (still pending, decided otherwise, or,
// for a withdrawal, never approved). Approve and reject decide a confirmed organization;
// withdraw takes an approval back (approved -> rejected).
Result<std::optional<OrganizationState>> DecideOrganizationState(OrganizationState state,
                                                                 OrganizationDecision decision);

// The log leaf of a change to a signature's counted state (log/leaf.h): the campaign's uuid,
// the event, the group (the public group for none), the day of now, the campaign's text hash and
// the commitment to the signer's canonical email under salt (log::kSaltBytes bytes).
std::string LeafEntry(std::string_view campaign_uuid, log::LeafEvent event,
                      std::string_view group_key, UnixTime now, std::string_view text_hash,
                      std::string_view salt, std::string_view canonical_email);

}  // namespace undersigned::tx
