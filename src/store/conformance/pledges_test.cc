// Store conformance: pledge campaigns, pledges (sealed, one live per address), the decision
// taken once, and the claims that charge, release, remind and tell each pledge once
// (store/pledge_store.h), on every backend.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

constexpr UnixTime kDeadline = kT0 + 30 * 86400;

PledgeCampaign SamplePledgeCampaign(const std::string& slug, PledgeConditionKind kind,
                                    bool money = true) {
  PledgeCampaign c;
  c.slug = slug;
  c.description_markdown = "If *500* of us pledge, the buses roll.";
  c.terms.kind = kind;
  c.terms.title = "Buses if 500 pledge";
  c.terms.condition_text = "500 people pledge by the deadline";
  c.terms.threshold = kind == PledgeConditionKind::kCount ? 3 : 0;
  if (kind != PledgeConditionKind::kCount) {
    c.terms.subject_kind = PledgeSubjectKind::kCompany;
    c.terms.subject_name = "Example Corp";
  }
  if (kind == PledgeConditionKind::kUnless) c.terms.payee = "The Legal Fund";
  c.terms.deadline = kDeadline;
  c.terms.money = money;
  c.terms.currency = money ? "USD" : "";
  c.terms.minimum_minor = money ? 500 : 0;
  c.terms.promise = money ? "" : "I will close my account";
  c.created = kT0;
  c.modified = kT0;
  return c;
}

NewPledge SamplePledge(std::int64_t campaign_id, int n, std::int64_t amount = 2500) {
  NewPledge p;
  p.pledge_campaign_id = campaign_id;
  p.amount_minor = amount;
  p.name = "Pledger " + std::to_string(n);
  p.email = "pledger" + std::to_string(n) + "@example.org";
  p.email_key = "key-" + std::to_string(n);
  p.now = kT0 + n;
  return p;
}

TEST_P(StoreTest, PledgeCampaignsAreCreatedReadAndListed) {
  Campaign owner = MustCreate("with-pledges");
  PledgeStore& ps = store_->pledges();
  PledgeCampaign in = SamplePledgeCampaign("drop-it", PledgeConditionKind::kUnless);
  in.campaign_id = owner.id;
  auto c = ps.CreatePledgeCampaign(in);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_GT(c->id, 0);
  EXPECT_EQ(c->uuid.size(), 36u);
  EXPECT_EQ(c->campaign_id, owner.id);
  EXPECT_FALSE(c->fundraiser_id);
  EXPECT_EQ(c->status, PledgeCampaignStatus::kOpen);
  EXPECT_FALSE(c->decided);
  EXPECT_EQ(c->terms.kind, PledgeConditionKind::kUnless);
  EXPECT_EQ(c->terms.subject_kind, PledgeSubjectKind::kCompany);
  EXPECT_EQ(c->terms.subject_name, "Example Corp");
  EXPECT_EQ(c->terms.payee, "The Legal Fund");
  EXPECT_EQ(c->terms.deadline, kDeadline);
  EXPECT_TRUE(c->terms.money);
  EXPECT_EQ(c->terms.minimum_minor, 500);
  EXPECT_EQ(c->description_markdown, in.description_markdown);

  EXPECT_EQ(ps.GetPledgeCampaignBySlug("drop-it")->id, c->id);
  EXPECT_EQ(ps.GetPledgeCampaign(c->id)->slug, "drop-it");
  EXPECT_EQ(ps.GetPledgeCampaign(c->id + 100).error().code, Code::kNotFound);
  auto dup = ps.CreatePledgeCampaign(in);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Code::kConflict);

  // The storage refuses a public official as the subject even if a caller skipped the rules.
  PledgeCampaign official = SamplePledgeCampaign("official", PledgeConditionKind::kOutcome);
  official.terms.subject_kind = PledgeSubjectKind::kPublicOfficial;
  EXPECT_FALSE(ps.CreatePledgeCampaign(official));

  ASSERT_TRUE(ps.CreatePledgeCampaign(SamplePledgeCampaign("later", PledgeConditionKind::kCount)));
  auto all = ps.ListPledgeCampaigns();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].slug, "drop-it");
  EXPECT_EQ(*ps.NextDeadline(), kDeadline);
}

TEST_P(StoreTest, PledgesAreSealedCountedOncePerAddressAndWithdrawn) {
  PledgeStore& ps = store_->pledges();
  auto c = ps.CreatePledgeCampaign(SamplePledgeCampaign("count", PledgeConditionKind::kCount));
  ASSERT_TRUE(c);
  auto p = ps.CreatePledge(SamplePledge(c->id, 1));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->status, PledgeStatus::kPending);  // money: waits for its card
  EXPECT_EQ(p->amount_minor, 2500);
  EXPECT_EQ(p->currency, "USD");
  EXPECT_EQ(p->email, "pledger1@example.org");
  EXPECT_EQ(p->name, "Pledger 1");
  EXPECT_EQ(p->attempt, 1);
  EXPECT_EQ(p->uuid.size(), 36u);
  // Sealed at rest: the address is nowhere in the table as text.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pledges WHERE CAST(sealed AS TEXT) LIKE "
                     "'%pledger1@example.org%' OR email_key LIKE '%example.org%'"),
            0);
  // A pending pledge does not count.
  EXPECT_EQ(ps.GetPledgeTotals(c->id)->pledgers, 0);

  auto s = ps.SetPledgeCheckout(p->id, "cs_setup_1", kT0 + 5);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->checkout_session, "cs_setup_1");
  auto made = ps.SaveCard(p->id, "cus_1", "pm_1", kT0 + 6);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->status, PledgeStatus::kMade);
  EXPECT_EQ(made->customer, "cus_1");
  EXPECT_EQ(made->payment_method, "pm_1");
  // The same webhook again: unchanged, no error.
  auto again = ps.SaveCard(p->id, "cus_1", "pm_1", kT0 + 7);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->modified, kT0 + 6);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_made'"), 1);
  PledgeTotals t = *ps.GetPledgeTotals(c->id);
  EXPECT_EQ(t.pledgers, 1);
  EXPECT_EQ(t.pledged_minor, 2500);
  EXPECT_EQ(t.collected_minor, 0);

  // One live pledge per address: a second is refused; a pending one does not block.
  auto dup = ps.CreatePledge(SamplePledge(c->id, 1));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Code::kConflict);
  EXPECT_EQ(dup.error().message, "already pledged");

  EXPECT_EQ(ps.GetPledgeByUuid(p->uuid)->id, p->id);
  NewPledge second = SamplePledge(c->id, 2, 10000);
  auto p2 = ps.CreatePledge(second);
  ASSERT_TRUE(p2);
  EXPECT_EQ(ps.GetPledge(p2->id)->email, "pledger2@example.org");
  ASSERT_TRUE(ps.SaveCard(p2->id, "cus_2", "pm_2", kT0 + 8));
  EXPECT_EQ(ps.GetPledgeTotals(c->id)->pledged_minor, 12500);

  // Withdrawn: no longer counted; the address may pledge again.
  auto w = ps.WithdrawPledge(p2->id, kT0 + 9);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->status, PledgeStatus::kWithdrawn);
  t = *ps.GetPledgeTotals(c->id);
  EXPECT_EQ(t.pledgers, 1);
  EXPECT_EQ(t.pledged_minor, 2500);
  ASSERT_TRUE(ps.CreatePledge(SamplePledge(c->id, 2, 700)));
  // A card saved for a withdrawn pledge is refused (the service detaches it).
  auto late = ps.SaveCard(p2->id, "cus_2", "pm_2b", kT0 + 10);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Code::kConflict);

  auto page = ps.ListPledges(c->id, Page{1, 2});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 3);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].email, "pledger1@example.org");

  // Money-free: made at once, no amount.
  auto free = ps.CreatePledgeCampaign(
      SamplePledgeCampaign("free", PledgeConditionKind::kCount, /*money=*/false));
  ASSERT_TRUE(free);
  auto fp = ps.CreatePledge(SamplePledge(free->id, 1, 999));
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->status, PledgeStatus::kMade);
  EXPECT_EQ(fp->amount_minor, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_made'"), 3);
  EXPECT_EQ(fp->currency, "");

  // After the deadline, or once decided, no new pledge and no withdrawal.
  NewPledge too_late = SamplePledge(c->id, 3);
  too_late.now = kDeadline;
  auto closed = ps.CreatePledge(too_late);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().message, "the pledge campaign is closed");
  ASSERT_TRUE(*ps.Decide(c->id, PledgeCampaignStatus::kFailed, "", kDeadline));
  EXPECT_EQ(ps.WithdrawPledge(p->id, kDeadline + 1).error().code, Code::kConflict);
}

TEST_P(StoreTest, ACampaignIsDecidedOnce) {
  PledgeStore& ps = store_->pledges();
  auto c = ps.CreatePledgeCampaign(SamplePledgeCampaign("outcome", PledgeConditionKind::kOutcome));
  ASSERT_TRUE(c);
  auto other = ps.CreatePledgeCampaign(SamplePledgeCampaign("other", PledgeConditionKind::kCount));
  ASSERT_TRUE(other);
  EXPECT_TRUE(ps.DueForDecision(kDeadline - 1)->empty());
  auto due = ps.DueForDecision(kDeadline);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->size(), 2u);

  auto first = ps.Decide(c->id, PledgeCampaignStatus::kMet, "https://example.org/news", kT0 + 50);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = ps.Decide(c->id, PledgeCampaignStatus::kFailed, "", kDeadline);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  Open();  // across a restart too
  PledgeStore& ps2 = store_->pledges();
  EXPECT_FALSE(*ps2.Decide(c->id, PledgeCampaignStatus::kFailed, "", kDeadline));
  auto read = ps2.GetPledgeCampaign(c->id);
  EXPECT_EQ(read->status, PledgeCampaignStatus::kMet);
  EXPECT_EQ(read->decided, kT0 + 50);
  EXPECT_EQ(read->evidence_url, "https://example.org/news");
  EXPECT_EQ(ps2.DueForDecision(kDeadline)->size(), 1u);
  EXPECT_EQ(ps2.Decide(other->id + 100, PledgeCampaignStatus::kMet, "", kT0).error().code,
            Code::kNotFound);

  // Several threads deciding at once: exactly one wins.
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto r =
          ps2.Decide(other->id, i % 2 ? PledgeCampaignStatus::kMet : PledgeCampaignStatus::kFailed,
                     "", kDeadline + i);
      if (r && *r) ++won;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_FALSE(*ps2.NextDeadline());
}

TEST_P(StoreTest, AMetCampaignsPledgesAreChargedOnceEvenWhenALeaseRunsOut) {
  PledgeStore& ps = store_->pledges();
  auto c = ps.CreatePledgeCampaign(SamplePledgeCampaign("met", PledgeConditionKind::kCount));
  ASSERT_TRUE(c);
  std::vector<std::int64_t> ids;
  for (int n = 1; n <= 3; ++n) {
    auto p = ps.CreatePledge(SamplePledge(c->id, n, 1000 * n));
    ASSERT_TRUE(p);
    ASSERT_TRUE(
        ps.SaveCard(p->id, "cus_" + std::to_string(n), "pm_" + std::to_string(n), kT0 + 10));
    ids.push_back(p->id);
  }
  ASSERT_TRUE(ps.CreatePledge(SamplePledge(c->id, 4)));  // pending forever: never charged
  // Open: nothing to do.
  EXPECT_TRUE(ps.ClaimWork(kT0 + 20, 60, 10)->empty());
  EXPECT_FALSE(*ps.NextPledgeWorkAt(kT0 + 20));
  ASSERT_TRUE(*ps.Decide(c->id, PledgeCampaignStatus::kMet, "", kDeadline));
  EXPECT_EQ(*ps.NextPledgeWorkAt(kDeadline), kDeadline);

  const UnixTime t0 = kDeadline;
  auto claimed = ps.ClaimWork(t0, 60, 2);
  ASSERT_TRUE(claimed) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 2u);
  EXPECT_EQ((*claimed)[0].work, PledgeWork::kCharge);
  EXPECT_EQ((*claimed)[0].pledge.id, ids[0]);
  EXPECT_EQ((*claimed)[0].pledge.payment_method, "pm_1");
  EXPECT_EQ((*claimed)[0].campaign.id, c->id);
  // Leased: a second claimer (another node) gets only the third.
  auto other = ps.ClaimWork(t0 + 1, 60, 10);
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].pledge.id, ids[2]);
  EXPECT_TRUE(ps.ClaimWork(t0 + 2, 60, 10)->empty());

  // The first is charged.
  auto r = ps.RecordCharge({ids[0], 1, ChargeRecord::kCharged, "pi_1", 0, t0 + 3});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->second);
  EXPECT_EQ(r->first.status, PledgeStatus::kCharged);
  EXPECT_EQ(r->first.payment_intent, "pi_1");
  // The same answer again (a retried RecordCharge): no change, no second mail.
  EXPECT_FALSE(ps.RecordCharge({ids[0], 1, ChargeRecord::kCharged, "pi_1", 0, t0 + 4})->second);

  // The process charging the second dies; its lease runs out and the pledge is claimed again
  // with the SAME attempt (the same Idempotency-Key).
  auto reclaimed = ps.ClaimWork(t0 + 61, 60, 10);
  ASSERT_TRUE(reclaimed);
  ASSERT_EQ(reclaimed->size(), 2u);
  EXPECT_EQ((*reclaimed)[0].pledge.id, ids[1]);
  EXPECT_EQ((*reclaimed)[0].pledge.attempt, 1);
  // The third needs its donor.
  r = ps.RecordCharge({ids[2], 1, ChargeRecord::kNeedsAction, "pi_3", 0, t0 + 62});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first.status, PledgeStatus::kNeedsAction);
  EXPECT_EQ(r->first.needs_action_since, t0 + 62);
  EXPECT_EQ(r->first.next_step_at, t0 + 62 + kNeedsActionEvery);
  // The second is refused for now: a new attempt later.
  r = ps.RecordCharge({ids[1], 1, ChargeRecord::kRetryLater, "pi_2a", t0 + 3600, t0 + 63});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first.status, PledgeStatus::kMade);
  EXPECT_EQ(r->first.attempt, 2);
  // A late answer for attempt 1 changes nothing.
  EXPECT_FALSE(ps.RecordCharge({ids[1], 1, ChargeRecord::kCharged, "pi_2a", 0, t0 + 64})->second);
  EXPECT_TRUE(ps.ClaimWork(t0 + 100, 60, 10)->empty());
  EXPECT_EQ(*ps.NextPledgeWorkAt(t0 + 100), t0 + 3600);
  auto retry = ps.ClaimWork(t0 + 3600, 60, 10);
  ASSERT_EQ(retry->size(), 1u);
  EXPECT_EQ(retry->front().pledge.attempt, 2);
  ASSERT_TRUE(ps.RecordCharge({ids[1], 2, ChargeRecord::kCharged, "pi_2b", 0, t0 + 3601}));

  PledgeTotals t = *ps.GetPledgeTotals(c->id);
  EXPECT_EQ(t.pledgers, 3);
  EXPECT_EQ(t.pledged_minor, 6000);
  EXPECT_EQ(t.charged, 2);
  EXPECT_EQ(t.collected_minor, 3000);
  EXPECT_EQ(t.needs_action, 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_charged'"), 2);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT payload) FROM outbox WHERE kind = 'pledge_charged'"),
            2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_needs_action'"), 1);
  EXPECT_TRUE(ps.ClaimWork(t0 + 7200, 60, 10)->empty());

  // The donor completes the payment: charged, told once.
  EXPECT_TRUE(*ps.CompleteNeedsAction(ids[2], "pi_3b", t0 + 7300));
  EXPECT_FALSE(*ps.CompleteNeedsAction(ids[2], "pi_3b", t0 + 7301));
  EXPECT_EQ(ps.GetPledge(ids[2])->status, PledgeStatus::kCharged);
  EXPECT_EQ(ps.GetPledgeTotals(c->id)->collected_minor, 6000);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_charged'"), 3);
}

TEST_P(StoreTest, NeedsActionIsRemindedEvery48HoursThenLapsesOnce) {
  PledgeStore& ps = store_->pledges();
  auto c = ps.CreatePledgeCampaign(SamplePledgeCampaign("remind", PledgeConditionKind::kCount));
  ASSERT_TRUE(c);
  auto p = ps.CreatePledge(SamplePledge(c->id, 1));
  ASSERT_TRUE(p);
  ASSERT_TRUE(ps.SaveCard(p->id, "cus_1", "pm_1", kT0 + 10));
  ASSERT_TRUE(*ps.Decide(c->id, PledgeCampaignStatus::kMet, "", kDeadline));
  ASSERT_EQ(ps.ClaimWork(kDeadline, 60, 10)->size(), 1u);
  const UnixTime since = kDeadline + 1;
  ASSERT_TRUE(ps.RecordCharge({p->id, 1, ChargeRecord::kNeedsAction, "pi_1", 0, since}));

  EXPECT_EQ(*ps.RunNeedsAction(since + kNeedsActionEvery - 1), 0);
  EXPECT_EQ(*ps.NextPledgeWorkAt(since), since + kNeedsActionEvery);
  for (int k = 1; k <= 3; ++k) {
    EXPECT_EQ(*ps.RunNeedsAction(since + k * kNeedsActionEvery), 1) << k;
    EXPECT_EQ(*ps.RunNeedsAction(since + k * kNeedsActionEvery), 0) << k;  // claimed once
    EXPECT_EQ(ps.GetPledge(p->id)->reminders_sent, k);
  }
  EXPECT_EQ(ps.GetPledge(p->id)->status, PledgeStatus::kNeedsAction);
  EXPECT_EQ(*ps.RunNeedsAction(since + kNeedsActionWindow - 1), 0);
  Open();
  PledgeStore& ps2 = store_->pledges();
  EXPECT_EQ(*ps2.RunNeedsAction(since + kNeedsActionWindow), 1);
  EXPECT_EQ(*ps2.RunNeedsAction(since + kNeedsActionWindow + 86400), 0);
  EXPECT_EQ(ps2.GetPledge(p->id)->status, PledgeStatus::kLapsed);
  EXPECT_FALSE(*ps2.NextPledgeWorkAt(since + kNeedsActionWindow));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_needs_action'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_reminder'"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_lapsed'"), 1);
  EXPECT_EQ(ps2.GetPledgeTotals(c->id)->lapsed, 1);
  EXPECT_FALSE(*ps2.CompleteNeedsAction(p->id, "pi_late", since + kNeedsActionWindow + 1));
}

TEST_P(StoreTest, AFailedCampaignReleasesEachPledgeAndTellsEachPledgerOnce) {
  PledgeStore& ps = store_->pledges();
  auto c = ps.CreatePledgeCampaign(SamplePledgeCampaign("fail", PledgeConditionKind::kCount));
  ASSERT_TRUE(c);
  std::vector<std::int64_t> made;
  for (int n = 1; n <= 2; ++n) {
    auto p = ps.CreatePledge(SamplePledge(c->id, n));
    ASSERT_TRUE(p);
    ASSERT_TRUE(ps.SaveCard(p->id, "cus", "pm_" + std::to_string(n), kT0 + 10));
    made.push_back(p->id);
  }
  auto pending = ps.CreatePledge(SamplePledge(c->id, 3));
  ASSERT_TRUE(pending);
  auto withdrawn = ps.CreatePledge(SamplePledge(c->id, 4));
  ASSERT_TRUE(withdrawn);
  ASSERT_TRUE(ps.WithdrawPledge(withdrawn->id, kT0 + 11));
  ASSERT_TRUE(*ps.Decide(c->id, PledgeCampaignStatus::kFailed, "", kDeadline));

  auto claimed = ps.ClaimWork(kDeadline, 60, 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 3u);  // the two made and the pending one; not the withdrawn
  std::set<std::int64_t> released;
  for (const ClaimedPledge& w : *claimed) {
    EXPECT_EQ(w.work, PledgeWork::kRelease);
    EXPECT_TRUE(*ps.RecordReleased(w.pledge.id, kDeadline + 1));
    EXPECT_FALSE(*ps.RecordReleased(w.pledge.id, kDeadline + 2));
    released.insert(w.pledge.id);
  }
  EXPECT_TRUE(ps.ClaimWork(kDeadline + 1000, 60, 10)->empty());
  EXPECT_EQ(ps.GetPledge(made[0])->status, PledgeStatus::kReleased);
  EXPECT_EQ(ps.GetPledge(made[0])->payment_method, "pm_1");
  EXPECT_EQ(ps.GetPledge(pending->id)->status, PledgeStatus::kWithdrawn);
  EXPECT_EQ(ps.GetPledge(withdrawn->id)->status, PledgeStatus::kWithdrawn);
  // Told: the two who had pledged, once each; the pending one never finished pledging.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_released'"), 2);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT payload) FROM outbox WHERE kind = "
                     "'pledge_released'"),
            2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_charged'"), 0);
  EXPECT_EQ(ps.GetPledgeTotals(c->id)->released, 2);
  // A card saved after the decision is refused (the service detaches it).
  EXPECT_EQ(ps.SaveCard(pending->id, "cus", "pm_late", kDeadline + 3).error().code,
            Code::kConflict);
}

TEST_P(StoreTest, AMetMoneyFreeCampaignTellsEachPledgerOnce) {
  PledgeStore& ps = store_->pledges();
  auto c = ps.CreatePledgeCampaign(
      SamplePledgeCampaign("free-met", PledgeConditionKind::kCount, /*money=*/false));
  ASSERT_TRUE(c);
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(ps.CreatePledge(SamplePledge(c->id, n)));
  ASSERT_TRUE(*ps.Decide(c->id, PledgeCampaignStatus::kMet, "", kDeadline));
  auto claimed = ps.ClaimWork(kDeadline, 60, 10);
  ASSERT_EQ(claimed->size(), 3u);
  for (const ClaimedPledge& w : *claimed) {
    EXPECT_EQ(w.work, PledgeWork::kTell);
    EXPECT_TRUE(*ps.RecordDue(w.pledge.id, kDeadline + 1));
    EXPECT_FALSE(*ps.RecordDue(w.pledge.id, kDeadline + 1));
  }
  EXPECT_TRUE(ps.ClaimWork(kDeadline + 1000, 60, 10)->empty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE kind = 'pledge_due'"), 3);
  EXPECT_EQ(ps.GetPledgeTotals(c->id)->pledgers, 3);
}

}  // namespace
}  // namespace undersigned::store::conformance
