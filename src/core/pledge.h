// Conditional pledges' rules (issue 14, part 3): what a pledge campaign's condition may be, when
// it is decided and how, and the schedule of a pledge whose charge needs its donor. Pure logic,
// no I/O; thread-safe. The rows are kept by store/pledge_store.h; the service
// (service/pledges.h) applies these rules.
//
// A pledge campaign states a condition and a deadline:
//   count    "if N people pledge by the deadline" (PledgeBank's threshold): decided at the
//            deadline by the count of live pledges.
//   outcome  "if <subject> does <act> by the deadline": met when the organizers declare it
//            happened (with a public evidence link); failed if the deadline passes first.
//   unless   "paid to <payee> unless <subject> does <act> by the deadline": failed (nobody
//            pays) when the organizers declare it happened; met at the deadline otherwise.
//
// The subject of an outcome or unless condition (who must act) is declared with its kind:
// company or organization. A public official is refused: a pledge conditioned on an official's
// vote or act reads as a payment for that act (that is what drew bribery accusations against
// conditional political pledges in 2018), so undersigned does not carry it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned {

enum class PledgeConditionKind { kCount, kOutcome, kUnless };
const char* PledgeConditionKindName(PledgeConditionKind k);  // "count", "outcome", "unless"
std::optional<PledgeConditionKind> ParsePledgeConditionKind(std::string_view s);

// Who must act for an outcome or unless condition. kPublicOfficial exists only to be named
// and refused (ValidatePledgeTerms).
enum class PledgeSubjectKind { kNone, kCompany, kOrganization, kPublicOfficial };
// "", "company", "organization", "public_official"
const char* PledgeSubjectKindName(PledgeSubjectKind k);
std::optional<PledgeSubjectKind> ParsePledgeSubjectKind(std::string_view s);

// Why a condition on a public official is refused: shown on the form and by the CLI and API.
inline constexpr char kPublicOfficialRefusal[] =
    "A pledge cannot be conditioned on a public official's vote or act: money promised for an "
    "official's act reads as paying for it (conditional political pledges drew bribery "
    "accusations in 2018). Name a company or an organization that must act.";

// A pledge campaign's state: open until decided, then met or failed for good.
enum class PledgeCampaignStatus { kOpen, kMet, kFailed };
const char* PledgeCampaignStatusName(PledgeCampaignStatus s);  // "open", "met", "failed"
std::optional<PledgeCampaignStatus> ParsePledgeCampaignStatus(std::string_view s);

// One pledge's state.
//   pending       money pledge whose card is not saved yet (Checkout in setup mode not
//                 completed: the verified webhook moves it to made). Not counted.
//   made          counted; a card saved (money) or nothing needed (money-free).
//   withdrawn     taken back by the pledger before the decision (or, still pending when the
//                 condition failed, closed without a word: it never counted).
//   charged       the condition was met and the money collected.
//   needs_action  the off-session charge needed the donor (authentication) or was declined:
//                 the donor was mailed a link, is reminded every 48 h.
//   lapsed        7 days in needs_action without completing it.
//   released      the condition failed (or the deadline passed): the card was detached, the
//                 pledger told.
//   due           a money-free pledge whose condition was met: the pledger was told to act.
enum class PledgeStatus {
  kPending,
  kMade,
  kWithdrawn,
  kCharged,
  kNeedsAction,
  kLapsed,
  kReleased,
  kDue,
};
const char* PledgeStatusName(PledgeStatus s);
std::optional<PledgeStatus> ParsePledgeStatus(std::string_view s);
// True for the statuses that count as "pledged" (made, and what a made pledge became after the
// decision): made, charged, needs_action, lapsed, released, due.
bool PledgeCounts(PledgeStatus s);

// What an organizer declares a pledge campaign to be.
struct PledgeTerms {
  PledgeConditionKind kind = PledgeConditionKind::kCount;
  std::string title;
  std::string condition_text;  // "Example Corp drops the contract with the agency"
  PledgeSubjectKind subject_kind = PledgeSubjectKind::kNone;
  std::string subject_name;        // "Example Corp"; required for outcome and unless
  std::int64_t threshold = 0;      // count: how many pledgers (>= 1); else 0
  UnixTime deadline = 0;           // after now
  bool money = true;               // false: a money-free pledge ("I will do X if...")
  std::string currency = "USD";    // money: ISO 4217
  std::int64_t minimum_minor = 0;  // money: the smallest pledge (>= 1 unit of the currency)
  std::string payee;               // unless: who is paid if the subject does not act
  std::string promise;             // money-free: what each pledger will do
};

// Refuses (kInvalidArgument, one field error per bad field) anything a pledge campaign cannot
// be: a public official as the subject (kPublicOfficialRefusal, field "subject_kind"), an
// outcome or unless condition without a company or organization and its name, a count without
// a threshold, a deadline not after now (or more than a year away), an unless condition without
// its payee, money without a currency, money-free without its promise.
Result<void> ValidatePledgeTerms(const PledgeTerms& terms, UnixTime now);

// A pledge's amount: at least the campaign's minimum (and 1), at most kMaxAmountMinor.
// kInvalidArgument naming "amount".
Result<void> ValidatePledgeAmount(std::int64_t amount_minor, std::int64_t minimum_minor,
                                  std::string_view currency);

// What an open campaign becomes once its deadline has passed with nothing declared: count:
// met if pledgers >= threshold, else failed; outcome: failed; unless: met.
PledgeCampaignStatus DecideAtDeadline(PledgeConditionKind kind, std::int64_t pledgers,
                                      std::int64_t threshold);
// What the organizers' declaration that the act happened makes of an open campaign: outcome:
// met; unless: failed. A count is never declared: kInvalidArgument.
Result<PledgeCampaignStatus> DecideOnDeclaration(PledgeConditionKind kind);

// The needs-action schedule: the donor is mailed when the charge needs them (at `since`), then
// reminded every kNeedsActionEvery, and the pledge lapses kNeedsActionWindow after `since`.
inline constexpr std::int64_t kNeedsActionEvery = 48 * 3600;
inline constexpr std::int64_t kNeedsActionWindow = 7 * 24 * 3600;
struct NeedsActionStep {
  UnixTime at = 0;
  bool lapse = false;  // at `at` the pledge lapses instead of being reminded
};
// The step after `reminders_sent` reminders (0: the first reminder, at since + 48 h). The
// reminders fall at +48 h, +96 h, +144 h; the lapse at +168 h.
NeedsActionStep NextNeedsActionStep(UnixTime since, std::int64_t reminders_sent);

// A charge refused for now (processing_error, try_again_later) is tried again with a new
// attempt (a new Idempotency-Key) after ChargeRetryDelay(attempt); after kMaxChargeAttempts
// attempts it is treated as declined (needs action).
inline constexpr std::int64_t kMaxChargeAttempts = 3;
std::int64_t ChargeRetryDelay(std::int64_t attempt);  // 1 h, 4 h, ...

}  // namespace undersigned
