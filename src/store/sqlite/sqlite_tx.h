// SqliteTx: the SQLite backend's WriteTx (store/write_tx.h), the state of one batch on the
// writer thread. The transaction scripts (service/tx/) and the store's own writes
// (SqliteStore::Write) run through it; its SQL is in queries.h.
//
// Per batch it caches what many jobs of the batch read: each campaign touched (CampaignById,
// with its current text hash) and its counts. Counts are read from campaign_counts at a
// campaign's first touch in the batch, moved in memory by each job (MoveCounts) and written
// once per campaign just before COMMIT (Flush): a thousand signatures of one campaign in a
// batch cost one counts row write. The dashboard's tallies move the same way (TallyRollup,
// store/tally_rollup.h): each insert and save adds its move in memory, and Flush adds one row
// per key the batch moved to signature_tallies (a save reads the row's tallied columns first). New
// rows' ids come from RowIds (row_ids.h), their public ids from PublicIds, so no insert needs
// RETURNING or a random index page for a uuid.
//
// Ownership: made by the Writer (writer.h) once, reused for every batch (Clear() between
// batches); refers to the writer's connection, its LogWriter and RowIds, and the store's keys,
// all of which outlive it. Writer thread only.
#pragma once

#include <array>
#include <map>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "store/public_ids.h"
#include "store/sealed_fields.h"
#include "store/sqlite/log_writer.h"
#include "store/sqlite/row_ids.h"
#include "store/sqlite/sqlite_db.h"
#include "store/tally_rollup.h"
#include "store/write_tx.h"

namespace undersigned::store {

// The keys made from instance secrets, set once by the store right after it opened and before
// any write that needs them.
struct StoreKeys {
  std::unique_ptr<FieldSealer> sealer;
  std::unique_ptr<PublicIds> public_ids;
};

class SqliteTx final : public WriteTx {
 public:
  SqliteTx(Db& db, LogWriter& log, RowIds& row_ids, const StoreKeys& keys)
      : db_(db), log_(log), row_ids_(row_ids), keys_(keys) {}

  // --- WriteTx
  Result<const Campaign*> CampaignById(std::int64_t id) override;
  Result<std::string> CurrentTextHash(std::int64_t campaign_id) override;
  Result<CampaignCounts> Counts(std::int64_t campaign_id) override;
  void MoveCounts(std::int64_t campaign_id, const CountsDelta& delta) override;
  Result<bool> RecordOutcome(std::int64_t campaign_id, CampaignOutcome outcome,
                             UnixTime now) override;
  Result<std::vector<DueCampaign>> DueCampaigns(UnixTime now) override;
  Result<void> TouchCampaign(std::int64_t campaign_id, UnixTime now) override;
  Result<std::optional<TokenBucket>> SignerBucket(std::string_view canonical_email) override;
  Result<PersonRef> UpsertSigner(const SignerPerson& person) override;
  Result<std::optional<SignatureRow>> InsertSignature(const SignatureRow& row) override;
  Result<SignatureRow> SignatureOf(std::int64_t campaign_id, std::int64_t person_id) override;
  Result<SignatureRow> SignatureByToken(std::string_view token_hash, TokenKind kind) override;
  Result<void> SaveSignature(const SignatureRow& row) override;
  Result<void> AddToken(std::int64_t signature_id, std::string_view token_hash,
                        TokenKind kind) override;
  Result<std::vector<SignatureRow>> SealedToReveal(std::int64_t campaign_id,
                                                   std::string_view group_key,
                                                   std::int64_t count) override;
  Result<void> ForEachOutcomeRecipient(
      std::int64_t campaign_id,
      const std::function<Result<void>(const OutcomeRecipient&)>& fn) override;
  Result<std::vector<ModerationCandidate>> ModerationCandidates(
      std::int64_t campaign_id, bool pending, bool confirmed, std::optional<UnixTime> from,
      std::optional<UnixTime> to) override;
  Result<ModerationCandidate> SignatureForModeration(std::int64_t signature_id) override;
  Result<void> SaveModeration(std::int64_t signature_id, const SignatureModeration& m) override;
  Result<bool> CommentApproval(std::int64_t campaign_id) override;
  Result<void> SetCommentApproval(std::int64_t campaign_id, bool on, UnixTime now) override;
  Result<std::vector<ModerationCandidate>> AwaitingComments(std::int64_t campaign_id,
                                                            int limit) override;
  Result<std::int64_t> ForgetClientNetworks(UnixTime before) override;
  Result<Organization> InsertOrganization(const Organization& o,
                                          std::string_view confirm_token_hash,
                                          std::string_view logo_png) override;
  Result<Organization> OrganizationByConfirmToken(std::string_view token_hash) override;
  Result<Organization> OrganizationByUuid(std::string_view uuid) override;
  Result<void> SaveOrganization(const Organization& o, std::string_view review_token_hash) override;
  Result<void> QueueMail(const NewMail& mail) override;
  bool log_enabled() const override { return log_.enabled(); }
  Result<std::uint64_t> AppendLeaf(std::string_view entry, const log::Hash& hash) override {
    return log_.AppendHashed(entry, hash);
  }
  std::uint64_t NextLeafIndex() const override { return log_.size(); }
  const FieldSealer& sealer() const override { return *keys_.sealer; }
  void Discard() override { discard_ = true; }

  // --- for the store's own writes (SqliteStore::Write)
  Db& db() { return db_; }
  LogWriter& log() { return log_; }
  RowIds& row_ids() { return row_ids_; }
  const PublicIds& public_ids() const { return *keys_.public_ids; }
  // The campaign was edited: read it (and its text) again at its next use in this batch.
  void ForgetCampaign(std::int64_t campaign_id) {
    campaigns_.erase(campaign_id);
    text_hashes_.erase(campaign_id);
  }
  // The counts of a campaign as this batch has them so far, if it touched it.
  const CampaignCounts* Peek(std::int64_t campaign_id) const;
  // A job cleared a work address from the outbox: its old copies must leave the WAL (see "Work
  // addresses" in sqlite_store.h).
  void NoteClearedAddress() { ++cleared_addresses_; }

  // --- for the writer (writer.cc)
  void Clear();
  // With savepoints (a batch run again after a failure), around each job: what a job rolled
  // back to its savepoint moved in the caches is put back (its counts as they were before it;
  // the campaigns it may have decided or touched are read again).
  void BeginJob() {
    counts_before_job_ = counts_;
    tallies_before_job_ = tallies_;
  }
  void AbortJob() {
    counts_ = counts_before_job_;
    tallies_ = tallies_before_job_;
    campaigns_.clear();
    text_hashes_.clear();
  }
  // Writes the counts and tallies this batch moved; just before COMMIT.
  Result<void> Flush();
  bool TakeDiscard() { return std::exchange(discard_, false); }
  int cleared_addresses() const { return cleared_addresses_; }

 private:
  struct Entry {
    CampaignCounts counts;
    bool dirty = false;
    // This batch's deltas by hour (DeltaHour): pending, confirmed, withdrawn, added to
    // signature_hours by Flush.
    std::map<UnixTime, std::array<std::int64_t, 3>> hours;
  };
  Db& db_;
  LogWriter& log_;
  RowIds& row_ids_;
  const StoreKeys& keys_;
  std::unordered_map<std::int64_t, Entry> counts_;
  std::unordered_map<std::int64_t, Entry> counts_before_job_;  // with savepoints only
  TallyRollup tallies_;
  TallyRollup tallies_before_job_;  // with savepoints only
  std::unordered_map<std::int64_t, Campaign> campaigns_;
  std::unordered_map<std::int64_t, std::string> text_hashes_;
  int cleared_addresses_ = 0;
  bool discard_ = false;
  // What SignerBucket just read, for the UpsertSigner that follows it (which then need not look
  // the person's id up again): the email, and the person if there was one.
  std::string looked_up_email_;
  std::optional<PersonRef> looked_up_;
};

}  // namespace undersigned::store
