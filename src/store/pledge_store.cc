// The pledge transitions both backends apply (pledge_store.h).
#include "store/pledge_store.h"

#include <nlohmann/json.hpp>

namespace undersigned::store {

std::string PledgeMailPayload(const Pledge& p) {
  return nlohmann::json{{"pledge_id", p.id}}.dump();
}

Result<PledgeTransition> SaveCardTransition(Pledge& p, const PledgeCampaign& c,
                                            const std::string& customer,
                                            const std::string& payment_method, UnixTime now) {
  if (p.status == PledgeStatus::kMade && p.payment_method == payment_method) {
    return PledgeTransition{};  // the same event again
  }
  if (p.status != PledgeStatus::kPending) {
    return Fail(Code::kConflict, "the pledge is no longer waiting for a card");
  }
  if (c.status != PledgeCampaignStatus::kOpen) {
    return Fail(Code::kConflict, "the pledge campaign is closed");
  }
  p.status = PledgeStatus::kMade;
  p.customer = customer;
  p.payment_method = payment_method;
  p.modified = now;
  return PledgeTransition{true, "pledge_made"};
}

Result<PledgeTransition> WithdrawTransition(Pledge& p, const PledgeCampaign& c, UnixTime now) {
  if (p.status == PledgeStatus::kWithdrawn) return PledgeTransition{};
  if ((p.status != PledgeStatus::kPending && p.status != PledgeStatus::kMade) ||
      c.status != PledgeCampaignStatus::kOpen) {
    return Fail(Code::kConflict,
                "the condition was decided: the pledge can no longer be withdrawn");
  }
  p.status = PledgeStatus::kWithdrawn;
  p.modified = now;
  return PledgeTransition{true, nullptr};
}

PledgeTransition ChargeTransition(Pledge& p, const PledgeChargeResult& r) {
  if (p.status != PledgeStatus::kMade || p.attempt != r.attempt) return {};
  if (!r.payment_intent.empty()) p.payment_intent = r.payment_intent;
  p.modified = r.now;
  p.claimed_until = 0;
  switch (r.record) {
    case ChargeRecord::kCharged:
      p.status = PledgeStatus::kCharged;
      return {true, "pledge_charged"};
    case ChargeRecord::kNeedsAction:
      p.status = PledgeStatus::kNeedsAction;
      p.needs_action_since = r.now;
      p.reminders_sent = 0;
      p.next_step_at = NextNeedsActionStep(r.now, 0).at;
      return {true, "pledge_needs_action"};
    case ChargeRecord::kRetryLater:
      p.attempt += 1;
      p.claimed_until = r.retry_at;
      return {true, nullptr};
  }
  return {};
}

PledgeTransition ReleasedTransition(Pledge& p, const PledgeCampaign& c, UnixTime now) {
  if (c.status != PledgeCampaignStatus::kFailed) return {};
  if (p.status != PledgeStatus::kMade && p.status != PledgeStatus::kPending) return {};
  // A pending pledge never saved its card: it never counted, and is closed as withdrawn.
  const bool made = p.status == PledgeStatus::kMade;
  p.status = made ? PledgeStatus::kReleased : PledgeStatus::kWithdrawn;
  p.claimed_until = 0;
  p.modified = now;
  return {true, made ? "pledge_released" : nullptr};
}

PledgeTransition DueTransition(Pledge& p, const PledgeCampaign& c, UnixTime now) {
  if (c.status != PledgeCampaignStatus::kMet || c.terms.money) return {};
  if (p.status != PledgeStatus::kMade) return {};
  p.status = PledgeStatus::kDue;
  p.claimed_until = 0;
  p.modified = now;
  return {true, "pledge_due"};
}

PledgeTransition CompleteTransition(Pledge& p, const std::string& payment_intent, UnixTime now) {
  if (p.status != PledgeStatus::kNeedsAction) return {};
  p.status = PledgeStatus::kCharged;
  if (!payment_intent.empty()) p.payment_intent = payment_intent;
  p.next_step_at.reset();
  p.modified = now;
  return {true, "pledge_charged"};
}

PledgeTransition NeedsActionTransition(Pledge& p, UnixTime now) {
  if (p.status != PledgeStatus::kNeedsAction || !p.next_step_at || *p.next_step_at > now ||
      !p.needs_action_since) {
    return {};
  }
  const NeedsActionStep step = NextNeedsActionStep(*p.needs_action_since, p.reminders_sent);
  p.modified = now;
  if (step.lapse) {
    p.status = PledgeStatus::kLapsed;
    p.next_step_at.reset();
    return {true, "pledge_lapsed"};
  }
  p.reminders_sent += 1;
  p.next_step_at = NextNeedsActionStep(*p.needs_action_since, p.reminders_sent).at;
  return {true, "pledge_reminder"};
}

PledgeWork WorkFor(const Pledge& p, const PledgeCampaign& c) {
  (void)p;
  if (c.status == PledgeCampaignStatus::kFailed) return PledgeWork::kRelease;
  return c.terms.money ? PledgeWork::kCharge : PledgeWork::kTell;
}

}  // namespace undersigned::store
