// Signer groups through the services and a real store: verified affiliation by work address,
// sealed names and their reveal, anonymous signatures, attestations.
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "service/dashboard.h"
#include "service/delivery.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class GroupsTest : public ServiceFixture {
 protected:
  static Campaign GroupCampaign() {
    Campaign c = OpenCampaign("acme-letter", "Letter to Acme");
    SignerGroup employees;
    employees.key = "employees";
    employees.name = "Acme employees";
    employees.kind = GroupKind::kEmployees;
    employees.organization = "Acme";
    employees.domains = {"acme.com"};
    employees.seal_thresholds = {5, 100};  // the smallest: the anonymity floor
    SignerGroup holders;
    holders.key = "shareholders";
    holders.name = "Shareholders";
    holders.kind = GroupKind::kShareholders;
    holders.attestation = "I hold shares in Acme.";
    c.groups = {employees, holders, DefaultPublicGroup()};
    return c;
  }
  void SetUp() override {
    ServiceFixture::SetUp();
    Create(GroupCampaign());
  }

  static SignatureForm Employee(const std::string& work, const std::string& name,
                                Protection p = Protection::kNone, const std::string& email = "") {
    SignatureForm f;
    f.group = "employees";
    f.name = name;
    f.work_email = work;
    f.email = email;
    f.protection = p;
    f.public_name = true;
    if (p == Protection::kSealed) f.seal_threshold = 5;
    return f;
  }
  Result<SignResult> Sign(const SignatureForm& f, bool trusted = false) {
    SignContext ctx;
    ctx.trusted = trusted;
    ctx.source = trusted ? "api" : "form";
    return signing_->Sign("acme-letter", f, ctx);
  }
  // The unsent mails of one kind, as (recipient, payload).
  std::vector<std::pair<std::string, nlohmann::json>> Mails(const std::string& kind) {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    EXPECT_TRUE(due);
    for (const OutboxMessage& m : *due) {
      if (m.kind == kind) out.emplace_back(m.recipient, nlohmann::json::parse(m.payload));
    }
    return out;
  }
  // Follows the link of the latest "verify" mail to `work`.
  Result<TokenOutcome> Verify(const std::string& work) {
    std::string token;
    for (auto& [to, payload] : Mails("verify")) {
      if (to == work) token = payload.at("token");
    }
    EXPECT_FALSE(token.empty()) << "no verify mail to " << work;
    return signing_->Confirm(token);
  }
  std::string Export() {
    std::ostringstream csv, json;
    EXPECT_TRUE(signing_->Export("acme-letter", "csv", csv));
    EXPECT_TRUE(signing_->Export("acme-letter", "json", json));
    return csv.str() + json.str();
  }
  // Everything the public and the organizer can read about the campaign, as one string.
  std::string EverySurface() {
    std::string all = Export();
    auto c = store_->GetCampaignBySlug("acme-letter");
    auto sigs = store_->ListSignatures(c->id, {}, Page{1, 1000});
    for (const Signature& s : sigs->items) all += s.form.name + s.form.email + s.form.comment;
    auto people = store_->ListPeople(std::nullopt, {}, Page{1, 1000});
    for (const Person& p : people->items) all += p.given_name + p.family_name + p.email;
    auto snap = campaigns_->Snapshot("acme-letter");  // kept alive for the loop
    for (const PublicSigner& p : snap->recent) all += p.name;
    auto recent = store_->RecentPublicSigners(c->id, 100);
    for (const PublicSigner& p : *recent) all += p.name;
    // The organizers' console: the signatures list, its CSV and the dashboard's tallies.
    AccountService accounts(*store_, clock_);
    DashboardService dashboard(*store_, accounts, clock_);
    auto list = dashboard.Signatures(Actor::Operator(), "acme-letter", {}, Page{1, 500});
    EXPECT_TRUE(list);
    for (const SignerRow& r : list->rows) {
      all += r.name + r.email + r.comment + r.postal_code + r.source + "\n";
    }
    std::ostringstream csv;
    EXPECT_TRUE(dashboard.ExportCsv(Actor::Operator(), "acme-letter", {}, csv));
    all += csv.str();
    auto overview = dashboard.Overview(Actor::Operator(), "acme-letter");
    EXPECT_TRUE(overview);
    for (const TopTally* t : {&overview->countries, &overview->referrers, &overview->sources}) {
      for (const TallyRow& r : t->top) all += r.key + "\n";
    }
    return all;
  }
};

TEST_F(GroupsTest, TheLinkGoesToTheWorkAddressWhichIsNeverStored) {
  auto r = Sign(Employee("ada.l@acme.com", "Ada", Protection::kNone, "ada@example.org"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->signature.state, SignatureState::kPending);
  EXPECT_EQ(r->signature.canonical_email.rfind("affiliation:", 0), 0u);
  EXPECT_EQ(r->signature.form.work_email, "");
  auto verify = Mails("verify");
  ASSERT_EQ(verify.size(), 1u);
  EXPECT_EQ(verify[0].first, "ada.l@acme.com");
  EXPECT_EQ(verify[0].second.value("name", ""), "");  // neutral: nothing the signer typed
  EXPECT_TRUE(Mails("confirm").empty());

  auto c = store_->GetCampaignBySlug("acme-letter");
  auto stored = store_->ListSignatures(c->id, {}, Page{1, 10});
  ASSERT_EQ(stored->items.size(), 1u);
  EXPECT_EQ(stored->items[0].form.email, "ada@example.org");
  EXPECT_EQ(stored->items[0].form.work_email, "");
  EXPECT_FALSE(stored->items[0].verified);
  // Not one of the API's people: it stands for a work address nobody may read.
  EXPECT_EQ(store_->ListPeople(std::nullopt, {}, Page{1, 10})->total, 0);

  // Once sent, the outbox forgets the recipient too.
  auto due = store_->DueOutbox(kOutboxNever - 1, 10);
  ASSERT_TRUE(store_->MarkOutboxSent(due->at(0).id, clock_.Now()));
  EXPECT_TRUE(Mails("verify").empty());
}

TEST_F(GroupsTest, FollowingTheLinkVerifiesAndCountsTheGroup) {
  ASSERT_TRUE(Sign(Employee("ada@acme.com", "Ada")));
  auto confirmed = Verify("ada@acme.com");
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  EXPECT_TRUE(confirmed->signature.verified);
  EXPECT_EQ(confirmed->counts.confirmed, 1);
  EXPECT_EQ(GroupConfirmed(confirmed->counts, "employees"), 1);
  EXPECT_EQ(GroupConfirmed(campaigns_->Snapshot("acme-letter")->counts, "employees"), 1);
  // Counts by group survive a restart.
  CloseServices();
  OpenServices();
  EXPECT_EQ(GroupConfirmed(campaigns_->Snapshot("acme-letter")->counts, "employees"), 1);
  auto c = store_->GetCampaignBySlug("acme-letter");
  EXPECT_TRUE(store_->ListSignatures(c->id, {}, Page{1, 10})->items.at(0).verified);
}

TEST_F(GroupsTest, AliasesOfAWorkAddressCannotSignTwice) {
  ASSERT_TRUE(Sign(Employee("Ada.Lovelace+petition@ACME.com", "Ada")));
  auto again = Sign(Employee("ada.lovelace@acme.com", "Ada Again"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, SignOutcome::Kind::kResent);
  ASSERT_TRUE(Verify("ada.lovelace@acme.com"));
  auto third = Sign(Employee("ada.lovelace+x@acme.com", "Ada Third"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(Mails("verify_already").size(), 1u);
  auto snap = campaigns_->Snapshot("acme-letter");
  EXPECT_EQ(snap->counts.confirmed, 1);
  EXPECT_EQ(snap->counts.pending, 0);
}

TEST_F(GroupsTest, ATrustedClientCannotSkipVerification) {
  auto r = Sign(Employee("bob@acme.com", "Bob"), /*trusted=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->signature.state, SignatureState::kPending);
  EXPECT_EQ(Mails("verify").size(), 1u);
}

TEST_F(GroupsTest, SealedNamesAreNowhereUntilTheThresholdThenRevealedOnce) {
  ASSERT_TRUE(
      Sign(Employee("s1@acme.com", "SEALEDMARKER One", Protection::kSealed, "one@example.org")));
  ASSERT_TRUE(
      Sign(Employee("s2@acme.com", "SEALEDMARKER Two", Protection::kSealed, "two@example.org")));
  // Signed while the seal was not reached, confirmed only after it is (below).
  ASSERT_TRUE(Sign(
      Employee("s3@acme.com", "SEALEDMARKER Three", Protection::kSealed, "three@example.org")));
  for (const char* w : {"p1@acme.com", "p2@acme.com", "p3@acme.com"}) {
    ASSERT_TRUE(Sign(Employee(w, "Public Person")));
  }
  ASSERT_TRUE(Verify("s1@acme.com"));
  ASSERT_TRUE(Verify("s2@acme.com"));
  ASSERT_TRUE(Verify("p1@acme.com"));
  ASSERT_TRUE(Verify("p2@acme.com"));
  EXPECT_EQ(EverySurface().find("SEALEDMARKER"), std::string::npos);
  EXPECT_EQ(EverySurface().find("one@example.org"), std::string::npos);
  EXPECT_TRUE(Mails("revealed").empty());

  auto fifth = Verify("p3@acme.com");  // the group reaches 5
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->revealed, 2);
  std::string all = EverySurface();
  EXPECT_NE(all.find("SEALEDMARKER One"), std::string::npos);
  EXPECT_NE(all.find("SEALEDMARKER Two"), std::string::npos);
  EXPECT_EQ(all.find("SEALEDMARKER Three"), std::string::npos);
  auto notices = Mails("revealed");
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].first, "one@example.org");
  EXPECT_EQ(notices[1].first, "two@example.org");
  EXPECT_EQ(notices[0].second.at("threshold"), 5);

  // A sealed signer who confirms after the seal is reached is revealed as they confirm and told
  // so; nobody is told twice, restart or not.
  CloseServices();
  OpenServices();
  auto late = Verify("s3@acme.com");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->revealed, 1);
  notices = Mails("revealed");
  ASSERT_EQ(notices.size(), 3u);
  EXPECT_EQ(notices[2].first, "three@example.org");
  // Revealed names are shown with the day only.
  auto snap = campaigns_->Snapshot("acme-letter");
  for (const PublicSigner& p : snap->recent) {
    if (p.name.starts_with("SEALEDMARKER")) {
      EXPECT_EQ(p.confirmed % 86400, 0);
    }
  }
}

// Sealed until 5 once 5 have signed would be public the moment it is confirmed: refused.
TEST_F(GroupsTest, AReachedSealIsRefusedWithAMessage) {
  for (const char* w :
       {"p1@acme.com", "p2@acme.com", "p3@acme.com", "p4@acme.com", "p5@acme.com"}) {
    ASSERT_TRUE(Sign(Employee(w, "Public Person")));
    ASSERT_TRUE(Verify(w));
  }
  auto r =
      Sign(Employee("late@acme.com", "SEALEDMARKER Late", Protection::kSealed, "late@example.org"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().field_errors.at("seal_threshold"),
            "5 have already signed, so a name sealed until 5 would be shown as soon as you "
            "confirm. Choose another option.");
  EXPECT_TRUE(Mails("verify").size() == 5u);
  // The next seal is still open.
  SignatureForm f =
      Employee("late@acme.com", "SEALEDMARKER Late", Protection::kSealed, "late@example.org");
  f.seal_threshold = 100;
  EXPECT_TRUE(Sign(f));
}

TEST_F(GroupsTest, SealedSignersAreToldTheCampaignsOutcomeToo) {
  Campaign c = *store_->GetCampaignBySlug("acme-letter");
  c.threshold = 2;
  c.deadline = clock_.Now() + 86400;
  ASSERT_TRUE(campaigns_->Update(c));
  ASSERT_TRUE(Sign(
      Employee("s1@acme.com", "SEALEDMARKER", Protection::kSealed, "sealed-outcome@example.org")));
  SignatureForm anon = Employee("a1@acme.com", "", Protection::kAnonymous, "anon@example.org");
  anon.wants_updates = true;
  ASSERT_TRUE(Sign(anon));
  ASSERT_TRUE(Verify("s1@acme.com"));
  auto second = Verify("a1@acme.com");  // reaches the campaign's threshold of 2
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->campaign_decided);
  auto outcomes = Mails("outcome");
  std::set<std::string> to;
  for (auto& [recipient, payload] : outcomes) to.insert(recipient);
  EXPECT_EQ(to, (std::set<std::string>{"sealed-outcome@example.org", "anon@example.org"}));
  EXPECT_EQ(outcomes.size(), 2u);
  // The seal (5) is not reached: the name is still nowhere.
  EXPECT_EQ(EverySurface().find("SEALEDMARKER"), std::string::npos);
}

TEST_F(GroupsTest, AWithdrawnSealedNameIsNeverRevealed) {
  ASSERT_TRUE(
      Sign(Employee("s1@acme.com", "SEALEDMARKER Gone", Protection::kSealed, "gone@example.org")));
  auto v = Verify("s1@acme.com");
  ASSERT_TRUE(v);
  // The verify mail's undo link carries the token that verified.
  std::string withdraw;
  for (auto& [to, payload] : Mails("verify")) withdraw = payload.at("token");
  ASSERT_TRUE(signing_->Withdraw(withdraw));
  for (const char* w : {"a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com", "e@acme.com"}) {
    ASSERT_TRUE(Sign(Employee(w, "Someone")));
    ASSERT_TRUE(Verify(w));
  }
  EXPECT_EQ(GroupConfirmed(campaigns_->Snapshot("acme-letter")->counts, "employees"), 5);
  EXPECT_EQ(EverySurface().find("SEALEDMARKER"), std::string::npos);
  EXPECT_TRUE(Mails("revealed").empty());
}

TEST_F(GroupsTest, AnonymousSignersKeepNoNameAndNoAddress) {
  auto r = Sign(
      Employee("anon@acme.com", "ANONMARKER", Protection::kAnonymous, "anon-personal@example.org"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(Verify("anon@acme.com"));
  std::string all = EverySurface();
  EXPECT_EQ(all.find("ANONMARKER"), std::string::npos);
  EXPECT_EQ(all.find("anon-personal"), std::string::npos);
  auto recent = campaigns_->Snapshot("acme-letter")->recent;
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_TRUE(recent[0].anonymous);
  EXPECT_TRUE(recent[0].verified);
  EXPECT_EQ(recent[0].name, "");
  EXPECT_EQ(recent[0].confirmed % 86400, 0);
  EXPECT_NE(Export().find("anonymous"), std::string::npos);
}

TEST_F(GroupsTest, TimeFiltersCannotFindAnAnonymousSignersExactTime) {
  ASSERT_TRUE(Sign(Employee("anon@acme.com", "", Protection::kAnonymous)));
  ASSERT_TRUE(Verify("anon@acme.com"));
  const UnixTime day = StartOfDay(clock_.Now());
  ASSERT_GT(clock_.Now(), day);  // the fixture's clock is not at midnight
  auto c = store_->GetCampaignBySlug("acme-letter");
  TimeFilter after_midnight;
  after_midnight.modified_after = day;  // strictly after: the day itself is not
  EXPECT_EQ(store_->ListSignatures(c->id, after_midnight, Page{1, 10})->total, 0);
  TimeFilter before_now;
  before_now.modified_before = clock_.Now();
  EXPECT_EQ(store_->ListSignatures(c->id, before_now, Page{1, 10})->total, 1);
}

TEST_F(GroupsTest, AttestationsAreRequiredAndRecorded) {
  SignatureForm f;
  f.group = "shareholders";
  f.name = "Holder";
  f.email = "holder@example.org";
  auto refused = Sign(f);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().field_errors.count("attested"));
  f.attested = true;
  auto r = Sign(f, /*trusted=*/true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->signature.attestation, "I hold shares in Acme.");
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(GroupConfirmed(campaigns_->Snapshot("acme-letter")->counts, "shareholders"), 1);
  auto c = store_->GetCampaignBySlug("acme-letter");
  EXPECT_EQ(store_->ListSignatures(c->id, {}, Page{1, 10})->items.at(0).attestation,
            "I hold shares in Acme.");
}

TEST_F(GroupsTest, GroupsPeopleSignedInCannotBeTakenAway) {
  ASSERT_TRUE(Sign(Employee("ada@acme.com", "Ada")));
  Campaign c = *store_->GetCampaignBySlug("acme-letter");
  Campaign dropped = c;
  dropped.groups.erase(dropped.groups.begin());
  auto r = campaigns_->Update(dropped);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("groups"));
  Campaign fewer_seals = c;
  fewer_seals.groups[0].seal_thresholds = {100};
  EXPECT_FALSE(campaigns_->Update(fewer_seals));
  Campaign more = c;
  more.groups[0].seal_thresholds = {5, 50, 100};
  more.groups.erase(more.groups.begin() + 1);  // nobody signed as a shareholder
  EXPECT_TRUE(campaigns_->Update(more));
}

TEST_F(GroupsTest, AClientThatKnowsNoGroupsSignsAsThePublic) {
  SignatureForm f;
  f.name = "Plain";
  f.email = "plain@example.org";
  auto r = Sign(f);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->signature.form.group, "public");
}

TEST_F(GroupsTest, AnUnknownGroupIsAFieldError) {
  SignatureForm f;
  f.group = "board";
  f.name = "X";
  f.email = "x@example.org";
  auto r = Sign(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(r.error().field_errors.count("group"));
}

TEST_F(GroupsTest, TheDeliveredLetterCountsByGroupAndNamesOnlyPublicSigners) {
  ASSERT_TRUE(Sign(Employee("s1@acme.com", "SEALEDMARKER", Protection::kSealed, "s@example.org")));
  ASSERT_TRUE(Sign(Employee("a1@acme.com", "ANONMARKER", Protection::kAnonymous)));
  ASSERT_TRUE(Sign(Employee("p1@acme.com", "Named Employee")));
  for (const char* w : {"s1@acme.com", "a1@acme.com", "p1@acme.com"}) ASSERT_TRUE(Verify(w));
  // Three verified employees: under the floor of 5, so the group's count is not given.
  auto d = BuildDelivery(*store_, "acme-letter", clock_.Now(), "https://letters.example");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->groups.size(), 3u);
  EXPECT_FALSE(d->groups[0].shown);
  std::string json = DeliveryJson(*d);
  EXPECT_NE(json.find("\"fewer_than\": 5"), std::string::npos);
  for (const char* w : {"b1@acme.com", "b2@acme.com"}) {
    ASSERT_TRUE(Sign(Employee(w, "Another")));
    ASSERT_TRUE(Verify(w));
  }
  d = BuildDelivery(*store_, "acme-letter", clock_.Now(), "https://letters.example");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->groups[0].shown, 5);
  EXPECT_EQ(d->groups[0].anonymous, 1);
  // The seal (5) was reached at the fifth verification: that name is now public.
  EXPECT_EQ(d->groups[0].sealed, 0);
  EXPECT_EQ(d->groups[0].named, 4);
  json = DeliveryJson(*d);
  EXPECT_EQ(json.find("ANONMARKER"), std::string::npos);
  EXPECT_NE(json.find("SEALEDMARKER"), std::string::npos);
  EXPECT_NE(json.find("\"confirmed\": 5"), std::string::npos);
  std::ostringstream csv;
  DeliveryCsv(*d, csv);
  EXPECT_NE(csv.str().find("\"Named Employee\",\"Acme employees\",yes"), std::string::npos);
}

}  // namespace
}  // namespace undersigned::service
