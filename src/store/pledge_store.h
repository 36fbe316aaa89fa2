// PledgeStore: conditional pledges (issue 14, part 3): pledge campaigns (a condition, a deadline,
// money or money-free), the pledges made to them, and the claims that make each charge, each
// card's release and each mail happen once. Reached through Store::pledges(); each backend
// implements it in a class of its own (store/sqlite/pledges.h, store/postgres/pledges.h) over
// the tables of SQLite migration 16 and PostgreSQL migration 14. The rules (what a condition
// may be, when it is decided, the needs-action schedule) are in core/pledge.h; the use cases
// (service/pledges.h) apply them. This keeps rows and makes each state change happen once.
//
// Money is int64 minor units (cents), never a floating-point number.
//
// Personal data: a pledger's name and email are sealed (store/sealed_fields.h) and opened only
// by the reads of this interface (the mail renderer, the console); email_key (a keyed hash the
// service makes) keeps one live pledge per address per campaign. The pledger's links (withdraw,
// complete a payment) carry a keyed MAC of the pledge's id (service/pledges.h): nothing kept.
//
// Exactly once, across restarts and nodes:
//   - Deciding: Decide moves an open campaign to met or failed only if it is still open (one
//     UPDATE ... WHERE status = 'open'), so the scheduler on two nodes, or the scheduler and an
//     organizer, decide it once; the loser is told it was already decided.
//   - Charging and releasing: ClaimWork leases pledges of decided campaigns that still need
//     something (a made pledge of a met campaign: charge it or, money-free, tell it; a made
//     or pending pledge of a failed one: release it) for lease_seconds. A lease that expires
//     (the process was killed mid-charge) lets the pledge be claimed again with the SAME
//     attempt number, so the charge is retried with the same Idempotency-Key
//     (undersigned:pledge:<id>:<attempt>) and the provider answers with the first charge instead
//     of making a second. Only Record* moves the status, and only from the claimed one with the
//     same attempt, so a late answer from a dead lease changes nothing twice.
//   - Mails: every status change that tells the pledger queues its mail (the outbox) in the
//     same transaction: "pledge_made" (the receipt: a card saved, or a money-free pledge made),
//     "pledge_charged", "pledge_needs_action", "pledge_reminder", "pledge_lapsed",
//     "pledge_released", "pledge_due". Their payload: {"pledge_id": id}.
//     A change happens once, so each mail is queued once.
//   - Needs-action reminders: RunNeedsAction claims each due step of a needs_action pledge
//     (remind, or lapse) by moving its next step in the same statement that finds it.
//
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pledge.h"
#include "store/types.h"

namespace undersigned {

struct PledgeCampaign {
  std::int64_t id = 0;                        // assigned by CreatePledgeCampaign
  std::string uuid;                           // assigned; the API's and the log's id
  std::optional<std::int64_t> campaign_id;    // the campaign it belongs to, if any
  std::optional<std::int64_t> fundraiser_id;  // or the fundraiser it collects for, if any
  std::string slug;                           // its page: /p/{slug}
  std::string description_markdown;
  PledgeTerms terms;  // kind, title, condition, subject, threshold, deadline, money...
  PledgeCampaignStatus status = PledgeCampaignStatus::kOpen;
  std::optional<UnixTime> decided;  // when it was decided
  std::string evidence_url;         // the public evidence of an outcome the organizers declared
  std::optional<std::int64_t> created_by;
  UnixTime created = 0;
  UnixTime modified = 0;
};

struct Pledge {
  std::int64_t id = 0;
  std::string uuid;
  std::int64_t pledge_campaign_id = 0;
  std::int64_t amount_minor = 0;  // 0 for a money-free pledge
  std::string currency;           // the campaign's ("" money-free)
  std::string name;               // sealed at rest
  std::string email;              // sealed at rest
  PledgeStatus status = PledgeStatus::kPending;
  std::string checkout_session;  // the setup-mode session that saves the card (cs_...)
  std::string customer;          // cus_...
  std::string payment_method;    // pm_... (kept after a detach, to show what was released)
  std::string payment_intent;    // pi_... of the off-session charge or the completion
  std::int64_t attempt = 1;      // the charge attempt: part of its Idempotency-Key
  UnixTime claimed_until = 0;    // ClaimWork's lease
  std::int64_t reminders_sent = 0;
  std::optional<UnixTime> needs_action_since;
  std::optional<UnixTime> next_step_at;  // needs_action: the next reminder or the lapse
  UnixTime created = 0;
  UnixTime modified = 0;
};

struct NewPledge {
  std::int64_t pledge_campaign_id = 0;
  std::int64_t amount_minor = 0;  // validated by the service; 0 money-free
  std::string name;
  std::string email;
  std::string email_key;  // keyed hash of the canonical address
  UnixTime now = 0;
};

// Live totals of a pledge campaign (PledgeCounts statuses are "pledged").
struct PledgeTotals {
  std::int64_t pledgers = 0;         // made or later, not withdrawn
  std::int64_t pledged_minor = 0;    // their amounts
  std::int64_t charged = 0;          // pledges charged
  std::int64_t collected_minor = 0;  // the amounts charged
  std::int64_t needs_action = 0;
  std::int64_t lapsed = 0;
  std::int64_t released = 0;
};

// What ClaimWork hands out: a pledge and what to do with it.
enum class PledgeWork {
  kCharge,   // met, money: charge it off-session (attempt as claimed)
  kTell,     // met, money-free: tell the pledger it is time (RecordDue)
  kRelease,  // failed: detach its card if it has one, tell the pledger (RecordReleased)
};
struct ClaimedPledge {
  PledgeWork work = PledgeWork::kCharge;
  Pledge pledge;
  PledgeCampaign campaign;
};

// The answer to one off-session charge, recorded against the claimed attempt.
enum class ChargeRecord {
  kCharged,      // -> charged; mail pledge_charged
  kNeedsAction,  // -> needs_action (since now, next step now + 48 h); mail pledge_needs_action
  kRetryLater,   // stays made; attempt + 1; not claimable before retry_at
};
struct PledgeChargeResult {
  std::int64_t pledge_id = 0;
  std::int64_t attempt = 0;  // the attempt claimed; a mismatch changes nothing
  ChargeRecord record = ChargeRecord::kCharged;
  std::string payment_intent;
  UnixTime retry_at = 0;  // kRetryLater
  UnixTime now = 0;
};

class PledgeStore {
 public:
  virtual ~PledgeStore() = default;

  // --- pledge campaigns
  // c.created is now; id, uuid assigned; status open. kConflict if the slug is taken.
  virtual Result<PledgeCampaign> CreatePledgeCampaign(const PledgeCampaign& c) = 0;
  virtual Result<PledgeCampaign> GetPledgeCampaign(std::int64_t id) = 0;
  virtual Result<PledgeCampaign> GetPledgeCampaignBySlug(const std::string& slug) = 0;
  // Every pledge campaign, oldest first.
  virtual Result<std::vector<PledgeCampaign>> ListPledgeCampaigns() = 0;
  // Open campaigns whose deadline is at or before now (the scheduler decides them).
  virtual Result<std::vector<PledgeCampaign>> DueForDecision(UnixTime now) = 0;
  // The earliest deadline of an open campaign, if any (the scheduler sleeps until then).
  virtual Result<std::optional<UnixTime>> NextDeadline() = 0;
  // Moves an open campaign to `to` (met or failed) with the evidence link, once. Returns true
  // if this call decided it, false if it was decided before (nothing changed). kNotFound.
  virtual Result<bool> Decide(std::int64_t id, PledgeCampaignStatus to,
                              const std::string& evidence_url, UnixTime now) = 0;
  virtual Result<PledgeTotals> GetPledgeTotals(std::int64_t pledge_campaign_id) = 0;

  // --- pledges
  // A money campaign's pledge starts pending (made once its card is saved), a money-free one
  // made (its receipt, "pledge_made", queued with it). kConflict if the campaign is not open or its
  // deadline has passed ("the pledge campaign is closed"), or the address already has a live pledge
  // here ("already pledged").
  virtual Result<Pledge> CreatePledge(const NewPledge& n) = 0;
  virtual Result<Pledge> GetPledge(std::int64_t id) = 0;
  virtual Result<Pledge> GetPledgeByUuid(const std::string& uuid) = 0;
  virtual Result<Paged<Pledge>> ListPledges(std::int64_t pledge_campaign_id, Page page) = 0;
  // Keeps the setup-mode checkout session on a pending pledge.
  virtual Result<Pledge> SetPledgeCheckout(std::int64_t id, const std::string& session,
                                           UnixTime now) = 0;
  // The verified webhook's saved card: a pending pledge (by id) becomes made with its customer
  // and payment method (its receipt, "pledge_made", queued with it). Already made (a duplicate
  // event): unchanged, returned. Withdrawn, or its campaign no longer open: kConflict (the service
  // detaches the card then).
  virtual Result<Pledge> SaveCard(std::int64_t id, const std::string& customer,
                                  const std::string& payment_method, UnixTime now) = 0;
  // A pending or made pledge of an open campaign becomes withdrawn. kConflict otherwise.
  virtual Result<Pledge> WithdrawPledge(std::int64_t id, UnixTime now) = 0;

  // --- resolution (see the header)
  // Leases up to `limit` pledges that need work (see PledgeWork), oldest first, until
  // now + lease_seconds.
  virtual Result<std::vector<ClaimedPledge>> ClaimWork(UnixTime now, std::int64_t lease_seconds,
                                                       int limit) = 0;
  // Records a charge's answer (see ChargeRecord) if the pledge is still made with that attempt;
  // returns the pledge after, and whether this call changed it.
  virtual Result<std::pair<Pledge, bool>> RecordCharge(const PledgeChargeResult& r) = 0;
  // A made pledge of a failed campaign becomes released (mail pledge_released); a pending one
  // (its card never saved, never counted) withdrawn, silently. A money-free made pledge of a met
  // campaign becomes due (mail pledge_due). Each returns whether this call changed it.
  virtual Result<bool> RecordReleased(std::int64_t pledge_id, UnixTime now) = 0;
  virtual Result<bool> RecordDue(std::int64_t pledge_id, UnixTime now) = 0;
  // The donor completed a needs_action pledge's payment (a verified webhook): -> charged with
  // that payment intent (mail pledge_charged). Already charged: false.
  virtual Result<bool> CompleteNeedsAction(std::int64_t pledge_id,
                                           const std::string& payment_intent, UnixTime now) = 0;
  // Claims every due needs-action step at now: a reminder (mail pledge_reminder, next step per
  // core's NextNeedsActionStep) or the lapse (-> lapsed, mail pledge_lapsed). Returns how many
  // mails it queued.
  virtual Result<std::int64_t> RunNeedsAction(UnixTime now) = 0;
  // When ClaimWork or RunNeedsAction next has something to do after now (a lease expiring, a
  // retry, a reminder), if anything; decided campaigns' unclaimed work counts as now.
  virtual Result<std::optional<UnixTime>> NextPledgeWorkAt(UnixTime now) = 0;
};

}  // namespace undersigned

namespace undersigned::store {

// How a pledge changes, decided once for both backends: each backend reads the pledge and its
// campaign inside its transaction (PostgreSQL: the pledge's row locked), applies one of these,
// and, if it changed, writes the pledge's mutable fields back and queues the mail it names, in
// the same transaction.
struct PledgeTransition {
  bool changed = false;
  const char* mail = nullptr;  // the outbox kind to queue (payload PledgeMailPayload), or none
};
// The outbox payload of a pledge mail: {"pledge_id": id}.
std::string PledgeMailPayload(const Pledge& p);
// The columns the transitions change (every backend's UPDATE writes exactly these).
//   status, payment_intent, customer, payment_method, attempt, claimed_until, reminders_sent,
//   needs_action_since, next_step_at, modified
Result<PledgeTransition> SaveCardTransition(Pledge& p, const PledgeCampaign& c,
                                            const std::string& customer,
                                            const std::string& payment_method, UnixTime now);
Result<PledgeTransition> WithdrawTransition(Pledge& p, const PledgeCampaign& c, UnixTime now);
PledgeTransition ChargeTransition(Pledge& p, const PledgeChargeResult& r);
PledgeTransition ReleasedTransition(Pledge& p, const PledgeCampaign& c, UnixTime now);
PledgeTransition DueTransition(Pledge& p, const PledgeCampaign& c, UnixTime now);
PledgeTransition CompleteTransition(Pledge& p, const std::string& payment_intent, UnixTime now);
// A needs_action pledge whose next step is due at now: remind or lapse.
PledgeTransition NeedsActionTransition(Pledge& p, UnixTime now);
// Which work a claimed pledge of campaign c is (ClaimWork's query selects only those with work).
PledgeWork WorkFor(const Pledge& p, const PledgeCampaign& c);

}  // namespace undersigned::store
