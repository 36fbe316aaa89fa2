// Confirming a signature (tx::Confirm): pending -> confirmed, its log leaf, its group's count
// and, once that count reaches sealed signers' thresholds, the reveal of their names.
#include <utility>

#include "core/group.h"
#include "service/tx/mails.h"
#include "service/tx/rules.h"
#include "service/tx/scripts.h"
#include "service/tx/steps.h"
#include "store/sealed_fields.h"
#include "store/write.h"

namespace undersigned::tx {

Result<std::vector<store::SignatureRow>> Reveal(store::WriteTx& tx, const Campaign& campaign,
                                                std::string_view group_key, std::int64_t count,
                                                UnixTime now) {
  std::vector<store::SignatureRow> revealed;
  const SignerGroup* group = nullptr;
  for (const SignerGroup& g : campaign.groups) {
    if (g.key == group_key) group = &g;
  }
  if (group == nullptr || !MayReveal(*group, count)) return revealed;
  auto rows = tx.SealedToReveal(campaign.id, group_key, count);
  if (!rows) return Fail(rows.error());
  for (store::SignatureRow& row : *rows) {
    auto f = tx.sealer().Open(row.sealed);
    if (!f) return Fail(f.error());
    SignatureForm& form = row.signature.form;
    form.name = f->name;
    form.email = f->email;
    form.postal_code = f->postal_code;
    form.country = f->country;
    form.comment = f->comment;
    form.public_name = true;
    row.sealed.clear();
    row.signature.sealed = false;
    if (auto r = tx.SaveSignature(row); !r) return Fail(r.error());
    if (!f->email.empty()) {
      const std::string payload =
          RevealedPayload(campaign, *group, row.signature.form.seal_threshold, f->name, count);
      if (auto r = tx.QueueMail(store::NewMail{"revealed", f->email, payload, now, false}); !r) {
        return Fail(r.error());
      }
    }
    revealed.push_back(std::move(row));
  }
  return revealed;
}

Result<TokenOutcome> ConfirmTx(store::WriteTx& tx, const std::string& token_hash, UnixTime now) {
  auto found = tx.SignatureByToken(token_hash, store::TokenKind::kSigning);
  if (!found) return Fail(found.error());
  store::SignatureRow& row = *found;
  Signature& sig = row.signature;
  if (sig.state == SignatureState::kWithdrawn) {
    return Fail(Code::kConflict, "the signature was withdrawn");
  }
  if (sig.state == SignatureState::kInvalidated) {
    return Fail(Code::kConflict, "the campaign's organizers removed this signature");
  }
  auto counts = tx.Counts(sig.campaign_id);
  if (!counts) return Fail(counts.error());
  auto campaign = tx.CampaignById(sig.campaign_id);
  if (!campaign) return Fail(campaign.error());
  TokenOutcome out;
  if (sig.state != SignatureState::kPending) {
    out.counts = std::move(*counts);
    out.signature = std::move(sig);
    out.campaign = **campaign;
    return out;
  }
  const Campaign& c = **campaign;  // stays valid for the transaction
  sig.state = SignatureState::kConfirmed;
  sig.confirmed = now;
  sig.modified = now;
  // The link followed went to the work address.
  if (const SignerGroup* g = FindGroup(c, sig.form.group);
      g != nullptr && ProvenByDomain(g->kind)) {
    sig.verified = true;
  } else if (row.verifies) {
    sig.verified = true;
  }
  if (auto r = AppendSignatureLeaf(tx, c, row, sig.form.group, log::LeafEvent::kConfirm, now); !r) {
    return Fail(r.error());
  }
  // Saved before the reveal, which reads the group's confirmed rows (this one included).
  if (auto r = tx.SaveSignature(row); !r) return Fail(r.error());
  store::CountsDelta d;
  d.now = now;
  d.day_only = DayRounded(sig);
  d.pending = -1;
  d.confirmed = 1;
  const std::int64_t group_count = CountGroup(c, *counts, sig.form.group, 1, d);
  if (group_count > 0) {
    auto revealed = Reveal(tx, c, KeyOrPublic(sig.form.group), group_count, now);
    if (!revealed) return Fail(revealed.error());
    out.revealed = static_cast<int>(revealed->size());
    for (store::SignatureRow& r : *revealed) {
      if (r.signature.id != sig.id) continue;
      std::string person_uuid = std::move(sig.person_uuid);  // (the reveal's rows leave it out)
      sig = std::move(r.signature);
      sig.person_uuid = std::move(person_uuid);
    }
  }
  auto decided = MaybeSucceed(tx, sig.campaign_id, counts->confirmed + 1, now);
  if (!decided) return Fail(decided.error());
  out.campaign_decided = *decided;
  tx.MoveCounts(sig.campaign_id, d);
  out.changed = true;
  auto after = tx.Counts(sig.campaign_id);
  if (!after) return Fail(after.error());
  out.counts = std::move(*after);
  auto decided_campaign = tx.CampaignById(sig.campaign_id);  // with the outcome, if decided
  if (!decided_campaign) return Fail(decided_campaign.error());
  out.campaign = **decided_campaign;
  out.signature = std::move(sig);
  return out;
}

Result<TokenOutcome> Confirm(Store& store, const std::string& token_hash, UnixTime now) {
  return store::RunWrite<TokenOutcome>(
      store, [&](store::WriteTx& tx) { return ConfirmTx(tx, token_hash, now); });
}

}  // namespace undersigned::tx
