// Store conformance: Signing, confirming, withdrawing (the transaction scripts through the Store)
// and reading signatures.
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

TEST_P(StoreTest, SignConfirmWithdrawWithCounts) {
  Campaign c = MustCreate("bees");
  NewSignature s = NewSig(c.id, "ada@example.org");
  auto signed1 = tx::Sign(*store_, s);
  ASSERT_TRUE(signed1.has_value()) << signed1.error().message;
  EXPECT_EQ(signed1->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(signed1->signature.state, SignatureState::kPending);
  EXPECT_EQ(signed1->signature.uuid.size(), 36u);
  EXPECT_EQ(signed1->signature.confirm_sends, 1);
  EXPECT_GT(signed1->signature.person_id, 0);
  ExpectCounts(signed1->counts, 1, 0, 0);
  EXPECT_EQ(signed1->counts.last_change, kT0);

  // The confirm mail is queued with its one token and the original payload keys.
  auto due = store_->DueOutbox(kT0, 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].kind, "confirm");
  EXPECT_EQ((*due)[0].recipient, "ada@example.org");
  auto payload = nlohmann::json::parse((*due)[0].payload);
  EXPECT_EQ(payload["campaign_title"], "T");
  EXPECT_EQ(payload["token"], s.token);
  EXPECT_FALSE(payload.contains("withdraw_token"));
  EXPECT_EQ(payload["name"], s.form.name);
  EXPECT_EQ(payload["signature_uuid"], signed1->signature.uuid);

  // Peek does not change anything.
  auto peek = store_->FindByConfirmToken(s.token_hash);
  ASSERT_TRUE(peek.has_value()) << peek.error().message;
  EXPECT_FALSE(peek->changed);
  EXPECT_EQ(peek->signature.state, SignatureState::kPending);
  EXPECT_EQ(peek->campaign.slug, "bees");
  ExpectCounts(peek->counts, 1, 0, 0);
  EXPECT_EQ(store_->FindByConfirmToken(HashOf("unknown")).error().code, Code::kNotFound);

  auto confirmed = tx::Confirm(*store_, s.token_hash, kT0 + 10);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(confirmed->signature.confirmed, kT0 + 10);
  EXPECT_EQ(confirmed->campaign.id, c.id);
  ExpectCounts(confirmed->counts, 0, 1, 0);
  EXPECT_EQ(confirmed->counts.last_change, kT0 + 10);

  auto twice = tx::Confirm(*store_, s.token_hash, kT0 + 20);
  ASSERT_TRUE(twice.has_value());
  EXPECT_FALSE(twice->changed);
  ExpectCounts(twice->counts, 0, 1, 0);
  EXPECT_EQ(twice->counts.last_change, kT0 + 10);
  EXPECT_EQ(tx::Confirm(*store_, HashOf("unknown"), kT0).error().code, Code::kNotFound);

  auto signers = store_->RecentPublicSigners(c.id, 10);
  ASSERT_TRUE(signers.has_value());
  ASSERT_EQ(signers->size(), 1u);
  EXPECT_EQ((*signers)[0].name, s.form.name);
  EXPECT_EQ((*signers)[0].comment, s.form.comment);
  EXPECT_EQ((*signers)[0].confirmed, kT0 + 10);

  auto peek_w = store_->FindByWithdrawToken(s.token_hash);
  ASSERT_TRUE(peek_w.has_value());
  EXPECT_EQ(peek_w->signature.state, SignatureState::kConfirmed);

  auto withdrawn = tx::Withdraw(*store_, s.token_hash, kT0 + 30);
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_TRUE(withdrawn->changed);
  EXPECT_EQ(withdrawn->signature.state, SignatureState::kWithdrawn);
  ExpectCounts(withdrawn->counts, 0, 0, 1);
  auto again = tx::Withdraw(*store_, s.token_hash, kT0 + 40);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->changed);
  ExpectCounts(again->counts, 0, 0, 1);
  EXPECT_EQ(tx::Withdraw(*store_, HashOf("unknown"), kT0).error().code, Code::kNotFound);

  // Confirming a withdrawn signature is a conflict, and changes nothing.
  auto late = tx::Confirm(*store_, s.token_hash, kT0 + 50);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, Code::kConflict);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
  EXPECT_TRUE(store_->RecentPublicSigners(c.id, 10)->empty());

  // The stored counts agree with the rows.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures WHERE state = 'withdrawn'"), 1);
}

TEST_P(StoreTest, WithdrawPendingMovesPendingCount) {
  Campaign c = MustCreate("bees");
  NewSignature s = NewSig(c.id, "bob@example.org");
  ASSERT_TRUE(tx::Sign(*store_, s).has_value());
  auto w = tx::Withdraw(*store_, s.token_hash, kT0 + 1);
  ASSERT_TRUE(w.has_value());
  ExpectCounts(w->counts, 0, 0, 1);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
}

TEST_P(StoreTest, ResendUntilTheLimit) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  const std::string first_uuid = MustSign(first);

  std::vector<NewSignature> again;
  for (int i = 0; i < 2; ++i) {
    NewSignature s = NewSig(c.id, "ada@example.org", kT0 + 100 + i);
    auto r = tx::Sign(*store_, s);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->kind, SignOutcome::Kind::kResent);
    EXPECT_EQ(r->signature.uuid, first_uuid);  // same row
    EXPECT_EQ(r->signature.confirm_sends, 2 + i);
    EXPECT_EQ(r->signature.form.name, first.form.name);  // not overwritten by a resend
    ExpectCounts(r->counts, 1, 0, 0);
    again.push_back(s);
  }
  // Every link sent stays valid, the first one included: one token per mail, for both links.
  for (const NewSignature* sent : {&first, &again[0], &again[1]}) {
    auto found = store_->FindByConfirmToken(sent->token_hash);
    ASSERT_TRUE(found.has_value()) << found.error().message;
    EXPECT_EQ(found->signature.uuid, first_uuid);
    EXPECT_TRUE(store_->FindByWithdrawToken(sent->token_hash).has_value());
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE kind = 'signing'"), 3);
  EXPECT_EQ(store_->OutboxDepth().value(), 3);

  NewSignature over = NewSig(c.id, "ada@example.org", kT0 + 500);
  auto limited = tx::Sign(*store_, over);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->kind, SignOutcome::Kind::kResendLimit);
  EXPECT_EQ(limited->signature.confirm_sends, 3);
  ExpectCounts(limited->counts, 1, 0, 0);
  // Nothing written: no mail, no new token, person not touched.
  EXPECT_EQ(store_->OutboxDepth().value(), 3);
  EXPECT_TRUE(store_->FindByConfirmToken(again[1].token_hash).has_value());
  EXPECT_EQ(store_->FindByConfirmToken(over.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
  EXPECT_EQ(QueryInt("SELECT max(modified) FROM people"), kT0 + 101);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
}

TEST_P(StoreTest, EveryConfirmLinkSentStillConfirmsAfterAResend) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "late@example.org");
  const std::string first_uuid = MustSign(first);
  NewSignature second = NewSig(c.id, "late@example.org", kT0 + 60);
  auto resent = tx::Sign(*store_, second);
  ASSERT_TRUE(resent.has_value()) << resent.error().message;
  ASSERT_EQ(resent->kind, SignOutcome::Kind::kResent);

  // The first mail arrives late and its link is followed: it confirms.
  auto peek = store_->FindByConfirmToken(first.token_hash);
  ASSERT_TRUE(peek.has_value()) << peek.error().message;
  EXPECT_EQ(peek->signature.state, SignatureState::kPending);
  auto confirmed = tx::Confirm(*store_, first.token_hash, kT0 + 100);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->signature.uuid, first_uuid);
  ExpectCounts(confirmed->counts, 0, 1, 0);

  // The second link then finds it confirmed: idempotent, nothing counted twice.
  auto again = tx::Confirm(*store_, second.token_hash, kT0 + 110);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(again->signature.confirmed, kT0 + 100);
  ExpectCounts(again->counts, 0, 1, 0);

  // Each mail's token serves its withdraw link too: the first mail's token, which confirmed,
  // now withdraws.
  EXPECT_TRUE(store_->FindByWithdrawToken(second.token_hash).has_value());
  auto withdrawn = tx::Withdraw(*store_, first.token_hash, kT0 + 130);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  ExpectCounts(withdrawn->counts, 0, 0, 1);
  auto withdrawn_again = tx::Withdraw(*store_, second.token_hash, kT0 + 140);
  ASSERT_TRUE(withdrawn_again.has_value());
  EXPECT_FALSE(withdrawn_again->changed);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
  // Confirming a withdrawn signature with any of its links is still a conflict.
  EXPECT_EQ(tx::Confirm(*store_, second.token_hash, kT0 + 150).error().code, Code::kConflict);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
}

TEST_P(StoreTest, OldTokensOfAWithdrawnSignatureServeTheFreshSigning) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "back@example.org");
  ASSERT_TRUE(tx::Sign(*store_, first).has_value());
  ASSERT_TRUE(tx::Withdraw(*store_, first.token_hash, kT0 + 1).has_value());
  NewSignature fresh = NewSig(c.id, "back@example.org", kT0 + 2);
  auto r = tx::Sign(*store_, fresh);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->kind, SignOutcome::Kind::kCreated);
  // The new token works; the old mail's confirm link confirms the fresh (pending) signing.
  EXPECT_EQ(store_->FindByConfirmToken(fresh.token_hash)->signature.state,
            SignatureState::kPending);
  auto old = tx::Confirm(*store_, first.token_hash, kT0 + 3);
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_TRUE(old->changed);
  ExpectCounts(old->counts, 0, 1, 0);
  EXPECT_FALSE(tx::Confirm(*store_, fresh.token_hash, kT0 + 4)->changed);
  EXPECT_TRUE(tx::Withdraw(*store_, fresh.token_hash, kT0 + 5)->changed);
  ExpectCounts(CountsOf(c.id), 0, 0, 1);
}

TEST_P(StoreTest, AReusedTokenHashIsAConflictAndRollsBackTheSigning) {
  Campaign c = MustCreate("bees");
  NewSignature a = NewSig(c.id, "a@example.org");
  const std::string a_uuid = MustSign(a);
  NewSignature b = NewSig(c.id, "b@example.org");
  b.token_hash = a.token_hash;
  auto r = tx::Sign(*store_, b);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kConflict);
  // Nothing of b was kept, and a's token still names a.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 1);
  EXPECT_EQ(store_->FindByConfirmToken(a.token_hash)->signature.uuid, a_uuid);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM people"), 1);
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  ExpectCounts(CountsOf(c.id), 1, 0, 0);
}

TEST_P(StoreTest, SigningAgainWhenConfirmedSendsAlreadySigned) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  const std::string first_uuid = MustSign(first);
  ASSERT_TRUE(tx::Confirm(*store_, first.token_hash, kT0 + 1).has_value());
  auto sent = store_->DueOutbox(kT0 + 1, 10).value();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(store_->MarkOutboxSent(sent[0].id, kT0 + 1).has_value());

  NewSignature s = NewSig(c.id, "ada@example.org", kT0 + 2);
  auto r = tx::Sign(*store_, s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(r->signature.confirm_sends, 2);
  ExpectCounts(r->counts, 0, 1, 0);
  auto due = store_->DueOutbox(kT0 + 2, 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, "already_signed");
  auto payload = nlohmann::json::parse(due[0].payload);
  EXPECT_EQ(payload["withdraw_token"], s.token);
  EXPECT_FALSE(payload.contains("token"));
  EXPECT_EQ(payload["signature_uuid"], first_uuid);
  // The new withdraw link works and so does the old one; the old confirm link still says
  // confirmed. This mail's token is withdraw-only: it confirms nothing and opens no receipt.
  EXPECT_TRUE(store_->FindByWithdrawToken(first.token_hash).has_value());
  EXPECT_TRUE(store_->FindByWithdrawToken(s.token_hash).has_value());
  EXPECT_EQ(store_->FindByConfirmToken(s.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(tx::Confirm(*store_, s.token_hash, kT0 + 3).error().code, Code::kNotFound);
  EXPECT_EQ(store_->LogReceipt(s.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE kind = 'withdraw'"), 1);
  EXPECT_FALSE(tx::Confirm(*store_, first.token_hash, kT0 + 3)->changed);

  ASSERT_EQ(tx::Sign(*store_, NewSig(c.id, "ada@example.org", kT0 + 4))->kind,
            SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(tx::Sign(*store_, NewSig(c.id, "ada@example.org", kT0 + 5))->kind,
            SignOutcome::Kind::kResendLimit);
  ExpectCounts(CountsOf(c.id), 0, 1, 0);
}

TEST_P(StoreTest, AnAlreadySignedMailsTokenWithdrawsButNeverConfirms) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  ASSERT_TRUE(tx::Sign(*store_, first).has_value());
  ASSERT_TRUE(tx::Confirm(*store_, first.token_hash, kT0 + 1).has_value());
  NewSignature already = NewSig(c.id, "ada@example.org", kT0 + 2);
  ASSERT_EQ(tx::Sign(*store_, already)->kind, SignOutcome::Kind::kAlreadyConfirmed);

  // Its withdraw link withdraws.
  auto peek = store_->FindByWithdrawToken(already.token_hash);
  ASSERT_TRUE(peek.has_value()) << peek.error().message;
  EXPECT_EQ(peek->signature.state, SignatureState::kConfirmed);
  auto withdrawn = tx::Withdraw(*store_, already.token_hash, kT0 + 3);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  ExpectCounts(withdrawn->counts, 0, 0, 1);

  // Signing again is a fresh, pending signing on the same row, which every token of the
  // signing kind confirms (OldTokensOfAWithdrawnSignatureServeTheFreshSigning); the "already
  // signed" mail's token still cannot.
  NewSignature fresh = NewSig(c.id, "ada@example.org", kT0 + 4);
  ASSERT_EQ(tx::Sign(*store_, fresh)->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(store_->FindByConfirmToken(already.token_hash).error().code, Code::kNotFound);
  EXPECT_EQ(tx::Confirm(*store_, already.token_hash, kT0 + 5).error().code, Code::kNotFound);
  ExpectCounts(CountsOf(c.id), 1, 0, 0);
  auto confirmed = tx::Confirm(*store_, fresh.token_hash, kT0 + 6);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(store_->FindByWithdrawToken(already.token_hash)->signature.state,
            SignatureState::kConfirmed);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 3);
}

TEST_P(StoreTest, OneTokenOfTheSigningKindConfirmsAndLaterWithdraws) {
  Campaign c = MustCreate("bees");
  NewSignature s = NewSig(c.id, "one@example.org");
  ASSERT_TRUE(tx::Sign(*store_, s).has_value());
  // One row per signing, of the kind that confirms and withdraws.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens WHERE kind = 'signing'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signature_tokens"), 1);
  auto confirmed = tx::Confirm(*store_, s.token_hash, kT0 + 1);
  ASSERT_TRUE(confirmed.has_value()) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  ExpectCounts(confirmed->counts, 0, 1, 0);
  auto withdrawn = tx::Withdraw(*store_, s.token_hash, kT0 + 2);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  EXPECT_EQ(withdrawn->signature.state, SignatureState::kWithdrawn);
  ExpectCounts(withdrawn->counts, 0, 0, 1);
  EXPECT_EQ(tx::Confirm(*store_, s.token_hash, kT0 + 3).error().code, Code::kConflict);
}

TEST_P(StoreTest, WithdrawnThenSignAgainIsAFreshSigning) {
  Campaign c = MustCreate("bees");
  NewSignature first = NewSig(c.id, "ada@example.org");
  const std::string first_uuid = MustSign(first);
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "ada@example.org")).has_value());
  NewSignature third = NewSig(c.id, "ada@example.org");
  ASSERT_TRUE(tx::Sign(*store_, third).has_value());  // at the limit
  ASSERT_TRUE(tx::Withdraw(*store_, third.token_hash, kT0 + 1).has_value());
  ExpectCounts(CountsOf(c.id), 0, 0, 1);

  NewSignature s = NewSig(c.id, "ada@example.org", kT0 + 2);
  s.form.name = "Ada Lovelace";
  auto r = tx::Sign(*store_, s);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(r->signature.state, SignatureState::kPending);
  EXPECT_EQ(r->signature.uuid, first_uuid);
  EXPECT_EQ(r->signature.form.name, "Ada Lovelace");
  EXPECT_EQ(r->signature.confirm_sends, 1);  // the limit starts over
  ExpectCounts(r->counts, 1, 0, 0);
  auto confirmed = tx::Confirm(*store_, s.token_hash, kT0 + 3);
  ASSERT_TRUE(confirmed.has_value());
  ExpectCounts(confirmed->counts, 0, 1, 0);

  // And with confirm_now, a withdrawn signature counts at once.
  ASSERT_TRUE(tx::Withdraw(*store_, s.token_hash, kT0 + 4).has_value());
  auto api = tx::Sign(*store_, NewSig(c.id, "ada@example.org", kT0 + 5, true));
  ASSERT_TRUE(api.has_value());
  EXPECT_EQ(api->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(api->signature.state, SignatureState::kConfirmed);
  ExpectCounts(api->counts, 0, 1, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM signatures"), 1);
}

TEST_P(StoreTest, SignaturesCarryTheirPersonsPublicId) {
  Campaign c = MustCreate("bees");
  auto signed_up = tx::Sign(*store_, NewSig(c.id, "who@example.org"));
  ASSERT_TRUE(signed_up.has_value());
  auto people = store_->ListPeople(std::string("who@example.org"), TimeFilter{}, Page{1, 5});
  ASSERT_TRUE(people.has_value());
  ASSERT_EQ(people->items.size(), 1u);
  const std::string& person = people->items[0].uuid;
  EXPECT_EQ(signed_up->signature.person_uuid, person);
  auto listed = store_->ListSignatures(c.id, TimeFilter{}, Page{1, 5});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].person_uuid, person);
  EXPECT_EQ(store_->GetSignatureByUuid(listed->items[0].uuid)->person_uuid, person);
}

TEST_P(StoreTest, ConfirmNowCountsAtOnceWithoutMail) {
  Campaign c = MustCreate("bees");
  auto r = tx::Sign(*store_, NewSig(c.id, "api@example.org", kT0, true));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(r->signature.confirmed, kT0);
  EXPECT_EQ(r->signature.confirm_sends, 0);
  ExpectCounts(r->counts, 0, 1, 0);
  EXPECT_EQ(store_->OutboxDepth().value(), 0);

  // Pending, then recorded by a trusted client: confirmed, counts move, no mail.
  ASSERT_TRUE(tx::Sign(*store_, NewSig(c.id, "pending@example.org")).has_value());
  EXPECT_EQ(store_->OutboxDepth().value(), 1);
  NewSignature trusted = NewSig(c.id, "pending@example.org", kT0 + 1, true);
  trusted.form.comment = "via API";
  auto rec = tx::Sign(*store_, trusted);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(rec->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(rec->signature.form.comment, "via API");
  ExpectCounts(rec->counts, 0, 2, 0);
  EXPECT_EQ(store_->OutboxDepth().value(), 1);

  // Already confirmed and recorded again: nothing moves.
  auto again = tx::Sign(*store_, NewSig(c.id, "pending@example.org", kT0 + 2, true));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->kind, SignOutcome::Kind::kAlreadyConfirmed);
  ExpectCounts(again->counts, 0, 2, 0);
  EXPECT_EQ(again->signature.confirmed, kT0 + 1);
}

TEST_P(StoreTest, ListSignaturesPagesAndFilters) {
  Campaign c = MustCreate("bees");
  Campaign other = MustCreate("other");
  std::vector<std::string> uuids;
  for (int i = 0; i < 7; ++i) {
    auto r = tx::Sign(*store_, NewSig(c.id, "s" + std::to_string(i) + "@example.org", kT0 + i));
    ASSERT_TRUE(r.has_value());
    uuids.push_back(r->signature.uuid);
  }
  ASSERT_TRUE(tx::Sign(*store_, NewSig(other.id, "x@example.org")).has_value());

  auto p1 = store_->ListSignatures(c.id, {}, Page{1, 3});
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(p1->total, 7);
  ASSERT_EQ(p1->items.size(), 3u);
  EXPECT_EQ(p1->items[0].uuid, uuids[6]);  // newest first
  EXPECT_EQ(p1->items[2].uuid, uuids[4]);
  auto p3 = store_->ListSignatures(c.id, {}, Page{3, 3});
  ASSERT_EQ(p3->items.size(), 1u);
  EXPECT_EQ(p3->items[0].uuid, uuids[0]);
  auto p4 = store_->ListSignatures(c.id, {}, Page{4, 3});
  ASSERT_TRUE(p4.has_value());
  EXPECT_TRUE(p4->items.empty());
  EXPECT_EQ(p4->total, 7);

  TimeFilter f;
  f.modified_after = kT0 + 2;
  auto recent = store_->ListSignatures(c.id, f, Page{1, 25});
  EXPECT_EQ(recent->total, 4);
  EXPECT_EQ(recent->items.size(), 4u);
  f.modified_before = kT0 + 5;
  EXPECT_EQ(store_->ListSignatures(c.id, f, Page{1, 25})->total, 2);

  auto got = store_->GetSignatureByUuid(uuids[3]);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->canonical_email, "s3@example.org");
  EXPECT_EQ(got->form.postal_code, "12345");
  EXPECT_EQ(got->form.country, "DE");
  EXPECT_TRUE(got->form.public_name);
  EXPECT_EQ(got->source, "form");
  EXPECT_EQ(store_->GetSignatureByUuid("nope").error().code, Code::kNotFound);
  EXPECT_EQ(store_->ListSignatures(9999, {}, Page{})->total, 0);
}

TEST_P(StoreTest, ForEachConfirmedStreamsOldestFirstAndStops) {
  Campaign c = MustCreate("bees");
  std::vector<NewSignature> sigs;
  for (int i = 0; i < 5; ++i) {
    sigs.push_back(NewSig(c.id, "s" + std::to_string(i) + "@example.org", kT0 + i));
    ASSERT_TRUE(tx::Sign(*store_, sigs.back()).has_value());
  }
  for (int i : {0, 2, 3, 4}) {
    ASSERT_TRUE(tx::Confirm(*store_, sigs[i].token_hash, kT0 + 10).has_value());
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(store_
                  ->ForEachConfirmed(c.id,
                                     [&](const Signature& s) {
                                       seen.push_back(s.canonical_email);
                                       return true;
                                     })
                  .has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"s0@example.org", "s2@example.org", "s3@example.org",
                                            "s4@example.org"}));
  seen.clear();
  ASSERT_TRUE(store_
                  ->ForEachConfirmed(c.id,
                                     [&](const Signature& s) {
                                       seen.push_back(s.canonical_email);
                                       return seen.size() < 2;
                                     })
                  .has_value());
  EXPECT_EQ(seen.size(), 2u);

  auto recent = store_->RecentPublicSigners(c.id, 3);
  ASSERT_TRUE(recent.has_value());
  EXPECT_EQ(recent->size(), 3u);
}

TEST_P(StoreTest, RecentPublicSignersSkipsPrivateNames) {
  Campaign c = MustCreate("bees");
  NewSignature hidden = NewSig(c.id, "hidden@example.org");
  hidden.form.public_name = false;
  NewSignature shown = NewSig(c.id, "shown@example.org");
  ASSERT_TRUE(tx::Sign(*store_, hidden).has_value());
  ASSERT_TRUE(tx::Sign(*store_, shown).has_value());
  ASSERT_TRUE(tx::Confirm(*store_, hidden.token_hash, kT0 + 5).has_value());
  ASSERT_TRUE(tx::Confirm(*store_, shown.token_hash, kT0 + 4).has_value());
  auto recent = store_->RecentPublicSigners(c.id, 10).value();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].name, shown.form.name);
}

TEST_P(StoreTest, SignAsyncAnswersEveryCallerOnceAfterTheWriteIsDurable) {
  Campaign c = MustCreate("async");
  constexpr int kCount = 300;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  std::set<std::string> uuids;
  for (int i = 0; i < kCount; ++i) {
    tx::SignAsync(*store_, NewSig(c.id, "async" + std::to_string(i) + "@example.org"),
                  [&](Result<SignOutcome> r) {
                    std::lock_guard lk(mu);
                    EXPECT_TRUE(r) << r.error().message;
                    if (r) {
                      EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
                      uuids.insert(r->signature.uuid);
                    }
                    ++answered;
                    cv.notify_all();
                  });
  }
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(20), [&] { return answered == kCount; }));
  }
  EXPECT_EQ(uuids.size(), static_cast<std::size_t>(kCount));
  ExpectCounts(CountsOf(c.id), kCount, 0, 0);
  // A duplicate through the async path behaves like Sign: a re-send.
  std::promise<Result<SignOutcome>> again;
  tx::SignAsync(*store_, NewSig(c.id, "async0@example.org"),
                [&](Result<SignOutcome> r) { again.set_value(std::move(r)); });
  auto r = again.get_future().get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SignOutcome::Kind::kResent);

  store_->Close();
  std::promise<Result<SignOutcome>> closed;
  tx::SignAsync(*store_, NewSig(c.id, "late@example.org"),
                [&](Result<SignOutcome> r) { closed.set_value(std::move(r)); });
  auto late = closed.get_future().get();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Code::kUnavailable);
}

}  // namespace
}  // namespace undersigned::store::conformance
