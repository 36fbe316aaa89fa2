#include "http/api/resources.h"

#include <gtest/gtest.h>

#include "http/api/json_body.h"

namespace undersigned::http::api {
namespace {

using nlohmann::json;

Campaign SampleCampaign() {
  Campaign c;
  c.id = 7;
  c.uuid = "0b5e0c1e-1111-4222-8333-444455556666";
  c.slug = "fair-pay";
  c.title = "Fair pay now";
  c.demand = "Raise the wage";
  c.letter_markdown = "Dear **CEO**,";
  c.targets = {Target{"Jane Doe", "CEO", "Acme", "janedoe", "", ""}};
  c.goal = 500;
  c.status = CampaignStatus::kOpen;
  c.language = "en";
  c.created = 1704067200;
  c.modified = 1704153600;
  return c;
}

json Parse(const char* text) { return json::parse(text); }

// ---------------------------------------------------------------- output

TEST(PetitionJsonTest, Representation) {
  Urls urls("https://sign.example.org/");
  CampaignCounts counts;
  counts.confirmed = 42;
  counts.pending = 3;
  json j = PetitionJson(urls, SampleCampaign(), counts);
  EXPECT_EQ(j["identifiers"][0], "undersigned:0b5e0c1e-1111-4222-8333-444455556666");
  EXPECT_EQ(j["identifiers"][1], "action_network:0b5e0c1e-1111-4222-8333-444455556666");
  EXPECT_EQ(j["created_date"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["modified_date"], "2024-01-02T00:00:00Z");
  EXPECT_EQ(j["title"], "Fair pay now");
  EXPECT_EQ(j["name"], "fair-pay");
  EXPECT_EQ(j["description"], "Dear **CEO**,");
  EXPECT_EQ(j["petition_text"], "Dear **CEO**,");
  EXPECT_EQ(j["summary"], "Raise the wage");
  EXPECT_EQ(j["browser_url"], "https://sign.example.org/c/fair-pay");
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
  json j = PetitionJson(Urls("https://x.org"), c, {});
  EXPECT_EQ(j["identifiers"], json::array({"undersigned:0b5e0c1e-1111-4222-8333-444455556666",
                                           "action_network:0b5e0c1e-1111-4222-8333-444455556666",
                                           "foreign_system:1234", "crm:77"}));
  j = PetitionJson(Urls("https://x.org", false), c, {});
  EXPECT_EQ(j["identifiers"], json::array({"undersigned:0b5e0c1e-1111-4222-8333-444455556666",
                                           "foreign_system:1234", "crm:77"}));
}

TEST(PetitionJsonTest, WithoutActionNetworkIds) {
  Urls urls("https://x.org", /*action_network_ids=*/false);
  json j = PetitionJson(urls, SampleCampaign(), {});
  EXPECT_EQ(j["identifiers"].size(), 1u);
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
      "description":"Dear council,", "summary":"Keep the library open",
      "target":[{"name":"Mayor Smith","title":"Mayor","organization":"City"}],
      "identifiers":["foreign:1"]})j"),
                             true, c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.title, "Stop the Cuts! (2024)");
  EXPECT_EQ(c.slug, "stop-the-cuts-2024");
  EXPECT_EQ(c.letter_markdown, "Dear council,");
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
  EXPECT_EQ(*c.deadline, 1767139200);
  EXPECT_EQ(c.status, CampaignStatus::kDraft);
  EXPECT_EQ(c.language, "fr");
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
  json j = PetitionJson(Urls("https://x.org"), c, {});
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

TEST(ApplyPetitionJsonTest, RoundTripKeepsTheEditedLetterField) {
  Campaign c = SampleCampaign();
  json j = PetitionJson(Urls("https://x.org"), c, {});
  j["description"] = "New letter";  // client edited one of the two mirrored fields
  ASSERT_TRUE(ApplyPetitionJson(j, false, c));
  EXPECT_EQ(c.letter_markdown, "New letter");
  j = PetitionJson(Urls("https://x.org"), c, {});
  j["petition_text"] = "Newer";
  ASSERT_TRUE(ApplyPetitionJson(j, false, c));
  EXPECT_EQ(c.letter_markdown, "Newer");
  // Unchanged round trip changes nothing.
  Campaign before = c;
  ASSERT_TRUE(ApplyPetitionJson(PetitionJson(Urls("https://x.org"), c, {}), false, c));
  EXPECT_EQ(c.letter_markdown, before.letter_markdown);
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
}

}  // namespace
}  // namespace undersigned::http::api
