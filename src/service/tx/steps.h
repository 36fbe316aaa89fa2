// Steps shared by the transaction scripts (service/tx/*.cc), each over WriteTx inside the
// script's transaction. Internal to us_tx; callers use service/tx/scripts.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/campaign.h"
#include "core/error.h"
#include "log/leaf.h"
#include "log/merkle.h"
#include "store/write_tx.h"

namespace undersigned::tx {

// The log leaf of a signature that counts at once, made before queueing (off the writer
// thread): its salt goes into the signature's insert, the leaf is appended right after.
struct PreparedLeaf {
  std::string salt;   // log::kSaltBytes random bytes
  std::string entry;  // empty: built in the transaction (no campaign uuid or text hash given)
  log::Hash hash{};
  std::string text;  // the text hash entry names; rebuilt in the transaction if not current
};

// Appends the log leaf of a change to row's counted state (a confirmation, or the withdrawal of
// a counted signature) in group_key (the signature's own group, or the group it leaves), with
// the signature's commitment salt (made now if it has none). Sets row.log_salt and, for a
// confirmation, row.leaf_index: the caller saves the row. Nothing when the log is off.
// prepared: the leaf of a new signature inserted with its salt and leaf index already.
Result<void> AppendSignatureLeaf(store::WriteTx& tx, const Campaign& campaign,
                                 store::SignatureRow& row, std::string_view group_key,
                                 log::LeafEvent event, UnixTime now,
                                 const PreparedLeaf* prepared = nullptr);

// The group's confirmed count after moving it by delta, added to d.groups, for a campaign that
// declares groups; 0 (and d unchanged) for one that does not (it is not counted by group).
std::int64_t CountGroup(const Campaign& campaign, const CampaignCounts& counts,
                        std::string_view group_key, int delta, store::CountsDelta& d);

// Records the campaign's outcome (if it has none yet) and queues the "outcome" mail to every
// confirmed signer (a sealed address opened for this mail only) and organizer: exactly once,
// since the outcome never changes again. True if this call decided it. (outcomes.cc)
Result<bool> Decide(store::WriteTx& tx, std::int64_t campaign_id, CampaignOutcome outcome,
                    std::int64_t confirmed, UnixTime now);
// Called before a change that brings the campaign's confirmed count to `confirmed`: if that
// reaches its threshold by its deadline, the campaign succeeds now. (outcomes.cc)
Result<bool> MaybeSucceed(store::WriteTx& tx, std::int64_t campaign_id, std::int64_t confirmed,
                          UnixTime now);

// The reveal: once a group has `count` confirmed signers, every confirmed sealed signature of
// it whose threshold is <= count is opened, its fields written in clear and made public, for
// good, and its signer told by a "revealed" mail. Returns the rows it revealed. (confirm.cc)
Result<std::vector<store::SignatureRow>> Reveal(store::WriteTx& tx, const Campaign& campaign,
                                                std::string_view group_key, std::int64_t count,
                                                UnixTime now);

// The public group's key for an empty one.
inline std::string_view KeyOrPublic(std::string_view key) {
  return key.empty() ? std::string_view(kPublicGroupKey) : key;
}

}  // namespace undersigned::tx
