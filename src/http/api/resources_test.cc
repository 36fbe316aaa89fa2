#include "http/api/resources.h"

#include <gtest/gtest.h>

#include "http/api/json_body.h"

namespace undersigned::http::api {
namespace {

using nlohmann::json;

constexpr UnixTime kNow = 1704240000;  // 2024-01-03, after SampleCampaign was made

Campaign SampleCampaign() {
  Campaign c;
  c.id = 7;
  c.uuid = "0b5e0c1e-1111-4222-8333-444455556666";
  c.slug = "fair-pay";
  c.title = "Fair pay now";
  c.demand = "Raise the wage";
  c.letter_markdown = "Dear **CEO**,";
  c.description = "Why we write to the CEO.";
  c.organized_by = "Acme Workers United";
  c.targets = {Target{"Jane Doe", "CEO", "Acme", "janedoe", "", "", ""}};
  c.goal = 500;
  c.status = CampaignStatus::kOpen;
  c.language = "en";
  c.created = 1704067200;
  c.modified = 1704153600;
  return c;
}

json Parse(const char* text) { return json::parse(text); }

// A letter from Acme's employees, its shareholders and the public.
Campaign GroupCampaign() {
  Campaign c = SampleCampaign();
  SignerGroup employees;
  employees.key = "employees";
  employees.name = "Acme employees";
  employees.kind = GroupKind::kEmployees;
  employees.organization = "Acme";
  employees.domains = {"acme.com", "acme.co.uk"};
  employees.goal = 500;
  employees.seal_thresholds = {50, 200};
  SignerGroup holders;
  holders.key = "shareholders";
  holders.name = "Shareholders";
  holders.kind = GroupKind::kShareholders;
  holders.attestation = "I hold shares in Acme.";
  c.groups = {employees, holders, DefaultPublicGroup()};
  c.anonymity_floor = 5;
  return c;
}

// ---------------------------------------------------------------- output

TEST(PetitionJsonTest, Representation) {
  Urls urls("https://sign.example.org/");
  CampaignCounts counts;
  counts.confirmed = 42;
  counts.pending = 3;
  json j = PetitionJson(urls, SampleCampaign(), counts, kNow);
  EXPECT_EQ(j["identifiers"][0], "undersigned:0b5e0c1e-1111-4222-8333-444455556666");
  EXPECT_EQ(j["identifiers"][1], "action_network:0b5e0c1e-1111-4222-8333-444455556666");
  EXPECT_EQ(j["created_date"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["modified_date"], "2024-01-02T00:00:00Z");
  EXPECT_EQ(j["title"], "Fair pay now");
  EXPECT_EQ(j["name"], "fair-pay");
  EXPECT_EQ(j["description"], "Why we write to the CEO.");  // its own field, not the letter
  EXPECT_EQ(j["petition_text"], "Dear **CEO**,");
  EXPECT_EQ(j["undersigned:organized_by"], "Acme Workers United");
  EXPECT_EQ(j["summary"], "Raise the wage");
  EXPECT_EQ(j["browser_url"], "https://sign.example.org/c/fair-pay");
  EXPECT_FALSE(j.contains("featured_image_url"));  // no picture
  EXPECT_EQ(j["total_signatures"], 42);
  EXPECT_EQ(j["target"][0]["name"], "Jane Doe");
  EXPECT_EQ(j["target"][0]["title"], "CEO");
  EXPECT_EQ(j["target"][0]["organization"], "Acme");
  EXPECT_EQ(j["target"][0]["undersigned:x_handle"], "janedoe");
  EXPECT_FALSE(j["target"][0].contains("undersigned:bluesky_handle"));
  EXPECT_EQ(j["undersigned:goal"], 500);
  EXPECT_EQ(j["undersigned:status"], "open");
  EXPECT_TRUE(j["undersigned:deadline"].is_null());
  const std::string self =
      "https://sign.example.org/api/v2/petitions/0b5e0c1e-1111-4222-8333-444455556666";
  EXPECT_EQ(j["_links"]["self"]["href"], self);
  EXPECT_EQ(j["_links"]["osdi:signatures"]["href"], self + "/signatures");
  EXPECT_EQ(j["_links"]["osdi:record_signature_helper"]["href"], self + "/signatures");
  EXPECT_EQ(j["_links"]["curies"][0]["name"], "osdi");
  EXPECT_EQ(j["_links"]["curies"][0]["templated"], true);
}

TEST(PetitionJsonTest, OurIdentifiersFirstThenForeignOnes) {
  Campaign c = SampleCampaign();
  c.identifiers = {"foreign_system:1234", "crm:77"};
  json j = PetitionJson(Urls("https://x.org"), c, {}, kNow);
  EXPECT_EQ(j["identifiers"], json::array({"undersigned:0b5e0c1e-1111-4222-8333-444455556666",
                                           "action_network:0b5e0c1e-1111-4222-8333-444455556666",
                                           "foreign_system:1234", "crm:77"}));
  j = PetitionJson(Urls("https://x.org", false), c, {}, kNow);
  EXPECT_EQ(j["identifiers"], json::array({"undersigned:0b5e0c1e-1111-4222-8333-444455556666",
                                           "foreign_system:1234", "crm:77"}));
}

// A picture is Action Network's featured_image_url: the page's versioned picture address.
TEST(PetitionJsonTest, APictureIsTheFeaturedImage) {
  Campaign c = SampleCampaign();
  c.image = CampaignImage{"0123456789abcdef" + std::string(48, 'e'), "Marchers", 1600, 900};
  json j = PetitionJson(Urls("https://x.org"), c, {}, kNow);
  EXPECT_EQ(j["featured_image_url"], "https://x.org/c/fair-pay/picture.jpg?v=0123456789abcdef");
}

TEST(PetitionJsonTest, WithoutActionNetworkIds) {
  Urls urls("https://x.org", /*action_network_ids=*/false);
  json j = PetitionJson(urls, SampleCampaign(), {}, kNow);
  EXPECT_EQ(j["identifiers"].size(), 1u);
}

TEST(PetitionJsonTest, GroupsAndCountsByGroup) {
  Campaign c = GroupCampaign();
  CampaignCounts counts;
  counts.confirmed = 11;
  counts.groups = {GroupCount{"employees", 4}, GroupCount{"public", 7}};
  json j = PetitionJson(Urls("https://x.org"), c, counts, kNow);
  EXPECT_EQ(j["total_signatures"], 11);  // exact, as ever
  EXPECT_EQ(j["undersigned:anonymity_floor"], 5);
  ASSERT_EQ(j["undersigned:groups"].size(), 3u);
  EXPECT_EQ(j["undersigned:groups"][0],
            Parse(R"j({"key":"employees","name":"Acme employees","kind":"employees",
                "organization":"Acme","domains":["acme.com","acme.co.uk"],"attestation":"",
                "goal":500,"seal_thresholds":[50,200]})j"));
  EXPECT_EQ(j["undersigned:groups"][1]["kind"], "shareholders");
  EXPECT_EQ(j["undersigned:groups"][1]["attestation"], "I hold shares in Acme.");
  EXPECT_TRUE(j["undersigned:groups"][1]["goal"].is_null());
  // Below the floor a count is "fewer than"; nobody signed yet is "fewer than" too.
  EXPECT_EQ(j["undersigned:group_counts"],
            Parse(R"j([{"key":"employees","name":"Acme employees","fewer_than":5},
                       {"key":"shareholders","name":"Shareholders","fewer_than":5},
                       {"key":"public","name":"Public","confirmed":7}])j"));
  counts.groups[0].confirmed = 5;
  j = PetitionJson(Urls("https://x.org"), c, counts, kNow);
  EXPECT_EQ(j["undersigned:group_counts"][0]["confirmed"], 5);
  EXPECT_FALSE(j["undersigned:group_counts"][0].contains("fewer_than"));

  // A petition without groups: everyone signs as the public; no counts by group.
  j = PetitionJson(Urls("https://x.org"), SampleCampaign(), counts, kNow);
  EXPECT_EQ(j["undersigned:groups"], json::array());
  EXPECT_EQ(j["undersigned:group_counts"], json::array());
  EXPECT_EQ(j["undersigned:anonymity_floor"], kDefaultAnonymityFloor);
}

TEST(SignatureJsonTest, GroupVerificationAndVisibility) {
  Urls urls("https://x.org");
  Signature s;
  s.uuid = "s-1";
  s.canonical_email = "ada@example.org";
  s.form.group = "shareholders";
  s.form.public_name = false;
  s.attestation = "I hold shares in Acme.";
  s.created = 1704113999;  // 2024-01-01T12:59:59Z
  s.modified = 1704200000;
  json j = SignatureJson(urls, s, "p-1", "person-1");
  EXPECT_EQ(j["undersigned:group"], "shareholders");
  EXPECT_EQ(j["undersigned:verified"], false);
  EXPECT_EQ(j["undersigned:visibility"], "private");
  EXPECT_EQ(j["undersigned:attestation"], "I hold shares in Acme.");
  EXPECT_EQ(j["created_date"], "2024-01-01T12:59:59Z");  // a plain signer: exact times
  EXPECT_TRUE(j["_links"].contains("osdi:person"));

  s.form.public_name = true;
  s.attestation.clear();
  s.form.group.clear();  // a campaign without groups
  j = SignatureJson(urls, s, "p-1", "person-1");
  EXPECT_EQ(j["undersigned:visibility"], "public");
  EXPECT_EQ(j["undersigned:group"], "public");
  EXPECT_FALSE(j.contains("undersigned:attestation"));

  // A verified employee who shows their name: exact times, but no person (the key of a work
  // address stands where an email would be).
  s.form.group = "employees";
  s.verified = true;
  s.canonical_email = "affiliation:00ff";
  j = SignatureJson(urls, s, "p-1", "person-1");
  EXPECT_EQ(j["undersigned:verified"], true);
  EXPECT_EQ(j["undersigned:visibility"], "public");
  EXPECT_EQ(j["created_date"], "2024-01-01T12:59:59Z");
  EXPECT_FALSE(j["_links"].contains("osdi:person"));
}

TEST(SignatureJsonTest, SealedAndAnonymousAreDatedToTheDayWithoutAPerson) {
  Urls urls("https://x.org");
  for (Protection p : {Protection::kSealed, Protection::kAnonymous}) {
    Signature s;
    s.uuid = "s-2";
    s.canonical_email = "ada@example.org";  // even were it a plain address
    s.form.group = "employees";
    s.form.protection = p;
    s.form.public_name = p == Protection::kAnonymous;
    s.sealed = p == Protection::kSealed;
    s.verified = true;
    s.state = SignatureState::kConfirmed;
    s.created = 1704113999;    // 2024-01-01T12:59:59Z
    s.modified = 1704200000;   // 2024-01-02T12:53:20Z
    s.confirmed = 1704199999;  // 2024-01-02T12:53:19Z
    json j = SignatureJson(urls, s, "p-1", "person-1");
    const char* name = ProtectionName(p);
    EXPECT_EQ(j["undersigned:visibility"], name);
    EXPECT_EQ(j["created_date"], "2024-01-01T00:00:00Z") << name;
    EXPECT_EQ(j["action_date"], "2024-01-01T00:00:00Z") << name;
    EXPECT_EQ(j["modified_date"], "2024-01-02T00:00:00Z") << name;
    EXPECT_EQ(j["undersigned:confirmed_date"], "2024-01-02T00:00:00Z") << name;
    EXPECT_FALSE(j["_links"].contains("osdi:person")) << name;
    EXPECT_FALSE(LinksPerson(s));
    // No time of day anywhere in it.
    EXPECT_EQ(j.dump().find("T12:"), std::string::npos) << j.dump();
  }
  // Revealed: public now, still dated to the day, still without a person.
  Signature s;
  s.form.group = "employees";
  s.form.protection = Protection::kSealed;
  s.form.public_name = true;
  s.created = 1704113999;
  json j = SignatureJson(urls, s, "p-1", "person-1");
  EXPECT_EQ(j["undersigned:visibility"], "public");
  EXPECT_EQ(j["created_date"], "2024-01-01T00:00:00Z");
  EXPECT_FALSE(j["_links"].contains("osdi:person"));
}

TEST(SignatureJsonTest, Representation) {
  Urls urls("http://127.0.0.1:8080");
  Signature s;
  s.uuid = "s-1";
  s.form.comment = "Yes!";
  s.form.public_name = true;
  s.state = SignatureState::kConfirmed;
  s.source = "api";
  s.created = 1704067200;
  s.modified = 1704067260;
  s.confirmed = 1704067260;
  json j = SignatureJson(urls, s, "p-1", "person-1");
  EXPECT_EQ(j["identifiers"][0], "undersigned:s-1");
  EXPECT_EQ(j["action_date"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["modified_date"], "2024-01-01T00:01:00Z");
  EXPECT_EQ(j["comments"], "Yes!");
  EXPECT_EQ(j["undersigned:state"], "confirmed");
  EXPECT_EQ(j["undersigned:public_name"], true);
  EXPECT_EQ(j["_links"]["self"]["href"],
            "http://127.0.0.1:8080/api/v2/petitions/p-1/signatures/s-1");
  EXPECT_EQ(j["_links"]["osdi:petition"]["href"], "http://127.0.0.1:8080/api/v2/petitions/p-1");
  EXPECT_EQ(j["_links"]["osdi:person"]["href"], "http://127.0.0.1:8080/api/v2/people/person-1");
  EXPECT_FALSE(j.contains("email"));  // no personal data on the signature itself

  json k = SignatureJson(urls, s, "p-1", "");
  EXPECT_FALSE(k["_links"].contains("osdi:person"));
}

TEST(PersonJsonTest, Representation) {
  Urls urls("https://x.org");
  Person p;
  p.uuid = "u-1";
  p.given_name = "Ada";
  p.family_name = "Lovelace";
  p.email = "Ada@Example.org";
  p.postal_code = "N1 9GU";
  p.country = "GB";
  p.subscribed = true;
  json j = PersonJson(urls, p);
  EXPECT_EQ(j["given_name"], "Ada");
  EXPECT_EQ(j["family_name"], "Lovelace");
  EXPECT_EQ(j["email_addresses"][0]["address"], "Ada@Example.org");
  EXPECT_EQ(j["email_addresses"][0]["primary"], true);
  EXPECT_EQ(j["email_addresses"][0]["status"], "subscribed");
  EXPECT_EQ(j["postal_addresses"][0]["postal_code"], "N1 9GU");
  EXPECT_EQ(j["postal_addresses"][0]["country"], "GB");
  EXPECT_EQ(j["_links"]["self"]["href"], "https://x.org/api/v2/people/u-1");

  p.subscribed = false;
  p.postal_code.clear();
  p.country.clear();
  j = PersonJson(urls, p);
  EXPECT_EQ(j["email_addresses"][0]["status"], "unsubscribed");
  EXPECT_TRUE(j["postal_addresses"].empty());
}

TEST(OwnIdTest, Namespaces) {
  EXPECT_EQ(OwnId("undersigned:abc"), "abc");
  EXPECT_EQ(OwnId("action_network:abc"), "abc");
  EXPECT_EQ(OwnId("abc"), "abc");
  EXPECT_FALSE(OwnId("foreign_system:1"));
  EXPECT_TRUE(IsOwnNamespace("undersigned:abc"));
  EXPECT_TRUE(IsOwnNamespace("Action_Network:abc"));
  EXPECT_FALSE(IsOwnNamespace("abc"));
  EXPECT_FALSE(IsOwnNamespace("foreign_system:undersigned:abc"));
}

// ---------------------------------------------------------------- petition input

TEST(ApplyPetitionJsonTest, CreateWithDefaults) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":"Stop the Cuts! (2024)",
      "description":"Why the library matters.", "petition_text":"Dear council,",
      "summary":"Keep the library open",
      "target":[{"name":"Mayor Smith","title":"Mayor","organization":"City"}],
      "identifiers":["foreign:1"]})j"),
                             true, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.title, "Stop the Cuts! (2024)");
  EXPECT_EQ(c.slug, "stop-the-cuts-2024");
  EXPECT_EQ(c.letter_markdown, "Dear council,");
  EXPECT_EQ(c.description, "Why the library matters.");
  EXPECT_EQ(c.demand, "Keep the library open");
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].name, "Mayor Smith");
  EXPECT_EQ(c.targets[0].organization, "City");
  EXPECT_EQ(c.goal, kDefaultGoal);
  EXPECT_EQ(c.status, CampaignStatus::kOpen);
  EXPECT_EQ(c.language, "en");
  EXPECT_FALSE(c.deadline);
  EXPECT_TRUE(ValidateCampaign(c)) << ValidateCampaign(c).error().message;
}

TEST(ApplyPetitionJsonTest, CreateWithOurFields) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":"T","name":"My Petition",
      "petition_text":"letter", "target":["Jane Doe"],
      "undersigned:goal":2500, "undersigned:deadline":"2025-12-31",
      "undersigned:status":"draft", "undersigned:language":"fr"})j"),
                             true, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.slug, "my-petition");  // a free-text name becomes a slug
  EXPECT_EQ(c.letter_markdown, "letter");
  EXPECT_EQ(c.targets[0].name, "Jane Doe");
  EXPECT_EQ(c.goal, 2500);
  ASSERT_TRUE(c.deadline);
  EXPECT_EQ(*c.deadline, 1767225600);  // the end of 2025-12-31 (UTC), not its start
  EXPECT_EQ(c.status, CampaignStatus::kDraft);
  EXPECT_EQ(c.language, "fr");
}

TEST(ApplyPetitionJsonTest, ADateDeadlineEndsThatDayInThePetitionsTimeZone) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":"T","target":["Jane Doe"],
      "undersigned:deadline":"2025-12-31", "undersigned:time_zone":"Europe/Paris"})j"),
                             true, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.time_zone, "Europe/Paris");
  EXPECT_EQ(c.deadline, ParseIso8601("2025-12-31T23:00:00Z"));
  r = ApplyPetitionJson(Parse(R"j({"undersigned:deadline":"2025-12-31T18:00:00Z"})j"), false, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.deadline, ParseIso8601("2025-12-31T18:00:00Z"));  // a time is taken as given
}

TEST(PetitionJsonTest, StatusIsClosedOnceTheDeadlinePassed) {
  Campaign c = SampleCampaign();
  c.deadline = kNow + 60;
  c.time_zone = "Europe/Paris";
  json j = PetitionJson(Urls("https://x.org"), c, {}, kNow);
  EXPECT_EQ(j["undersigned:status"], "open");
  EXPECT_EQ(j["undersigned:time_zone"], "Europe/Paris");
  j = PetitionJson(Urls("https://x.org"), c, {}, kNow + 60);
  EXPECT_EQ(j["undersigned:status"], "closed");
}

TEST(ApplyPetitionJsonTest, CreateRequiresTitleAndTarget) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"description":"x"})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(r.error().field_errors.count("title"));
  EXPECT_TRUE(r.error().field_errors.count("target"));
  EXPECT_NE(r.error().message.find("target is required"), std::string::npos);
}

TEST(ApplyPetitionJsonTest, WrongTypesNameTheField) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":5,"target":[{"name":7}],
      "undersigned:goal":"many","summary":[],"undersigned:deadline":"soon",
      "undersigned:status":"live","identifiers":"x"})j"),
                             true, c);
  ASSERT_FALSE(r);
  const auto& f = r.error().field_errors;
  EXPECT_EQ(f.at("title"), "must be a string");
  EXPECT_EQ(f.at("target[0].name"), "must be a string");
  EXPECT_EQ(f.at("undersigned:goal"), "must be a whole number");
  EXPECT_EQ(f.at("summary"), "must be a string");
  EXPECT_TRUE(f.count("undersigned:deadline"));
  EXPECT_TRUE(f.count("undersigned:status"));
  EXPECT_TRUE(f.count("identifiers"));
  EXPECT_NE(r.error().message.find("title must be a string"), std::string::npos);

  r = ApplyPetitionJson(Parse(R"j({"title":"t","target":"Jane"})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("target"));
  r = ApplyPetitionJson(Parse(R"j({"title":"t","target":[]})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("target"));
  r = ApplyPetitionJson(Parse(R"j({"title":"t","target":[{"title":"Mayor"}]})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field_errors.at("target[0].name"), "is required");
  r = ApplyPetitionJson(Parse(R"j({"title":"t","target":[3]})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("target[0]"));
  r = ApplyPetitionJson(Parse(R"j({"title":"t","name":"!!","target":["x"]})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("name"));
  r = ApplyPetitionJson(Parse(R"j({"title":"t","target":["x"],"undersigned:goal":1.5})j"), true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("undersigned:goal"));
}

TEST(ApplyPetitionJsonTest, Groups) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":"Letter to Acme","target":["Jane"],
      "undersigned:anonymity_floor":3,
      "undersigned:groups":[
        {"key":"employees","name":" Acme employees ","kind":"Employees","organization":"Acme",
         "domains":[" ACME.com ","acme.co.uk"],"goal":500,"seal_thresholds":[50,200.0]},
        {"key":"shareholders","name":"Shareholders","kind":"shareholders",
         "attestation":"I hold shares in Acme.","goal":null,"domains":null},
        {"key":"public","name":"Public"}]})j"),
                             true, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.anonymity_floor, 3);
  ASSERT_EQ(c.groups.size(), 3u);
  const SignerGroup& e = c.groups[0];
  EXPECT_EQ(e.key, "employees");
  EXPECT_EQ(e.name, "Acme employees");
  EXPECT_EQ(e.kind, GroupKind::kEmployees);
  EXPECT_EQ(e.organization, "Acme");
  EXPECT_EQ(e.domains, (std::vector<std::string>{"acme.com", "acme.co.uk"}));
  EXPECT_EQ(e.goal, 500);
  EXPECT_EQ(e.seal_thresholds, (std::vector<std::int64_t>{50, 200}));
  EXPECT_EQ(c.groups[1].kind, GroupKind::kShareholders);
  EXPECT_EQ(c.groups[1].attestation, "I hold shares in Acme.");
  EXPECT_FALSE(c.groups[1].goal);
  EXPECT_EQ(c.groups[2].kind, GroupKind::kPublic);  // the default kind
  EXPECT_TRUE(ValidateCampaign(c)) << ValidateCampaign(c).error().message;

  // Our own representation round-trips.
  Campaign d = SampleCampaign();
  c.uuid = d.uuid;
  auto round_trip = ApplyPetitionJson(PetitionJson(Urls("https://x.org"), c, {}, kNow), false, d);
  ASSERT_TRUE(round_trip) << round_trip.error().message;
  EXPECT_EQ(d.groups, c.groups);
  EXPECT_EQ(d.anonymity_floor, 3);

  // An update without them keeps them; null removes the groups and resets the floor.
  ASSERT_TRUE(ApplyPetitionJson(Parse(R"j({"title":"New"})j"), false, c));
  EXPECT_EQ(c.groups.size(), 3u);
  ASSERT_TRUE(ApplyPetitionJson(
      Parse(R"j({"undersigned:groups":null,"undersigned:anonymity_floor":null})j"), false, c));
  EXPECT_TRUE(c.groups.empty());
  EXPECT_EQ(c.anonymity_floor, kDefaultAnonymityFloor);
}

TEST(ApplyPetitionJsonTest, BadGroupsNameTheField) {
  Campaign c = SampleCampaign();
  auto r = ApplyPetitionJson(Parse(R"j({"undersigned:groups":{"key":"x"}})j"), false, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("undersigned:groups")) << r.error().message;

  r = ApplyPetitionJson(Parse(R"j({"undersigned:groups":["employees",
      {"key":1,"kind":"board","domains":"acme.com","seal_thresholds":[5,"x"],"goal":"many"},
      {"key":"k","domains":[7],"seal_thresholds":3}],
      "undersigned:anonymity_floor":"five"})j"),
                        false, c);
  ASSERT_FALSE(r);
  const auto& f = r.error().field_errors;
  EXPECT_TRUE(f.count("undersigned:groups[0]"));
  EXPECT_EQ(f.at("undersigned:groups[1].key"), "must be a string");
  EXPECT_NE(f.at("undersigned:groups[1].kind").find("employees"), std::string::npos);
  EXPECT_TRUE(f.count("undersigned:groups[1].domains"));
  EXPECT_EQ(f.at("undersigned:groups[1].seal_thresholds[1]"), "must be a whole number");
  EXPECT_EQ(f.at("undersigned:groups[1].goal"), "must be a whole number");
  EXPECT_EQ(f.at("undersigned:groups[2].domains[0]"), "must be a string");
  EXPECT_TRUE(f.count("undersigned:groups[2].seal_thresholds"));
  EXPECT_EQ(f.at("undersigned:anonymity_floor"), "must be a whole number");
  EXPECT_NE(r.error().message.find("undersigned:groups[1].kind"), std::string::npos);

  // Values are ValidateCampaign's to check; its errors get the API's names.
  Campaign d = SampleCampaign();
  ASSERT_TRUE(ApplyPetitionJson(Parse(R"j({"undersigned:anonymity_floor":99999999999,
      "undersigned:groups":[{"key":"Bad Key","name":"Staff","kind":"employees"}]})j"),
                                false, d));
  auto v = ValidateCampaign(d);
  ASSERT_FALSE(v);
  Error e = PetitionFieldError(v.error());
  EXPECT_TRUE(e.field_errors.count("undersigned:groups[0].key")) << e.message;
  EXPECT_TRUE(e.field_errors.count("undersigned:groups[0].domains")) << e.message;
  EXPECT_TRUE(e.field_errors.count("undersigned:groups[0].organization")) << e.message;
  EXPECT_TRUE(e.field_errors.count("undersigned:anonymity_floor")) << e.message;
  EXPECT_NE(e.message.find("undersigned:groups[0].key"), std::string::npos);
}

TEST(ApplyPetitionJsonTest, UpdateMergesAndNullClears) {
  Campaign c = SampleCampaign();
  c.deadline = 1767139200;
  auto r = ApplyPetitionJson(Parse(R"j({"summary":null,"undersigned:deadline":null,
      "undersigned:goal":900})j"),
                             false, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.title, "Fair pay now");  // untouched
  EXPECT_EQ(c.slug, "fair-pay");
  EXPECT_EQ(c.letter_markdown, "Dear **CEO**,");
  EXPECT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.demand, "");
  EXPECT_FALSE(c.deadline);
  EXPECT_EQ(c.goal, 900);
  EXPECT_EQ(c.status, CampaignStatus::kOpen);  // no create default applied

  r = ApplyPetitionJson(Parse(R"j({"title":null,"target":null,"name":null})j"), false, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("title"));
  EXPECT_TRUE(r.error().field_errors.count("target"));
  EXPECT_TRUE(r.error().field_errors.count("name"));
}

TEST(ApplyPetitionJsonTest, CreateKeepsForeignIdentifiersOnly) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":"T","target":["Jane"],"identifiers":[
      "foreign_system:1234", "undersigned:0b5e0c1e-1111-4222-8333-444455556666",
      "action_network:abc", "Action_Network:def", " crm:7 ", "foreign_system:1234",
      "osdi-sample.system:a:b"]})j"),
                             true, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.identifiers,
            (std::vector<std::string>{"foreign_system:1234", "crm:7", "osdi-sample.system:a:b"}));
  // null or absent: none.
  Campaign d;
  ASSERT_TRUE(
      ApplyPetitionJson(Parse(R"j({"title":"T","target":["J"],"identifiers":null})j"), true, d));
  EXPECT_TRUE(d.identifiers.empty());
}

TEST(ApplyPetitionJsonTest, UpdateAddsIdentifiersAndKeepsTheOldOnes) {
  Campaign c = SampleCampaign();
  c.identifiers = {"foreign_system:1234"};
  ASSERT_TRUE(ApplyPetitionJson(Parse(R"j({"identifiers":["other_system:99"]})j"), false, c));
  EXPECT_EQ(c.identifiers, (std::vector<std::string>{"foreign_system:1234", "other_system:99"}));
  // A round trip of our own representation changes nothing.
  json j = PetitionJson(Urls("https://x.org"), c, {}, kNow);
  ASSERT_TRUE(ApplyPetitionJson(j, false, c));
  EXPECT_EQ(c.identifiers, (std::vector<std::string>{"foreign_system:1234", "other_system:99"}));
  // Neither does null, nor a body without them.
  ASSERT_TRUE(ApplyPetitionJson(Parse(R"j({"identifiers":null})j"), false, c));
  ASSERT_TRUE(ApplyPetitionJson(Parse(R"j({"title":"New"})j"), false, c));
  EXPECT_EQ(c.identifiers.size(), 2u);
}

TEST(ApplyPetitionJsonTest, BadIdentifiersNameTheField) {
  Campaign c;
  auto r = ApplyPetitionJson(Parse(R"j({"title":"T","target":["J"],"identifiers":[
      "foreign_system:1", "no-colon", ":1234", "foreign_system:", 7, "bad system:1",
      "x:line\nbreak"]})j"),
                             true, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  const auto& f = r.error().field_errors;
  EXPECT_FALSE(f.count("identifiers[0]"));
  for (int i = 1; i <= 6; ++i) {
    EXPECT_TRUE(f.count("identifiers[" + std::to_string(i) + "]")) << i << " " << r.error().message;
  }
  EXPECT_NE(r.error().message.find("identifiers[1]"), std::string::npos);

  std::string long_id = "crm:" + std::string(kMaxIdentifierBytes, '9');
  r = ApplyPetitionJson(json{{"title", "T"}, {"target", {"J"}}, {"identifiers", {long_id}}}, true,
                        c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("identifiers[0]"));
  std::string long_prefix = std::string(kMaxIdentifierPrefixBytes + 1, 's') + ":1";
  r = ApplyPetitionJson(json{{"title", "T"}, {"target", {"J"}}, {"identifiers", {long_prefix}}},
                        true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("identifiers[0]"));

  // Too many, at once or after merging with the ones kept.
  json many = json::array();
  for (std::size_t i = 0; i <= kMaxForeignIdentifiers; ++i)
    many.push_back("crm:" + std::to_string(i));
  r = ApplyPetitionJson(json{{"title", "T"}, {"target", {"J"}}, {"identifiers", many}}, true, c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("identifiers"));
  Campaign full = SampleCampaign();
  for (std::size_t i = 0; i < kMaxForeignIdentifiers; ++i) {
    full.identifiers.push_back("crm:" + std::to_string(i));
  }
  r = ApplyPetitionJson(json{{"identifiers", {"crm:0", "crm:1"}}}, false, full);
  ASSERT_TRUE(r) << r.error().message;  // nothing new
  r = ApplyPetitionJson(json{{"identifiers", {"crm:new"}}}, false, full);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("identifiers"));
  EXPECT_EQ(full.identifiers.size(), kMaxForeignIdentifiers);
}

// Action Network keeps a petition's description and its text apart, and so do we: editing one
// leaves the other, and a round trip changes nothing.
TEST(ApplyPetitionJsonTest, DescriptionAndTextAreSeparateFields) {
  Campaign c = SampleCampaign();
  json j = PetitionJson(Urls("https://x.org"), c, {}, kNow);
  j["description"] = "A new introduction";
  ASSERT_TRUE(ApplyPetitionJson(j, false, c));
  EXPECT_EQ(c.description, "A new introduction");
  EXPECT_EQ(c.letter_markdown, "Dear **CEO**,");
  j = PetitionJson(Urls("https://x.org"), c, {}, kNow);
  j["petition_text"] = "Newer";
  ASSERT_TRUE(ApplyPetitionJson(j, false, c));
  EXPECT_EQ(c.letter_markdown, "Newer");
  EXPECT_EQ(c.description, "A new introduction");
  ASSERT_TRUE(ApplyPetitionJson(json{{"undersigned:organized_by", "  Tenants' Union "}}, false, c));
  EXPECT_EQ(c.organized_by, "Tenants' Union");
  ASSERT_TRUE(ApplyPetitionJson(json{{"description", nullptr}}, false, c));
  EXPECT_EQ(c.description, "");
  // Unchanged round trip changes nothing.
  Campaign before = c;
  ASSERT_TRUE(ApplyPetitionJson(PetitionJson(Urls("https://x.org"), c, {}, kNow), false, c));
  EXPECT_EQ(c.letter_markdown, before.letter_markdown);
  EXPECT_EQ(c.description, before.description);
  EXPECT_EQ(c.organized_by, before.organized_by);
  EXPECT_EQ(c.slug, before.slug);
  EXPECT_EQ(c.goal, before.goal);
  EXPECT_EQ(c.targets[0].x_handle, before.targets[0].x_handle);
}

TEST(PetitionFieldErrorTest, RenamesCoreFields) {
  Campaign c = SampleCampaign();
  c.goal = 0;
  c.demand = std::string(600, 'x');
  c.targets[0].name = "";
  auto v = ValidateCampaign(c);
  ASSERT_FALSE(v);
  Error e = PetitionFieldError(v.error());
  EXPECT_TRUE(e.field_errors.count("undersigned:goal"));
  EXPECT_TRUE(e.field_errors.count("summary"));
  EXPECT_TRUE(e.field_errors.count("target[0].name"));
  EXPECT_NE(e.message.find("undersigned:goal"), std::string::npos);

  Error conflict = PetitionFieldError(Error{Code::kConflict, "slug already taken", {}, 0});
  EXPECT_EQ(conflict.code, Code::kConflict);
  EXPECT_TRUE(conflict.field_errors.count("name"));
}

TEST(SlugifyTest, Cases) {
  EXPECT_EQ(Slugify("Stop the Cuts! (2024)"), "stop-the-cuts-2024");
  EXPECT_EQ(Slugify("  --Hello   World--  "), "hello-world");
  EXPECT_EQ(Slugify("Pétition pour l'école"), "petition-pour-lecole");
  EXPECT_EQ(Slugify("Straße Ærø"), "strasse-aero");
  EXPECT_EQ(Slugify("don’t stop"), "dont-stop");
  EXPECT_EQ(Slugify("日本語"), "");
  EXPECT_EQ(Slugify("fair-pay"), "fair-pay");  // a slug stays itself
  std::string long_title;
  for (int i = 0; i < 20; ++i) long_title += "word" + std::to_string(i) + " ";
  std::string s = Slugify(long_title);
  EXPECT_LE(s.size(), 64u);
  EXPECT_NE(s.back(), '-');
  EXPECT_EQ(s.rfind("word0-word1-", 0), 0u);
}

// ---------------------------------------------------------------- record signature input

TEST(ParseRecordSignatureTest, ReferrerDataIsKeptAsTheOrigin) {
  auto r = ParseRecordSignature(Parse(R"j({
    "person": {"given_name":"Ada","email_addresses":[{"address":"ada@example.org"}]},
    "referrer_data":{"source":"fb","referrer":"group-42",
                     "website":"https://Partner.example.net/action?id=7"}})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->origin.utm_source, "fb");
  EXPECT_EQ(r->origin.utm_campaign, "group-42");
  EXPECT_EQ(r->origin.referrer, "partner.example.net");  // the host only

  auto bad = ParseRecordSignature(Parse(R"j({
    "person": {"given_name":"Ada","email_addresses":[{"address":"ada@example.org"}]},
    "referrer_data":{"source":"a\u0001b","website":"not a site"}})j"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(bad.error().field_errors.count("referrer_data.source"));
  EXPECT_TRUE(bad.error().field_errors.count("referrer_data.website"));
}

TEST(ParseRecordSignatureTest, InlinePerson) {
  auto r = ParseRecordSignature(Parse(R"j({
    "person": {"given_name":"Ada","family_name":"Lovelace",
      "email_addresses":[{"address":"other@example.org"},
                         {"address":"ada@example.org","primary":true,"status":"subscribed"}],
      "postal_addresses":[{"postal_code":17678,"country":"gb"}],
      "phone_numbers":[{"number":19876543210}]},
    "comments":"For the future", "add_tags":["x"], "triggers":{"autoresponse":{"enabled":true}},
    "referrer_data":{"source":"fb"}, "undersigned:public_name":true})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, RecordSignatureInput::Kind::kInlinePerson);
  EXPECT_EQ(r->form.name, "Ada Lovelace");
  EXPECT_EQ(r->form.email, "ada@example.org");  // the primary one
  EXPECT_EQ(r->form.postal_code, "17678");
  EXPECT_EQ(r->form.country, "gb");
  EXPECT_EQ(r->form.comment, "For the future");
  EXPECT_TRUE(r->form.public_name);
  EXPECT_TRUE(r->form.wants_updates);
  EXPECT_TRUE(r->wants_updates_given);
}

TEST(ParseRecordSignatureTest, PersonLink) {
  auto r = ParseRecordSignature(Parse(R"j({"_links":{"osdi:person":
      {"href":"https://x.org/api/v2/people/0b5e0c1e-1111-4222-8333-444455556666"}},
      "comments":"hi"})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, RecordSignatureInput::Kind::kPersonLink);
  EXPECT_EQ(r->person_uuid, "0b5e0c1e-1111-4222-8333-444455556666");
  EXPECT_EQ(r->form.comment, "hi");
  EXPECT_FALSE(r->wants_updates_given);

  for (const char* bad :
       {R"j({"_links":{"osdi:person":{"href":"https://x.org/api/v2/petitions/a"}}})j",
        R"j({"_links":{"osdi:person":{"href":5}}})j",
        R"j({"_links":{"osdi:person":{"href":"https://x.org/api/v2/people/"}}})j",
        R"j({"_links":{"osdi:person":{"href":"/people/a%20b"}}})j"}) {
    auto e = ParseRecordSignature(Parse(bad));
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().message, "You must specify a valid person id");
  }
}

TEST(ParseRecordSignatureTest, Errors) {
  auto r = ParseRecordSignature(Parse(R"j({"comments":"x"})j"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("person"));

  r = ParseRecordSignature(Parse(R"j({"person":"Ada"})j"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("person"));

  r = ParseRecordSignature(Parse(R"j({"person":{"given_name":"Ada"}})j"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.count("person.email_addresses"));

  r = ParseRecordSignature(Parse(R"j({"person":{"given_name":1,
      "email_addresses":[{"address":false}]},"comments":3,"undersigned:public_name":"yes"})j"));
  ASSERT_FALSE(r);
  const auto& f = r.error().field_errors;
  EXPECT_EQ(f.at("person.given_name"), "must be a string");
  EXPECT_EQ(f.at("person.email_addresses[0].address"), "must be a string");
  EXPECT_EQ(f.at("comments"), "must be a string");
  EXPECT_EQ(f.at("undersigned:public_name"), "must be true or false");

  r = ParseRecordSignature(Parse(R"j({"person":{"email_addresses":{}}})j"));
  ASSERT_FALSE(r);
  r = ParseRecordSignature(Parse(R"j({"person":{"email_addresses":[]}})j"));
  ASSERT_FALSE(r);
}

TEST(ParseRecordSignatureTest, GroupFields) {
  auto r = ParseRecordSignature(Parse(R"j({
    "person": {"given_name":"Ada","email_addresses":[{"address":"ada@example.org"}]},
    "undersigned:group":" employees ", "undersigned:work_email":"ada@acme.com",
    "undersigned:visibility":"Sealed", "undersigned:seal_threshold":50})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->form.group, "employees");
  EXPECT_EQ(r->form.work_email, "ada@acme.com");
  EXPECT_EQ(r->form.email, "ada@example.org");
  EXPECT_EQ(r->form.protection, Protection::kSealed);
  EXPECT_EQ(r->form.seal_threshold, 50);

  // With a work address, no person is needed (an anonymous employee keeps no name).
  r = ParseRecordSignature(Parse(R"j({"undersigned:work_email":"x@acme.com",
      "undersigned:visibility":"anonymous"})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, RecordSignatureInput::Kind::kInlinePerson);
  EXPECT_EQ(r->form.protection, Protection::kAnonymous);
  EXPECT_EQ(r->form.email, "");
  r = ParseRecordSignature(Parse(R"j({"person":{"given_name":"Bo","email_addresses":[]},
      "undersigned:work_email":"bo@acme.com"})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->form.name, "Bo");

  // public / private are public_name, and win over undersigned:public_name.
  r = ParseRecordSignature(Parse(R"j({"person":{"given_name":"C",
      "email_addresses":[{"address":"c@example.org"}]},"undersigned:public_name":true,
      "undersigned:visibility":"private","undersigned:group":"shareholders",
      "undersigned:attested":true})j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->form.public_name);
  EXPECT_EQ(r->form.protection, Protection::kNone);
  EXPECT_TRUE(r->form.attested);
  r = ParseRecordSignature(Parse(R"j({"person":{"given_name":"C",
      "email_addresses":[{"address":"c@example.org"}]},"undersigned:visibility":"public"})j"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->form.public_name);

  r = ParseRecordSignature(Parse(R"j({"person":{"given_name":"C",
      "email_addresses":[{"address":"c@example.org"}]},"undersigned:visibility":"hidden",
      "undersigned:group":5,"undersigned:work_email":false,"undersigned:seal_threshold":"ten",
      "undersigned:attested":"yes"})j"));
  ASSERT_FALSE(r);
  const auto& f = r.error().field_errors;
  EXPECT_NE(f.at("undersigned:visibility").find("anonymous"), std::string::npos);
  EXPECT_EQ(f.at("undersigned:group"), "must be a string");
  EXPECT_EQ(f.at("undersigned:work_email"), "must be a string");
  EXPECT_EQ(f.at("undersigned:seal_threshold"), "must be a whole number");
  EXPECT_EQ(f.at("undersigned:attested"), "must be true or false");
}

TEST(SignatureFieldErrorTest, RenamesGroupFields) {
  Campaign c = GroupCampaign();
  SignatureForm form;
  form.name = "Ada";
  form.work_email = "ada@elsewhere.org";
  form.protection = Protection::kSealed;
  form.seal_threshold = 7;
  auto v = ValidateSignatureForm(form, c.groups[0]);
  ASSERT_FALSE(v);
  Error e = SignatureFieldError(v.error());
  EXPECT_TRUE(e.field_errors.count("undersigned:work_email")) << e.message;
  EXPECT_TRUE(e.field_errors.count("undersigned:seal_threshold")) << e.message;
  EXPECT_TRUE(e.field_errors.count("person.email_addresses[0].address")) << e.message;
  EXPECT_NE(e.message.find("undersigned:work_email: "), std::string::npos);

  SignatureForm holder;
  holder.name = "Holder";
  holder.email = "h@example.org";
  holder.protection = Protection::kAnonymous;
  v = ValidateSignatureForm(holder, c.groups[1]);
  ASSERT_FALSE(v);
  e = SignatureFieldError(v.error());
  EXPECT_TRUE(e.field_errors.count("undersigned:visibility")) << e.message;
  EXPECT_TRUE(e.field_errors.count("undersigned:attested")) << e.message;

  e = SignatureFieldError(Error{Code::kInvalidArgument, "x", {{"group", "Choose one."}}, 0});
  EXPECT_EQ(e.field_errors.at("undersigned:group"), "Choose one.");
}

TEST(SignatureFieldErrorTest, RenamesFormFields) {
  SignatureForm form;
  form.email = "not-an-email";
  form.country = "Narnia";
  auto v = ValidateSignatureForm(form);
  ASSERT_FALSE(v);
  Error e = SignatureFieldError(v.error());
  EXPECT_TRUE(e.field_errors.count("person.given_name"));
  EXPECT_TRUE(e.field_errors.count("person.email_addresses[0].address"));
  EXPECT_TRUE(e.field_errors.count("person.postal_addresses[0].country"));
  EXPECT_NE(e.message.find("person.email_addresses[0].address"), std::string::npos);
}

// ---------------------------------------------------------------- JSON bodies

TEST(JsonBodyTest, ContentTypes) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("application/hal+json"));
  EXPECT_TRUE(IsJsonContentType("application/vnd.api+json"));
  EXPECT_FALSE(IsJsonContentType("application/x-www-form-urlencoded"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("multipart/form-data; boundary=x"));
  EXPECT_FALSE(IsJsonContentType(""));
}

TEST(JsonBodyTest, ParseErrors) {
  EXPECT_TRUE(ParseJsonObject(R"j({"a":1})j"));
  auto r = ParseJsonObject("");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
  r = ParseJsonObject("{\"a\":\"\xc3\x28\"}");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("UTF-8"), std::string::npos);
  r = ParseJsonObject("{\"a\":");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not valid JSON"), std::string::npos);
  r = ParseJsonObject("[1,2]");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("must be a JSON object"), std::string::npos);
  r = ParseJsonObject(std::string(40, '[') + std::string(40, ']'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nests too deeply"), std::string::npos);
  // Brackets inside strings do not count as nesting.
  EXPECT_TRUE(ParseJsonObject("{\"a\":\"" + std::string(100, '[') + "\\\"\"}"));
  r = ParseJsonObject("{\"a\":\"" + std::string(kMaxJsonBodyBytes, 'x') + "\"}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kPayloadTooLarge);
}

// A number beyond a double's range was an uncaught out_of_range (a 500); now a 400 naming it.
TEST(JsonBodyTest, NumberTooLargeNamesItsField) {
  auto r = ParseJsonObject(R"j({"person":{"given_name":"A","custom_fields":{"age":1e999}}})j");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().message, "person.custom_fields.age is a number too large to use");
  EXPECT_EQ(r.error().field_errors.at("person.custom_fields.age"), "is a number too large to use");
  r = ParseJsonObject(R"j({"tags":["a", -1e400]})j");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.contains("tags"));
  // Keys after a closed object are named by themselves, not by what came before.
  r = ParseJsonObject(R"j({"a":{"b":1},"c":1E+999})j");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().field_errors.contains("c")) << r.error().message;
  // Large numbers a double can hold still parse.
  auto ok = ParseJsonObject(R"j({"n":1e300,"m":99999999999999999999999})j");
  ASSERT_TRUE(ok);
  EXPECT_DOUBLE_EQ((*ok)["n"].get<double>(), 1e300);
}

TEST(JsonBodyTest, Getters) {
  json j = Parse(R"j({"s":"x","n":5,"f":5.0,"big":18446744073709551615,"b":true,"z":null})j");
  auto s = GetString(j, "s", "s");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->has_value());
  EXPECT_EQ(s->value, "x");
  auto z = GetString(j, "z", "z");
  ASSERT_TRUE(z);
  EXPECT_TRUE(z->present);
  EXPECT_TRUE(z->null);
  auto absent = GetString(j, "nope", "nope");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->present);
  EXPECT_FALSE(GetString(j, "n", "n"));
  EXPECT_EQ(GetInteger(j, "n", "n")->value, 5);
  EXPECT_EQ(GetInteger(j, "f", "f")->value, 5);
  EXPECT_FALSE(GetInteger(j, "big", "big"));
  EXPECT_FALSE(GetInteger(j, "s", "s"));
  EXPECT_EQ(GetStringOrNumber(j, "n", "n")->value, "5");
  EXPECT_TRUE(GetBool(j, "b", "b")->value);
  EXPECT_FALSE(GetBool(j, "n", "n"));
  EXPECT_EQ(AsInteger(j["n"], "n"), 5);
  EXPECT_EQ(AsInteger(j["f"], "f"), 5);
  auto bad = AsInteger(j["s"], "list[2]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field_errors.at("list[2]"), "must be a whole number");
  EXPECT_FALSE(AsInteger(j["big"], "big"));
}

}  // namespace
}  // namespace undersigned::http::api
