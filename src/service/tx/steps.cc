#include "service/tx/steps.h"

#include "service/tx/rules.h"
#include "store/random.h"

namespace undersigned::tx {

Result<void> AppendSignatureLeaf(store::WriteTx& tx, const Campaign& campaign,
                                 store::SignatureRow& row, std::string_view group_key,
                                 log::LeafEvent event, UnixTime now, const PreparedLeaf* prepared) {
  if (!tx.log_enabled()) return {};
  const std::uint64_t expected = tx.NextLeafIndex();
  auto text = tx.CurrentTextHash(campaign.id);
  if (!text) return Fail(text.error());
  // (A leaf made before queueing names the text the caller knew; an edit committed since
  // makes it stale, and it is built again below with the same salt.)
  if (prepared != nullptr && !prepared->entry.empty() && prepared->text == *text) {
    auto index = tx.AppendLeaf(prepared->entry, prepared->hash);
    if (!index) return Fail(index.error());
    if (*index != expected) return Fail(Code::kInternal, "log index out of step");
    return {};
  }
  if (prepared != nullptr) row.log_salt = prepared->salt;
  if (row.log_salt.size() != log::kSaltBytes) {
    row.log_salt.assign(log::kSaltBytes, '\0');
    store::RandomBytes(row.log_salt.data(), row.log_salt.size());
  }
  const std::string entry = LeafEntry(campaign.uuid, event, group_key, now, *text, row.log_salt,
                                      row.signature.canonical_email);
  auto index = tx.AppendLeaf(entry, log::LeafHash(entry));
  if (!index) return Fail(index.error());
  if (prepared != nullptr && *index != expected) {
    return Fail(Code::kInternal, "log index out of step");
  }
  if (event == log::LeafEvent::kConfirm) row.leaf_index = *index;
  return {};
}

std::int64_t CountGroup(const Campaign& campaign, const CampaignCounts& counts,
                        std::string_view group_key, int delta, store::CountsDelta& d) {
  if (campaign.groups.empty()) return 0;
  const std::string key(KeyOrPublic(group_key));
  std::int64_t after = GroupConfirmed(counts, key) + delta;
  for (GroupCount& g : d.groups) {
    if (g.key == key) {
      g.confirmed += delta;
      after = GroupConfirmed(counts, key) + g.confirmed;
      return after;
    }
  }
  d.groups.push_back(GroupCount{key, delta});
  return after;
}

}  // namespace undersigned::tx
