// The value types the Store's interfaces (store/store.h) take and return: what a write asks
// for, what it answers, pages and filters, the log's stored forms.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
  SignatureOrigin origin;     // validated (core/origin.h); kept only by a new signature
  std::string client_net;     // the signer's network (core/moderation.h), or empty
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
  // The per-email signing limit (a token bucket kept on the person's row, so that it holds
  // across nodes and restarts), or nullopt for none (a trusted client's signature). The
  // transaction takes one token before it writes anything; refused, it writes nothing.
  std::optional<RateLimit> email_limit;
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
  // > 0: refused by email_limit, nothing written (the other fields are unset): whole seconds
  // until this address may sign again.
  int rate_limited_seconds = 0;
};

// Result of following a confirm or withdraw token.
struct TokenOutcome {
  Signature signature;
  Campaign campaign;
  CampaignCounts counts;
  bool changed = false;           // false if it was already in the target state (idempotent)
  bool campaign_decided = false;  // this write decided the campaign's outcome (its threshold)
  int revealed = 0;               // sealed names this confirmation revealed (tx::Confirm)
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
  // Its scope (AccountStore::GetApiTokenScope), as ApiTokenService::Authenticate fills it in:
  // the one campaign it may act on (none: every campaign), and whether it may only read.
  std::optional<std::int64_t> campaign_id;
  bool read_only = false;
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

}  // namespace undersigned
