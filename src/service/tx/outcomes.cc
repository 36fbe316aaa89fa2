// Campaign outcomes: a threshold reached inside a write (MaybeSucceed, called by the signing
// scripts), and deadlines passed (DecideDueCampaigns). Either way Decide records the outcome
// once and queues the "outcome" mails (service/tx/mails.h) in the same transaction.
#include <utility>
#include <vector>

#include "service/tx/mails.h"
#include "service/tx/rules.h"
#include "service/tx/scripts.h"
#include "service/tx/steps.h"
#include "store/sealed_fields.h"
#include "store/write.h"

namespace undersigned::tx {

Result<bool> Decide(store::WriteTx& tx, std::int64_t campaign_id, CampaignOutcome outcome,
                    std::int64_t confirmed, UnixTime now) {
  auto recorded = tx.RecordOutcome(campaign_id, outcome, now);
  if (!recorded) return Fail(recorded.error());
  if (!*recorded) return false;
  auto campaign = tx.CampaignById(campaign_id);
  if (!campaign) return Fail(campaign.error());
  const Campaign& c = **campaign;
  const std::string to_signer = OutcomePayload(c, outcome, /*organizer=*/false, confirmed);
  const std::string to_organizer = OutcomePayload(c, outcome, /*organizer=*/true, confirmed);
  // Signers with an address in clear first, then the organizers, then the signers whose
  // address is sealed (a sealed name, or an anonymous signer who asked for updates): their
  // address is opened here, for this mail only.
  std::vector<std::string> sealed;
  auto queue = [&](const std::string& to, const std::string& payload) -> Result<void> {
    return tx.QueueMail(store::NewMail{"outcome", to, payload, now, false});
  };
  auto each = tx.ForEachOutcomeRecipient(campaign_id,
                                         [&](const store::OutcomeRecipient& r) -> Result<void> {
                                           if (!r.sealed.empty()) {
                                             sealed.push_back(r.sealed);
                                             return {};
                                           }
                                           if (r.email.empty()) return {};
                                           return queue(r.email, to_signer);
                                         });
  if (!each) return Fail(each.error());
  for (const std::string& organizer : c.organizers) {
    if (auto r = queue(organizer, to_organizer); !r) return Fail(r.error());
  }
  for (const std::string& blob : sealed) {
    auto f = tx.sealer().Open(blob);
    if (!f) return Fail(f.error());
    if (f->email.empty()) continue;
    if (auto r = queue(f->email, to_signer); !r) return Fail(r.error());
  }
  return true;
}

Result<bool> MaybeSucceed(store::WriteTx& tx, std::int64_t campaign_id, std::int64_t confirmed,
                          UnixTime now) {
  auto campaign = tx.CampaignById(campaign_id);
  if (!campaign) return Fail(campaign.error());
  if (!ReachesThreshold(**campaign, confirmed, now)) return false;
  return Decide(tx, campaign_id, CampaignOutcome::kSucceeded, confirmed, now);
}

Result<int> DecideDueCampaignsTx(store::WriteTx& tx, UnixTime now) {
  auto due = tx.DueCampaigns(now);
  if (!due) return Fail(due.error());
  int decided = 0;
  for (const store::DueCampaign& d : *due) {
    auto counts = tx.Counts(d.id);
    if (!counts) return Fail(counts.error());
    // Success is recorded the moment the threshold is reached; this only catches a count that
    // reached it in a write that did not record it.
    auto r =
        Decide(tx, d.id, OutcomeAtDeadline(d.threshold, counts->confirmed), counts->confirmed, now);
    if (!r) return Fail(r.error());
    if (*r) ++decided;
  }
  return decided;
}

Result<int> DecideDueCampaigns(Store& store, UnixTime now) {
  return store::RunWrite<int>(store,
                              [&](store::WriteTx& tx) { return DecideDueCampaignsTx(tx, now); });
}

}  // namespace undersigned::tx
