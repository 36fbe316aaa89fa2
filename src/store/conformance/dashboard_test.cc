// Store conformance: where signatures come from (their origin), and what the dashboard reads
// (store/dashboard_store.h): hourly counts kept by the writer, tallies, the outbox's state and
// the organizers' search.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/moderation.h"
#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"
#include "store/tally_rollup.h"
#include "store/write.h"
#include "store/write_tx.h"

namespace undersigned::store::conformance {
namespace {

constexpr UnixTime kH0 = kT0 - kT0 % 3600;  // the hour kT0 is in

SignatureOrigin Origin(std::string channel, std::string utm = "", std::string ref = "") {
  SignatureOrigin o;
  o.channel = std::move(channel);
  o.utm_source = std::move(utm);
  o.referrer = std::move(ref);
  return o;
}

const TallyRow* Find(const std::vector<TallyRow>& rows, const std::string& key) {
  for (const TallyRow& r : rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

TEST_P(StoreTest, ASignaturesOriginIsKeptAndReadBack) {
  Campaign c = MustCreate("origins");
  NewSignature s = NewSig(c.id, "ada@example.org");
  s.origin = {"news.example.org", "newsletter", "email", "spring", "mastodon", ""};
  const std::string uuid = MustSign(s);
  auto read = store_->GetSignatureByUuid(uuid);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->origin, s.origin);
  auto listed = store_->ListSignatures(c.id, {}, Page{1, 10});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].origin, s.origin);
  // Signing again (a re-sent link) keeps the origin first recorded.
  NewSignature again = NewSig(c.id, "ada@example.org", kT0 + 5);
  again.origin = Origin("x");
  ASSERT_TRUE(tx::Sign(*store_, again));
  EXPECT_EQ(store_->GetSignatureByUuid(uuid)->origin, s.origin);
  // Confirming keeps it too.
  ASSERT_TRUE(tx::Confirm(*store_, s.token_hash, kT0 + 10));
  EXPECT_EQ(store_->GetSignatureByUuid(uuid)->origin, s.origin);
}

// A personal link (service/referrals.h) is credited with the confirmed signatures that came
// through it, in its own campaign, its code compared exactly; nothing else.
TEST_P(StoreTest, APersonalLinkCountsOnlyTheConfirmedSignaturesItBrought) {
  Campaign c = MustCreate("referrals");
  Campaign other = MustCreate("other-referrals");
  auto through = [&](std::int64_t campaign, const std::string& email, const std::string& code) {
    NewSignature s = NewSig(campaign, email);
    s.origin.referral = code;
    s.origin.channel = "whatsapp";
    MustSign(s);
    return s;
  };
  NewSignature a = through(c.id, "a@example.org", "CodeA");
  NewSignature b = through(c.id, "b@example.org", "CodeA");
  NewSignature lower = through(c.id, "l@example.org", "codea");
  NewSignature elsewhere = through(other.id, "e@example.org", "CodeA");
  NewSignature plain = NewSig(c.id, "p@example.org");
  MustSign(plain);
  auto count = [&](std::int64_t campaign, const std::string& code) {
    auto n = store_->CountReferred(campaign, code);
    EXPECT_TRUE(n) << n.error().message;
    return n ? *n : -1;
  };
  EXPECT_EQ(count(c.id, "CodeA"), 0);  // nobody confirmed yet
  for (const NewSignature* s : {&a, &b, &lower, &elsewhere, &plain}) {
    ASSERT_TRUE(tx::Confirm(*store_, s->token_hash, kT0 + 10));
  }
  EXPECT_EQ(count(c.id, "CodeA"), 2);
  EXPECT_EQ(count(c.id, "codea"), 1);
  EXPECT_EQ(count(other.id, "CodeA"), 1);
  EXPECT_EQ(count(c.id, ""), 0);
  EXPECT_EQ(count(c.id, "nobody"), 0);
  ASSERT_TRUE(tx::Withdraw(*store_, b.token_hash, kT0 + 20));
  EXPECT_EQ(count(c.id, "CodeA"), 1);
  // Signing again through another link keeps the link first recorded.
  NewSignature again = NewSig(c.id, "a@example.org", kT0 + 30);
  again.origin.referral = "CodeZ";
  ASSERT_TRUE(tx::Sign(*store_, again));
  EXPECT_EQ(count(c.id, "CodeZ"), 0);
  EXPECT_EQ(count(c.id, "CodeA"), 1);
}

TEST_P(StoreTest, HourlyCountsFollowEveryCountedWrite) {
  Campaign c = MustCreate("hours");
  Campaign other = MustCreate("other-hours");
  NewSignature a = NewSig(c.id, "a@example.org", kT0);
  NewSignature b = NewSig(c.id, "b@example.org", kT0 + 1);
  MustSign(a);
  MustSign(b);
  MustSign(NewSig(other.id, "c@example.org", kT0));
  // An hour later: a confirms, and a trusted client records one that counts at once.
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kH0 + 3600 + 5));
  MustSign(NewSig(c.id, "d@example.org", kH0 + 3600 + 9, /*confirm_now=*/true));
  // Two hours later, a withdraws.
  ASSERT_TRUE(tx::Withdraw(*store_, a.token_hash, kH0 + 7200 + 1));

  auto hours = store_->dashboard().SignatureHours(c.id, kH0, kH0 + 4 * 3600);
  ASSERT_TRUE(hours) << hours.error().message;
  ASSERT_EQ(hours->size(), 3u);
  EXPECT_EQ((*hours)[0].hour, kH0);
  EXPECT_EQ((*hours)[0].pending, 2);
  EXPECT_EQ((*hours)[0].confirmed, 0);
  EXPECT_EQ((*hours)[1].hour, kH0 + 3600);
  EXPECT_EQ((*hours)[1].pending, -1);
  EXPECT_EQ((*hours)[1].confirmed, 2);
  EXPECT_EQ((*hours)[2].hour, kH0 + 7200);
  EXPECT_EQ((*hours)[2].confirmed, -1);
  EXPECT_EQ((*hours)[2].withdrawn, 1);
  // They add up to the counts.
  std::int64_t p = 0, conf = 0, w = 0;
  for (const HourCounts& h : *hours) {
    p += h.pending;
    conf += h.confirmed;
    w += h.withdrawn;
  }
  ExpectCounts(CountsOf(c.id), p, conf, w);
  auto counts = store_->dashboard().Counts(c.id);
  ASSERT_TRUE(counts);
  ExpectCounts(*counts, p, conf, w);
  // The window is [from, to), by hour.
  auto one = store_->dashboard().SignatureHours(c.id, kH0 + 3600, kH0 + 7200);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].hour, kH0 + 3600);
  auto others = store_->dashboard().SignatureHours(other.id, kH0, kH0 + 4 * 3600);
  ASSERT_TRUE(others);
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ((*others)[0].pending, 1);
  // Kept across a restart.
  Open();
  EXPECT_EQ(store_->dashboard().SignatureHours(c.id, kH0, kH0 + 4 * 3600)->size(), 3u);
}

TEST(DeltaHourTest, ProtectedSignaturesCountInTheirDaysFirstHour) {
  CountsDelta d;
  d.now = kT0;
  EXPECT_EQ(DeltaHour(d), kH0);
  d.day_only = true;
  EXPECT_EQ(DeltaHour(d), kT0 - kT0 % 86400);
}

TEST_P(StoreTest, TalliesCountPendingAndConfirmedByEveryField) {
  Campaign c = MustCreate("tallies");
  NewSignature a = NewSig(c.id, "a@example.org");
  a.origin = Origin("x", "newsletter", "news.example.org");
  NewSignature b = NewSig(c.id, "b@example.org");
  b.origin = Origin("x");
  b.form.country = "FR";
  NewSignature gone = NewSig(c.id, "gone@example.org");
  gone.origin = Origin("mastodon");
  MustSign(a);
  MustSign(b);
  MustSign(gone);
  MustSign(NewSig(c.id, "api@example.org", kT0, /*confirm_now=*/true));
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 1));
  ASSERT_TRUE(tx::Withdraw(*store_, gone.token_hash, kT0 + 2));

  auto t = store_->dashboard().Tallies(c.id);
  ASSERT_TRUE(t) << t.error().message;
  // Channels: x twice (one confirmed, one pending), none for the API's; the withdrawn one's
  // mastodon is not counted.
  ASSERT_EQ(t->channels.size(), 2u);
  EXPECT_EQ(t->channels[0].key, "x");
  EXPECT_EQ(t->channels[0].confirmed, 1);
  EXPECT_EQ(t->channels[0].pending, 1);
  EXPECT_EQ(t->channels[1].key, "");
  EXPECT_EQ(Find(t->channels, "mastodon"), nullptr);
  ASSERT_NE(Find(t->utm_sources, "newsletter"), nullptr);
  EXPECT_EQ(Find(t->utm_sources, "newsletter")->confirmed, 1);
  ASSERT_NE(Find(t->referrers, "news.example.org"), nullptr);
  ASSERT_NE(Find(t->countries, "DE"), nullptr);
  EXPECT_EQ(Find(t->countries, "DE")->confirmed + Find(t->countries, "DE")->pending, 2);
  EXPECT_EQ(Find(t->countries, "FR")->pending, 1);
  EXPECT_EQ(Find(t->sources, "api")->confirmed, 1);
  EXPECT_EQ(Find(t->sources, "form")->pending, 1);
  ASSERT_EQ(t->groups.size(), 1u);
  EXPECT_EQ(t->groups[0].key, "public");
  EXPECT_EQ(t->groups[0].confirmed, 2);
  EXPECT_EQ(t->groups[0].pending, 1);
  // Another campaign has none of these.
  Campaign empty = MustCreate("no-tallies");
  auto none = store_->dashboard().Tallies(empty.id);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->channels.empty());
  EXPECT_TRUE(none->groups.empty());
}

// The rollup (store/tally_rollup.h) against the full recount, tally by tally.
void ExpectRollupIsRecount(Store& store, std::int64_t campaign_id, const std::string& when) {
  auto rollup = store.dashboard().Tallies(campaign_id);
  TallyRecount* recounter = RecountOf(store.dashboard());
  ASSERT_NE(recounter, nullptr);
  auto recount = recounter->RecountTallies(campaign_id);
  ASSERT_TRUE(rollup) << rollup.error().message;
  ASSERT_TRUE(recount) << recount.error().message;
  const std::pair<const char*, std::vector<TallyRow> SignatureTallies::*> tallies[] = {
      {"groups", &SignatureTallies::groups},       {"countries", &SignatureTallies::countries},
      {"referrers", &SignatureTallies::referrers}, {"utm_sources", &SignatureTallies::utm_sources},
      {"channels", &SignatureTallies::channels},   {"sources", &SignatureTallies::sources}};
  for (const auto& [name, member] : tallies) {
    const std::vector<TallyRow>& got = (*rollup).*member;
    const std::vector<TallyRow>& want = (*recount).*member;
    ASSERT_EQ(got.size(), want.size()) << name << " " << when;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].key, want[i].key) << name << " " << when;
      EXPECT_EQ(got[i].confirmed, want[i].confirmed) << name << " " << got[i].key << " " << when;
      EXPECT_EQ(got[i].pending, want[i].pending) << name << " " << got[i].key << " " << when;
    }
  }
}

TEST_P(StoreTest, TalliesRollupEqualsARecountAfterAMixedHistoryAndARestart) {
  Campaign c = MustCreate("rollup");
  Campaign other = MustCreate("rollup-other");
  const char* const countries[] = {"DE", "FR", "", "NL"};
  const char* const channels[] = {"x", "", "mastodon"};
  std::vector<NewSignature> signers;
  std::vector<std::string> uuids;
  for (int i = 0; i < 24; ++i) {
    NewSignature s = NewSig(c.id, "s" + std::to_string(i) + "@example.org", kT0 + i, i % 3 == 0);
    s.form.country = countries[i % 4];
    s.origin = Origin(channels[i % 3], i % 2 ? "list-" + std::to_string(i % 5) : "",
                      i % 4 == 1 ? "news.example.org" : "");
    s.source = i % 3 == 0 ? "api" : "form";
    if (i >= 18) s.client_net = "198.51.100.0/24";  // a flood, invalidated below
    uuids.push_back(MustSign(s));
    signers.push_back(s);
  }
  MustSign(NewSig(other.id, "s0@example.org", kT0, true));
  ExpectRollupIsRecount(*store_, c.id, "after signing");
  // Confirmations, withdrawals of pending and of confirmed signatures.
  for (int i = 1; i < 12; i += 2) {
    if (i % 3 != 0) ASSERT_TRUE(tx::Confirm(*store_, signers[i].token_hash, kT0 + 100 + i));
  }
  ASSERT_TRUE(tx::Withdraw(*store_, signers[2].token_hash, kT0 + 200));  // pending
  ASSERT_TRUE(tx::Withdraw(*store_, signers[5].token_hash, kT0 + 201));  // confirmed
  ASSERT_TRUE(tx::Withdraw(*store_, signers[7].token_hash, kT0 + 202));  // confirmed
  // Signing again after withdrawing, from another country and source: the row is saved over.
  NewSignature back = NewSig(c.id, "s5@example.org", kT0 + 300, /*confirm_now=*/true);
  back.form.country = "PL";
  back.source = "api";
  MustSign(back);
  // A signing that fails (a token hash already taken) moves nothing.
  NewSignature dup = NewSig(c.id, "dup@example.org", kT0 + 301);
  dup.token_hash = signers[4].token_hash;
  dup.origin = Origin("bluesky");
  EXPECT_FALSE(tx::Sign(*store_, dup));
  ExpectRollupIsRecount(*store_, c.id, "after confirming and withdrawing");
  // Hiding a comment and a name: the signature still counts.
  const std::int64_t hidden_id = store_->GetSignatureByUuid(uuids[9])->id;
  tx::VisibilityChange hide;
  hide.comment = CommentReview::kHidden;
  hide.name_hidden = true;
  hide.now = kT0 + 400;
  ASSERT_TRUE(tx::SetVisibility(*store_, c.id, hidden_id, hide));
  // Invalidating one, then a flood by network (pending and confirmed ones).
  ModerationFilter f;
  f.campaign_slug = c.slug;
  f.ranges = {"198.51.100.0/24"};
  auto filter = CheckFilter(f);
  ASSERT_TRUE(filter) << filter.error().message;
  tx::Invalidation inv{"operator", "a flood", false, kT0 + 500};
  auto one = store_->GetSignatureByUuid(uuids[3]);  // counted at once
  ASSERT_TRUE(one);
  ASSERT_TRUE(tx::Invalidate(*store_, c.id, one->id, inv));
  auto preview = tx::PreviewMatching(*store_, c.id, *filter, 10);
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_EQ(preview->count, 6);  // two counted at once, four pending
  auto flood = tx::InvalidateMatching(*store_, c.id, *filter, preview->count, inv);
  ASSERT_TRUE(flood) << flood.error().message;
  // A save that writes a field the tallies count (the reveal writes a sealed signer's country
  // in clear this way).
  auto person = store_->GetSignatureByUuid(uuids[1]);  // confirmed, from FR
  ASSERT_TRUE(person);
  auto revealed = RunWrite<bool>(*store_, [&](WriteTx& tx) -> Result<bool> {
    auto row = tx.SignatureOf(c.id, person->person_id);
    if (!row) return Fail(row.error());
    row->signature.form.country = "SE";
    if (auto r = tx.SaveSignature(*row); !r) return Fail(r.error());
    return true;
  });
  ASSERT_TRUE(revealed) << revealed.error().message;
  ExpectRollupIsRecount(*store_, c.id, "after moderation");
  ExpectRollupIsRecount(*store_, other.id, "after moderation");
  auto t = store_->dashboard().Tallies(c.id);
  ASSERT_TRUE(t);
  EXPECT_EQ(Find(t->channels, "bluesky"), nullptr);
  const CampaignCounts counts = CountsOf(c.id);
  std::int64_t sources = 0;
  for (const TallyRow& r : t->sources) sources += r.confirmed + r.pending;
  EXPECT_EQ(sources, counts.pending + counts.confirmed);
  ASSERT_NE(Find(t->countries, "SE"), nullptr);
  ASSERT_NE(Find(t->countries, "PL"), nullptr);
  EXPECT_EQ(Find(t->countries, "PL")->confirmed, 1);
  // Kept across a restart, and moved on after it.
  Open();
  ExpectRollupIsRecount(*store_, c.id, "after a restart");
  MustSign(NewSig(c.id, "late@example.org", kT0 + 600, /*confirm_now=*/true));
  ExpectRollupIsRecount(*store_, c.id, "after signing after a restart");
}

TEST_P(StoreTest, OutboxCountsByState) {
  Campaign c = MustCreate("outbox-counts");
  for (int i = 0; i < 4; ++i) MustSign(NewSig(c.id, "m" + std::to_string(i) + "@example.org"));
  auto before = store_->dashboard().CountOutbox();
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->queued, 4);
  EXPECT_EQ(before->sent, 0);
  auto due = store_->DueOutbox(kT0, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 4u);
  ASSERT_TRUE(store_->MarkOutboxSent((*due)[0].id, kT0 + 1));
  ASSERT_TRUE(store_->MarkOutboxFailed((*due)[1].id, kT0 + 60, "451 try later"));
  ASSERT_TRUE(store_->MarkOutboxFailed((*due)[2].id, kOutboxNever, "550 no such user"));
  auto after = store_->dashboard().CountOutbox();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->queued, 1);
  EXPECT_EQ(after->sent, 1);
  EXPECT_EQ(after->failing, 1);
  EXPECT_EQ(after->given_up, 1);
}

TEST_P(StoreTest, SearchFindsByEveryCriterionAndPages) {
  Campaign c = MustCreate("search");
  NewSignature ada = NewSig(c.id, "ada@example.org", kT0);
  ada.form.name = "Ada Lovelace";
  ada.form.postal_code = "EC1A";
  ada.origin = Origin("x", "newsletter");
  NewSignature bob = NewSig(c.id, "bob@example.org", kT0 + 100);
  bob.form.name = "Bob Builder";
  NewSignature cy = NewSig(c.id, "cy@example.org", kT0 + 200, /*confirm_now=*/true);
  cy.form.name = "Cy Lovelace";
  MustSign(ada);
  MustSign(bob);
  MustSign(cy);
  DashboardStore& d = store_->dashboard();
  auto names = [](const Paged<Signature>& p) {
    std::vector<std::string> out;
    for (const Signature& s : p.items) out.push_back(s.form.name);
    return out;
  };

  auto all = d.SearchSignatures(c.id, {}, Page{1, 10});
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->total, 3);
  EXPECT_EQ(names(*all), (std::vector<std::string>{"Cy Lovelace", "Bob Builder", "Ada Lovelace"}));

  SignatureSearch text;
  text.text = "LOVE";  // case-insensitive
  EXPECT_EQ(names(*d.SearchSignatures(c.id, text, Page{1, 10})),
            (std::vector<std::string>{"Cy Lovelace", "Ada Lovelace"}));
  text.text = "ec1a";  // the postal code
  EXPECT_EQ(d.SearchSignatures(c.id, text, Page{1, 10})->total, 1);

  SignatureSearch state;
  state.state = SignatureState::kConfirmed;
  EXPECT_EQ(names(*d.SearchSignatures(c.id, state, Page{1, 10})),
            std::vector<std::string>{"Cy Lovelace"});

  SignatureSearch source;
  source.source = "newsletter";
  EXPECT_EQ(names(*d.SearchSignatures(c.id, source, Page{1, 10})),
            std::vector<std::string>{"Ada Lovelace"});
  source.source = "api";
  EXPECT_EQ(names(*d.SearchSignatures(c.id, source, Page{1, 10})),
            std::vector<std::string>{"Cy Lovelace"});

  SignatureSearch range;
  range.created_from = kT0 + 50;
  range.created_until = kT0 + 200;
  EXPECT_EQ(names(*d.SearchSignatures(c.id, range, Page{1, 10})),
            std::vector<std::string>{"Bob Builder"});

  SignatureSearch group;
  group.group = "public";
  EXPECT_EQ(d.SearchSignatures(c.id, group, Page{1, 10})->total, 3);
  group.group = "staff";
  EXPECT_EQ(d.SearchSignatures(c.id, group, Page{1, 10})->total, 0);

  // Pages, and keyset pages.
  auto second = d.SearchSignatures(c.id, {}, Page{2, 2});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->total, 3);
  EXPECT_EQ(names(*second), std::vector<std::string>{"Ada Lovelace"});
  SignatureSearch after;
  after.before_id = all->items[0].id;
  EXPECT_EQ(names(*d.SearchSignatures(c.id, after, Page{1, 10})),
            (std::vector<std::string>{"Bob Builder", "Ada Lovelace"}));
  EXPECT_TRUE(d.SearchSignatures(c.id, {}, Page{9, 10})->items.empty());
}

}  // namespace
}  // namespace undersigned::store::conformance
