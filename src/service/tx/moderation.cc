// Moderation's transaction scripts (scripts.h): invalidating one signature or every one a filter
// matches (out of every count, an "invalidate" leaf for each counted one, the signer told if the
// organizers chose to), a preview of the same match, and showing or hiding comments and names.
#include <algorithm>
#include <utility>

#include "service/tx/mails.h"
#include "service/tx/scripts.h"
#include "service/tx/steps.h"
#include "store/sealed_fields.h"
#include "store/write.h"

namespace undersigned::tx {
namespace {

using store::ModerationCandidate;
using store::WriteTx;

// The candidates of the campaign that the filter matches (its states and window in the store's
// query; networks and domains here).
Result<std::vector<ModerationCandidate>> Matching(WriteTx& tx, std::int64_t campaign_id,
                                                  const CheckedFilter& f) {
  auto rows = tx.ModerationCandidates(campaign_id, f.pending, f.confirmed, f.from, f.to);
  if (!rows) return Fail(rows.error());
  std::vector<ModerationCandidate> out;
  for (ModerationCandidate& c : *rows) {
    if (MatchesNetworkAndDomain(f, c.client_net, c.row.signature.canonical_email)) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

// Invalidates one candidate (pending or confirmed) into d and out; the caller moves the counts.
Result<void> InvalidateOne(WriteTx& tx, const Campaign& campaign, const CampaignCounts& before,
                           ModerationCandidate& c, const Invalidation& inv, store::CountsDelta& d,
                           InvalidateOutcome& out) {
  store::SignatureRow& row = c.row;
  Signature& sig = row.signature;
  if (sig.state == SignatureState::kConfirmed) {
    if (auto r = AppendSignatureLeaf(tx, campaign, row, sig.form.group, log::LeafEvent::kInvalidate,
                                     inv.now);
        !r) {
      return r;
    }
    CountGroup(campaign, before, sig.form.group, -1, d);
    d.confirmed -= 1;
    ++out.confirmed;
  } else if (sig.state == SignatureState::kPending) {
    d.pending -= 1;
  } else {
    return Fail(Code::kInternal, "invalidating a signature that is neither pending nor confirmed");
  }
  sig.state = SignatureState::kInvalidated;
  sig.modified = inv.now;
  if (auto r = tx.SaveSignature(row); !r) return r;
  c.moderation.invalidated = inv.now;
  c.moderation.invalidated_by = inv.by;
  c.moderation.invalidation_reason = inv.reason;
  if (auto r = tx.SaveModeration(sig.id, c.moderation); !r) return r;
  if (inv.notify) {
    std::string to = sig.form.email;
    if (to.empty() && !row.sealed.empty()) {
      auto opened = tx.sealer().Open(row.sealed);
      if (!opened) return Fail(opened.error());
      to = opened->email;
    }
    if (!to.empty()) {
      if (auto q = tx.QueueMail(
              store::NewMail{"invalidated", to, InvalidatedPayload(campaign), inv.now, false});
          !q) {
        return q;
      }
      ++out.notified;
    }
  }
  out.uuids.push_back(sig.uuid);
  return {};
}

// Invalidates every candidate given, in one count move.
Result<InvalidateOutcome> InvalidateAll(WriteTx& tx, std::int64_t campaign_id,
                                        std::vector<ModerationCandidate>& rows,
                                        const Invalidation& inv) {
  auto campaign = tx.CampaignById(campaign_id);
  if (!campaign) return Fail(campaign.error());
  auto counts = tx.Counts(campaign_id);
  if (!counts) return Fail(counts.error());
  const CampaignCounts before = *counts;
  InvalidateOutcome out;
  store::CountsDelta d;
  d.now = inv.now;
  for (ModerationCandidate& c : rows) {
    if (auto r = InvalidateOne(tx, **campaign, before, c, inv, d, out); !r) return Fail(r.error());
  }
  if (!out.uuids.empty()) {
    tx.MoveCounts(campaign_id, d);
    if (auto t = tx.TouchCampaign(campaign_id, inv.now); !t) return Fail(t.error());
  }
  auto after = tx.Counts(campaign_id);
  if (!after) return Fail(after.error());
  out.counts = std::move(*after);
  return out;
}

Result<ModerationCandidate> CampaignsSignature(WriteTx& tx, std::int64_t campaign_id,
                                               std::int64_t signature_id) {
  auto c = tx.SignatureForModeration(signature_id);
  if (!c) return Fail(c.error());
  if (c->row.signature.campaign_id != campaign_id) {
    return Fail(Code::kNotFound, "no such signature in this campaign");
  }
  return c;
}

}  // namespace

Result<InvalidateOutcome> InvalidateTx(WriteTx& tx, std::int64_t campaign_id,
                                       std::int64_t signature_id, const Invalidation& inv) {
  auto c = CampaignsSignature(tx, campaign_id, signature_id);
  if (!c) return Fail(c.error());
  std::vector<ModerationCandidate> rows;
  switch (c->row.signature.state) {
    case SignatureState::kWithdrawn:
      return Fail(Code::kConflict,
                  "its signer withdrew this signature; there is nothing to "
                  "invalidate");
    case SignatureState::kInvalidated:
      break;  // nothing changes
    case SignatureState::kPending:
    case SignatureState::kConfirmed:
      rows.push_back(std::move(*c));
      break;
  }
  return InvalidateAll(tx, campaign_id, rows, inv);
}

Result<MatchPreview> PreviewMatchingTx(WriteTx& tx, std::int64_t campaign_id,
                                       const CheckedFilter& filter, int sample_size) {
  tx.Discard();  // a read: nothing to keep
  auto rows = Matching(tx, campaign_id, filter);
  if (!rows) return Fail(rows.error());
  MatchPreview out;
  out.count = static_cast<std::int64_t>(rows->size());
  for (ModerationCandidate& c : *rows) {
    if (static_cast<int>(out.sample.size()) >= sample_size) break;
    out.sample.push_back(std::move(c));
  }
  return out;
}

Result<InvalidateOutcome> InvalidateMatchingTx(WriteTx& tx, std::int64_t campaign_id,
                                               const CheckedFilter& filter,
                                               std::int64_t expected_count,
                                               const Invalidation& inv) {
  auto rows = Matching(tx, campaign_id, filter);
  if (!rows) return Fail(rows.error());
  if (static_cast<std::int64_t>(rows->size()) != expected_count) {
    tx.Discard();
    return Fail(Code::kConflict, "the filter now matches " + std::to_string(rows->size()) +
                                     " signatures, not " + std::to_string(expected_count) +
                                     " as previewed; preview it again");
  }
  return InvalidateAll(tx, campaign_id, *rows, inv);
}

Result<ModerationCandidate> SetVisibilityTx(WriteTx& tx, std::int64_t campaign_id,
                                            std::int64_t signature_id,
                                            const VisibilityChange& change) {
  auto c = CampaignsSignature(tx, campaign_id, signature_id);
  if (!c) return Fail(c.error());
  if (change.comment) c->moderation.comment = *change.comment;
  if (change.name_hidden) c->moderation.name_hidden = *change.name_hidden;
  if (auto r = tx.SaveModeration(signature_id, c->moderation); !r) return Fail(r.error());
  c->row.signature.modified = std::max(c->row.signature.modified, change.now);
  if (auto r = tx.SaveSignature(c->row); !r) return Fail(r.error());
  if (auto t = tx.TouchCampaign(campaign_id, change.now); !t) return Fail(t.error());
  return c;
}

Result<InvalidateOutcome> Invalidate(Store& store, std::int64_t campaign_id,
                                     std::int64_t signature_id, const Invalidation& inv) {
  return store::RunWrite<InvalidateOutcome>(
      store, [&](WriteTx& tx) { return InvalidateTx(tx, campaign_id, signature_id, inv); });
}

Result<MatchPreview> PreviewMatching(Store& store, std::int64_t campaign_id,
                                     const CheckedFilter& filter, int sample_size) {
  return store::RunWrite<MatchPreview>(
      store, [&](WriteTx& tx) { return PreviewMatchingTx(tx, campaign_id, filter, sample_size); });
}

Result<InvalidateOutcome> InvalidateMatching(Store& store, std::int64_t campaign_id,
                                             const CheckedFilter& filter,
                                             std::int64_t expected_count, const Invalidation& inv) {
  return store::RunWrite<InvalidateOutcome>(store, [&](WriteTx& tx) {
    return InvalidateMatchingTx(tx, campaign_id, filter, expected_count, inv);
  });
}

Result<ModerationCandidate> SetVisibility(Store& store, std::int64_t campaign_id,
                                          std::int64_t signature_id,
                                          const VisibilityChange& change) {
  return store::RunWrite<ModerationCandidate>(
      store, [&](WriteTx& tx) { return SetVisibilityTx(tx, campaign_id, signature_id, change); });
}

Result<void> SetCommentApproval(Store& store, std::int64_t campaign_id, bool on, UnixTime now) {
  return store::RunWrite<void>(store, [&](WriteTx& tx) -> Result<void> {
    if (auto r = tx.SetCommentApproval(campaign_id, on, now); !r) return r;
    return tx.TouchCampaign(campaign_id, now);
  });
}

Result<bool> CommentApproval(Store& store, std::int64_t campaign_id) {
  return store::RunWrite<bool>(store, [&](WriteTx& tx) {
    tx.Discard();
    return tx.CommentApproval(campaign_id);
  });
}

Result<std::vector<std::int64_t>> CommentApprovals(Store& store,
                                                   const std::vector<std::int64_t>& campaign_ids) {
  if (campaign_ids.empty()) return std::vector<std::int64_t>();
  return store::RunWrite<std::vector<std::int64_t>>(
      store, [&](WriteTx& tx) -> Result<std::vector<std::int64_t>> {
        tx.Discard();
        std::vector<std::int64_t> on;
        for (std::int64_t id : campaign_ids) {
          auto r = tx.CommentApproval(id);
          if (!r) return Fail(r.error());
          if (*r) on.push_back(id);
        }
        return on;
      });
}

Result<std::vector<ModerationCandidate>> AwaitingComments(Store& store, std::int64_t campaign_id,
                                                          int limit) {
  return store::RunWrite<std::vector<ModerationCandidate>>(store, [&](WriteTx& tx) {
    tx.Discard();
    return tx.AwaitingComments(campaign_id, limit);
  });
}

Result<std::int64_t> ForgetClientNetworks(Store& store, UnixTime before) {
  return store::RunWrite<std::int64_t>(
      store, [&](WriteTx& tx) { return tx.ForgetClientNetworks(before); });
}

}  // namespace undersigned::tx
