#include "core/group.h"

#include <gtest/gtest.h>

#include "core/campaign.h"
#include "core/signature.h"

namespace undersigned {
namespace {

SignerGroup Employees() {
  SignerGroup g;
  g.key = "employees";
  g.name = "Acme employees";
  g.kind = GroupKind::kEmployees;
  g.organization = "Acme";
  g.domains = {"acme.com", "acme.co.uk"};
  g.seal_thresholds = {50, 500};
  return g;
}

SignerGroup Shareholders() {
  SignerGroup g;
  g.key = "shareholders";
  g.name = "Shareholders";
  g.kind = GroupKind::kShareholders;
  g.attestation = "I hold shares in Acme plc.";
  return g;
}

std::map<std::string, std::string> Errors(const std::vector<SignerGroup>& groups) {
  std::map<std::string, std::string> e;
  ValidateGroups(groups, e);
  return e;
}

TEST(Groups, ValidGroupsPass) {
  EXPECT_TRUE(Errors({Employees(), Shareholders(), DefaultPublicGroup()}).empty());
}

TEST(Groups, EachRuleNamesItsField) {
  SignerGroup no_domain = Employees();
  no_domain.domains.clear();
  EXPECT_TRUE(Errors({no_domain}).count("groups[0].domains"));

  SignerGroup upper = Employees();
  upper.domains = {"Acme.com"};
  EXPECT_TRUE(Errors({upper}).count("groups[0].domains"));

  SignerGroup no_statement = Shareholders();
  no_statement.attestation = " ";
  EXPECT_TRUE(Errors({no_statement}).count("groups[0].attestation"));

  SignerGroup sealed_public = DefaultPublicGroup();
  sealed_public.seal_thresholds = {10};
  EXPECT_TRUE(Errors({sealed_public}).count("groups[0].seal_thresholds"));

  SignerGroup descending = Employees();
  descending.seal_thresholds = {500, 50};
  EXPECT_TRUE(Errors({descending}).count("groups[0].seal_thresholds"));

  SignerGroup bad_key = Employees();
  bad_key.key = "Staff!";
  EXPECT_TRUE(Errors({bad_key}).count("groups[0].key"));

  EXPECT_TRUE(Errors({Employees(), Employees()}).count("groups[1].key"));

  SignerGroup no_org = Employees();
  no_org.organization.clear();
  EXPECT_TRUE(Errors({no_org}).count("groups[0].organization"));
}

TEST(Groups, DomainsMatchExactlyOrAsParents) {
  SignerGroup g = Employees();
  EXPECT_TRUE(DomainMatches(g, "ada@acme.com"));
  EXPECT_TRUE(DomainMatches(g, "ada@ACME.com"));
  EXPECT_TRUE(DomainMatches(g, "ada@eu.acme.com"));
  EXPECT_TRUE(DomainMatches(g, "ada@acme.co.uk"));
  EXPECT_FALSE(DomainMatches(g, "ada@notacme.com"));
  EXPECT_FALSE(DomainMatches(g, "ada@acme.com.evil.org"));
  EXPECT_FALSE(DomainMatches(g, "acme.com"));
}

TEST(Groups, SmallCountsAreNotShown) {
  EXPECT_EQ(ShownCount(0, 5), std::nullopt);
  EXPECT_EQ(ShownCount(4, 5), std::nullopt);
  EXPECT_EQ(ShownCount(5, 5), 5);
  EXPECT_EQ(ShownCount(1, 1), 1);
}

TEST(Groups, StartOfDay) {
  EXPECT_EQ(StartOfDay(1'700'000'000), 1'699'920'000);
  EXPECT_EQ(StartOfDay(1'699'920'000), 1'699'920'000);
}

TEST(Groups, CampaignFindsItsGroups) {
  Campaign c;
  EXPECT_EQ(FindGroup(c, "")->key, "public");
  EXPECT_EQ(FindGroup(c, "public")->kind, GroupKind::kPublic);
  EXPECT_EQ(FindGroup(c, "employees"), nullptr);
  c.groups = {Employees(), Shareholders()};
  EXPECT_EQ(FindGroup(c, "")->key, "employees");
  EXPECT_EQ(FindGroup(c, "shareholders")->kind, GroupKind::kShareholders);
  EXPECT_EQ(FindGroup(c, "public"), nullptr);
  EXPECT_EQ(EffectiveGroups(c).size(), 2u);
}

SignatureForm EmployeeForm() {
  SignatureForm f;
  f.name = "Ada Lovelace";
  f.work_email = "ada@eu.acme.com";
  f.email = "ada@example.org";
  return f;
}

TEST(GroupForms, EmployeeNeedsAWorkAddressAtTheDomain) {
  auto ok = ValidateSignatureForm(EmployeeForm(), Employees());
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->group, "employees");

  SignatureForm f = EmployeeForm();
  f.work_email = "ada@gmail.com";
  auto bad = ValidateSignatureForm(f, Employees());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().field_errors.at("work_email").find("@acme.com, @acme.co.uk"),
            std::string::npos);

  f.work_email.clear();
  EXPECT_TRUE(ValidateSignatureForm(f, Employees()).error().field_errors.count("work_email"));

  f = EmployeeForm();
  f.email = "Ada+x@acme.com";
  f.work_email = "ada@acme.com";
  EXPECT_TRUE(ValidateSignatureForm(f, Employees()).error().field_errors.count("email"));
}

TEST(GroupForms, PersonalAddressIsOptionalForVerifiedPublicNames) {
  SignatureForm f = EmployeeForm();
  f.email.clear();
  EXPECT_TRUE(ValidateSignatureForm(f, Employees()));
  f.wants_updates = true;
  EXPECT_TRUE(ValidateSignatureForm(f, Employees()).error().field_errors.count("email"));
}

TEST(GroupForms, SealedNeedsAnOfferedThresholdAndAnAddress) {
  SignatureForm f = EmployeeForm();
  f.protection = Protection::kSealed;
  f.seal_threshold = 50;
  f.public_name = true;
  auto ok = ValidateSignatureForm(f, Employees());
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->public_name);
  f.seal_threshold = 51;
  EXPECT_TRUE(ValidateSignatureForm(f, Employees()).error().field_errors.count("seal_threshold"));
  f.seal_threshold = 50;
  f.email.clear();
  EXPECT_TRUE(ValidateSignatureForm(f, Employees()).error().field_errors.count("email"));
}

TEST(OpenSealThresholds, LeavesOutReachedSizesAndSizesBelowTheFloor) {
  SignerGroup g = Employees();
  g.seal_thresholds = {3, 50, 500};
  EXPECT_EQ(OpenSealThresholds(g, 5, 0), (std::vector<std::int64_t>{50, 500}));
  EXPECT_EQ(OpenSealThresholds(g, 3, 2), (std::vector<std::int64_t>{3, 50, 500}));
  // 50 confirmed: a name sealed until 50 would be public as soon as it is confirmed.
  EXPECT_EQ(OpenSealThresholds(g, 3, 50), (std::vector<std::int64_t>{500}));
  EXPECT_TRUE(OpenSealThresholds(g, 3, 500).empty());
}

TEST(GroupForms, AnonymousKeepsNothingThatNames) {
  SignatureForm f = EmployeeForm();
  f.protection = Protection::kAnonymous;
  f.postal_code = "N1 9GU";
  f.comment = "Not in my name.";
  auto ok = ValidateSignatureForm(f, Employees());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->name, "");
  EXPECT_EQ(ok->email, "");
  EXPECT_EQ(ok->postal_code, "");
  EXPECT_EQ(ok->comment, "Not in my name.");
  EXPECT_TRUE(ok->public_name);
  f.wants_updates = true;
  EXPECT_EQ(ValidateSignatureForm(f, Employees())->email, "ada@example.org");
}

TEST(GroupForms, ProtectionOnlyInVerifiedGroups) {
  SignatureForm f;
  f.name = "Ada";
  f.email = "ada@example.org";
  f.protection = Protection::kAnonymous;
  EXPECT_TRUE(ValidateSignatureForm(f).error().field_errors.count("protection"));
}

TEST(GroupForms, AttestationMustBeTicked) {
  SignatureForm f;
  f.name = "Ada";
  f.email = "ada@example.org";
  EXPECT_TRUE(ValidateSignatureForm(f, Shareholders()).error().field_errors.count("attested"));
  f.attested = true;
  EXPECT_TRUE(ValidateSignatureForm(f, Shareholders()));
  f.work_email = "ada@acme.com";
  EXPECT_EQ(ValidateSignatureForm(f, Shareholders())->work_email, "");
}

TEST(GroupForms, CampaignValidationIncludesGroups) {
  Campaign c;
  c.slug = "letter";
  c.title = "Letter";
  c.targets = {Target{"CEO", "", "", "", "", "", ""}};
  c.goal = 10;
  c.groups = {Employees()};
  EXPECT_TRUE(ValidateCampaign(c));
  c.groups[0].domains.clear();
  auto bad = ValidateCampaign(c);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().field_errors.count("groups[0].domains"));
  c.groups[0].domains = {"acme.com"};
  c.anonymity_floor = 0;
  EXPECT_TRUE(ValidateCampaign(c).error().field_errors.count("anonymity_floor"));
}

TEST(GroupSpec, ParsesEveryPartAndFormatsBackToTheSameGroup) {
  auto g = ParseGroupSpec(
      " kind=employees; key=staff; name=Acme staff; organization=Acme; "
      "domains=acme.com, acme.de; seal=50,500; goal=100");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  EXPECT_EQ(g->kind, GroupKind::kEmployees);
  EXPECT_EQ(g->key, "staff");
  EXPECT_EQ(g->name, "Acme staff");
  EXPECT_EQ(g->domains, (std::vector<std::string>{"acme.com", "acme.de"}));
  EXPECT_EQ(g->seal_thresholds, (std::vector<std::int64_t>{50, 500}));
  EXPECT_EQ(g->goal, 100);
  auto again = ParseGroupSpec(FormatGroupSpec(*g));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, *g);

  auto s = ParseGroupSpec("kind=shareholders; name=Holders; attestation=I hold shares in Acme.");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->key, "shareholders");
  EXPECT_EQ(*ParseGroupSpec(FormatGroupSpec(*s)), *s);
}

TEST(GroupSpec, SaysWhatIsWrong) {
  EXPECT_NE(ParseGroupSpec("name=x").error().message.find("needs kind"), std::string::npos);
  EXPECT_NE(ParseGroupSpec("kind=robots").error().message.find("kind must"), std::string::npos);
  EXPECT_NE(ParseGroupSpec("kind=public; colour=red").error().message.find("colour"),
            std::string::npos);
  EXPECT_NE(ParseGroupSpec("kind=employees; seal=lots").error().message.find("whole number"),
            std::string::npos);
  EXPECT_NE(ParseGroupSpec("kind public").error().message.find("no '='"), std::string::npos);
}

}  // namespace
}  // namespace undersigned
