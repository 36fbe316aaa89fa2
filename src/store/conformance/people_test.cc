// Store conformance: People, API tokens, instance values, the outbox, and the store's life
// (reopening, closing).
#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "log/proof.h"
#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

TEST_P(StoreTest, PeopleListingWithEmailFilterAndPaging) {
  Campaign c = MustCreate("bees");
  Campaign d = MustCreate("trees");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "p" + std::to_string(i) + "@example.org", kT0 + i))
                    .has_value());
  }
  // Same person signs a second campaign: still one person, modified moves.
  NewSignature s = NewSig(d.id, "p1@example.org", kT0 + 100);
  s.form.name = "Ada King Lovelace";
  s.form.wants_updates = true;
  ASSERT_TRUE(tx::Sign(*store_, s).has_value());

  auto all = store_->ListPeople(std::nullopt, {}, Page{1, 2});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 5);
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[0].canonical_email, "p4@example.org");  // newest first
  auto past = store_->ListPeople(std::nullopt, {}, Page{3, 2});
  EXPECT_EQ(past->items.size(), 1u);
  auto beyond = store_->ListPeople(std::nullopt, {}, Page{9, 2});
  EXPECT_TRUE(beyond->items.empty());
  EXPECT_EQ(beyond->total, 5);

  auto one = store_->ListPeople(std::string("p1@example.org"), {}, Page{});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->total, 1);
  ASSERT_EQ(one->items.size(), 1u);
  const Person& p = one->items[0];
  EXPECT_EQ(p.given_name, "Ada King");
  EXPECT_EQ(p.family_name, "Lovelace");
  EXPECT_TRUE(p.subscribed);
  EXPECT_EQ(p.created, kT0 + 1);
  EXPECT_EQ(p.modified, kT0 + 100);
  EXPECT_EQ(store_->ListPeople(std::string("nobody@example.org"), {}, Page{})->total, 0);

  TimeFilter f;
  f.modified_after = kT0 + 50;
  auto moved = store_->ListPeople(std::nullopt, f, Page{});
  ASSERT_EQ(moved->items.size(), 1u);
  EXPECT_EQ(moved->items[0].canonical_email, "p1@example.org");
  f.modified_after.reset();
  f.modified_before = kT0 + 3;
  EXPECT_EQ(store_->ListPeople(std::nullopt, f, Page{})->total, 2);  // p0, p2 (p1 moved)
  EXPECT_EQ(store_->ListPeople(std::string("p1@example.org"), f, Page{})->total, 0);

  auto by_uuid = store_->GetPersonByUuid(p.uuid);
  ASSERT_TRUE(by_uuid.has_value());
  EXPECT_EQ(by_uuid->id, p.id);
  EXPECT_EQ(store_->GetPersonByUuid("nope").error().code, Code::kNotFound);

  // Unsubscribing is not something a later sign-up without the box can do.
  NewSignature s2 = NewSig(c.id, "p1@example.org", kT0 + 200);  // resend, wants_updates=false
  s2.form.wants_updates = false;
  ASSERT_TRUE(tx::Sign(*store_, s2).has_value());
  EXPECT_TRUE(store_->GetPersonByUuid(p.uuid)->subscribed);
}

TEST_P(StoreTest, ApiTokens) {
  auto t = store_->CreateApiToken("crm", HashOf("secret-1"), kT0);
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(t->id, 0);
  EXPECT_EQ(t->name, "crm");
  ASSERT_TRUE(store_->CreateApiToken("crm", HashOf("secret-2"), kT0 + 1).has_value());
  ASSERT_TRUE(store_->CreateApiToken("other", "not-hex-raw-hash", kT0 + 1).has_value());
  EXPECT_EQ(store_->CreateApiToken("dup", HashOf("secret-1"), kT0).error().code, Code::kConflict);

  auto found = store_->FindApiToken(HashOf("secret-2"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "crm");
  EXPECT_FALSE(found->revoked.has_value());
  EXPECT_TRUE(store_->FindApiToken("not-hex-raw-hash").has_value());
  EXPECT_EQ(store_->FindApiToken(HashOf("wrong")).error().code, Code::kNotFound);

  auto revoked = store_->RevokeApiToken("crm", kT0 + 5);
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(*revoked, 2);
  EXPECT_EQ(store_->FindApiToken(HashOf("secret-1")).error().code, Code::kNotFound);
  EXPECT_EQ(store_->FindApiToken(HashOf("secret-2")).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->FindApiToken("not-hex-raw-hash").has_value());
  EXPECT_EQ(store_->RevokeApiToken("crm", kT0 + 6).error().code, Code::kNotFound);
  EXPECT_EQ(store_->RevokeApiToken("never", kT0 + 6).error().code, Code::kNotFound);
}

TEST_P(StoreTest, InstanceSecretIsMadeOnceAndKept) {
  auto a = store_->InstanceSecret("csrf");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(store_->InstanceSecret("csrf").value(), *a);
  auto b = store_->InstanceSecret("other");
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(*b, *a);
  Open();
  EXPECT_EQ(store_->InstanceSecret("csrf").value(), *a);
}

TEST_P(StoreTest, ConcurrentFirstUseOfASecretAgrees) {
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { got[i] = store_->InstanceSecret("race").value_or(""); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, got[0]);
  EXPECT_EQ(got[0].size(), 32u);
}

TEST_P(StoreTest, ReopenPreservesEverything) {
  Campaign c = MustCreate("bees");
  NewSignature a = NewSig(c.id, "a@example.org");
  NewSignature b = NewSig(c.id, "b@example.org");
  ASSERT_TRUE(tx::Sign(*store_, a).has_value());
  ASSERT_TRUE(tx::Sign(*store_, b).has_value());
  ASSERT_TRUE(tx::Confirm(*store_, a.token_hash, kT0 + 1).has_value());
  ASSERT_TRUE(store_->CreateApiToken("crm", HashOf("tok"), kT0).has_value());
  std::string secret = store_->InstanceSecret("s").value();

  Open();
  auto got = store_->GetCampaignBySlug("bees");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->targets.size(), 2u);
  ExpectCounts(CountsOf(c.id), 1, 1, 0);
  EXPECT_EQ(store_->FindByConfirmToken(a.token_hash)->signature.state, SignatureState::kConfirmed);
  EXPECT_TRUE(store_->FindApiToken(HashOf("tok")).has_value());
  EXPECT_EQ(store_->InstanceSecret("s").value(), secret);
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  // And it keeps working after reopening: counts continue from the stored values.
  auto conf = tx::Confirm(*store_, b.token_hash, kT0 + 2);
  ASSERT_TRUE(conf.has_value());
  ExpectCounts(conf->counts, 0, 2, 0);
}

TEST_P(StoreTest, CloseDrainsThenRefusesWrites) {
  Campaign c = MustCreate("bees");
  // Writers racing with Close either commit fully or get kUnavailable; nothing is lost.
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    std::vector<NewSignature> sigs;
    for (int i = 0; i < 50; ++i) {
      sigs.push_back(NewSig(c.id, "c" + std::to_string(t) + "-" + std::to_string(i) + "@x.org"));
    }
    threads.emplace_back([&, sigs = std::move(sigs)] {
      for (const auto& s : sigs) {
        auto r = tx::Sign(*store_, s);
        if (r) {
          ok++;
        } else if (r.error().code == Code::kUnavailable) {
          unavailable++;
        } else {
          other++;
        }
      }
    });
  }
  store_->Close();
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + unavailable.load(), 400);

  auto late = tx::Sign(*store_, NewSig(c.id, "late@example.org"));
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, Code::kUnavailable);
  EXPECT_EQ(store_->CreateCampaign(NewCampaign("late")).error().code, Code::kUnavailable);
  store_->Close();  // idempotent
  // Reads still answer until the store is destroyed.
  EXPECT_TRUE(store_->GetCampaignBySlug("bees").has_value());

  store_.reset();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), ok.load());
  Open();
  ExpectCounts(CountsOf(c.id), ok.load(), 0, 0);
}

TEST_P(StoreTest, MessagesGivenUpOnLeaveTheOutboxDepth) {
  Campaign c = MustCreate("bees");
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "one@example.org")).has_value());
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "two@example.org")).has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  auto due = store_->DueOutbox(kT0 + 10, 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 2u);
  ASSERT_TRUE(store_->MarkOutboxFailed((*due)[0].id, kOutboxNever, "dead: 550").has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  EXPECT_EQ(store_->DueOutbox(kT0 + 10, 10)->size(), 1u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE sent IS NULL"), 2);  // still kept
}

TEST_P(StoreTest, OutboxDueSentFailed) {
  Campaign c = MustCreate("bees");
  EXPECT_EQ(store_->NextOutboxAttempt().value(), std::nullopt);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "m" + std::to_string(i) + "@example.org", kT0 + i))
                    .has_value());
  }
  EXPECT_EQ(store_->OutboxDepth().value(), 3);
  EXPECT_EQ(store_->NextOutboxAttempt().value(), kT0);
  EXPECT_EQ(store_->DueOutbox(kT0 - 1, 10)->size(), 0u);
  auto due = store_->DueOutbox(kT0 + 1, 10).value();
  ASSERT_EQ(due.size(), 2u);  // the third is due at kT0 + 2
  EXPECT_EQ(due[0].recipient, "m0@example.org");
  EXPECT_EQ(due[0].attempts, 0);
  EXPECT_EQ(due[0].created, kT0);
  EXPECT_EQ(store_->DueOutbox(kT0 + 5, 1)->size(), 1u);

  ASSERT_TRUE(store_->MarkOutboxSent(due[0].id, kT0 + 3).has_value());
  ASSERT_TRUE(store_->MarkOutboxFailed(due[1].id, kT0 + 60, "421 try later").has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
  EXPECT_EQ(store_->NextOutboxAttempt().value(), kT0 + 2);

  auto now_due = store_->DueOutbox(kT0 + 10, 10).value();
  ASSERT_EQ(now_due.size(), 1u);
  EXPECT_EQ(now_due[0].recipient, "m2@example.org");
  auto later = store_->DueOutbox(kT0 + 60, 10).value();
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1].id, due[1].id);
  EXPECT_EQ(later[1].attempts, 1);
  EXPECT_EQ(later[1].last_error, "421 try later");

  // Sent messages keep no tokens.
  EXPECT_EQ(QueryInt("SELECT length(payload) FROM outbox WHERE id = " + std::to_string(due[0].id)),
            0);
  EXPECT_EQ(QueryInt("SELECT sent FROM outbox WHERE id = " + std::to_string(due[0].id)), kT0 + 3);
  // Idempotent, and unknown ids are kNotFound.
  EXPECT_TRUE(store_->MarkOutboxSent(due[0].id, kT0 + 9).has_value());
  EXPECT_EQ(QueryInt("SELECT sent FROM outbox WHERE id = " + std::to_string(due[0].id)), kT0 + 3);
  EXPECT_TRUE(store_->MarkOutboxFailed(due[0].id, kT0 + 99, "late").has_value());
  EXPECT_EQ(store_->MarkOutboxSent(9999, kT0).error().code, Code::kNotFound);
  EXPECT_EQ(store_->MarkOutboxFailed(9999, kT0, "x").error().code, Code::kNotFound);
  EXPECT_EQ(store_->OutboxDepth().value(), 2);
}

}  // namespace
}  // namespace undersigned::store::conformance
