// PgTx: the PostgreSQL store's WriteTx (store/write_tx.h), the state of one batch on the
// writer's connection, and PgWriter, the thread that runs batches (group commit).
//
// How a batch runs (PgWriter::RunBatch): up to max_batch queued WriteJobs; BEGIN; each job's
// Run(tx) in turn. If every job succeeds, one statement (sql::FlushBatchStatement) inserts the
// batch's deferred rows, adds each campaign's count delta to the lane's own campaign_counts row
// and writes the log's next position back, and the batch commits (synchronous_commit on:
// durable when COMMIT returns). If a
// job fails (or Discards), the transaction is rolled back and the batch runs again with a SAVEPOINT
// per job, so a failing job rolls back only itself. Only then is every job finished.
//
// Round trips: reads are one prepared statement each; campaigns, their text hashes and counts
// are read once per batch; write-only rows (signature tokens, outbox mails, log leaves) are kept
// in memory and inserted by one multi-row statement at the end of the batch (of each job, with
// savepoints); people and signature numbers come from their sequences in blocks. A signer costs
// no read: their id is remembered, or guessed new, and the new signers' people and signature
// rows are inserted at the flush too; the flush's RETURNING checks the guesses, and a batch
// with a wrong one (a returning signer this node did not know) runs again knowing it.
//
// Counts: Counts(c) reads the sum of every node's row at the campaign's first touch in the
// batch; for a campaign whose threshold is still undecided, or that has sealed groups, it first
// locks the campaign's row (FOR NO KEY UPDATE), so that across nodes the writes to such a
// campaign take turns and the one that reaches a threshold sees it reached (a decision, a
// reveal happens once).
//
// The per-email limit's buckets (SignerBucket) cost no round trip either: the bucket is the one
// this node last wrote or read, or a full one for a signer it does not know. Each is a guess
// that the flush checks: the upsert changes a row only if its stored bucket is still the one
// guessed; a row another node moved meanwhile is read, and the batch runs again knowing it. A
// guess never refuses too early: another node only ever takes tokens, and a bucket this node
// wrote in a transaction that then rolled back is forgotten (a full bucket again).
//
// Signatures a script may change (SignatureOf, SignatureByToken, SealedToReveal) are read with
// a row lock, so that the same link followed on two nodes at once changes (and counts) once.
// Every row lock comes after the log's lock (when the log is on), and people are upserted in
// email order, so that two nodes' writers do not deadlock on each other's locks.
//
// Tallies (store/tally_rollup.h): each signature inserted, and each save (whose UPDATE returns
// the row's tallied columns as they were, at no extra round trip), moves them in memory; the
// batch's end adds one row per key moved to the lane's node rows of signature_tallies, in the
// same statement as the counts.
//
// The log: the batch's first AppendLeaf locks log_state's row (FOR UPDATE) and reads the next
// position; leaves take consecutive indexes; the next position is written back before COMMIT.
// So leaves commit with the counts they change, in index order, without gaps, on any node.
//
// Lanes (PgWriter): the writer runs its batches on write_lanes connections at once, each a node
// of its own to the database; a lane waits for a batch's worth of jobs while another one runs.
//
// Ownership: PgWriter owns its lanes (a connection and a thread each); PgTx lives for one batch
// on a lane's thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/public_ids.h"
#include "store/sealed_fields.h"
#include "store/tally_rollup.h"
#include "store/write_tx.h"

namespace undersigned::store::pg {

// What the writer and its transactions share with the store (owned by the store).
struct WriterContext {
  std::int64_t node_id = 0;  // the store's first node id (its outbox leases)
  double node_lease_seconds = 30;
  bool log_enabled = true;
  const FieldSealer* sealer = nullptr;
  const PublicIds* public_ids = nullptr;
};

// A signer as the writer remembers them (KnownPeople, kept across batches): the id never
// changes; the bucket is a guess (see above), nullopt for "full, or never limited".
struct KnownPerson {
  std::int64_t id = 0;
  std::string uuid;
  std::optional<TokenBucket> bucket;
};
using KnownPeople = std::unordered_map<std::string, KnownPerson>;  // by canonical email

// Ids taken from a sequence in blocks (gaps are harmless), shared by the writer's lanes so that
// one node hands them out in the order it signs. Thread-safe.
class IdPool {
 public:
  explicit IdPool(const char* sequence) : sequence_(sequence) {}
  // The next id; a new block is taken on conn (the calling lane's) when none is left.
  Result<std::int64_t> Take(PgConn& conn);

 private:
  const char* sequence_;
  std::mutex mu_;
  std::deque<std::int64_t> ids_;
};

class PgTx final : public WriteTx {
 public:
  // known: signers' ids by canonical email, as this writer learnt them (kept across batches:
  // a person's id never changes; a wrong entry is corrected by the flush's check).
  // count_node: the node whose campaign_counts rows this transaction adds to (the lane's).
  PgTx(PgConn& conn, const WriterContext& ctx, IdPool& people, IdPool& numbers, KnownPeople& known,
       const std::atomic<std::int64_t>& count_node)
      : conn_(conn),
        ctx_(ctx),
        people_(people),
        numbers_(numbers),
        known_(known),
        count_node_(count_node) {}

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
  Result<void> ForEachOutcomeRecipient(
      std::int64_t campaign_id,
      const std::function<Result<void>(const OutcomeRecipient&)>& fn) override;

  Result<Organization> InsertOrganization(const Organization& o,
                                          std::string_view confirm_token_hash,
                                          std::string_view logo_png) override;
  Result<Organization> OrganizationByConfirmToken(std::string_view token_hash) override;
  Result<Organization> OrganizationByUuid(std::string_view uuid) override;
  Result<void> SaveOrganization(const Organization& o, std::string_view review_token_hash) override;

  Result<void> QueueMail(const NewMail& mail) override;

  bool log_enabled() const override { return ctx_.log_enabled; }
  Result<std::uint64_t> AppendLeaf(std::string_view entry, const log::Hash& hash) override;
  std::uint64_t NextLeafIndex() const override;

  const FieldSealer& sealer() const override { return *ctx_.sealer; }
  void Discard() override { discard_ = true; }

  // --- for the writer
  bool TakeDiscard() { return std::exchange(discard_, false); }
  // A flush found a signer's id guessed wrong and learnt it: running again will succeed.
  bool TakeLearned() { return std::exchange(learned_, false); }
  // Inserts the rows kept in memory (people, signatures of new people, tokens, mails, leaves);
  // batch_end (FlushBatch): also adds the count deltas and writes the log's next position, in
  // the same statement.
  Result<void> FlushRows(bool batch_end = false);
  // Adds the batch's count deltas to this node's rows and writes the log's next position.
  // Returns whether any count moved. Fails (and TakeLostNode() is then true) if the node's row
  // is gone: a fold took its counts, so it must never add to them again.
  Result<bool> FlushBatch();
  bool TakeLostNode() { return std::exchange(lost_node_, false); }
  // What a job may change, for rolling one job back (savepoint mode).
  struct Snapshot;
  std::shared_ptr<Snapshot> Save() const;
  void Restore(const Snapshot& s);
  // The transaction was rolled back: the buckets it wrote were not kept (forgets them).
  void RolledBack() { ForgetWrittenBuckets(0); }

 private:
  struct CountsEntry {
    CampaignCounts now;  // committed (as read) + this batch's deltas
    CountsDelta delta;   // this batch's deltas (groups: by key)
    // This batch's deltas by hour (DeltaHour): pending, confirmed, withdrawn (kAddHoursRows).
    std::map<UnixTime, std::array<std::int64_t, 3>> hours;
    std::int64_t changes = 0;
    bool moved = false;
  };
  struct PersonEntry {  // a signer this batch met (by canonical email)
    std::int64_t id = 0;
    std::string uuid;
    SignerPerson person;  // as the batch last wrote it (person.bucket: a new bucket to write)
    std::optional<TokenBucket> stored;  // the bucket the database has, as far as this node knows
    bool is_new = false;  // guessed new (so without a signature; the flush checks the guess)
    bool dirty = false;   // to be upserted at the flush
  };
  struct Token {
    std::string key;
    std::int64_t signature_id;
    TokenKind kind;
  };
  struct Leaf {
    std::uint64_t index;
    std::string entry;
    log::Hash hash;
  };

  Result<const Campaign*> ReadCampaign(std::int64_t id);
  // Remembers a signer as the database has it; written: by this transaction (forgotten again
  // if it rolls back).
  void Remember(std::string email, KnownPerson p, bool written);
  void ForgetWrittenBuckets(std::size_t from);
  Result<void> LockLog();       // locks log_state's row until COMMIT and reads the next index
  Result<void> LockLogFirst();  // LockLog if the log is on: before any row lock

  PgConn& conn_;
  const WriterContext& ctx_;
  IdPool& people_;
  IdPool& numbers_;
  KnownPeople& known_;
  const std::atomic<std::int64_t>& count_node_;
  std::vector<std::string> written_buckets_;  // emails whose known_ bucket this tx wrote
  bool learned_ = false;
  bool lost_node_ = false;
  std::unordered_map<std::int64_t, Campaign> campaigns_;
  std::unordered_map<std::int64_t, std::string> text_hashes_;
  std::map<std::int64_t, CountsEntry> counts_;
  TallyRollup tallies_;  // this batch's moves of the tallies
  bool log_locked_ = false;
  std::uint64_t log_next_ = 0;
  std::unordered_map<std::string, PersonEntry> people_rows_;
  std::vector<SignatureRow> new_signatures_;  // of people new in this batch, inserted at flush
  std::set<std::pair<std::int64_t, std::int64_t>> new_signature_keys_;  // (campaign, person)
  std::vector<Token> tokens_;
  std::vector<NewMail> mails_;
  std::vector<Leaf> leaves_;
  bool discard_ = false;
};

// Counters of the writer, for tests and /metrics. Monotonic since open.
struct PgWriterStats {
  std::int64_t transactions = 0;  // committed (or failed) batches
  std::int64_t operations = 0;    // jobs run inside them
  std::int64_t max_batch_seen = 0;
  std::int64_t savepoint_batches = 0;  // batches run again with a savepoint per job
  std::int64_t failed_batches = 0;     // batches whose COMMIT (or BEGIN) failed
  std::int64_t reregistered = 0;       // times a fold took the node's counts (Reregister)
};

// The writer: a queue of jobs and its lanes. A lane is a connection with a thread that takes
// what is queued (up to max_batch jobs) and runs it as one batch (RunBatch); with two lanes, one
// batch is built and sent while the other one's statements run and its COMMIT is made durable,
// which a single connection, always waiting for the database or making it wait, cannot do. Each
// lane is to the database what a node is (pg_nodes.h): its own node row and campaign_counts
// rows, its own ids and signers' memory; so lanes never wait for each other's count rows, and
// what holds across nodes (a decision, a reveal, a signer's bucket taken once) holds across them.
class PgWriter {
 public:
  // One lane per connection, conns[i] adding its counts to node count_nodes[i] (registered).
  PgWriter(std::vector<std::unique_ptr<PgConn>> conns, const std::vector<std::int64_t>& count_nodes,
           const WriterContext& ctx, int max_batch);
  ~PgWriter() { Close(); }
  // Queues job; Finish(kUnavailable) at once if closing.
  void Submit(WriteJob* job);
  // Runs what is queued, then stops. Idempotent.
  void Close();
  PgWriterStats Stats() const;
  int lanes() const { return static_cast<int>(lanes_.size()); }
  // The node lane i adds its counts to now (changes if a fold took it: Reregister).
  const std::atomic<std::int64_t>& CountNode(int lane) const { return lanes_[lane]->count_node; }

 private:
  struct Lane {
    std::unique_ptr<PgConn> conn;
    std::atomic<std::int64_t> count_node{0};
    KnownPeople known_people;  // see PgTx's constructor
    std::thread thread;
  };
  void Loop(Lane& lane);
  void RunBatch(Lane& lane, std::vector<WriteJob*>& jobs);
  // The transaction failed (an SQL error nobody reported).
  static bool Aborted(Lane& lane);
  // One attempt at the batch; false (with the transaction rolled back) if a job failed in fast
  // mode. *error is set if the transaction as a whole failed; (*job_errors)[i] if job i's own
  // rows failed to go in (with savepoints).
  bool Attempt(Lane& lane, std::vector<WriteJob*>& jobs, bool savepoints,
               std::optional<Error>* error, std::vector<std::optional<Error>>* job_errors,
               bool* learned);
  // After a fold took the lane's counts: registers a new node for them (lane.count_node).
  Result<void> Reregister(Lane& lane);

  const WriterContext& ctx_;
  const int max_batch_;
  const int overlap_min_;  // jobs a lane waits for while another lane runs a batch
  IdPool people_{"people_ids"};
  IdPool numbers_{"signature_numbers"};
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteJob*> queue_;
  int busy_ = 0;  // lanes running a batch
  bool closing_ = false;
  std::mutex close_mu_;
  std::atomic<std::int64_t> transactions_{0}, operations_{0}, max_batch_seen_{0},
      savepoint_batches_{0}, failed_batches_{0}, reregistered_{0};
};

}  // namespace undersigned::store::pg
