// FundraisingService over a real SQLite store and FakePaymentProvider: who may manage a
// fundraiser, offline gifts, starting a donation (Checkout, its idempotency key, payments off),
// and webhook events moving donations and totals exactly once.
#include "service/fundraising.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "payments/test_support.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class FundraisingTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    service_ = std::make_unique<FundraisingService>(*store_, *accounts_, clock_, &provider_);
    service_->SetListener([this](const Fundraiser& f, const FundraiserTotals& t) {
      announced_.push_back({f.slug, t.amount_minor});
    });
    Create(OpenCampaign("bees", "Save the bees"));
    bees_ = campaigns_->GetBySlug("bees")->id;
  }
  void CloseServices() override {
    service_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }
  User Organizer(const std::string& email, std::optional<CampaignRole> role) {
    auto u = accounts_->CreateUser(Actor::Operator(), email, "", false);
    EXPECT_TRUE(u) << u.error().message;
    if (role) {
      EXPECT_TRUE(store_->accounts().AddMembership(u->id, bees_, *role, clock_.Now()));
    }
    return *u;
  }
  FundraiserInput Input(const std::string& slug) {
    FundraiserInput in;
    in.campaign_slug = "bees";
    in.slug = slug;
    in.title = "Hives for the city";
    in.story_markdown = "Every hive counts.";
    in.goal_minor = 500000;
    in.suggested_minor = {1000, 2500};
    in.monthly_allowed = true;
    in.line_items = {{"hive", "One hive", 30000}};
    return in;
  }
  Fundraiser OpenFundraiser(const std::string& slug) {
    auto f = service_->Create(Actor::Operator(), Input(slug));
    EXPECT_TRUE(f) << f.error().message;
    auto o = service_->SetStatus(Actor::Operator(), f->id, FundraiserStatus::kOpen);
    EXPECT_TRUE(o) << o.error().message;
    return *o;
  }
  payments::WebhookEvent Event(const std::string& id, const std::string& type,
                               nlohmann::json object) {
    payments::WebhookEvent e;
    e.id = id;
    e.type = type;
    e.object = std::move(object);
    return e;
  }

  payments::testing::FakePaymentProvider provider_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<FundraisingService> service_;
  std::vector<std::pair<std::string, std::int64_t>> announced_;
  std::int64_t bees_ = 0;
};

TEST_F(FundraisingTest, EditorsManageTheirCampaignsFundraisersAndOthersCannot) {
  User editor = Organizer("editor@example.org", CampaignRole::kEditor);
  User viewer = Organizer("viewer@example.org", CampaignRole::kViewer);
  User stranger = Organizer("stranger@example.org", std::nullopt);
  auto f = service_->Create(Actor::Of(editor), Input("hives"));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->status, FundraiserStatus::kDraft);
  EXPECT_EQ(f->campaign_id, bees_);
  EXPECT_EQ(service_->Create(Actor::Of(viewer), Input("other")).error().code, Code::kForbidden);
  EXPECT_EQ(service_->GetForEdit(Actor::Of(stranger), f->id).error().code, Code::kNotFound);
  FundraiserInput standalone = Input("alone");
  standalone.campaign_slug = "";
  EXPECT_EQ(service_->Create(Actor::Of(editor), standalone).error().code, Code::kForbidden);
  EXPECT_TRUE(service_->Create(Actor::Operator(), standalone));
  // A draft is not public; an open one is.
  EXPECT_EQ(service_->View("hives").error().code, Code::kNotFound);
  ASSERT_TRUE(service_->SetStatus(Actor::Of(editor), f->id, FundraiserStatus::kOpen));
  EXPECT_TRUE(service_->View("hives"));
  EXPECT_EQ(service_->ForCampaign(bees_).value()->fundraiser.slug, "hives");
  EXPECT_EQ(service_->SetStatus(Actor::Of(editor), f->id, FundraiserStatus::kDraft).error().code,
            Code::kInvalidArgument);
}

TEST_F(FundraisingTest, BadInputIsRefusedNamingTheField) {
  FundraiserInput in = Input("Bad Slug");
  auto r = service_->Create(Actor::Operator(), in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field_errors.count("slug"), 1u);
  in = Input("ok");
  in.currency = "usd";
  EXPECT_EQ(service_->Create(Actor::Operator(), in).error().field_errors.count("currency"), 1u);
  in = Input("ok");
  in.goal_minor = -5;
  EXPECT_EQ(service_->Create(Actor::Operator(), in).error().field_errors.count("goal"), 1u);
  in = Input("ok");
  in.line_items.push_back(in.line_items[0]);
  EXPECT_EQ(service_->Create(Actor::Operator(), in).error().field_errors.count("line_items"), 1u);
  ASSERT_TRUE(service_->Create(Actor::Operator(), Input("ok")));
  EXPECT_EQ(service_->Create(Actor::Operator(), Input("ok")).error().field_errors.count("slug"),
            1u);
}

TEST_F(FundraisingTest, OfflineGiftsCountAtOnceAndExportForTheTreasurer) {
  Fundraiser f = OpenFundraiser("hives");
  OfflineGift g;
  g.amount_minor = 2501;
  g.line_item = "hive";
  g.donor_name = "Ada \"=SUM\" Donor";
  g.donor_email = "ada@example.org";
  g.named = true;
  g.payment_method = "check";
  g.reference_number = "CHQ-77";
  auto d = service_->RecordOffline(Actor::Operator(), f.id, g);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->status, DonationStatus::kSucceeded);
  auto v = service_->View("hives");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->totals.amount_minor, 2501);
  EXPECT_EQ(v->totals.items["hive"].amount_minor, 2501);
  ASSERT_EQ(v->donors.size(), 1u);
  ASSERT_FALSE(announced_.empty());
  EXPECT_EQ(announced_.back(), (std::pair<std::string, std::int64_t>{"hives", 2501}));

  g.line_item = "nope";
  EXPECT_EQ(
      service_->RecordOffline(Actor::Operator(), f.id, g).error().field_errors.count("line_item"),
      1u);
  g.line_item = "";
  g.amount_minor = -1;
  EXPECT_EQ(
      service_->RecordOffline(Actor::Operator(), f.id, g).error().field_errors.count("amount"), 1u);

  auto csv = service_->DonationsCsv(Actor::Operator(), f.id);
  ASSERT_TRUE(csv) << csv.error().message;
  EXPECT_NE(csv->find("\"25.01\",\"USD\",\"succeeded\",\"offline\",\"check\",\"CHQ-77\""),
            std::string::npos)
      << *csv;
  EXPECT_NE(csv->find("ada@example.org"), std::string::npos);
  User viewer = Organizer("viewer@example.org", CampaignRole::kViewer);
  EXPECT_EQ(service_->DonationsCsv(Actor::Of(viewer), f.id).error().code, Code::kForbidden);
}

TEST_F(FundraisingTest, ADonationGoesThroughCheckoutAndCountsOnlyFromItsWebhooks) {
  Fundraiser f = OpenFundraiser("hives");
  DonationRequest req;
  req.fundraiser_slug = "hives";
  req.amount_minor = 2500;
  req.donor_name = "Bea";
  req.donor_email = "bea@example.org";
  req.named = true;
  req.success_url = "http://127.0.0.1/f/hives/thanks?session={CHECKOUT_SESSION_ID}";
  req.cancel_url = "http://127.0.0.1/f/hives";
  auto started = service_->StartDonation(req);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->donation.status, DonationStatus::kPending);
  EXPECT_FALSE(started->checkout_url.empty());
  EXPECT_FALSE(started->donation.checkout_session.empty());
  ASSERT_EQ(provider_.calls().size(), 1u);
  EXPECT_EQ(provider_.calls()[0].key,
            "undersigned:donation-checkout:" + std::to_string(started->donation.id));
  EXPECT_EQ(service_->View("hives")->totals.amount_minor, 0);  // not before the webhook

  const std::string id = std::to_string(started->donation.id);
  nlohmann::json session = {{"id", started->donation.checkout_session},
                            {"mode", "payment"},
                            {"payment_status", "paid"},
                            {"payment_intent", "pi_1"},
                            {"metadata", {{"donation_id", id}}}};
  auto done = Event("evt_1", "checkout.session.completed", session);
  for (int i = 0; i < 3; ++i) {  // delivered three times: counted once
    auto r = service_->ApplyWebhook(done);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, i == 0 ? WebhookOutcome::kApplied : WebhookOutcome::kDuplicate);
  }
  auto pi = service_->ApplyWebhook(Event("evt_2", "payment_intent.succeeded",
                                         {{"id", "pi_1"}, {"metadata", {{"donation_id", id}}}}));
  EXPECT_EQ(pi.value(), WebhookOutcome::kUnchanged);
  EXPECT_EQ(service_->View("hives")->totals.amount_minor, 2500);
  EXPECT_EQ(service_->View("hives")->totals.donations, 1);
  EXPECT_EQ(service_->ApplyWebhook(Event("evt_3", "customer.created", {{"id", "cus_1"}})).value(),
            WebhookOutcome::kIgnored);
  // Partly refunded: still counted. Refunded in full: taken back.
  EXPECT_EQ(
      service_
          ->ApplyWebhook(Event("evt_4", "charge.refunded",
                               {{"id", "ch_1"}, {"payment_intent", "pi_1"}, {"refunded", false}}))
          .value(),
      WebhookOutcome::kIgnored);
  EXPECT_EQ(
      service_
          ->ApplyWebhook(Event("evt_5", "charge.refunded",
                               {{"id", "ch_1"}, {"payment_intent", "pi_1"}, {"refunded", true}}))
          .value(),
      WebhookOutcome::kApplied);
  EXPECT_EQ(service_->View("hives")->totals.amount_minor, 0);
  EXPECT_EQ(announced_.back(), (std::pair<std::string, std::int64_t>{"hives", 0}));
  EXPECT_EQ(store_->fundraising().GetDonation(started->donation.id)->status,
            DonationStatus::kRefunded);
  EXPECT_EQ(service_
                ->ApplyWebhook(Event("evt_6", "charge.dispute.created",
                                     {{"id", "dp_1"}, {"payment_intent", "pi_other"}}))
                .value(),
            WebhookOutcome::kNotOurs);
}

TEST_F(FundraisingTest, MonthlyOnlyWhenAllowedAndNoCardPaymentsWhenPaymentsAreOff) {
  FundraiserInput in = Input("once-only");
  in.monthly_allowed = false;
  auto f = service_->Create(Actor::Operator(), in);
  ASSERT_TRUE(f);
  ASSERT_TRUE(service_->SetStatus(Actor::Operator(), f->id, FundraiserStatus::kOpen));
  DonationRequest req;
  req.fundraiser_slug = "once-only";
  req.amount_minor = 1000;
  req.monthly = true;
  req.success_url = "http://127.0.0.1/ok";
  req.cancel_url = "http://127.0.0.1/no";
  EXPECT_EQ(service_->StartDonation(req).error().field_errors.count("monthly"), 1u);

  FundraisingService off(*store_, *accounts_, clock_, nullptr);
  req.monthly = false;
  auto r = off.StartDonation(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  OfflineGift g;
  g.amount_minor = 500;
  EXPECT_TRUE(off.RecordOffline(Actor::Operator(), f->id, g));  // offline gifts still work
}

// How organizers write line items and suggested amounts (the CLI and the console).
TEST(FundraisingParseTest, LineItemsAndAmountListsAsOrganizersWriteThem) {
  auto item = ParseLineItem("bus-ad = One bus-side ad = 2 weeks=4200.50", "USD");
  ASSERT_TRUE(item) << item.error().message;
  EXPECT_EQ(item->key, "bus-ad");
  EXPECT_EQ(item->title, "One bus-side ad = 2 weeks");  // the title may hold '='
  EXPECT_EQ(item->goal_minor, 420050);
  auto yen = ParseLineItem("ad=An ad=5000", "JPY");
  ASSERT_TRUE(yen);
  EXPECT_EQ(yen->goal_minor, 5000);
  for (const char* bad : {"no-goal", "key=title", "k=t=12,000", "k=t=-1", "k=t="}) {
    auto r = ParseLineItem(bad, "USD");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_TRUE(r.error().field_errors.count("line_items")) << bad;
  }
  auto list = ParseAmountList(" 10, 25  50.50\n", "USD", "suggested");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(*list, (std::vector<std::int64_t>{1000, 2500, 5050}));
  EXPECT_TRUE(ParseAmountList("", "USD", "suggested")->empty());
  auto bad = ParseAmountList("10 ten", "USD", "suggested");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace undersigned::service
