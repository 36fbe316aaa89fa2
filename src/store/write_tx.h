// The narrow interface every store backend implements for the write use cases, and how a use
// case reaches a backend's writer.
//
// Why: the rules of a write (signature states, thresholds, reveals, which mail a change queues
// and what it says, the log leaf it appends) are written once, as transaction scripts in
// service/tx/, over WriteTx. A backend only keeps rows: it reads what a script asks for, inserts,
// moves counts, queues mail and appends log leaves, all inside the one transaction the script
// runs in. SQLite (store/sqlite/) and PostgreSQL (store/postgres/) each implement WriteTx over
// their own group commit: a backend's writer takes many queued WriteJobs, runs their scripts
// in one transaction (each inside its own savepoint once any of them failed), commits, makes the
// commit durable, then finishes every job.
//
// Ownership: a WriteTx lives for one batch on the backend's writer thread and is only valid
// inside WriteJob::Run. A WriteJob is owned by whoever submitted it until Finish is called;
// Finish is called exactly once, from a thread of the store, and must be quick: it wakes a
// waiter or posts the result elsewhere (never runs service or HTTP code on the store thread).
//
// Errors: as Store (store.h). A Run that returns false (or whose Result is an error) rolls back
// only what that job wrote.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/rate_limiter.h"
#include "core/signature.h"
#include "log/merkle.h"

namespace undersigned::store {

class FieldSealer;

// A signature row as the writer keeps it: the public Signature plus what only the writer reads.
struct SignatureRow {
  Signature signature;   // id 0 and uuid empty until InsertSignature assigns them
  std::string sealed;    // FieldSealer blob of the sealed personal fields, or empty
  std::string log_salt;  // kSaltBytes random bytes once it had a log leaf, else empty
  std::optional<std::uint64_t> leaf_index;  // of its latest "confirm" leaf
  // In a group proven by an email domain: signature.verified is kept as 0/1 (else NULL, "not
  // a verified group"; both read as false).
  bool verifies = false;
  // The signer's network (core/moderation.h, ClientNetwork), written by InsertSignature only;
  // empty: none known.
  std::string client_net;
};

// What moderation (core/moderation.h) keeps of a signature beside its row. Written only by
// WriteTx::SaveModeration; SaveSignature leaves it as it is.
enum class CommentReview { kNone = 0, kApproved = 1, kHidden = 2 };
struct SignatureModeration {
  CommentReview comment = CommentReview::kNone;
  bool name_hidden = false;
  std::optional<UnixTime> invalidated;  // with state kInvalidated
  std::string invalidated_by;           // who: "operator" or an organizer's account uuid
  std::string invalidation_reason;
};

// A signature as moderation reads it: the stored row (fields as typed), its network and its
// moderation.
struct ModerationCandidate {
  SignatureRow row;
  std::string client_net;
  SignatureModeration moderation;
};

// The person a signature belongs to, as InsertSigner leaves it.
struct PersonRef {
  std::int64_t id = 0;
  std::string uuid;
};

// What signing writes of the person (one per canonical email). An existing person keeps id and
// uuid; its email, names, postal code and country are replaced, subscribed only ever turns on.
struct SignerPerson {
  std::string canonical_email;
  std::string email;  // as typed, or empty for a sealed/anonymous signer
  std::string given_name, family_name, postal_code, country;
  bool subscribed = false;
  UnixTime now = 0;
  // The person's per-email signing limit bucket after this signing took its token; nullopt
  // keeps the stored one (a signing the limit does not apply to).
  std::optional<TokenBucket> bucket;
};

// The kinds of signature tokens (store.h, NewSignature): a "signing" token confirms and
// withdraws; a "withdraw" token only withdraws.
enum class TokenKind { kSigning, kWithdraw };

// A mail to queue in the outbox, in the writer's transaction.
struct NewMail {
  std::string kind;       // "confirm", "verify", "outcome", ...
  std::string recipient;  // address
  std::string payload;    // JSON object (built by service/tx/mails.h)
  UnixTime now = 0;
  bool work_address = false;  // the recipient is a work address (cleared when sent, see groups.md)
};

// A confirmed signer told a campaign's outcome: a clear address, or a sealed blob to open.
struct OutcomeRecipient {
  std::string email;   // empty when sealed is set
  std::string sealed;  // FieldSealer blob of a sealed or anonymous signer
};

// A change of a campaign's counts by one write. Applied by the backend at commit (in whatever
// rows it keeps counts in); visible to every later Counts() of the same batch at once.
struct CountsDelta {
  int pending = 0;
  int confirmed = 0;
  int withdrawn = 0;
  std::vector<GroupCount> groups;  // confirmed by group key (only for campaigns with groups)
  UnixTime now = 0;
  // The signature is dated to the day only (sealed, anonymous: DayRounded): the hourly
  // counts (DashboardStore::SignatureHours) put it in its day's first hour, never its own.
  bool day_only = false;
};

// The hour (Unix seconds, a multiple of 3600) a delta is counted in by the hourly counts.
inline UnixTime DeltaHour(const CountsDelta& d) {
  const UnixTime day_or_hour = d.day_only ? 86400 : 3600;
  return d.now - ((d.now % day_or_hour) + day_or_hour) % day_or_hour;
}

// A campaign whose deadline passed with a threshold and no outcome yet.
struct DueCampaign {
  std::int64_t id = 0;
  std::int64_t threshold = 0;
};

// The per-transaction interface. Every method runs in the batch's transaction; reads see what
// earlier jobs of the same batch wrote.
class WriteTx {
 public:
  virtual ~WriteTx() = default;

  // --- campaigns
  // The campaign as this batch has it (read once per batch; RecordOutcome and TouchCampaign
  // update it). The pointer stays valid until the job's Run returns: a script keeps it rather
  // than copying the campaign (its letter) per signature.
  virtual Result<const Campaign*> CampaignById(std::int64_t id) = 0;
  // The hash of the campaign's current text (CampaignText::hash), named in every leaf.
  virtual Result<std::string> CurrentTextHash(std::int64_t campaign_id) = 0;
  // Counts as of this batch: the committed counts (on several nodes, as last read) plus every
  // delta this batch moved so far.
  virtual Result<CampaignCounts> Counts(std::int64_t campaign_id) = 0;
  // Moves the campaign's counts; `changes` grows by one and last_change moves to now, unless the
  // delta only moves confirmed signatures between groups (pending, confirmed and withdrawn all
  // 0). Counts(campaign_id) must have succeeded.
  virtual void MoveCounts(std::int64_t campaign_id, const CountsDelta& delta) = 0;
  // Sets the outcome if the campaign has none yet (and moves its modified date); false if it
  // already had one (another job, or another node, decided it first).
  virtual Result<bool> RecordOutcome(std::int64_t campaign_id, CampaignOutcome outcome,
                                     UnixTime now) = 0;
  virtual Result<std::vector<DueCampaign>> DueCampaigns(UnixTime now) = 0;
  // Moves the campaign's modified date to at least now (its page changed).
  virtual Result<void> TouchCampaign(std::int64_t campaign_id, UnixTime now) = 0;

  // --- people and signatures
  // The per-email limit's bucket of the person with this canonical email as this batch has it
  // (nullopt: no such person, or never limited). On several nodes a bucket read from memory may
  // be stale; the backend then checks it when the write lands and runs the batch again if
  // another node moved it meanwhile, so a token is never taken twice.
  virtual Result<std::optional<TokenBucket>> SignerBucket(std::string_view canonical_email) = 0;
  // Inserts or updates the person (see SignerPerson); person.bucket, if set, replaces the bucket.
  virtual Result<PersonRef> UpsertSigner(const SignerPerson& person) = 0;
  // Inserts row (assigning signature.id and .uuid) unless the person already has a signature in
  // the campaign: then nullopt and nothing is written.
  virtual Result<std::optional<SignatureRow>> InsertSignature(const SignatureRow& row) = 0;
  virtual Result<SignatureRow> SignatureOf(std::int64_t campaign_id, std::int64_t person_id) = 0;
  // The signature a token hash was issued for. kNotFound if unknown, or a withdraw-only token
  // when kind is kSigning.
  virtual Result<SignatureRow> SignatureByToken(std::string_view token_hash, TokenKind kind) = 0;
  // Writes every mutable column of an existing row (by signature.id).
  virtual Result<void> SaveSignature(const SignatureRow& row) = 0;
  virtual Result<void> AddToken(std::int64_t signature_id, std::string_view token_hash,
                                TokenKind kind) = 0;
  // Confirmed, still sealed signatures of the group with seal_threshold <= count, by id (whole
  // rows: the reveal opens `sealed` and saves the row with its fields in clear; person_uuid may
  // be left empty, the reveal does not read it).
  virtual Result<std::vector<SignatureRow>> SealedToReveal(std::int64_t campaign_id,
                                                           std::string_view group_key,
                                                           std::int64_t count) = 0;
  // Every confirmed signer of the campaign with an address (clear or sealed), to fn.
  virtual Result<void> ForEachOutcomeRecipient(
      std::int64_t campaign_id, const std::function<Result<void>(const OutcomeRecipient&)>& fn) = 0;

  // --- moderation (service/tx/moderation.cc)
  // The campaign's signatures in the given states (pending, confirmed) created in [from, to)
  // (unset: no bound), by id; the caller tests networks and domains. PostgreSQL locks them.
  virtual Result<std::vector<ModerationCandidate>> ModerationCandidates(
      std::int64_t campaign_id, bool pending, bool confirmed, std::optional<UnixTime> from,
      std::optional<UnixTime> to) = 0;
  // One signature by id (kNotFound), locked like the others a script changes.
  virtual Result<ModerationCandidate> SignatureForModeration(std::int64_t signature_id) = 0;
  virtual Result<void> SaveModeration(std::int64_t signature_id, const SignatureModeration& m) = 0;
  // The campaign's comment approval queue: on, its comments show only once approved.
  virtual Result<bool> CommentApproval(std::int64_t campaign_id) = 0;
  virtual Result<void> SetCommentApproval(std::int64_t campaign_id, bool on, UnixTime now) = 0;
  // Pending or confirmed signatures with a comment never reviewed, oldest first, at most limit.
  virtual Result<std::vector<ModerationCandidate>> AwaitingComments(std::int64_t campaign_id,
                                                                    int limit) = 0;
  // Forgets the network of every signature created before `before`; returns how many.
  virtual Result<std::int64_t> ForgetClientNetworks(UnixTime before) = 0;

  // --- organizations
  // Inserts (assigning id; uuid must be set). kConflict if this canonical contact address
  // already put one on the campaign.
  virtual Result<Organization> InsertOrganization(const Organization& o,
                                                  std::string_view confirm_token_hash,
                                                  std::string_view logo_png) = 0;
  virtual Result<Organization> OrganizationByConfirmToken(std::string_view token_hash) = 0;
  virtual Result<Organization> OrganizationByUuid(std::string_view uuid) = 0;
  // Writes state, modified, decided and, if not empty, the review token's hash.
  virtual Result<void> SaveOrganization(const Organization& o,
                                        std::string_view review_token_hash) = 0;

  // --- outbox
  virtual Result<void> QueueMail(const NewMail& mail) = 0;

  // --- the signature log
  // False when the store was opened with the log off: scripts append nothing then.
  virtual bool log_enabled() const = 0;
  // Appends a leaf (its bytes and log::LeafHash) and returns its index, assigned in this
  // transaction.
  virtual Result<std::uint64_t> AppendLeaf(std::string_view entry, const log::Hash& hash) = 0;
  // The index the next AppendLeaf of this transaction gets, so that a new signature that counts
  // at once is inserted with its leaf index (saving a second write of the row).
  virtual std::uint64_t NextLeafIndex() const = 0;

  // --- sealing (store/sealed_fields.h): the key never leaves the store
  virtual const FieldSealer& sealer() const = 0;

  // The job succeeded but nothing it wrote is to be kept (its savepoint is rolled back).
  virtual void Discard() = 0;
};

// One queued write: a script to run inside a batch, and its completion.
class WriteJob {
 public:
  virtual ~WriteJob() = default;
  // Runs on the writer thread inside the batch's transaction. False rolls back this job only.
  // A batch that is retried with savepoints runs a job again from scratch, so Run must keep no
  // state across calls but its latest result.
  virtual bool Run(WriteTx& tx) = 0;
  // Exactly once: after the batch that ran it is durable (batch_error empty), or failed as a
  // whole. May free *this.
  virtual void Finish(std::optional<Error> batch_error) = 0;
};

}  // namespace undersigned::store
