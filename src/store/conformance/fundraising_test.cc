// Store conformance: fundraisers, donations, their totals kept exactly, and payment events
// handled once (store/fundraising_store.h), on every backend.
#include <string>

#include <gtest/gtest.h>

#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

Fundraiser SampleFundraiser(const std::string& slug, std::optional<std::int64_t> campaign_id) {
  Fundraiser f;
  f.campaign_id = campaign_id;
  f.slug = slug;
  f.title = "Buses for the conference";
  f.story_markdown = "We *will* be seen.";
  f.goal_minor = 1'000'000;
  f.currency = "USD";
  f.suggested_minor = {1000, 2500, 10000};
  f.monthly_allowed = true;
  f.line_items = {{"bus-ad", "One bus-side ad for two weeks", 420'000},
                  {"flyers", "Flyers", 30'000}};
  f.status = FundraiserStatus::kOpen;
  f.created = kT0;
  f.modified = kT0;
  return f;
}

Donation SampleDonation(std::int64_t fundraiser_id, std::int64_t amount, DonationStatus status,
                        const std::string& item = "") {
  Donation d;
  d.fundraiser_id = fundraiser_id;
  d.amount_minor = amount;
  d.currency = "USD";
  d.line_item = item;
  d.donor_name = "Ada Donor";
  d.donor_email = "ada@example.org";
  d.named = true;
  d.source =
      status == DonationStatus::kSucceeded ? DonationSource::kOffline : DonationSource::kStripe;
  d.payment_method = status == DonationStatus::kSucceeded ? "check" : "card";
  d.reference_number = status == DonationStatus::kSucceeded ? "CHQ-0042" : "";
  d.status = status;
  d.created = kT0;
  return d;
}

TEST_P(StoreTest, FundraisersAreCreatedReadEditedAndListedByCampaign) {
  Campaign c = MustCreate("with-fundraiser");
  FundraisingStore& fs = store_->fundraising();
  auto f = fs.CreateFundraiser(SampleFundraiser("buses", c.id));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_GT(f->id, 0);
  EXPECT_EQ(f->uuid.size(), 36u);
  EXPECT_EQ(f->campaign_id, c.id);
  EXPECT_EQ(f->suggested_minor, (std::vector<std::int64_t>{1000, 2500, 10000}));
  ASSERT_EQ(f->line_items.size(), 2u);
  EXPECT_EQ(f->line_items[0], (LineItem{"bus-ad", "One bus-side ad for two weeks", 420'000}));
  EXPECT_TRUE(f->monthly_allowed);
  EXPECT_EQ(f->status, FundraiserStatus::kOpen);

  auto alone = fs.CreateFundraiser(SampleFundraiser("alone", std::nullopt));
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_FALSE(alone->campaign_id);
  auto taken = fs.CreateFundraiser(SampleFundraiser("buses", std::nullopt));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Code::kConflict);

  Fundraiser edit = *f;
  edit.title = "Buses and flyers";
  edit.goal_minor = 2'000'000;
  edit.line_items.pop_back();
  edit.status = FundraiserStatus::kClosed;
  edit.modified = kT0 + 60;
  auto edited = fs.UpdateFundraiser(edit);
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->title, "Buses and flyers");
  EXPECT_EQ(edited->goal_minor, 2'000'000);
  EXPECT_EQ(edited->line_items.size(), 1u);
  EXPECT_EQ(edited->status, FundraiserStatus::kClosed);
  EXPECT_EQ(edited->created, kT0);
  EXPECT_EQ(edited->modified, kT0 + 60);

  EXPECT_EQ(fs.GetFundraiserBySlug("buses")->id, f->id);
  EXPECT_EQ(fs.GetFundraiserByUuid(f->uuid)->slug, "buses");
  EXPECT_EQ(fs.GetFundraiser(alone->id)->slug, "alone");
  EXPECT_EQ(fs.GetFundraiserBySlug("nope").error().code, Code::kNotFound);
  Fundraiser missing = edit;
  missing.id = 999999;
  EXPECT_EQ(fs.UpdateFundraiser(missing).error().code, Code::kNotFound);
  EXPECT_EQ(fs.ListFundraisers(c.id)->size(), 1u);
  EXPECT_EQ(fs.ListFundraisers(std::nullopt)->size(), 2u);

  Open();  // kept across a restart
  EXPECT_EQ(store_->fundraising().GetFundraiser(f->id)->title, "Buses and flyers");
}

TEST_P(StoreTest, OfflineGiftsMoveTheTotalsAtOnceAndKeepEveryField) {
  FundraisingStore& fs = store_->fundraising();
  auto f = fs.CreateFundraiser(SampleFundraiser("offline", std::nullopt));
  ASSERT_TRUE(f) << f.error().message;
  auto g = fs.CreateDonation(SampleDonation(f->id, 2501, DonationStatus::kSucceeded, "bus-ad"));
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->amount_minor, 2501);
  EXPECT_EQ(g->source, DonationSource::kOffline);
  EXPECT_EQ(g->reference_number, "CHQ-0042");
  EXPECT_EQ(g->donor_email, "ada@example.org");
  EXPECT_EQ(g->line_item, "bus-ad");
  EXPECT_EQ(fs.GetDonationByUuid(g->uuid)->id, g->id);
  ASSERT_TRUE(fs.CreateDonation(SampleDonation(f->id, 1000, DonationStatus::kSucceeded)));
  ASSERT_TRUE(fs.CreateDonation(SampleDonation(f->id, 700, DonationStatus::kPending)));

  auto t = fs.GetTotals(f->id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->amount_minor, 3501);
  EXPECT_EQ(t->donations, 2);
  ASSERT_EQ(t->items.size(), 1u);
  EXPECT_EQ(t->items["bus-ad"].amount_minor, 2501);
  EXPECT_EQ(t->items["bus-ad"].donations, 1);

  auto page = fs.ListDonations(f->id, Page{1, 2});
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->total, 3);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, g->id);
  EXPECT_EQ(fs.ListDonations(f->id, Page{2, 2})->items.size(), 1u);

  Donation bad = SampleDonation(f->id, 0, DonationStatus::kSucceeded);
  EXPECT_FALSE(fs.CreateDonation(bad));  // CHECK (amount > 0)
  EXPECT_EQ(fs.GetTotals(f->id)->amount_minor, 3501);
}

TEST_P(StoreTest, PaymentEventsMoveADonationOnceAndTheTotalsBackOnRefund) {
  FundraisingStore& fs = store_->fundraising();
  auto f = fs.CreateFundraiser(SampleFundraiser("online", std::nullopt));
  ASSERT_TRUE(f);
  auto d = fs.CreateDonation(SampleDonation(f->id, 2500, DonationStatus::kPending, "flyers"));
  ASSERT_TRUE(d) << d.error().message;
  auto s = fs.SetCheckoutSession(d->id, "cs_test_1", kT0 + 1);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->checkout_session, "cs_test_1");
  EXPECT_EQ(fs.GetTotals(f->id)->amount_minor, 0);

  DonationChange paid;
  paid.event_id = "evt_1";
  paid.event_type = "checkout.session.completed";
  paid.checkout_session = "cs_test_1";
  paid.payment_intent = "pi_1";
  paid.from = {DonationStatus::kPending};
  paid.to = DonationStatus::kSucceeded;
  paid.now = kT0 + 2;
  auto r = fs.ApplyDonationChange(paid);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->duplicate);
  EXPECT_TRUE(r->changed);
  ASSERT_TRUE(r->donation);
  EXPECT_EQ(r->donation->status, DonationStatus::kSucceeded);
  EXPECT_EQ(r->donation->payment_intent, "pi_1");
  FundraiserTotals t = *fs.GetTotals(f->id);
  EXPECT_EQ(t.amount_minor, 2500);
  EXPECT_EQ(t.donations, 1);
  EXPECT_EQ(t.items["flyers"].amount_minor, 2500);

  // The same event again (and again, after a restart): nothing moves.
  r = fs.ApplyDonationChange(paid);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->duplicate);
  Open();
  FundraisingStore& fs2 = store_->fundraising();
  EXPECT_TRUE(fs2.ApplyDonationChange(paid)->duplicate);
  // Another event saying the same (payment_intent.succeeded, by donation id): not allowed from
  // succeeded, so no change.
  DonationChange intent = paid;
  intent.event_id = "evt_2";
  intent.donation_id = d->id;
  r = fs2.ApplyDonationChange(intent);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->duplicate);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(fs2.GetTotals(f->id)->amount_minor, 2500);

  // A refund found by payment intent takes it back, with its line item.
  DonationChange refund;
  refund.event_id = "evt_3";
  refund.event_type = "charge.refunded";
  refund.payment_intent = "pi_1";
  refund.from = {DonationStatus::kPending, DonationStatus::kSucceeded, DonationStatus::kDisputed};
  refund.to = DonationStatus::kRefunded;
  refund.now = kT0 + 3;
  r = fs2.ApplyDonationChange(refund);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->donation->status, DonationStatus::kRefunded);
  t = *fs2.GetTotals(f->id);
  EXPECT_EQ(t.amount_minor, 0);
  EXPECT_EQ(t.donations, 0);
  EXPECT_EQ(t.items["flyers"].amount_minor, 0);

  // An event about no donation of ours is recorded and changes nothing.
  DonationChange stranger = refund;
  stranger.event_id = "evt_4";
  stranger.payment_intent = "pi_unknown";
  r = fs2.ApplyDonationChange(stranger);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->donation);
  EXPECT_TRUE(fs2.ApplyDonationChange(stranger)->duplicate);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM processed_webhook_events"), 4);
}

TEST_P(StoreTest, OnlyNamedSucceededDonorsArePublic) {
  FundraisingStore& fs = store_->fundraising();
  auto f = fs.CreateFundraiser(SampleFundraiser("donors", std::nullopt));
  ASSERT_TRUE(f);
  Donation named = SampleDonation(f->id, 100, DonationStatus::kSucceeded);
  named.donor_name = "Named One";
  Donation quiet = named;
  quiet.donor_name = "Quiet One";
  quiet.named = false;
  Donation pending = named;
  pending.donor_name = "Pending One";
  pending.status = DonationStatus::kPending;
  ASSERT_TRUE(fs.CreateDonation(named));
  ASSERT_TRUE(fs.CreateDonation(quiet));
  ASSERT_TRUE(fs.CreateDonation(pending));
  auto donors = fs.NamedDonors(f->id, 10);
  ASSERT_TRUE(donors) << donors.error().message;
  ASSERT_EQ(donors->size(), 1u);
  EXPECT_EQ((*donors)[0].name, "Named One");
  EXPECT_EQ(fs.GetTotals(f->id)->donations, 2);  // the unnamed gift counts all the same
}

}  // namespace
}  // namespace undersigned::store::conformance
