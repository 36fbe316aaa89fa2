// The transaction scripts' rules, over an in-memory WriteTx (memory_tx.h): no database.
#include <sodium.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "service/tx/mails.h"
#include "service/tx/memory_tx.h"
#include "service/tx/scripts.h"

namespace undersigned::tx {
namespace {

using testing::MemoryDb;
using testing::MemoryTx;
constexpr UnixTime kT0 = 1'700'000'000;
constexpr std::int64_t kCampaign = 1;
const std::string kText1(64, '1');  // CampaignText::hash values
const std::string kText2(64, '2');

class ScriptsTest : public ::testing::Test {
 protected:
  ScriptsTest() : sealer_(Key()) {
    Campaign c;
    c.id = kCampaign;
    c.uuid = "0190a4f1-0000-7000-8000-000000000001";
    c.slug = "letter";
    c.title = "A letter";
    c.language = "en";
    c.organizers = {"organizer@example.org"};
    c.status = CampaignStatus::kOpen;
    db_.campaigns[kCampaign] = c;
    db_.text_hashes[kCampaign] = kText1;
  }

  static std::string Key() {
    EXPECT_GE(sodium_init(), 0);
    return std::string(32, 'k');
  }

  Campaign& campaign() { return db_.campaigns[kCampaign]; }

  // Employees of Acme, proven by domain, whose names may stay sealed until 2 or 3 signed.
  void DeclareGroups() {
    SignerGroup pub;
    pub.key = "public";
    pub.name = "The public";
    SignerGroup acme;
    acme.key = "acme";
    acme.name = "Acme employees";
    acme.kind = GroupKind::kEmployees;
    acme.organization = "Acme";
    acme.domains = {"acme.example"};
    acme.seal_thresholds = {2, 3};
    campaign().groups = {pub, acme};
  }

  NewSignature NewSig(const std::string& email, bool confirm_now = false) {
    NewSignature s;
    s.campaign_id = kCampaign;
    s.form.name = "Ada Lovelace";
    s.form.email = email;
    s.form.public_name = true;
    s.canonical_email = email;
    s.source = "form";
    s.confirm_now = confirm_now;
    s.token = "token-" + email + "-" + std::to_string(++tokens_);
    s.token_hash = "hash-" + s.token;
    s.mail_payload = R"({"campaign_title":"A letter"})";
    s.now = kT0;
    return s;
  }
  // A sealed employee of Acme (signing through the work address).
  NewSignature Sealed(const std::string& who, std::int64_t threshold) {
    NewSignature s = NewSig(who + "@home.example");
    s.form.group = "acme";
    s.form.work_email = who + "@acme.example";
    s.form.protection = Protection::kSealed;
    s.form.seal_threshold = threshold;
    s.form.name = "Sealed " + who;
    s.canonical_email = "affiliation:" + who;
    s.by_domain = true;
    return s;
  }

  Result<SignOutcome> Sign(const NewSignature& s) {
    const SignPrep prep = PrepareSign(s, sealer_);
    return MemoryTx::Run(db_, sealer_, [&](store::WriteTx& tx) { return SignTx(tx, s, prep); });
  }
  Result<TokenOutcome> Confirm(const std::string& hash, UnixTime now = kT0) {
    return MemoryTx::Run(db_, sealer_,
                         [&](store::WriteTx& tx) { return ConfirmTx(tx, hash, now); });
  }
  Result<TokenOutcome> Withdraw(const std::string& hash, UnixTime now = kT0) {
    return MemoryTx::Run(db_, sealer_,
                         [&](store::WriteTx& tx) { return WithdrawTx(tx, hash, now); });
  }
  Result<int> DecideDue(UnixTime now) {
    return MemoryTx::Run(db_, sealer_,
                         [&](store::WriteTx& tx) { return DecideDueCampaignsTx(tx, now); });
  }
  const CampaignCounts& counts() { return db_.counts[kCampaign]; }
  static nlohmann::json Payload(const store::NewMail& m) {
    return nlohmann::json::parse(m.payload);
  }

  MemoryDb db_;
  store::FieldSealer sealer_;
  int tokens_ = 0;
};

TEST_F(ScriptsTest, SignQueuesConfirmMailWithTokenNameAndUuid) {
  auto s = NewSig("ada@example.org");
  auto r = Sign(s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(r->signature.state, SignatureState::kPending);
  EXPECT_EQ(r->signature.confirm_sends, 1);
  EXPECT_EQ(r->counts.pending, 1);
  ASSERT_EQ(db_.outbox.size(), 1u);
  const store::NewMail& m = db_.outbox[0];
  EXPECT_EQ(m.kind, "confirm");
  EXPECT_EQ(m.recipient, "ada@example.org");
  EXPECT_FALSE(m.work_address);
  auto p = Payload(m);
  EXPECT_EQ(p["campaign_title"], "A letter");
  EXPECT_EQ(p["token"], s.token);
  EXPECT_EQ(p["name"], "Ada Lovelace");
  EXPECT_EQ(p["signature_uuid"], r->signature.uuid);
  EXPECT_EQ(db_.tokens.at(s.token_hash).second, store::TokenKind::kSigning);
  EXPECT_TRUE(db_.leaves.empty());  // nothing counts yet
}

TEST_F(ScriptsTest, ResendUntilTheLimitThenNothingIsWritten) {
  ASSERT_TRUE(Sign(NewSig("ada@example.org")));
  auto again = Sign(NewSig("ada@example.org"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, SignOutcome::Kind::kResent);
  EXPECT_EQ(again->signature.confirm_sends, 2);
  ASSERT_TRUE(Sign(NewSig("ada@example.org")));
  const auto before = db_.outbox.size();
  auto limit = Sign(NewSig("ada@example.org"));
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->kind, SignOutcome::Kind::kResendLimit);
  EXPECT_EQ(db_.outbox.size(), before);
  EXPECT_EQ(db_.tokens.size(), 3u);
  EXPECT_EQ(counts().pending, 1);
}

TEST_F(ScriptsTest, ConfirmCountsOnceAppendsLeafAndAlreadySignedIsWithdrawOnly) {
  auto s = NewSig("ada@example.org");
  ASSERT_TRUE(Sign(s));
  auto c = Confirm(s.token_hash, kT0 + 5);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->changed);
  EXPECT_EQ(c->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(c->counts.pending, 0);
  EXPECT_EQ(c->counts.confirmed, 1);
  ASSERT_EQ(db_.leaves.size(), 1u);
  auto leaf = log::ParseLeaf(db_.leaves[0].first);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->campaign, "0190a4f1-0000-7000-8000-000000000001");
  EXPECT_EQ(leaf->event, log::LeafEvent::kConfirm);
  EXPECT_EQ(leaf->text, kText1);
  EXPECT_EQ(db_.leaves[0].second, log::LeafHash(db_.leaves[0].first));
  const auto& row = db_.signatures.begin()->second;
  EXPECT_EQ(row.log_salt.size(), log::kSaltBytes);
  EXPECT_EQ(row.leaf_index, 0u);

  auto twice = Confirm(s.token_hash);  // idempotent
  ASSERT_TRUE(twice);
  EXPECT_FALSE(twice->changed);
  EXPECT_EQ(counts().confirmed, 1);
  EXPECT_EQ(db_.leaves.size(), 1u);

  auto already = NewSig("ada@example.org");
  auto r = Sign(already);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(db_.outbox.back().kind, "already_signed");
  EXPECT_EQ(Payload(db_.outbox.back())["withdraw_token"], already.token);
  EXPECT_EQ(Confirm(already.token_hash).error().code, Code::kNotFound);  // withdraw-only
}

TEST_F(ScriptsTest, WithdrawMovesCountsAndOnlyACountedOneLeavesALeaf) {
  auto pending = NewSig("p@example.org");
  ASSERT_TRUE(Sign(pending));
  auto w = Withdraw(pending.token_hash);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->counts.pending, 0);
  EXPECT_EQ(w->counts.withdrawn, 1);
  EXPECT_TRUE(db_.leaves.empty());
  EXPECT_EQ(Confirm(pending.token_hash).error().code, Code::kConflict);

  auto counted = NewSig("c@example.org");
  ASSERT_TRUE(Sign(counted));
  ASSERT_TRUE(Confirm(counted.token_hash));
  ASSERT_TRUE(Withdraw(counted.token_hash));
  EXPECT_EQ(counts().confirmed, 0);
  EXPECT_EQ(counts().withdrawn, 2);
  ASSERT_EQ(db_.leaves.size(), 2u);
  EXPECT_EQ(log::ParseLeaf(db_.leaves[1].first)->event, log::LeafEvent::kWithdraw);
  auto again = Withdraw(counted.token_hash);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);

  // Signing again after withdrawing: a fresh signing on the same row.
  auto resign = Sign(NewSig("c@example.org"));
  ASSERT_TRUE(resign);
  EXPECT_EQ(resign->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(resign->counts.withdrawn, 1);
  EXPECT_EQ(resign->counts.pending, 1);
  EXPECT_EQ(Withdraw("nope").error().code, Code::kNotFound);
}

TEST_F(ScriptsTest, TrustedSignatureCountsAtOnceWithItsPreparedLeaf) {
  auto s = NewSig("api@example.org", /*confirm_now=*/true);
  s.campaign_uuid = "0190a4f1-0000-7000-8000-000000000001";
  s.text_hash = kText1;
  const SignPrep prep = PrepareSign(s, sealer_);
  ASSERT_FALSE(prep.leaf.entry.empty());
  auto r = Sign(s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(r->counts.confirmed, 1);
  EXPECT_TRUE(db_.outbox.empty());
  EXPECT_TRUE(db_.tokens.empty());  // nothing mailed, nothing kept
  ASSERT_EQ(db_.leaves.size(), 1u);
  const auto& row = db_.signatures.begin()->second;
  EXPECT_EQ(row.leaf_index, 0u);
  auto leaf = log::ParseLeaf(db_.leaves[0].first);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->commitment,
            log::Commitment(std::span<const std::uint8_t>(
                                reinterpret_cast<const std::uint8_t*>(row.log_salt.data()),
                                row.log_salt.size()),
                            "api@example.org"));

  // A stale text (edited since the caller read it): the leaf is built again, same salt.
  db_.text_hashes[kCampaign] = kText2;
  auto t = NewSig("api2@example.org", true);
  t.campaign_uuid = "0190a4f1-0000-7000-8000-000000000001";
  t.text_hash = kText1;
  ASSERT_TRUE(Sign(t));
  EXPECT_EQ(log::ParseLeaf(db_.leaves[1].first)->text, kText2);

  // Recording an existing confirmed one again changes no count and appends nothing.
  ASSERT_TRUE(Sign(NewSig("api@example.org", true)));
  EXPECT_EQ(counts().confirmed, 2);
  EXPECT_EQ(db_.leaves.size(), 2u);
}

TEST_F(ScriptsTest, TrustedConfirmsAPendingOne) {
  ASSERT_TRUE(Sign(NewSig("ada@example.org")));
  auto r = Sign(NewSig("ada@example.org", true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(r->counts.pending, 0);
  EXPECT_EQ(r->counts.confirmed, 1);
  EXPECT_EQ(db_.leaves.size(), 1u);
}

TEST_F(ScriptsTest, ReRecordingIntoAnotherGroupWritesTwoLeavesAndMovesGroupCounts) {
  DeclareGroups();
  campaign().groups[1].kind = GroupKind::kCustomers;  // attested, not proven by domain
  campaign().groups[1].seal_thresholds.clear();
  auto s = NewSig("ada@example.org", true);
  ASSERT_TRUE(Sign(s));
  EXPECT_EQ(GroupConfirmed(counts(), "public"), 1);
  const auto changes = counts().changes;
  auto moved = NewSig("ada@example.org", true);
  moved.form.group = "acme";
  auto r = Sign(moved);
  ASSERT_TRUE(r);
  ASSERT_EQ(db_.leaves.size(), 3u);
  auto out = log::ParseLeaf(db_.leaves[1].first);
  auto in = log::ParseLeaf(db_.leaves[2].first);
  EXPECT_EQ(out->event, log::LeafEvent::kWithdraw);
  EXPECT_EQ(out->group, "public");
  EXPECT_EQ(in->event, log::LeafEvent::kConfirm);
  EXPECT_EQ(in->group, "acme");
  EXPECT_EQ(out->commitment, in->commitment);  // the same salt
  EXPECT_EQ(GroupConfirmed(counts(), "public"), 0);
  EXPECT_EQ(GroupConfirmed(counts(), "acme"), 1);
  EXPECT_EQ(counts().confirmed, 1);
  EXPECT_EQ(counts().changes, changes);  // a move between groups only
}

TEST_F(ScriptsTest, ThresholdReachedExactlyOnceAndMailsEveryone) {
  campaign().threshold = 2;
  auto a = NewSig("a@example.org");
  auto b = NewSig("b@example.org");
  auto c = NewSig("c@example.org");
  for (auto* s : {&a, &b, &c}) ASSERT_TRUE(Sign(*s));
  auto first = Confirm(a.token_hash);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->campaign_decided);
  auto second = Confirm(b.token_hash, kT0 + 10);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->campaign_decided);
  EXPECT_EQ(second->campaign.outcome, CampaignOutcome::kSucceeded);
  EXPECT_EQ(second->campaign.outcome_at, kT0 + 10);
  auto third = Confirm(c.token_hash);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->campaign_decided);
  auto outcome = db_.Mails("outcome");
  ASSERT_EQ(outcome.size(), 3u);  // the two confirmed signers, then the organizer
  EXPECT_EQ(outcome[0].recipient, "a@example.org");
  EXPECT_EQ(outcome[1].recipient, "b@example.org");
  EXPECT_EQ(outcome[2].recipient, "organizer@example.org");
  auto p = Payload(outcome[0]);
  EXPECT_EQ(p["outcome"], "succeeded");
  EXPECT_EQ(p["role"], "signer");
  EXPECT_EQ(p["campaign_title"], "A letter");
  EXPECT_EQ(p["campaign_slug"], "letter");
  EXPECT_EQ(p["language"], "en");
  EXPECT_EQ(p["threshold"], 2);
  EXPECT_EQ(p["confirmed"], 2);
  EXPECT_EQ(Payload(outcome[2])["role"], "organizer");
  EXPECT_EQ(DecideDue(kT0 + 1'000'000).value(), 0);  // decided already
}

TEST_F(ScriptsTest, NoSuccessAfterTheDeadlineAndTheDeadlineDecides) {
  campaign().threshold = 2;
  campaign().deadline = kT0 + 100;
  auto a = NewSig("a@example.org");
  auto b = NewSig("b@example.org");
  ASSERT_TRUE(Sign(a));
  ASSERT_TRUE(Sign(b));
  ASSERT_TRUE(Confirm(a.token_hash));
  EXPECT_EQ(DecideDue(kT0 + 99).value(), 0);  // not due yet
  auto late = Confirm(b.token_hash, kT0 + 101);
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->campaign_decided);  // the deadline passed
  EXPECT_EQ(campaign().outcome, CampaignOutcome::kPending);
  // Another campaign that stays below its threshold.
  Campaign other = campaign();
  other.id = 2;
  other.threshold = 5;
  other.organizers = {"o2@example.org"};
  db_.campaigns[2] = other;
  // The deadline decides both: the first had reached its threshold, the other fails.
  EXPECT_EQ(DecideDue(kT0 + 200).value(), 2);
  EXPECT_EQ(campaign().outcome, CampaignOutcome::kSucceeded);
  EXPECT_EQ(db_.campaigns[2].outcome, CampaignOutcome::kFailed);
  auto failed = db_.Mails("outcome").back();
  EXPECT_EQ(failed.recipient, "o2@example.org");
  EXPECT_EQ(Payload(failed)["outcome"], "failed");
  EXPECT_EQ(Payload(failed)["confirmed"], 0);
  EXPECT_EQ(DecideDue(kT0 + 300).value(), 0);  // once
}

TEST_F(ScriptsTest, SealedNamesAreRevealedOnceTheGroupReachesTheirThreshold) {
  DeclareGroups();
  auto x = Sealed("x", 2);
  auto y = Sealed("y", 3);
  ASSERT_TRUE(Sign(x));
  ASSERT_TRUE(Sign(y));
  EXPECT_EQ(db_.Mails("verify").size(), 2u);
  EXPECT_EQ(db_.Mails("verify")[0].recipient, "x@acme.example");
  EXPECT_TRUE(db_.Mails("verify")[0].work_address);
  EXPECT_EQ(Payload(db_.Mails("verify")[0])["name"], "");  // the employer's server sees it
  for (const auto& [id, row] : db_.signatures) {
    EXPECT_TRUE(row.signature.form.name.empty());
    EXPECT_FALSE(row.sealed.empty());
  }
  auto first = Confirm(x.token_hash);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->revealed, 0);
  EXPECT_TRUE(first->signature.verified);
  EXPECT_TRUE(first->signature.sealed);
  auto second = Confirm(y.token_hash);  // acme reaches 2: x's threshold
  ASSERT_TRUE(second);
  EXPECT_EQ(second->revealed, 1);
  EXPECT_TRUE(second->signature.sealed);  // y waits for 3
  auto revealed = db_.Mails("revealed");
  ASSERT_EQ(revealed.size(), 1u);
  EXPECT_EQ(revealed[0].recipient, "x@home.example");
  auto p = Payload(revealed[0]);
  EXPECT_EQ(p["group"], "Acme employees");
  EXPECT_EQ(p["threshold"], 2);
  EXPECT_EQ(p["name"], "Sealed x");
  EXPECT_EQ(p["count"], 2);
  EXPECT_EQ(p["campaign_slug"], "letter");
  const auto& xrow = db_.signatures.begin()->second;
  EXPECT_EQ(xrow.signature.form.name, "Sealed x");
  EXPECT_TRUE(xrow.signature.form.public_name);
  EXPECT_TRUE(xrow.sealed.empty());

  // The third confirmation reveals y, and nobody twice.
  auto z = Sealed("z", 3);
  ASSERT_TRUE(Sign(z));
  auto third = Confirm(z.token_hash);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->revealed, 2);  // y and z itself
  EXPECT_FALSE(third->signature.sealed);
  EXPECT_EQ(third->signature.form.name, "Sealed z");
  EXPECT_EQ(db_.Mails("revealed").size(), 3u);
}

TEST_F(ScriptsTest, OutcomeReachesSealedAddressesOpenedForTheMail) {
  DeclareGroups();
  campaign().threshold = 1;
  auto x = Sealed("x", 3);
  ASSERT_TRUE(Sign(x));
  ASSERT_TRUE(Confirm(x.token_hash));
  auto outcome = db_.Mails("outcome");
  ASSERT_EQ(outcome.size(), 2u);
  EXPECT_EQ(outcome[0].recipient, "organizer@example.org");
  EXPECT_EQ(outcome[1].recipient, "x@home.example");
}

TEST_F(ScriptsTest, OrganizationsPendingConfirmedDecided) {
  NewOrganization o;
  o.campaign_id = kCampaign;
  o.uuid = "org-uuid";
  o.form.name = "Friends of the Earth";
  o.form.website = "https://foe.example.org";
  o.form.contact_email = "press@foe.example.org";
  o.canonical_email = "press@foe.example.org";
  o.confirm_token = "ct";
  o.confirm_token_hash = "ct-hash";
  o.mail_payload = R"({"campaign_title":"A letter","campaign_slug":"letter","language":"en"})";
  o.now = kT0;
  auto run = [&](auto script) { return MemoryTx::Run(db_, sealer_, script); };
  auto added = run([&](store::WriteTx& tx) { return AddOrganizationTx(tx, o); });
  ASSERT_TRUE(added);
  EXPECT_EQ(added->state, OrganizationState::kPending);
  auto mail = db_.Mails("org_confirm");
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].recipient, "press@foe.example.org");
  EXPECT_EQ(Payload(mail[0])["confirm_token"], "ct");
  EXPECT_EQ(Payload(mail[0])["organization_name"], "Friends of the Earth");
  EXPECT_EQ(Payload(mail[0])["campaign_slug"], "letter");
  auto twice = run([&](store::WriteTx& tx) { return AddOrganizationTx(tx, o); });
  EXPECT_EQ(twice.error().code, Code::kConflict);

  auto early = run([&](store::WriteTx& tx) {
    return DecideOrganizationTx(tx, "org-uuid", OrganizationDecision::kApprove, kT0);
  });
  EXPECT_EQ(early.error().code, Code::kConflict);  // not confirmed yet

  auto confirm = [&] {
    return run([&](store::WriteTx& tx) {
      return ConfirmOrganizationTx(tx, "ct-hash", "rt", "rt-hash", kT0 + 1);
    });
  };
  auto confirmed = confirm();
  ASSERT_TRUE(confirmed);
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->organization.state, OrganizationState::kConfirmed);
  EXPECT_EQ(db_.organizations[0].review_hash, "rt-hash");
  auto review = db_.Mails("org_review");
  ASSERT_EQ(review.size(), 1u);
  EXPECT_EQ(review[0].recipient, "organizer@example.org");
  auto p = Payload(review[0]);
  EXPECT_EQ(p["organization_name"], "Friends of the Earth");
  EXPECT_EQ(p["website"], "https://foe.example.org");
  EXPECT_EQ(p["review_token"], "rt");
  EXPECT_EQ(p["campaign_title"], "A letter");
  EXPECT_FALSE(confirm()->changed);  // once
  EXPECT_EQ(db_.Mails("org_review").size(), 1u);

  auto approved = run([&](store::WriteTx& tx) {
    return DecideOrganizationTx(tx, "org-uuid", OrganizationDecision::kApprove, kT0 + 9);
  });
  ASSERT_TRUE(approved);
  EXPECT_TRUE(approved->changed);
  EXPECT_EQ(approved->organization.state, OrganizationState::kApproved);
  EXPECT_EQ(approved->organization.decided, kT0 + 9);
  EXPECT_EQ(campaign().modified, kT0 + 9);  // the page changed
  auto same = run([&](store::WriteTx& tx) {
    return DecideOrganizationTx(tx, "org-uuid", OrganizationDecision::kApprove, kT0 + 10);
  });
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->changed);
  auto other = run([&](store::WriteTx& tx) {
    return DecideOrganizationTx(tx, "org-uuid", OrganizationDecision::kReject, kT0 + 10);
  });
  EXPECT_EQ(other.error().code, Code::kConflict);
}

TEST_F(ScriptsTest, NothingIsAppendedWithTheLogOff) {
  db_.log_enabled = false;
  auto s = NewSig("ada@example.org");
  ASSERT_TRUE(Sign(s));
  ASSERT_TRUE(Confirm(s.token_hash));
  ASSERT_TRUE(Sign(NewSig("b@example.org", true)));
  EXPECT_TRUE(db_.leaves.empty());
  EXPECT_EQ(counts().confirmed, 2);
}

TEST(ExtendPayloadTest, AppendsMembers) {
  EXPECT_EQ(*ExtendPayload("", {{"a", "1"}}), R"({"a":"1"})");
  EXPECT_EQ(*ExtendPayload(" {} ", {{"a", "1"}}), R"({"a":"1"})");
  EXPECT_EQ(*ExtendPayload(R"({"x":2})", {{"a", "q\""}}), R"({"x":2,"a":"q\""})");
  EXPECT_FALSE(ExtendPayload("[1]", {{"a", "1"}}));
}

}  // namespace
}  // namespace undersigned::tx
