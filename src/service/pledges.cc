// PledgeService, PledgeResolver, PledgeScheduler, PledgeMailRenderer (pledges.h).
#include "service/pledges.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <string>
#include <utility>

#include "core/money.h"
#include "core/signature.h"
#include "core/utf8.h"
#include "service/fundraising.h"
#include "service/link_mac.h"
#include "service/provider_objects.h"

namespace undersigned::service {
namespace {

Error Invalid(const std::string& field, const std::string& what) {
  Error e{Code::kInvalidArgument, field + ": " + what, {}, 0};
  e.field_errors[field] = what;
  return e;
}

bool IsWebUrl(std::string_view u) {
  return (u.starts_with("https://") || u.starts_with("http://")) && u.size() <= 2000 &&
         u.find_first_of(" \t\r\n\"<>") == std::string_view::npos;
}

std::string When(UnixTime t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

payments::IdempotencyKey KeyFor(std::string_view purpose, std::vector<std::string> parts) {
  auto k = payments::IdempotencyKey::For(purpose, parts);
  // Our purposes and ids are always valid key material.
  return *k;
}

}  // namespace

// --- PledgeLinks

Result<PledgeLinks> PledgeLinks::Open(Store& store) {
  auto key = store.InstanceSecret("pledge-link-key");
  if (!key) return Fail(key.error());
  return PledgeLinks(std::move(*key));
}

std::string PledgeLinks::Mac(std::string_view msg) const { return HmacHex(key_, msg); }

std::string PledgeLinks::Token(std::int64_t pledge_id) const {
  return IdLinkToken(key_, "pledge", pledge_id);
}

Result<std::int64_t> PledgeLinks::Check(std::string_view token) const {
  auto id = CheckIdLinkToken(key_, "pledge", token);
  if (!id) return Fail(Code::kNotFound, "this pledge link is not valid");
  return *id;
}

std::string PledgeLinks::EmailKey(std::string_view email) const {
  return Mac("pledge-email:" + CanonicalEmail(email));
}

// --- PledgeService: organizers

Result<void> PledgeService::Authorize(const Actor& by, const PledgeCampaign& c) {
  if (c.campaign_id) return accounts_.Authorize(by, *c.campaign_id, CampaignAction::kEdit);
  if (c.fundraiser_id) {
    auto f = store_.fundraising().GetFundraiser(*c.fundraiser_id);
    if (!f) return Fail(f.error());
    if (f->campaign_id) return accounts_.Authorize(by, *f->campaign_id, CampaignAction::kEdit);
  }
  if (by.admin) return {};
  return Fail(Code::kNotFound, "no such pledge campaign");
}

Result<PledgeCampaign> PledgeService::CreateCampaign(const Actor& by,
                                                     const PledgeCampaignInput& in) {
  PledgeCampaign c;
  c.slug = Trim(in.slug);
  c.description_markdown = in.description_markdown;
  c.terms = in.terms;
  c.terms.title = Trim(c.terms.title);
  c.terms.condition_text = Trim(c.terms.condition_text);
  c.terms.subject_name = Trim(c.terms.subject_name);
  if (!c.terms.money) {
    c.terms.currency.clear();
    c.terms.minimum_minor = 0;
  }
  const UnixTime now = clock_.Now();
  auto valid = ValidatePledgeTerms(c.terms, now);
  Error errors = valid ? Error{Code::kInvalidArgument, "", {}, 0} : valid.error();
  if (!IsFundraiserSlug(c.slug)) {
    errors.field_errors["slug"] = "use 1 to 64 lower-case letters, digits and dashes";
  }
  if (c.description_markdown.size() > 50'000) {
    errors.field_errors["description"] = "must be at most 50000 bytes";
  }
  if (!errors.field_errors.empty()) return Fail(FieldErrors(std::move(errors.field_errors)));
  if (!in.campaign_slug.empty()) {
    auto campaign = store_.GetCampaignBySlug(in.campaign_slug);
    if (!campaign) return Fail(campaign.error());
    c.campaign_id = campaign->id;
  }
  if (!in.fundraiser_slug.empty()) {
    auto f = store_.fundraising().GetFundraiserBySlug(in.fundraiser_slug);
    if (!f) return Fail(f.error());
    if (c.terms.money && f->currency != c.terms.currency) {
      return Fail(Invalid("currency", "must be the fundraiser's, " + f->currency));
    }
    c.fundraiser_id = f->id;
  }
  if (auto r = Authorize(by, c); !r) {
    if (r.error().code == Code::kNotFound) {
      return Fail(Code::kForbidden, "only administrators make pledge campaigns that stand alone");
    }
    return Fail(r.error());
  }
  c.created_by = by.user_id;
  c.created = c.modified = now;
  auto made = store_.pledges().CreatePledgeCampaign(c);
  if (!made) {
    if (made.error().code == Code::kConflict) {
      return Fail(Invalid("slug", "another pledge campaign has the address \"" + c.slug + "\""));
    }
    return Fail(made.error());
  }
  if (auto r = accounts_.Record(by, made->campaign_id, "pledge_campaign.create", made->slug,
                                {{"kind", PledgeConditionKindName(made->terms.kind)},
                                 {"deadline", made->terms.deadline}});
      !r) {
    spdlog::warn("pledges: the action record refused an entry: {}", r.error().message);
  }
  return made;
}

Result<PledgeCampaign> PledgeService::DeclareHappened(const Actor& by, const std::string& slug,
                                                      const std::string& evidence_url) {
  auto c = store_.pledges().GetPledgeCampaignBySlug(slug);
  if (!c) return Fail(c.error());
  if (auto r = Authorize(by, *c); !r) return Fail(r.error());
  auto to = DecideOnDeclaration(c->terms.kind);
  if (!to) return Fail(to.error());
  if (!IsWebUrl(evidence_url)) {
    return Fail(
        Invalid("evidence_url", "give the public link (https://...) that shows it happened"));
  }
  auto decided = store_.pledges().Decide(c->id, *to, evidence_url, clock_.Now());
  if (!decided) return Fail(decided.error());
  if (!*decided) return Fail(Code::kConflict, "this pledge campaign was already decided");
  if (auto r = accounts_.Record(
          by, c->campaign_id, "pledge_campaign.declare", c->slug,
          {{"status", PledgeCampaignStatusName(*to)}, {"evidence_url", evidence_url}});
      !r) {
    spdlog::warn("pledges: the action record refused an entry: {}", r.error().message);
  }
  return store_.pledges().GetPledgeCampaign(c->id);
}

Result<Paged<Pledge>> PledgeService::Pledges(const Actor& by, const std::string& slug, Page page) {
  auto c = store_.pledges().GetPledgeCampaignBySlug(slug);
  if (!c) return Fail(c.error());
  if (auto r = Authorize(by, *c); !r) return Fail(r.error());
  return store_.pledges().ListPledges(c->id, page);
}

// --- the public

Result<PledgeCampaignView> PledgeService::View(const std::string& slug) {
  auto c = store_.pledges().GetPledgeCampaignBySlug(slug);
  if (!c) return Fail(c.error());
  auto t = store_.pledges().GetPledgeTotals(c->id);
  if (!t) return Fail(t.error());
  return PledgeCampaignView{std::move(*c), *t};
}

Result<StartedPledge> PledgeService::StartPledge(const PledgeRequest& req) {
  auto c = store_.pledges().GetPledgeCampaignBySlug(req.slug);
  if (!c) return Fail(c.error());
  const UnixTime now = clock_.Now();
  std::map<std::string, std::string> errors;
  const std::string name = Trim(req.name);
  CheckTextField(errors, "name", name, 200, true, false);
  const std::string email = Trim(req.email);
  if (!ValidEmail(email)) errors["email"] = "enter an email address like name@example.org";
  if (c->terms.money) {
    if (auto a = ValidatePledgeAmount(req.amount_minor, c->terms.minimum_minor, c->terms.currency);
        !a) {
      errors["amount"] = a.error().field_errors.at("amount");
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  if (c->status != PledgeCampaignStatus::kOpen || c->terms.deadline <= now) {
    return Fail(Code::kConflict, "this pledge campaign is closed: its condition was decided");
  }
  if (c->terms.money && payments_ == nullptr) {
    return Fail(Code::kUnavailable,
                "card payments are not configured on this site, so money pledges cannot be "
                "taken");
  }
  NewPledge n;
  n.pledge_campaign_id = c->id;
  n.amount_minor = c->terms.money ? req.amount_minor : 0;
  n.name = name;
  n.email = email;
  n.email_key = links_.EmailKey(email);
  n.now = now;
  auto p = store_.pledges().CreatePledge(n);
  if (!p) {
    if (p.error().code == Code::kConflict && p.error().message == "already pledged") {
      return Fail(Invalid("email", "this address has already pledged here"));
    }
    return Fail(p.error());
  }
  StartedPledge out{*p, ""};
  if (!c->terms.money) {
    if (wake_mailer_) wake_mailer_();  // the receipt
    return out;
  }
  payments::CheckoutRequest cr;
  cr.mode = payments::CheckoutMode::kSetup;
  cr.currency = c->terms.currency;
  cr.success_url = req.success_url;
  cr.cancel_url = req.cancel_url;
  cr.customer_email = email;
  cr.metadata = {{"pledge_id", std::to_string(p->id)},
                 {"pledge_campaign_id", std::to_string(c->id)}};
  auto session =
      payments_->CreateCheckoutSession(cr, KeyFor("pledge-setup", {std::to_string(p->id)}));
  if (!session) return Fail(session.error());
  auto kept = store_.pledges().SetPledgeCheckout(p->id, session->id, now);
  if (!kept) return Fail(kept.error());
  out.pledge = *kept;
  out.checkout_url = session->url;
  return out;
}

Result<Pledge> PledgeService::Withdraw(std::string_view token) {
  auto id = links_.Check(token);
  if (!id) return Fail(id.error());
  auto p = store_.pledges().WithdrawPledge(*id, clock_.Now());
  if (!p) return Fail(p.error());
  if (!p->payment_method.empty() && payments_ != nullptr) {
    auto d = payments_->DetachPaymentMethod(p->payment_method,
                                            KeyFor("pledge-detach", {std::to_string(p->id)}));
    if (!d) spdlog::warn("pledges: detaching a withdrawn pledge's card: {}", d.error().message);
  }
  return p;
}

Result<std::string> PledgeService::StartCompletion(std::string_view token,
                                                   const std::string& success_url,
                                                   const std::string& cancel_url) {
  auto id = links_.Check(token);
  if (!id) return Fail(id.error());
  auto p = store_.pledges().GetPledge(*id);
  if (!p) return Fail(p.error());
  if (p->status != PledgeStatus::kNeedsAction) {
    return Fail(Code::kConflict, std::string("this pledge is ") + PledgeStatusName(p->status) +
                                     ": there is nothing to complete");
  }
  if (payments_ == nullptr) return Fail(Code::kUnavailable, "card payments are not configured");
  auto c = store_.pledges().GetPledgeCampaign(p->pledge_campaign_id);
  if (!c) return Fail(c.error());
  payments::CheckoutRequest cr;
  cr.mode = payments::CheckoutMode::kPayment;
  cr.currency = p->currency;
  cr.amount_minor = p->amount_minor;
  cr.item_name = "Pledge: " + c->terms.title;
  cr.success_url = success_url;
  cr.cancel_url = cancel_url;
  cr.customer_id = p->customer;
  cr.metadata = {{"pledge_id", std::to_string(p->id)},
                 {"pledge_campaign_id", std::to_string(c->id)}};
  auto s = payments_->CreateCheckoutSession(
      cr, KeyFor("pledge-complete", {std::to_string(p->id), std::to_string(p->reminders_sent)}));
  if (!s) return Fail(s.error());
  return s->url;
}

// --- the payment provider

Result<bool> PledgeService::ApplyWebhook(const payments::WebhookEvent& event) {
  const nlohmann::json& o = event.object;
  if (!o.is_object()) return false;
  const auto pledge_id = MetadataIdOf(o, "pledge_id");
  if (!pledge_id) return false;
  const UnixTime now = clock_.Now();
  if (event.type == "setup_intent.succeeded") {
    const std::string customer = TextOf(o, "customer");
    const std::string pm = TextOf(o, "payment_method");
    if (pm.empty()) return true;
    auto saved = store_.pledges().SaveCard(*pledge_id, customer, pm, now);
    if (saved) {
      if (wake_mailer_) wake_mailer_();  // the receipt
      return true;
    }
    if (saved.error().code == Code::kNotFound) return true;  // not ours after all
    if (saved.error().code != Code::kConflict) return Fail(saved.error());
    // Withdrawn or decided meanwhile: the card must not stay with the provider.
    if (payments_ != nullptr) {
      auto d = payments_->DetachPaymentMethod(
          pm, KeyFor("pledge-detach-late", {std::to_string(*pledge_id)}));
      if (!d && d.error().code == Code::kUnavailable) return Fail(d.error());
    }
    return true;
  }
  if (event.type == "payment_intent.succeeded") {
    auto done = store_.pledges().CompleteNeedsAction(*pledge_id, TextOf(o, "id"), now);
    if (!done && done.error().code != Code::kNotFound) return Fail(done.error());
    if (done && *done && wake_mailer_) wake_mailer_();
    return true;
  }
  // Other events about a pledge (checkout.session.completed in setup mode, a failed intent):
  // acknowledged; the events above carry what we keep.
  return true;
}

// --- PledgeResolver

Result<PledgeRunReport> PledgeResolver::RunOnce() {
  PledgeRunReport report;
  const UnixTime now = clock_.Now();
  PledgeStore& ps = store_.pledges();
  auto due = ps.DueForDecision(now);
  if (!due) return Fail(due.error());
  for (const PledgeCampaign& c : *due) {
    auto t = ps.GetPledgeTotals(c.id);
    if (!t) return Fail(t.error());
    const PledgeCampaignStatus to = DecideAtDeadline(c.terms.kind, t->pledgers, c.terms.threshold);
    auto d = ps.Decide(c.id, to, "", now);
    if (!d) return Fail(d.error());
    if (*d) {
      ++report.decided;
      spdlog::info("pledges: \"{}\" {} at its deadline ({} pledgers)", c.slug,
                   PledgeCampaignStatusName(to), t->pledgers);
    }
  }
  for (;;) {
    auto claimed = ps.ClaimWork(now, kLeaseSeconds, kClaimBatch);
    if (!claimed) return Fail(claimed.error());
    if (claimed->empty()) break;
    for (const ClaimedPledge& w : *claimed) {
      if (auto r = Work(w, now, report); !r) return Fail(r.error());
    }
    if (claimed->size() < static_cast<std::size_t>(kClaimBatch)) break;
  }
  auto steps = ps.RunNeedsAction(now);
  if (!steps) return Fail(steps.error());
  report.steps = *steps;
  return report;
}

Result<void> PledgeResolver::Work(const ClaimedPledge& w, UnixTime now, PledgeRunReport& report) {
  PledgeStore& ps = store_.pledges();
  const Pledge& p = w.pledge;
  switch (w.work) {
    case PledgeWork::kTell: {
      auto r = ps.RecordDue(p.id, now);
      if (!r) return Fail(r.error());
      report.told += *r ? 1 : 0;
      return {};
    }
    case PledgeWork::kRelease: {
      if (!p.payment_method.empty()) {
        if (payments_ == nullptr) {
          ++report.postponed;
          return {};
        }
        auto d = payments_->DetachPaymentMethod(p.payment_method,
                                                KeyFor("pledge-detach", {std::to_string(p.id)}));
        // Not found or not attached: already detached (a retry after a crash).
        if (!d && d.error().code != Code::kNotFound && d.error().code != Code::kConflict &&
            d.error().code != Code::kInvalidArgument) {
          spdlog::warn("pledges: detaching pledge {}'s card: {}", p.id, d.error().message);
          ++report.postponed;
          return {};
        }
      }
      auto r = ps.RecordReleased(p.id, now);
      if (!r) return Fail(r.error());
      report.released += *r ? 1 : 0;
      return {};
    }
    case PledgeWork::kCharge:
      break;
  }
  if (payments_ == nullptr) {
    spdlog::warn("pledges: pledge {} is due to be charged but payments are not configured", p.id);
    ++report.postponed;
    return {};
  }
  payments::OffSessionCharge charge;
  charge.customer = p.customer;
  charge.payment_method = p.payment_method;
  charge.amount_minor = p.amount_minor;
  charge.currency = p.currency;
  charge.description = "Pledge: " + w.campaign.terms.title;
  charge.metadata = {{"pledge_id", std::to_string(p.id)},
                     {"pledge_campaign_id", std::to_string(w.campaign.id)}};
  auto r = payments_->ChargeOffSession(
      charge, KeyFor("pledge", {std::to_string(p.id), std::to_string(p.attempt)}));
  PledgeChargeResult rec;
  rec.pledge_id = p.id;
  rec.attempt = p.attempt;
  rec.now = now;
  if (!r) {
    if (r.error().code == Code::kUnavailable) {
      // Try again when the lease runs out, with the same key: never two charges.
      spdlog::warn("pledges: charging pledge {}: {}", p.id, r.error().message);
      ++report.postponed;
      return {};
    }
    // Refused as a request (a detached card, a customer gone): the donor must act.
    spdlog::warn("pledges: charging pledge {} was refused: {}", p.id, r.error().message);
    rec.record = ChargeRecord::kNeedsAction;
  } else {
    rec.payment_intent = r->id;
    switch (r->outcome) {
      case payments::ChargeOutcome::kSucceeded:
        rec.record = ChargeRecord::kCharged;
        break;
      case payments::ChargeOutcome::kProcessing:
        // Not known yet: the lease runs out and the same key asks again.
        ++report.postponed;
        return {};
      case payments::ChargeOutcome::kNeedsAction:
      case payments::ChargeOutcome::kDeclined:
        rec.record = ChargeRecord::kNeedsAction;
        break;
      case payments::ChargeOutcome::kTryAgain:
        if (p.attempt < kMaxChargeAttempts) {
          rec.record = ChargeRecord::kRetryLater;
          rec.retry_at = now + ChargeRetryDelay(p.attempt);
        } else {
          rec.record = ChargeRecord::kNeedsAction;
        }
        break;
    }
  }
  auto done = ps.RecordCharge(rec);
  if (!done) return Fail(done.error());
  if (done->second) {
    switch (rec.record) {
      case ChargeRecord::kCharged:
        ++report.charged;
        break;
      case ChargeRecord::kNeedsAction:
        ++report.needs_action;
        break;
      case ChargeRecord::kRetryLater:
        ++report.retried;
        break;
    }
  }
  return {};
}

Result<std::optional<UnixTime>> PledgeResolver::NextAt() {
  auto a = store_.pledges().NextDeadline();
  if (!a) return Fail(a.error());
  auto b = store_.pledges().NextPledgeWorkAt(clock_.Now());
  if (!b) return Fail(b.error());
  if (*a && *b) return std::min(**a, **b);
  return *a ? *a : *b;
}

// --- PledgeScheduler

PledgeScheduler::PledgeScheduler(Store& store, const Clock& clock,
                                 payments::PaymentProvider* payments,
                                 std::function<void()> wake_mailer)
    : resolver_(store, clock, payments), clock_(clock), wake_mailer_(std::move(wake_mailer)) {}

PledgeScheduler::~PledgeScheduler() { Stop(); }

void PledgeScheduler::Start() {
  std::lock_guard lk(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void PledgeScheduler::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PledgeScheduler::Poke() {
  {
    std::lock_guard lk(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void PledgeScheduler::Loop() {
  for (;;) {
    std::chrono::milliseconds wait(kMaxSleepSeconds * 1000);
    if (auto r = resolver_.RunOnce(); !r) {
      spdlog::error("pledges: {}", r.error().message);
    } else {
      const PledgeRunReport& n = *r;
      if (n.charged + n.needs_action + n.released + n.told + n.steps > 0) {
        spdlog::info(
            "pledges: {} charged, {} need action, {} retried, {} released, {} told, {} "
            "reminded or lapsed",
            n.charged, n.needs_action, n.retried, n.released, n.told, n.steps);
        if (wake_mailer_) wake_mailer_();
      }
      if (auto next = resolver_.NextAt(); !next) {
        spdlog::warn("pledges: {}", next.error().message);
      } else if (*next) {
        // The clock may be a test's, moved by hand: never sleep past kMaxSleepSeconds.
        wait = std::chrono::milliseconds(
            1000 * std::clamp<UnixTime>(**next - clock_.Now(), 0, kMaxSleepSeconds));
      }
    }
    std::unique_lock lk(mu_);
    if (wait.count() > 0) cv_.wait_for(lk, wait, [&] { return stop_ || poked_; });
    if (stop_) return;
    poked_ = false;
  }
}

// --- PledgeMailRenderer

Result<OutreachMail> PledgeMailRenderer::Render(const OutboxMessage& m) const {
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("pledge_id") ||
      !payload["pledge_id"].is_number_integer()) {
    return Fail(Code::kInvalidArgument, "a pledge mail without its pledge");
  }
  auto p = store_.pledges().GetPledge(payload["pledge_id"].get<std::int64_t>());
  if (!p) {
    if (p.error().code == Code::kNotFound) return Fail(Code::kInvalidArgument, "unknown pledge");
    return Fail(p.error());
  }
  auto c = store_.pledges().GetPledgeCampaign(p->pledge_campaign_id);
  if (!c) return Fail(c.error());
  const std::string page = base_url_ + "/p/" + c->slug;
  const std::string amount =
      p->amount_minor > 0 ? DisplayAmount(p->amount_minor, p->currency) : std::string();
  const std::string title = "\"" + c->terms.title + "\"";
  OutreachMail out;
  out.to = p->email;
  std::string lead;
  if (m.kind == "pledge_made") {
    out.subject = "Your pledge: " + c->terms.title;
    const std::string when = When(c->terms.deadline);
    lead = (c->terms.money ? "You pledged " + amount + " to " + title +
                                 ". Your card is saved with the payment provider; nothing is "
                                 "charged unless the condition is met."
                           : "You pledged to " + title + ": " + c->terms.promise + ".") +
           "\nThe condition is decided by " + when + "; we will write to you once then.\n" +
           "To withdraw before then:\n" + page + "/withdraw?t=" + links_.Token(p->id);
  } else if (m.kind == "pledge_charged") {
    out.subject = "Your pledge was collected: " + c->terms.title;
    lead = "The condition of " + title + " was met, and your pledge of " + amount +
           " was collected. Thank you.";
  } else if (m.kind == "pledge_needs_action" || m.kind == "pledge_reminder") {
    out.subject = (m.kind == "pledge_reminder" ? "Reminder: " : "") +
                  std::string("Your pledge needs you: ") + c->terms.title;
    const UnixTime lapses = p->needs_action_since.value_or(p->modified) + kNeedsActionWindow;
    lead = "The condition of " + title + " was met, but your bank needs you to confirm the " +
           "payment of " + amount + " (or the card was declined). Complete it here before " +
           When(lapses) + ", or the pledge lapses:\n" + page + "/complete?t=" + links_.Token(p->id);
  } else if (m.kind == "pledge_lapsed") {
    out.subject = "Your pledge lapsed: " + c->terms.title;
    lead = "Your pledge of " + amount + " to " + title +
           " was not completed within 7 days and has lapsed. Nothing was charged.";
  } else if (m.kind == "pledge_released") {
    out.subject = "The condition was not met: " + c->terms.title;
    lead = "The condition of " + title + " was not met by its deadline (or did not happen). " +
           "Nothing was charged" +
           (p->payment_method.empty() ? std::string(".")
                                      : std::string(", and your saved card was removed.")) +
           " Thank you for pledging.";
  } else if (m.kind == "pledge_due") {
    out.subject = "It is time: " + c->terms.title;
    lead = "The condition of " + title + " was met. You pledged: " + c->terms.promise +
           ". Now is the time.";
  } else {
    return Fail(Code::kInvalidArgument, "unknown pledge mail kind " + m.kind);
  }
  out.text = "Hello " + p->name + ",\n\n" + lead + "\n\n" + page + "\n";
  return out;
}

}  // namespace undersigned::service
