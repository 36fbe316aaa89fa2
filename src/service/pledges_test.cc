// PledgeService and PledgeResolver over a real SQLite store and FakePaymentProvider: the public
// official refused with its reason, a pledge saving its card only from the verified webhook's
// SetupIntent, a count condition met at its deadline and each pledge charged once (also when
// the charging process dies and a second resolver takes over), needs-action and its link,
// a failed condition detaching every card and telling each pledger once.
#include "service/pledges.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

#include "payments/test_support.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class PledgesTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    auto links = PledgeLinks::Open(*store_);
    ASSERT_TRUE(links) << links.error().message;
    service_ =
        std::make_unique<PledgeService>(*store_, *accounts_, clock_, &provider_, std::move(*links));
    resolver_ = std::make_unique<PledgeResolver>(*store_, clock_, &provider_);
  }
  void CloseServices() override {
    resolver_.reset();
    service_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }
  PledgeCampaignInput CountInput(const std::string& slug, std::int64_t threshold) {
    PledgeCampaignInput in;
    in.slug = slug;
    in.terms.kind = PledgeConditionKind::kCount;
    in.terms.title = "Buses if enough of us pledge";
    in.terms.condition_text = std::to_string(threshold) + " people pledge";
    in.terms.threshold = threshold;
    in.terms.deadline = clock_.Now() + 7 * 86400;
    in.terms.currency = "USD";
    in.terms.minimum_minor = 500;
    return in;
  }
  // Pledges and, as the verified webhook would, saves the card.
  Pledge PledgeWithCard(const std::string& slug, int n, std::int64_t amount) {
    PledgeRequest r;
    r.slug = slug;
    r.amount_minor = amount;
    r.name = "Pledger " + std::to_string(n);
    r.email = "p" + std::to_string(n) + "@example.org";
    r.success_url = "https://example.org/p/" + slug + "/thanks";
    auto s = service_->StartPledge(r);
    EXPECT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->pledge.status, PledgeStatus::kPending);
    EXPECT_FALSE(s->checkout_url.empty());
    EXPECT_TRUE(service_->ApplyWebhook(SetupSucceeded(s->pledge.id, n)).value());
    return *store_->pledges().GetPledge(s->pledge.id);
  }
  payments::WebhookEvent SetupSucceeded(std::int64_t pledge_id, int n) {
    payments::WebhookEvent e;
    e.id = "evt_setup_" + std::to_string(n);
    e.type = "setup_intent.succeeded";
    e.object = {{"id", "seti_" + std::to_string(n)},
                {"customer", "cus_" + std::to_string(n)},
                {"payment_method", "pm_" + std::to_string(n)},
                {"metadata", {{"pledge_id", std::to_string(pledge_id)}}}};
    return e;
  }
  std::int64_t Mails(const std::string& kind) {
    auto due = store_->DueOutbox(kOutboxNever, 10000);
    EXPECT_TRUE(due);
    std::int64_t n = 0;
    for (const auto& m : *due) n += m.kind == kind ? 1 : 0;
    return n;
  }

  payments::testing::FakePaymentProvider provider_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<PledgeService> service_;
  std::unique_ptr<PledgeResolver> resolver_;
};

TEST_F(PledgesTest, APublicOfficialsActIsRefusedWithTheReason) {
  PledgeCampaignInput in = CountInput("vote", 10);
  in.terms.kind = PledgeConditionKind::kOutcome;
  in.terms.subject_kind = PledgeSubjectKind::kPublicOfficial;
  in.terms.subject_name = "Senator Example";
  auto r = service_->CreateCampaign(Actor::Operator(), in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().field_errors.at("subject_kind"), kPublicOfficialRefusal);
  EXPECT_TRUE(store_->pledges().ListPledgeCampaigns()->empty());
  in.terms.subject_kind = PledgeSubjectKind::kCompany;
  in.terms.subject_name = "Example Corp";
  EXPECT_TRUE(service_->CreateCampaign(Actor::Operator(), in));
}

TEST_F(PledgesTest, TheCardIsSavedOnlyFromTheWebhooksSetupIntent) {
  ASSERT_TRUE(service_->CreateCampaign(Actor::Operator(), CountInput("buses", 2)));
  PledgeRequest r;
  r.slug = "buses";
  r.amount_minor = 400;
  r.name = "Ada";
  r.email = "ada@example.org";
  r.success_url = "https://example.org/thanks";
  auto low = service_->StartPledge(r);
  ASSERT_FALSE(low);
  EXPECT_EQ(low.error().field_errors.at("amount"), "must be at least $5.00");
  r.amount_minor = 2500;
  auto s = service_->StartPledge(r);
  ASSERT_TRUE(s) << s.error().message;
  // Checkout in setup mode, keyed by our id, nothing charged.
  auto calls = provider_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].operation, "checkout");
  EXPECT_EQ(calls[0].key, "undersigned:pledge-setup:" + std::to_string(s->pledge.id));
  EXPECT_EQ(service_->View("buses")->totals.pledgers, 0);
  // An event without our pledge id is not ours.
  payments::WebhookEvent stranger = SetupSucceeded(s->pledge.id, 1);
  stranger.object.erase("metadata");
  EXPECT_FALSE(*service_->ApplyWebhook(stranger));
  ASSERT_TRUE(*service_->ApplyWebhook(SetupSucceeded(s->pledge.id, 1)));
  ASSERT_TRUE(*service_->ApplyWebhook(SetupSucceeded(s->pledge.id, 1)));  // again: no-op
  auto v = service_->View("buses");
  EXPECT_EQ(v->totals.pledgers, 1);
  EXPECT_EQ(v->totals.pledged_minor, 2500);
  EXPECT_EQ(store_->pledges().GetPledge(s->pledge.id)->payment_method, "pm_1");
  EXPECT_EQ(Mails("pledge_made"), 1);  // the receipt, once
  // The same address again is refused naming the field.
  EXPECT_EQ(service_->StartPledge(r).error().field_errors.count("email"), 1u);
  // Withdrawn through its link: the card is detached.
  auto w = service_->Withdraw(service_->links().Token(s->pledge.id));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->status, PledgeStatus::kWithdrawn);
  EXPECT_EQ(provider_.calls().back().operation, "detach");
  EXPECT_EQ(provider_.calls().back().subject, "pm_1");
  EXPECT_EQ(service_->Withdraw(std::to_string(s->pledge.id) + ".00").error().code, Code::kNotFound);
}

TEST_F(PledgesTest, AMetCountIsChargedOncePerPledgeEvenWhenTheChargerDies) {
  ASSERT_TRUE(service_->CreateCampaign(Actor::Operator(), CountInput("buses", 3)));
  std::vector<Pledge> pledges;
  for (int n = 1; n <= 4; ++n) pledges.push_back(PledgeWithCard("buses", n, 1000 * n));
  // Before the deadline nothing happens.
  EXPECT_EQ(resolver_->RunOnce()->decided, 0);
  clock_.Advance(7 * 86400);
  // The first charger claims everything; the provider cannot be reached for pledge 1, which
  // stays leased (the same as a charger killed mid-charge: nothing recorded).
  provider_.NextCharge(Fail(Code::kUnavailable, "connection reset"));
  auto first = resolver_->RunOnce();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->decided, 1);
  EXPECT_EQ(first->charged, 3);
  EXPECT_EQ(first->postponed, 1);
  EXPECT_EQ(store_->pledges().GetPledgeCampaignBySlug("buses")->status, PledgeCampaignStatus::kMet);
  // Another resolver (a restart, another node) runs before the lease ends: nothing to do.
  PledgeResolver other(*store_, clock_, &provider_);
  EXPECT_EQ(other.RunOnce()->charged, 0);
  clock_.Advance(PledgeResolver::kLeaseSeconds);
  auto second = other.RunOnce();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->charged, 1);
  EXPECT_EQ(resolver_->RunOnce()->charged, 0);
  // One successful charge per pledge, each under undersigned:pledge:<id>:1.
  EXPECT_EQ(provider_.succeeded_charges(), 4);
  std::set<std::string> keys;
  for (const auto& c : provider_.calls()) {
    if (c.operation == "charge") keys.insert(c.key);
  }
  EXPECT_EQ(keys.size(), 4u);
  for (const Pledge& p : pledges) {
    EXPECT_TRUE(keys.count("undersigned:pledge:" + std::to_string(p.id) + ":1")) << p.id;
    EXPECT_EQ(store_->pledges().GetPledge(p.id)->status, PledgeStatus::kCharged);
  }
  auto v = service_->View("buses");
  EXPECT_EQ(v->totals.collected_minor, 10000);
  EXPECT_EQ(v->totals.charged, 4);
  EXPECT_EQ(Mails("pledge_charged"), 4);
}

TEST_F(PledgesTest, AuthenticationRequiredGoesToNeedsActionWithALinkAndLapses) {
  ASSERT_TRUE(service_->CreateCampaign(Actor::Operator(), CountInput("buses", 1)));
  Pledge p = PledgeWithCard("buses", 1, 2500);
  clock_.Advance(7 * 86400);
  payments::PaymentIntentResult auth;
  auth.id = "pi_auth";
  auth.status = "requires_payment_method";
  auth.outcome = payments::ChargeOutcome::kNeedsAction;
  auth.failure = payments::PaymentFailure{payments::FailureKind::kNeedsAction, "card_error",
                                          "authentication_required", "", "needs auth"};
  provider_.NextCharge(auth);
  auto r = resolver_->RunOnce();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->needs_action, 1);
  EXPECT_EQ(store_->pledges().GetPledge(p.id)->status, PledgeStatus::kNeedsAction);
  EXPECT_EQ(Mails("pledge_needs_action"), 1);
  // The mail links to the completion page, which opens a Checkout payment session.
  PledgeMailRenderer renderer(*store_, service_->links(), "https://example.org");
  auto due = store_->DueOutbox(kOutboxNever, 100);
  const OutboxMessage* needs = nullptr;
  for (const auto& m : *due) needs = m.kind == "pledge_needs_action" ? &m : needs;
  ASSERT_NE(needs, nullptr);
  auto mail = renderer.Render(*needs);
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->to, "p1@example.org");
  const std::string link =
      "https://example.org/p/buses/complete?t=" + service_->links().Token(p.id);
  EXPECT_NE(mail->text.find(link), std::string::npos) << mail->text;
  auto url = service_->StartCompletion(service_->links().Token(p.id), "https://example.org/ok",
                                       "https://example.org/no");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(provider_.calls().back().key,
            "undersigned:pledge-complete:" + std::to_string(p.id) + ":0");
  // Reminded at 48, 96 and 144 hours, then lapsed at 7 days.
  for (int k = 1; k <= 3; ++k) {
    clock_.Advance(48 * 3600);
    EXPECT_EQ(resolver_->RunOnce()->steps, 1) << k;
  }
  EXPECT_EQ(Mails("pledge_reminder"), 3);
  clock_.Advance(24 * 3600);
  EXPECT_EQ(resolver_->RunOnce()->steps, 1);
  EXPECT_EQ(store_->pledges().GetPledge(p.id)->status, PledgeStatus::kLapsed);
  EXPECT_EQ(Mails("pledge_lapsed"), 1);
  EXPECT_EQ(provider_.succeeded_charges(), 0);
}

TEST_F(PledgesTest, AFailedConditionDetachesEveryCardAndTellsEachPledgerOnce) {
  PledgeCampaignInput in = CountInput("drop", 0);
  in.terms.kind = PledgeConditionKind::kOutcome;
  in.terms.threshold = 0;
  in.terms.subject_kind = PledgeSubjectKind::kCompany;
  in.terms.subject_name = "Example Corp";
  in.terms.condition_text = "Example Corp drops the contract";
  ASSERT_TRUE(service_->CreateCampaign(Actor::Operator(), in));
  std::vector<Pledge> pledges;
  for (int n = 1; n <= 3; ++n) pledges.push_back(PledgeWithCard("drop", n, 1000));
  // A count is not declared; an outcome needs its evidence link.
  EXPECT_EQ(service_->DeclareHappened(Actor::Operator(), "drop", "not a link").error().code,
            Code::kInvalidArgument);
  clock_.Advance(7 * 86400);  // the deadline passes without the act
  ASSERT_TRUE(resolver_->RunOnce());
  ASSERT_TRUE(resolver_->RunOnce());
  EXPECT_EQ(store_->pledges().GetPledgeCampaignBySlug("drop")->status,
            PledgeCampaignStatus::kFailed);
  std::set<std::string> detached;
  for (const auto& c : provider_.calls()) {
    EXPECT_NE(c.operation, "charge");
    if (c.operation == "detach") detached.insert(c.subject);
  }
  EXPECT_EQ(detached, (std::set<std::string>{"pm_1", "pm_2", "pm_3"}));
  for (const Pledge& p : pledges) {
    EXPECT_EQ(store_->pledges().GetPledge(p.id)->status, PledgeStatus::kReleased);
  }
  EXPECT_EQ(Mails("pledge_released"), 3);
  EXPECT_EQ(
      service_->DeclareHappened(Actor::Operator(), "drop", "https://example.org/x").error().code,
      Code::kConflict);
}

TEST_F(PledgesTest, OrganizersDeclareAnOutcomeWithEvidence) {
  PledgeCampaignInput in = CountInput("drop", 0);
  in.terms.kind = PledgeConditionKind::kOutcome;
  in.terms.subject_kind = PledgeSubjectKind::kOrganization;
  in.terms.subject_name = "Example University";
  ASSERT_TRUE(service_->CreateCampaign(Actor::Operator(), in));
  PledgeWithCard("drop", 1, 700);
  auto d = service_->DeclareHappened(Actor::Operator(), "drop", "https://news.example/dropped");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->status, PledgeCampaignStatus::kMet);
  EXPECT_EQ(d->evidence_url, "https://news.example/dropped");
  EXPECT_EQ(resolver_->RunOnce()->charged, 1);  // at once, not at the deadline
  EXPECT_EQ(provider_.succeeded_charges(), 1);
}

TEST_F(PledgesTest, MoneyFreePledgesNeedNoCardAndAreToldWhenMet) {
  PledgeCampaignInput in = CountInput("switch", 2);
  in.terms.money = false;
  in.terms.promise = "I will move my account to a credit union";
  ASSERT_TRUE(service_->CreateCampaign(Actor::Operator(), in));
  for (int n = 1; n <= 2; ++n) {
    PledgeRequest r;
    r.slug = "switch";
    r.name = "P" + std::to_string(n);
    r.email = "p" + std::to_string(n) + "@example.org";
    auto s = service_->StartPledge(r);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->pledge.status, PledgeStatus::kMade);
    EXPECT_EQ(s->checkout_url, "");
  }
  EXPECT_TRUE(provider_.calls().empty());
  clock_.Advance(7 * 86400);
  EXPECT_EQ(resolver_->RunOnce()->told, 2);
  EXPECT_EQ(resolver_->RunOnce()->told, 0);
  EXPECT_EQ(Mails("pledge_due"), 2);
}

}  // namespace
}  // namespace undersigned::service
