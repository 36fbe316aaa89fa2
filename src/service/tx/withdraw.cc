// Withdrawing a signature (tx::Withdraw): pending|confirmed -> withdrawn, by any token issued
// for it; a counted one leaves its log leaf and its group's count.
#include <utility>

#include "service/tx/scripts.h"
#include "service/tx/steps.h"
#include "store/write.h"

namespace undersigned::tx {

Result<TokenOutcome> WithdrawTx(store::WriteTx& tx, const std::string& token_hash, UnixTime now) {
  auto found = tx.SignatureByToken(token_hash, store::TokenKind::kWithdraw);
  if (!found) return Fail(found.error());
  store::SignatureRow& row = *found;
  Signature& sig = row.signature;
  if (sig.state == SignatureState::kInvalidated) {
    return Fail(Code::kConflict, "the campaign's organizers removed this signature");
  }
  auto counts = tx.Counts(sig.campaign_id);
  if (!counts) return Fail(counts.error());
  auto campaign = tx.CampaignById(sig.campaign_id);
  if (!campaign) return Fail(campaign.error());
  TokenOutcome out;
  out.campaign = **campaign;
  if (sig.state == SignatureState::kWithdrawn) {
    out.counts = std::move(*counts);
    out.signature = std::move(sig);
    return out;
  }
  const bool was_pending = sig.state == SignatureState::kPending;
  store::CountsDelta d;
  d.now = now;
  d.day_only = DayRounded(sig);
  d.withdrawn = 1;
  if (was_pending) {
    d.pending = -1;
  } else {
    d.confirmed = -1;
    if (auto r = AppendSignatureLeaf(tx, out.campaign, row, sig.form.group,
                                     log::LeafEvent::kWithdraw, now);
        !r) {
      return Fail(r.error());
    }
    CountGroup(out.campaign, *counts, sig.form.group, -1, d);
  }
  sig.state = SignatureState::kWithdrawn;
  sig.modified = now;
  if (auto r = tx.SaveSignature(row); !r) return Fail(r.error());
  tx.MoveCounts(sig.campaign_id, d);
  out.changed = true;
  auto after = tx.Counts(sig.campaign_id);
  if (!after) return Fail(after.error());
  out.counts = std::move(*after);
  out.signature = std::move(sig);
  return out;
}

Result<TokenOutcome> Withdraw(Store& store, const std::string& token_hash, UnixTime now) {
  return store::RunWrite<TokenOutcome>(
      store, [&](store::WriteTx& tx) { return WithdrawTx(tx, token_hash, now); });
}

}  // namespace undersigned::tx
