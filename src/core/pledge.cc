// Conditional pledges' rules (pledge.h).
#include "core/pledge.h"

#include <array>
#include <map>
#include <utility>

#include "core/money.h"

namespace undersigned {
namespace {

template <typename E, std::size_t N>
std::optional<E> ParseName(std::string_view s, const std::array<std::pair<E, const char*>, N>& t) {
  for (const auto& [e, name] : t) {
    if (s == name) return e;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
const char* NameOf(E e, const std::array<std::pair<E, const char*>, N>& t) {
  for (const auto& [v, name] : t) {
    if (v == e) return name;
  }
  return "";
}

constexpr std::array<std::pair<PledgeConditionKind, const char*>, 3> kKinds{{
    {PledgeConditionKind::kCount, "count"},
    {PledgeConditionKind::kOutcome, "outcome"},
    {PledgeConditionKind::kUnless, "unless"},
}};
constexpr std::array<std::pair<PledgeSubjectKind, const char*>, 4> kSubjects{{
    {PledgeSubjectKind::kNone, ""},
    {PledgeSubjectKind::kCompany, "company"},
    {PledgeSubjectKind::kOrganization, "organization"},
    {PledgeSubjectKind::kPublicOfficial, "public_official"},
}};
constexpr std::array<std::pair<PledgeCampaignStatus, const char*>, 3> kCampaignStatuses{{
    {PledgeCampaignStatus::kOpen, "open"},
    {PledgeCampaignStatus::kMet, "met"},
    {PledgeCampaignStatus::kFailed, "failed"},
}};
constexpr std::array<std::pair<PledgeStatus, const char*>, 8> kStatuses{{
    {PledgeStatus::kPending, "pending"},
    {PledgeStatus::kMade, "made"},
    {PledgeStatus::kWithdrawn, "withdrawn"},
    {PledgeStatus::kCharged, "charged"},
    {PledgeStatus::kNeedsAction, "needs_action"},
    {PledgeStatus::kLapsed, "lapsed"},
    {PledgeStatus::kReleased, "released"},
    {PledgeStatus::kDue, "due"},
}};

constexpr std::int64_t kMaxDeadlineAhead = 366 * 24 * 3600;

}  // namespace

const char* PledgeConditionKindName(PledgeConditionKind k) { return NameOf(k, kKinds); }
std::optional<PledgeConditionKind> ParsePledgeConditionKind(std::string_view s) {
  return ParseName(s, kKinds);
}
const char* PledgeSubjectKindName(PledgeSubjectKind k) { return NameOf(k, kSubjects); }
std::optional<PledgeSubjectKind> ParsePledgeSubjectKind(std::string_view s) {
  return ParseName(s, kSubjects);
}
const char* PledgeCampaignStatusName(PledgeCampaignStatus s) {
  return NameOf(s, kCampaignStatuses);
}
std::optional<PledgeCampaignStatus> ParsePledgeCampaignStatus(std::string_view s) {
  return ParseName(s, kCampaignStatuses);
}
const char* PledgeStatusName(PledgeStatus s) { return NameOf(s, kStatuses); }
std::optional<PledgeStatus> ParsePledgeStatus(std::string_view s) {
  return ParseName(s, kStatuses);
}

bool PledgeCounts(PledgeStatus s) {
  return s != PledgeStatus::kPending && s != PledgeStatus::kWithdrawn;
}

Result<void> ValidatePledgeTerms(const PledgeTerms& t, UnixTime now) {
  std::map<std::string, std::string> errors;
  CheckTextField(errors, "title", t.title, 200, true, false);
  CheckTextField(errors, "condition", t.condition_text, 500, true, false);
  if (t.subject_kind == PledgeSubjectKind::kPublicOfficial) {
    errors["subject_kind"] = kPublicOfficialRefusal;
  } else if (t.kind == PledgeConditionKind::kCount) {
    if (t.threshold < 1 || t.threshold > 100'000'000) {
      errors["threshold"] = "must be a whole number of pledgers from 1 to 100000000";
    }
  } else {
    if (t.subject_kind == PledgeSubjectKind::kNone) {
      errors["subject_kind"] =
          "say who must act: a company or an organization (never a public official)";
    }
    CheckTextField(errors, "subject_name", t.subject_name, 200, true, false);
  }
  if (t.kind == PledgeConditionKind::kUnless) {
    CheckTextField(errors, "payee", t.payee, 200, true, false);
  }
  if (t.deadline <= now) {
    errors["deadline"] = "must be in the future";
  } else if (t.deadline - now > kMaxDeadlineAhead) {
    errors["deadline"] = "must be within a year";
  }
  if (t.money) {
    if (!IsCurrencyCode(t.currency)) {
      errors["currency"] = "must be a three-letter ISO 4217 code such as USD";
    }
    if (t.minimum_minor < 0 || t.minimum_minor > kMaxAmountMinor) {
      errors["minimum"] = "must be an amount from 0 up";
    }
  } else {
    CheckTextField(errors, "promise", t.promise, 500, true, false);
  }
  if (!errors.empty()) return tl::unexpected(FieldErrors(std::move(errors)));
  return {};
}

Result<void> ValidatePledgeAmount(std::int64_t amount_minor, std::int64_t minimum_minor,
                                  std::string_view currency) {
  const std::int64_t floor = minimum_minor > 0 ? minimum_minor : 1;
  if (amount_minor < floor || amount_minor > kMaxAmountMinor) {
    std::map<std::string, std::string> errors;
    errors["amount"] = "must be at least " + DisplayAmount(floor, currency);
    return tl::unexpected(FieldErrors(std::move(errors)));
  }
  return {};
}

PledgeCampaignStatus DecideAtDeadline(PledgeConditionKind kind, std::int64_t pledgers,
                                      std::int64_t threshold) {
  switch (kind) {
    case PledgeConditionKind::kCount:
      return pledgers >= threshold && threshold > 0 ? PledgeCampaignStatus::kMet
                                                    : PledgeCampaignStatus::kFailed;
    case PledgeConditionKind::kOutcome:
      return PledgeCampaignStatus::kFailed;
    case PledgeConditionKind::kUnless:
      return PledgeCampaignStatus::kMet;
  }
  return PledgeCampaignStatus::kFailed;
}

Result<PledgeCampaignStatus> DecideOnDeclaration(PledgeConditionKind kind) {
  switch (kind) {
    case PledgeConditionKind::kOutcome:
      return PledgeCampaignStatus::kMet;
    case PledgeConditionKind::kUnless:
      return PledgeCampaignStatus::kFailed;
    case PledgeConditionKind::kCount:
      break;
  }
  return Fail(Code::kInvalidArgument,
              "a count condition is decided by the number of pledgers at the deadline, not "
              "declared");
}

NeedsActionStep NextNeedsActionStep(UnixTime since, std::int64_t reminders_sent) {
  const UnixTime at = since + kNeedsActionEvery * (reminders_sent + 1);
  if (at >= since + kNeedsActionWindow) return {since + kNeedsActionWindow, true};
  return {at, false};
}

std::int64_t ChargeRetryDelay(std::int64_t attempt) {
  std::int64_t delay = 3600;
  for (std::int64_t i = 1; i < attempt && delay < 24 * 3600; ++i) delay *= 4;
  return delay;
}

}  // namespace undersigned
