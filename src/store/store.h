// The Store: everything undersigned keeps, behind one interface so that SQLite (default,
// store/sqlite/) and PostgreSQL (next) are interchangeable. Made by a factory (OpenStore in
// store/open_store.h), owned by app::App.
//
// Thread-safety: every method may be called from any thread concurrently. Methods block until
// done. Writes are durable (committed and fsynced) before they return success; implementations
// are expected to batch concurrent writes into one transaction (group commit), so many threads
// blocked in Sign() at once is the fast path, not a problem.
//
// Errors: kNotFound for a missing row, kConflict for a unique violation or an illegal state
// change, kUnavailable when closing, kInternal for anything else. Messages never contain
// personal data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/signature.h"
#include "log/merkle.h"

namespace undersigned {

// A message waiting in the outbox. Written in the same transaction as the change that causes
// it; rendered and sent by mail::OutboxSender. payload is JSON the renderer understands for
// that kind; it may hold one-time tokens and is cleared once the message is sent.
// 9999-12-31T23:59:59Z: the next_attempt of a message that will not be tried again (the sender
// gave up on it). It stays in the table for an operator; setting next_attempt back revives it.
inline constexpr UnixTime kOutboxNever = 253402300799;

struct OutboxMessage {
  std::int64_t id = 0;
  std::string kind;       // "confirm", "already_signed"
  std::string recipient;  // email address
  std::string payload;    // JSON object
  int attempts = 0;
  UnixTime next_attempt = 0;
  UnixTime created = 0;
  std::string last_error;
};

// A signature to record. Its token is random, single-use, made by the service; the store keeps
// only its hash (token_hash) and puts the raw token into the outbox payload of the mail it
// queues. One token per mail: the confirmation mail's confirm and withdraw links travel
// together, so whoever holds one holds both, and one token (of the kind "signing", which
// confirms and withdraws) serves both links at the cost of one index insert. The "already
// signed" mail stores the token as withdraw-only: that mail offers no confirmation, so its
// token cannot confirm anything.
struct NewSignature {
  std::int64_t campaign_id = 0;
  std::string campaign_uuid;  // optional; lets a signature that counts at once have its log
                              // leaf made before it is queued
  std::string text_hash;      // optional, with campaign_uuid: the campaign's current
                              // CampaignText::hash as the caller knows it (the writer checks it)
  SignatureForm form;         // validated
  std::string canonical_email;
  std::string source;         // "form", "api"
  bool confirm_now = false;   // trusted API client: counts at once, no confirm mail
  std::string token;          // raw, goes into the mail payload
  std::string token_hash;     // stored; not with confirm_now (nothing is mailed, nothing kept)
  std::string mail_payload;   // JSON object with campaign info; the store adds the token (as
                              // "token" to a "confirm" mail, "withdraw_token" to an
                              // "already_signed" one), "name" and "signature_uuid"
  int max_confirm_sends = 3;  // resend bound, counting the first mail
  // Signer groups. by_domain: the group is proven by an email domain: the mails go to
  // form.work_email as the neutral "verify" kinds, canonical_email is the affiliation key (see
  // SigningService), and confirming marks the signature verified. confirm_now is never set
  // then. attestation: the statement ticked, as it read. A sealed form (and an anonymous one's
  // address) is sealed by the store (store/sealed_fields.h) before it is written.
  bool by_domain = false;
  std::string attestation;
  UnixTime now = 0;
};

struct SignOutcome {
  enum class Kind {
    kCreated,           // new signature (pending, or confirmed if confirm_now); mail queued
                        // unless confirm_now
    kResent,            // existed and pending: a new token, "confirm" mail queued again
    kAlreadyConfirmed,  // existed and confirmed: "already_signed" mail queued (withdraw link)
                        // or, with confirm_now, the existing row updated and nothing queued
    kResendLimit,       // existed; max_confirm_sends reached; nothing written
  };
  Kind kind = Kind::kCreated;
  Signature signature;
  CampaignCounts counts;          // the campaign's counts after this write
  bool campaign_decided = false;  // this write decided the campaign's outcome (its threshold)
};

// Result of following a confirm or withdraw token.
struct TokenOutcome {
  Signature signature;
  Campaign campaign;
  CampaignCounts counts;
  bool changed = false;           // false if it was already in the target state (idempotent)
  bool campaign_decided = false;  // this write decided the campaign's outcome (its threshold)
  int revealed = 0;               // sealed names this confirmation revealed (Store::Confirm)
};

struct Page {
  int page = 1;  // 1-based
  int per_page = 25;
};

// Simple comparisons on modified_date, as OSDI filters need.
struct TimeFilter {
  std::optional<UnixTime> modified_after;   // modified_date gt
  std::optional<UnixTime> modified_before;  // modified_date lt
  // Campaign listings filtered by status: compare the status a campaign has at this time
  // (StatusAt in core/campaign.h: an open campaign whose deadline has passed is closed) rather
  // than the stored one. Unset: the stored status.
  std::optional<UnixTime> status_at;
};

template <typename T>
struct Paged {
  std::vector<T> items;
  std::int64_t total = 0;
};

struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  UnixTime created = 0;
  std::optional<UnixTime> revoked;
};

// One version of a campaign's text: its demand and letter. Versions are numbered from 1; the
// store keeps a new one, in the same transaction, whenever an edit changes the demand or the
// letter, and names the current one in every log leaf (log/leaf.h: text).
struct CampaignText {
  int version = 0;
  std::string hash;      // log::TextHash(demand, letter_markdown)
  UnixTime created = 0;  // when it became the campaign's text
  std::string demand;
  std::string letter_markdown;
  bool operator==(const CampaignText&) const = default;
};

// --- the signature log (log/leaf.h; issue 4)

// The log as the writer holds it: durable (everything before it is committed and synced), with
// every campaign's confirmed count at that same instant, for signing a checkpoint.
struct LogCampaignCount {
  std::int64_t campaign_id = 0;
  std::string uuid;
  std::string slug;
  std::int64_t confirmed = 0;
  // Each signer group's confirmed count, as the log's leaves name groups: the declared groups'
  // counts, or for a campaign that declares none, {"public", confirmed}.
  std::vector<GroupCount> groups;
};
struct LogHead {
  std::uint64_t size = 0;
  log::Hash root{};
  std::vector<LogCampaignCount> counts;  // every campaign, by id
};

// A signed checkpoint as stored: the note, and the counts JSON published with it.
struct StoredCheckpoint {
  std::uint64_t size = 0;
  std::string note;
  std::string counts_json;
  UnixTime created = 0;
};

// What a signer's receipt is made of (besides the proof and checkpoint).
struct LogReceiptInfo {
  std::int64_t campaign_id = 0;
  std::uint64_t leaf_index = 0;  // of the signature's latest "confirm" leaf
  std::string salt;              // kSaltBytes random bytes
  std::string entry;             // the leaf's bytes
};

// A co-signing organization to record (core/organization.h). The logo is already checked and
// re-encoded (render/logo.h). The store queues the "org_confirm" mail (payload: mail_payload
// plus "confirm_token") to the contact address.
struct NewOrganization {
  std::int64_t campaign_id = 0;
  std::string uuid;
  OrganizationForm form;  // validated
  std::string canonical_email;
  std::string logo_png;  // may be empty
  std::string confirm_token, confirm_token_hash;
  std::string mail_payload;  // JSON object with campaign_title, campaign_slug, language
  UnixTime now = 0;
};

struct OrganizationOutcome {
  Organization organization;
  Campaign campaign;
  bool changed = false;  // false if it was already in the target state
};

class Store {
 public:
  virtual ~Store() = default;

  // --- campaigns
  // Assigns id, uuid (if empty), created, modified. kConflict if the slug is taken.
  virtual Result<Campaign> CreateCampaign(const Campaign& c) = 0;
  // Replaces all fields of the campaign with c.id; sets modified. kNotFound, kConflict (slug).
  virtual Result<Campaign> UpdateCampaign(const Campaign& c) = 0;
  virtual Result<Campaign> GetCampaignBySlug(const std::string& slug) = 0;
  virtual Result<Campaign> GetCampaignByUuid(const std::string& uuid) = 0;
  virtual Result<Campaign> GetCampaignById(std::int64_t id) = 0;
  // Every version of the campaign's text, oldest first (at least one for any campaign).
  virtual Result<std::vector<CampaignText>> CampaignTexts(std::int64_t campaign_id) = 0;
  // Newest first. status empty = all.
  virtual Result<Paged<Campaign>> ListCampaigns(std::optional<CampaignStatus> status,
                                                const TimeFilter& filter, Page page) = 0;
  // Campaigns whose foreign identifiers (Campaign::identifiers) include `identifier`, compared
  // exactly ("foreign_system:1234"); several may carry the same one. Newest first.
  virtual Result<Paged<Campaign>> ListCampaignsByIdentifier(const std::string& identifier,
                                                            std::optional<CampaignStatus> status,
                                                            const TimeFilter& filter,
                                                            Page page) = 0;
  // Campaign outcomes (Campaign::threshold). A write that brings a campaign's confirmed count to
  // its threshold before the deadline records "succeeded" in the same transaction and queues
  // the "outcome" mail (payload: outcome, role signer|organizer, campaign_title, campaign_slug,
  // language, threshold, confirmed) to every confirmed signer and organizer. This decides the
  // campaigns whose deadline is <= now and that have none yet (failed, unless the count had
  // reached the threshold), the same way; returns how many it decided.
  virtual Result<int> DecideDueCampaigns(UnixTime now) = 0;
  // The earliest deadline of a campaign with a threshold and no outcome yet.
  virtual Result<std::optional<UnixTime>> NextOutcomeDeadline() = 0;

  // Counts of every campaign, keyed by campaign id; read once at start-up.
  virtual Result<std::map<std::int64_t, CampaignCounts>> LoadAllCounts() = 0;

  // --- signatures
  // One signature per (campaign, canonical email). Also upserts the person (by canonical
  // email), moving its modified date, and queues the mail in the same transaction.
  virtual Result<SignOutcome> Sign(const NewSignature& s) = 0;
  // Sign without blocking: returns at once and calls done exactly once with what Sign would
  // return, once that is durable, from a thread of the store (so done must be quick and must
  // not block on the store). This default runs Sign on the calling thread.
  virtual void SignAsync(NewSignature s, std::function<void(Result<SignOutcome>)> done) {
    done(Sign(s));
  }
  // pending -> confirmed, by the hash of a token of the signing kind (any a confirmation mail
  // carried, the earlier ones included). kNotFound for an unknown token or a withdraw-only one
  // (of an "already signed" mail); a withdrawn signature is kConflict.
  // Confirming into a group with sealed names may reveal them (TokenOutcome::revealed): once
  // the group's confirmed count reaches a sealed signature's threshold, its name is opened,
  // made public for good and a "revealed" mail (payload: campaign_title, campaign_slug,
  // language, group, threshold, name, count) queued to its signer, in the same transaction.
  virtual Result<TokenOutcome> Confirm(const std::string& token_hash, UnixTime now) = 0;
  // pending|confirmed -> withdrawn, by the hash of any token issued for the signature (of
  // either kind). kNotFound for an unknown token.
  virtual Result<TokenOutcome> Withdraw(const std::string& token_hash, UnixTime now) = 0;
  // Read-only lookups for the pages that show the confirm/withdraw button, accepting the same
  // tokens as Confirm and Withdraw.
  virtual Result<TokenOutcome> FindByConfirmToken(const std::string& hash) = 0;
  virtual Result<TokenOutcome> FindByWithdrawToken(const std::string& hash) = 0;
  // Newest confirmed signatures with public_name, for the campaign page.
  virtual Result<std::vector<PublicSigner>> RecentPublicSigners(std::int64_t campaign_id,
                                                                int limit) = 0;
  // All states, newest first, for the API.
  virtual Result<Paged<Signature>> ListSignatures(std::int64_t campaign_id,
                                                  const TimeFilter& filter, Page page) = 0;
  // The same within one group (group key; "public" for a campaign without groups). No index
  // serves it (one would cost every signature a write): it reads the campaign's rows.
  virtual Result<Paged<Signature>> ListSignaturesInGroup(std::int64_t campaign_id,
                                                         const std::string& group_key,
                                                         const TimeFilter& filter, Page page) = 0;
  virtual Result<Signature> GetSignatureByUuid(const std::string& uuid) = 0;
  // Confirmed signatures, oldest first, streamed to fn (for exports). Stops early if fn
  // returns false.
  virtual Result<void> ForEachConfirmed(std::int64_t campaign_id,
                                        const std::function<bool(const Signature&)>& fn) = 0;

  // --- people (API)
  virtual Result<Paged<Person>> ListPeople(const std::optional<std::string>& canonical_email,
                                           const TimeFilter& filter, Page page) = 0;
  virtual Result<Person> GetPersonByUuid(const std::string& uuid) = 0;
  // The person with this canonical email, made if there is none (email as typed, the fields of
  // change, empty for the others), with change applied and modified moved to now otherwise.
  virtual Result<Person> UpsertPerson(const std::string& email, const std::string& canonical_email,
                                      const PersonChange& change, UnixTime now) = 0;
  // Applies change to the person with this uuid and moves its modified date. kNotFound for an
  // unknown uuid (as GetPersonByUuid).
  virtual Result<Person> UpdatePerson(const std::string& uuid, const PersonChange& change,
                                      UnixTime now) = 0;
  // A person's signatures in every campaign, newest first, leaving out sealed and anonymous
  // ones (protection other than none): the API never ties those to their signer. Each
  // campaign's (campaign_id, person_id) index serves it; no index of its own.
  virtual Result<Paged<Signature>> ListPersonSignatures(std::int64_t person_id,
                                                        const TimeFilter& filter, Page page) = 0;
  // Replaces a signature's comment and moves its modified date. kNotFound.
  virtual Result<Signature> SetSignatureComment(const std::string& uuid, const std::string& comment,
                                                UnixTime now) = 0;

  // --- co-signing organizations
  // kConflict if this contact address already put an organization on this campaign.
  virtual Result<Organization> AddOrganization(const NewOrganization& o) = 0;
  // pending -> confirmed, by the hash of the token mailed to the contact; queues an
  // "org_review" mail (payload: campaign_title, campaign_slug, language, organization_name,
  // website, review_token) to each of the campaign's organizers, whose link approves or
  // rejects it. kNotFound for an unknown token.
  virtual Result<OrganizationOutcome> ConfirmOrganization(const std::string& confirm_token_hash,
                                                          const std::string& review_token,
                                                          const std::string& review_token_hash,
                                                          UnixTime now) = 0;
  virtual Result<OrganizationOutcome> FindOrganizationByConfirmToken(const std::string& hash) = 0;
  virtual Result<OrganizationOutcome> FindOrganizationByReviewToken(const std::string& hash) = 0;
  // confirmed -> approved or rejected (for good; deciding again the same way is a no-op).
  // kConflict if it is still pending (its address is unconfirmed) or was decided otherwise.
  virtual Result<OrganizationOutcome> DecideOrganization(const std::string& uuid, bool approve,
                                                         UnixTime now) = 0;
  // A campaign's organizations in the order they were submitted; state empty = all.
  virtual Result<std::vector<Organization>> ListOrganizations(
      std::int64_t campaign_id, std::optional<OrganizationState> state) = 0;
  // The re-encoded logo of an approved organization; kNotFound otherwise (none, or not shown).
  // any_state: whatever its state (for the organizers' review page).
  virtual Result<std::string> OrganizationLogo(const std::string& uuid, bool any_state) = 0;

  // --- API tokens (only hashes are stored)
  virtual Result<ApiToken> CreateApiToken(const std::string& name, const std::string& hash,
                                          UnixTime now) = 0;
  // Revokes every live token with that name; kNotFound if none.
  virtual Result<int> RevokeApiToken(const std::string& name, UnixTime now) = 0;
  // A live (unrevoked) token with this hash, or kNotFound.
  virtual Result<ApiToken> FindApiToken(const std::string& hash) = 0;

  // --- outbox
  // Up to limit messages with next_attempt <= now and not sent, oldest first.
  virtual Result<std::vector<OutboxMessage>> DueOutbox(UnixTime now, int limit) = 0;
  // Marks sent and clears the payload (tokens leave the database).
  virtual Result<void> MarkOutboxSent(std::int64_t id, UnixTime now) = 0;
  // attempts += 1, next_attempt and last_error set.
  virtual Result<void> MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                        const std::string& error) = 0;
  // Unsent messages still to be tried (those given up on, kOutboxNever, are not counted).
  virtual Result<std::int64_t> OutboxDepth() = 0;
  // Earliest next_attempt of an unsent message, if any (so the sender can sleep until then).
  virtual Result<std::optional<UnixTime>> NextOutboxAttempt() = 0;

  // --- the signature log. Leaves are appended in the transaction that changes a confirmed
  // count: Sign with confirm_now, Confirm, and Withdraw of a confirmed signature each append one
  // (log/leaf.h), with the node hashes it completes. A store opened with log_enabled false
  // appends nothing.
  // The durable head and counts (runs through the writer, like a write).
  virtual Result<LogHead> GetLogHead() = 0;
  // count consecutive hashes at (level, first...): level 0 are leaf hashes. kNotFound if any is
  // missing (beyond the tree).
  virtual Result<std::vector<log::Hash>> LogNodes(std::uint8_t level, std::uint64_t first,
                                                  std::uint64_t count) = 0;
  // Entries [first, first + count). kNotFound if any is missing.
  virtual Result<std::vector<std::string>> LogEntries(std::uint64_t first, std::uint64_t count) = 0;
  // Every leaf in index order with its stored hash; stops early if fn returns false. For the
  // start-up check.
  virtual Result<void> ForEachLogLeaf(
      const std::function<bool(std::uint64_t index, std::string_view entry,
                               std::string_view stored_hash)>& fn) = 0;
  // Keeps a signed checkpoint (idempotent per size).
  virtual Result<void> SaveCheckpoint(const StoredCheckpoint& checkpoint) = 0;
  virtual Result<std::optional<StoredCheckpoint>> LatestCheckpoint() = 0;
  // The receipt data of the signature with this token hash, which must be of the signing kind
  // (as for Confirm): kNotFound for an unknown or withdraw-only token, kConflict if it is not
  // confirmed (or has no leaf).
  virtual Result<LogReceiptInfo> LogReceipt(const std::string& token_hash) = 0;

  // --- instance
  // A named random secret (32 bytes) made on first use and kept forever.
  virtual Result<std::string> InstanceSecret(const std::string& name) = 0;
  // A named value kept forever (same table as the secrets): the stored one, or `initial`,
  // stored now, if there is none yet. E.g. the log's origin, fixed at the first start.
  virtual Result<std::string> InstanceValue(const std::string& name,
                                            const std::string& initial) = 0;
  // The named value, or nullopt if none was ever kept.
  virtual Result<std::optional<std::string>> FindInstanceValue(const std::string& name) = 0;
  // Keeps value under name, replacing a stored one (e.g. the public base URL, when the operator
  // says it changed).
  virtual Result<void> SetInstanceValue(const std::string& name, const std::string& value) = 0;
  // Online, consistent copy of the whole store into a new file at path.
  virtual Result<void> Backup(const std::string& path) = 0;
  // Finishes queued writes, then refuses new ones with kUnavailable. Idempotent.
  virtual void Close() = 0;
};

}  // namespace undersigned
