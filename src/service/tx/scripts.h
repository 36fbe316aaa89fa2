// The write use cases, each one transaction script written once for every store backend. A
// script runs inside a backend's batch (store/write_tx.h) and decides everything a change
// means: the signature's new state, the counts it moves, whether the campaign's threshold is
// reached, which sealed names it reveals, the log leaf it appends and the mails it queues
// (their payloads built in C++ in service/tx/mails.h). The backends only keep rows.
//
// Each function submits its script to the store's writer and blocks until the batch holding it
// is durable (SignAsync: returns at once). The contracts of the results are in store/types.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/moderation.h"
#include "service/tx/steps.h"
#include "store/store.h"
#include "store/write_tx.h"

namespace undersigned::tx {

// One signature per (campaign, canonical email). Also upserts the person (by canonical email),
// moving its modified date, and queues the mail, in the same transaction (SignOutcome says
// which case it was).
Result<SignOutcome> Sign(Store& store, const NewSignature& s);
// Sign without blocking: done is called exactly once with what Sign would return, once that is
// durable, from a thread of the store (so done must be quick: post the result elsewhere).
void SignAsync(Store& store, NewSignature s, std::function<void(Result<SignOutcome>)> done);

// pending -> confirmed, by the hash of a token of the signing kind (any a confirmation mail
// carried, the earlier ones included). kNotFound for an unknown token or a withdraw-only one
// (of an "already signed" mail); a withdrawn signature is kConflict.
// Confirming into a group with sealed names may reveal them (TokenOutcome::revealed): once the
// group's confirmed count reaches a sealed signature's threshold, its name is opened, made
// public for good and a "revealed" mail (payload: campaign_title, campaign_slug, language,
// group, threshold, name, count) queued to its signer, in the same transaction.
Result<TokenOutcome> Confirm(Store& store, const std::string& token_hash, UnixTime now);
// pending|confirmed -> withdrawn, by the hash of any token issued for the signature (of either
// kind). kNotFound for an unknown token.
Result<TokenOutcome> Withdraw(Store& store, const std::string& token_hash, UnixTime now);

// Campaign outcomes (Campaign::threshold). A write that brings a campaign's confirmed count to
// its threshold before the deadline records "succeeded" in the same transaction and queues the
// "outcome" mail (payload: outcome, role signer|organizer, campaign_title, campaign_slug,
// language, threshold, confirmed) to every confirmed signer and organizer. This decides the
// campaigns whose deadline is <= now and that have none yet (failed, unless the count had
// reached the threshold), the same way; returns how many it decided.
Result<int> DecideDueCampaigns(Store& store, UnixTime now);

// Co-signing organizations. Add: kConflict if this contact address already put an organization
// on this campaign; queues the "org_confirm" mail (payload: mail_payload plus confirm_token and
// organization_name) to the contact.
Result<Organization> AddOrganization(Store& store, const NewOrganization& o);
// pending -> confirmed, by the hash of the token mailed to the contact; queues an "org_review"
// mail (payload: campaign_title, campaign_slug, language, organization_name, website,
// review_token) to each of the campaign's organizers, whose link approves or rejects it.
// kNotFound for an unknown token.
Result<OrganizationOutcome> ConfirmOrganization(Store& store, const std::string& confirm_token_hash,
                                                const std::string& review_token,
                                                const std::string& review_token_hash, UnixTime now);
// confirmed -> approved or rejected (deciding again the same way is a no-op), or approved ->
// rejected for a withdrawal. kConflict if it is still pending (its address is unconfirmed) or
// was decided otherwise (rules.h DecideOrganizationState).
Result<OrganizationOutcome> DecideOrganization(Store& store, const std::string& uuid,
                                               OrganizationDecision decision, UnixTime now);

// --- Moderation (core/moderation.h); service/moderation.h decides who may and records it.

// An invalidation: who, why, whether the signer is told, when.
struct Invalidation {
  std::string by;       // "operator" or the organizer's account uuid
  std::string reason;   // checked (CheckReason)
  bool notify = false;  // queue an "invalidated" mail (InvalidatedPayload) to the signer's
                        // address (a sealed one opened for this mail only), if they left one
  UnixTime now = 0;
};
struct InvalidateOutcome {
  std::vector<std::string> uuids;  // the signatures this write invalidated
  int confirmed = 0;               // of which were counted (each left an "invalidate" leaf)
  int notified = 0;                // mails queued
  CampaignCounts counts;           // the campaign's, after
};
// Invalidates one pending or confirmed signature of the campaign: state invalidated (with when,
// by whom, why), out of every count (the campaign's and its group's; a confirmed one appends an
// "invalidate" leaf), in one transaction. Already invalidated: nothing changes (uuids empty).
// kNotFound if it is not the campaign's; kConflict if its signer withdrew it.
Result<InvalidateOutcome> Invalidate(Store& store, std::int64_t campaign_id,
                                     std::int64_t signature_id, const Invalidation& inv);

// What a filter matches now: how many, and the first sample_size of them (by id).
struct MatchPreview {
  std::int64_t count = 0;
  std::vector<store::ModerationCandidate> sample;
};
// Reads through the writer (so that it sees what InvalidateMatching will) and writes nothing.
Result<MatchPreview> PreviewMatching(Store& store, std::int64_t campaign_id,
                                     const CheckedFilter& filter, int sample_size);
// Invalidates every signature the filter matches, as Invalidate does each, in one transaction;
// kConflict (nothing written) if they are not exactly expected_count (the set changed since
// the preview).
Result<InvalidateOutcome> InvalidateMatching(Store& store, std::int64_t campaign_id,
                                             const CheckedFilter& filter,
                                             std::int64_t expected_count, const Invalidation& inv);

// Shows or hides a signature's comment (kApproved shows it, also on a campaign whose comments
// wait for approval; kHidden hides it) and/or its public name; moves its modified date. Returns
// it as it is after. kNotFound if it is not the campaign's.
struct VisibilityChange {
  std::optional<store::CommentReview> comment;
  std::optional<bool> name_hidden;
  UnixTime now = 0;
};
Result<store::ModerationCandidate> SetVisibility(Store& store, std::int64_t campaign_id,
                                                 std::int64_t signature_id,
                                                 const VisibilityChange& change);
// The campaign's comment approval queue: on or off; and the comments waiting in it.
Result<void> SetCommentApproval(Store& store, std::int64_t campaign_id, bool on, UnixTime now);
Result<bool> CommentApproval(Store& store, std::int64_t campaign_id);
// Those of the campaigns given whose comments wait for approval (one read for all).
Result<std::vector<std::int64_t>> CommentApprovals(Store& store,
                                                   const std::vector<std::int64_t>& campaign_ids);
Result<std::vector<store::ModerationCandidate>> AwaitingComments(Store& store,
                                                                 std::int64_t campaign_id,
                                                                 int limit);
// Forgets the network of every signature created before `before` (their retention passed).
Result<std::int64_t> ForgetClientNetworks(Store& store, UnixTime before);

// --- The scripts themselves, each over one WriteTx (what the functions above submit). Tests run
// them over an in-memory WriteTx (service/tx/memory_tx.h); a backend's tests through the Store.

// What Sign needs that no database does, computed before queueing, off the writer thread.
struct SignPrep {
  std::string given, family;  // SplitName of the form's name (empty unless protection is none)
  PreparedLeaf leaf;          // for a signature that counts at once
  std::string sealed;         // FieldSealer blob of the sealed personal fields, if any
  // The form as the row keeps it, when that differs from the form given: with sealed fields
  // blank. (A copy only then: most signatures are kept as typed.)
  std::optional<SignatureForm> sealed_form;
  const SignatureForm& Stored(const NewSignature& s) const {
    return sealed_form ? *sealed_form : s.form;
  }
};
SignPrep PrepareSign(const NewSignature& s, const store::FieldSealer& sealer);
Result<SignOutcome> SignTx(store::WriteTx& tx, const NewSignature& s, const SignPrep& prep);
Result<TokenOutcome> ConfirmTx(store::WriteTx& tx, const std::string& token_hash, UnixTime now);
Result<TokenOutcome> WithdrawTx(store::WriteTx& tx, const std::string& token_hash, UnixTime now);
Result<int> DecideDueCampaignsTx(store::WriteTx& tx, UnixTime now);
Result<Organization> AddOrganizationTx(store::WriteTx& tx, const NewOrganization& o);
Result<OrganizationOutcome> ConfirmOrganizationTx(store::WriteTx& tx,
                                                  const std::string& confirm_token_hash,
                                                  const std::string& review_token,
                                                  const std::string& review_token_hash,
                                                  UnixTime now);
Result<OrganizationOutcome> DecideOrganizationTx(store::WriteTx& tx, const std::string& uuid,
                                                 OrganizationDecision decision, UnixTime now);
Result<InvalidateOutcome> InvalidateTx(store::WriteTx& tx, std::int64_t campaign_id,
                                       std::int64_t signature_id, const Invalidation& inv);
Result<MatchPreview> PreviewMatchingTx(store::WriteTx& tx, std::int64_t campaign_id,
                                       const CheckedFilter& filter, int sample_size);
Result<InvalidateOutcome> InvalidateMatchingTx(store::WriteTx& tx, std::int64_t campaign_id,
                                               const CheckedFilter& filter,
                                               std::int64_t expected_count,
                                               const Invalidation& inv);
Result<store::ModerationCandidate> SetVisibilityTx(store::WriteTx& tx, std::int64_t campaign_id,
                                                   std::int64_t signature_id,
                                                   const VisibilityChange& change);

}  // namespace undersigned::tx
