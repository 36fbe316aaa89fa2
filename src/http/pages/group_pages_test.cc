// The public pages of a campaign with signer groups (sign.cc, token_pages.cc, campaign_page.cc):
// the form's group sections, sealed and anonymous names, verified work addresses.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>

#include <nlohmann/json.hpp>

#include "http/pages/pages_test_fixture.h"

namespace undersigned::http {
namespace {

namespace fs = std::filesystem;

using test::Contains;
using test::FormEncode;
using test::HeaderOf;
using test::kBase;
using test::kSecret;
using test::kXss;
using test::PagesTest;

class GroupPagesTest : public PagesTest {
 protected:
  void SetUp() override {
    PagesTest::SetUp();
    Campaign c;
    c.slug = "acme-letter";
    c.title = "Letter to Acme";
    Target t;
    t.name = "Acme CEO";
    c.targets = {t};
    c.goal = 1000;
    c.status = CampaignStatus::kOpen;
    SignerGroup employees;
    employees.key = "employees";
    employees.name = "Acme employees";
    employees.kind = GroupKind::kEmployees;
    employees.organization = "Acme";
    employees.domains = {"acme.com"};
    employees.seal_thresholds = {3, 100};
    employees.goal = 500;
    SignerGroup holders;
    holders.key = "shareholders";
    holders.name = "Shareholders";
    holders.kind = GroupKind::kShareholders;
    holders.attestation = "I hold shares in Acme.";
    c.groups = {employees, holders, DefaultPublicGroup()};
    c.anonymity_floor = 3;  // the smallest seal
    auto created = campaigns_->Create(c);
    ASSERT_TRUE(created) << created.error().message;
  }

  Response SignGroup(std::vector<std::pair<std::string, std::string>> fields) {
    Call("GET", "/c/acme-letter");  // gets the cookie
    fields.insert(fields.begin(), {"csrf", Token()});
    return Post("/c/acme-letter/sign", fields);
  }
  Response SignEmployee(const std::string& work, const std::string& name,
                        const std::string& visibility, const std::string& email = "") {
    return SignGroup({{"group", "employees"},
                      {"name", name},
                      {"work_email", work},
                      {"email", email},
                      {"visibility", visibility}});
  }
  // Follows the one-time link sent to a work address through the pages, as its owner would.
  Response Verify(const std::string& work) {
    std::string kind;
    nlohmann::json mail = LastMail(work, &kind);
    EXPECT_EQ(kind, "verify");
    const std::string token = mail.value("token", "");
    Response page = Call("GET", "/s/confirm?t=" + token);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_TRUE(Contains(page.body, "Verify that you work at Acme")) << page.body;
    EXPECT_TRUE(Contains(page.body, "counted among Acme employees"));
    // Whoever reads the work mailbox learns nothing from the page behind the link.
    EXPECT_FALSE(Contains(page.body, "Letter to Acme"));
    EXPECT_FALSE(Contains(page.body, "acme-letter"));
    return Post("/s/confirm", {{"t", token}, {"csrf", Token()}});
  }
  // Everything the public reads about the campaign: the page (with the recent signers
  // re-rendered), the JSON counts (also the body of each live event).
  std::string PublicBodies() {
    clock_.AdvanceMillis(1001);
    std::string page = Call("GET", "/c/acme-letter").body;
    std::string json = Call("GET", "/c/acme-letter.json").body;
    EXPECT_EQ(json, CountsJson(*campaigns_->Snapshot("acme-letter"), clock_.Now()));
    return page + "\n" + json;
  }
  nlohmann::json GroupJson(const std::string& key) {
    auto j = nlohmann::json::parse(Call("GET", "/c/acme-letter.json").body);
    for (const auto& g : j.at("groups")) {
      if (g.at("key") == key) return g;
    }
    ADD_FAILURE() << "no group " << key;
    return {};
  }
};

TEST_F(GroupPagesTest, FormOffersEachGroupWithItsFields) {
  Response r = Call("GET", "/c/acme-letter");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string& b = r.body;
  EXPECT_FALSE(Contains(b, "\x01"));
  EXPECT_FALSE(Contains(b, "style="));
  EXPECT_TRUE(Contains(b, "<legend>I sign as</legend>"));
  EXPECT_FALSE(Contains(b, "name=\"group\" type=\"radio\" value=\"employees\" checked"));
  EXPECT_TRUE(Contains(b, "name=\"group\" type=\"radio\" value=\"shareholders\""));
  EXPECT_FALSE(Contains(b, "value=\"shareholders\" checked"));
  EXPECT_TRUE(Contains(b, "name=\"group\" type=\"radio\" value=\"public\""));
  // The work address, and plainly what it is for and what the employer can see.
  EXPECT_TRUE(
      Contains(b, "<label for=\"f-work_email-employees\">Work address at acme.com</label>"));
  EXPECT_TRUE(Contains(b, "name=\"work_email\""));
  EXPECT_TRUE(Contains(b, "proves that you work at Acme"));
  EXPECT_TRUE(Contains(b, "We never keep the address itself, only a keyed fingerprint"));
  EXPECT_TRUE(Contains(b, "The message is neutral"));
  EXPECT_TRUE(Contains(b, "Acme&rsquo;s mail system can see that a message arrived"));
  EXPECT_TRUE(Contains(b, "sign from a personal device on a personal network"));
  // How the name appears: sealed and anonymous only for the verified group.
  EXPECT_TRUE(Contains(b, "<legend>How your name appears</legend>"));
  EXPECT_TRUE(Contains(b, "name=\"visibility\" type=\"radio\" value=\"public\""));
  EXPECT_TRUE(Contains(b, "name=\"visibility\" type=\"radio\" value=\"private\" checked"));
  EXPECT_TRUE(Contains(b, "Keep my name sealed until 3 verified employees of Acme have signed"));
  EXPECT_TRUE(Contains(b, "Keep my name sealed until 100 verified employees of Acme have signed"));
  EXPECT_TRUE(Contains(b, "value=\"sealed-100\""));
  EXPECT_TRUE(Contains(b, "Count me only as a verified employee of Acme; keep no name"));
  EXPECT_TRUE(Contains(b, "data-only-group=\"employees\""));
  EXPECT_FALSE(Contains(b, "name=\"public_name\""));
  // The shareholders' statement.
  EXPECT_TRUE(Contains(b, "name=\"attested\" type=\"checkbox\" value=\"shareholders\""));
  EXPECT_TRUE(Contains(b, ">I hold shares in Acme.</label>"));
  // The personal address is optional for employees, and the name for anonymous signers.
  EXPECT_TRUE(Contains(b,
                       "Personal email address <span class=\"optional\">(optional for Acme "
                       "employees)</span>"));
  EXPECT_FALSE(Contains(b, "type=\"email\" autocomplete=\"email\" required"));
  EXPECT_FALSE(Contains(b, "autocomplete=\"name\" required"));
  EXPECT_TRUE(Contains(b, "<script src=\"/static/sign.js\" defer></script>"));
  // Every control has its label.
  for (const char* id :
       {"f-group-employees", "f-group-shareholders", "f-group-public", "f-work_email-employees",
        "f-attested-shareholders", "f-visibility-public", "f-visibility-private",
        "f-visibility-sealed-3-employees", "f-visibility-sealed-100-employees",
        "f-visibility-anonymous-employees", "f-name", "f-email", "f-wants_updates"}) {
    EXPECT_TRUE(Contains(b, std::string("<label for=\"") + id + "\"")) << id;
    EXPECT_TRUE(Contains(b, std::string("id=\"") + id + "\"")) << id;
  }
  // Counts by group, each below the anonymity floor.
  EXPECT_TRUE(Contains(b, "Signatures by group"));
  EXPECT_TRUE(Contains(b, "<span class=\"group-name\">Acme employees</span>"));
  EXPECT_TRUE(Contains(b, "data-group-count=\"employees\">fewer than 3</strong> verified"));
  EXPECT_TRUE(Contains(b, "data-group-count=\"shareholders\">fewer than 3<"));
  EXPECT_TRUE(Contains(b, ", goal 500"));
  auto j = nlohmann::json::parse(Call("GET", "/c/acme-letter.json").body);
  ASSERT_EQ(j.at("groups").size(), 3u);
  EXPECT_EQ(
      j["groups"][0],
      nlohmann::json(
          {{"key", "employees"}, {"name", "Acme employees"}, {"fewer_than", 3}, {"goal", 500}}));
  EXPECT_EQ(j["groups"][2]["key"], "public");

  // A campaign without groups keeps the plain form and JSON.
  Response plain = Call("GET", "/c/drop-ice");
  EXPECT_FALSE(Contains(plain.body, "name=\"group\""));
  EXPECT_FALSE(Contains(plain.body, "name=\"visibility\""));
  EXPECT_FALSE(Contains(plain.body, "group-tally"));
  EXPECT_FALSE(Contains(plain.body, "sign.js"));
  EXPECT_FALSE(nlohmann::json::parse(Call("GET", "/c/drop-ice.json").body).contains("groups"));
}

// Nobody is told to enter a work address by default: among several groups none is chosen.
TEST_F(GroupPagesTest, NoGroupIsChosenForTheSigner) {
  const std::string b = Call("GET", "/c/acme-letter").body;
  for (const char* key : {"employees", "shareholders", "public"}) {
    EXPECT_TRUE(Contains(b, std::string("type=\"radio\" value=\"") + key + "\""));
    EXPECT_FALSE(Contains(b, std::string("type=\"radio\" value=\"") + key + "\" checked"));
  }
  // The long explanations are folded.
  EXPECT_TRUE(Contains(b,
                       "<summary>What happens to my data</summary>\n<p>We never keep the "
                       "address itself"));
  Response none = SignGroup({{"name", "Pat"}, {"email", "pat@example.org"}});
  ASSERT_EQ(none.status, 422) << none.body;
  EXPECT_TRUE(Contains(none.body, "<a href=\"#f-group-employees\">Choose who you sign as.</a>"));
  EXPECT_TRUE(LastMail("pat@example.org").is_null());
}

TEST_F(GroupPagesTest, SealedNamesAppearNowhereUntilTheGroupReachesTheirThreshold) {
  Response s1 = SignEmployee("s1@acme.com", "SEALEDMARKER One", "sealed-3", "one@example.org");
  ASSERT_EQ(s1.status, 200) << s1.body;
  // The link went to the work mailbox, and the page says so.
  EXPECT_TRUE(Contains(s1.body, "Check your work email"));
  EXPECT_TRUE(Contains(s1.body,
                       "neutral one-time link to your work address <strong "
                       "class=\"email\">s1@acme.com</strong>"));
  EXPECT_TRUE(Contains(s1.body, "proves you work at Acme"));
  EXPECT_TRUE(LastMail("one@example.org").is_null());
  ASSERT_EQ(SignEmployee("s2@acme.com", "SEALEDMARKER Two", "sealed-3", "two@example.org").status,
            200);
  ASSERT_EQ(SignEmployee("p1@acme.com", "Public Person", "public").status, 200);
  // Signs while the seal is open, follows the link only once it is reached (below).
  ASSERT_EQ(
      SignEmployee("s3@acme.com", "SEALEDMARKER Three", "sealed-3", "three@example.org").status,
      200);

  Response v1 = Verify("s1@acme.com");
  ASSERT_EQ(v1.status, 200) << v1.body;
  EXPECT_TRUE(Contains(v1.body, "Thank you! You are verified"));
  EXPECT_TRUE(
      Contains(v1.body, "Your name stays sealed until 3 verified employees of Acme have signed"));
  EXPECT_TRUE(Contains(v1.body, "Acme employees so far: fewer than 3 verified signers."));
  EXPECT_FALSE(Contains(v1.body, "SEALEDMARKER"));
  // No "I signed" share buttons for a sealed name.
  EXPECT_FALSE(Contains(v1.body, "I signed \u201C"));
  EXPECT_FALSE(Contains(v1.body, "share-link"));
  EXPECT_TRUE(Contains(v1.body, "this page offers no \u201CI signed\u201D share buttons"));
  ASSERT_EQ(Verify("s2@acme.com").status, 200);
  std::string before = PublicBodies();
  EXPECT_FALSE(Contains(before, "SEALEDMARKER"));
  EXPECT_FALSE(Contains(before, "one@example.org"));
  EXPECT_TRUE(Contains(before, "data-group-count=\"employees\">fewer than 3<"));
  EXPECT_EQ(GroupJson("employees").value("fewer_than", 0), 3);
  EXPECT_FALSE(GroupJson("employees").contains("confirmed"));

  // The third verified employee reaches the threshold: both sealed names are shown at once.
  Response v3 = Verify("p1@acme.com");
  ASSERT_EQ(v3.status, 200) << v3.body;
  EXPECT_TRUE(Contains(v3.body, "share-link"));  // a public name may say "I signed"
  std::string after = PublicBodies();
  EXPECT_TRUE(Contains(after, "<bdi class=\"signer-name\">SEALEDMARKER One</bdi>"));
  EXPECT_TRUE(Contains(after, "<bdi class=\"signer-name\">SEALEDMARKER Two</bdi>"));
  EXPECT_TRUE(Contains(after,
                       "SEALEDMARKER One</bdi> <span class=\"signer-verified\">"
                       "Verified employee of Acme</span>"));
  EXPECT_FALSE(Contains(after, "one@example.org"));
  EXPECT_TRUE(Contains(after, "data-group-count=\"employees\">3</strong> verified"));

  // Three have signed: sealed until 3 is no longer offered (it would be public at once), and
  // one who still sends it is told why, not made public.
  Response page = Call("GET", "/c/acme-letter");
  EXPECT_FALSE(Contains(page.body, "value=\"sealed-3\""));
  EXPECT_FALSE(Contains(page.body, "sealed until 3 verified"));
  EXPECT_TRUE(Contains(page.body, "value=\"sealed-100\""));
  Response late = SignEmployee("s9@acme.com", "SEALEDMARKER Late", "sealed-3", "late@example.org");
  ASSERT_EQ(late.status, 422) << late.body;
  EXPECT_TRUE(Contains(late.body,
                       "3 have already signed, so a name sealed until 3 would be shown as soon "
                       "as you confirm. Choose another option."));
  EXPECT_TRUE(LastMail("s9@acme.com").is_null());
  // The one who chose sealed-3 before it was reached is told before pressing the button.
  Response link = Call("GET", "/s/confirm?t=" + LastMail("s3@acme.com").value("token", ""));
  ASSERT_EQ(link.status, 200);
  EXPECT_TRUE(Contains(link.body,
                       "3 have signed since: if you press the button, your name is shown at "
                       "once"));
  EXPECT_FALSE(Contains(PublicBodies(), "SEALEDMARKER Three"));

  // Five verified employees: the count is exact from then on, on the page and in the JSON.
  for (const char* w : {"e4@acme.com", "e5@acme.com"}) {
    ASSERT_EQ(SignEmployee(w, "Employee", "private").status, 200);
    ASSERT_EQ(Verify(w).status, 200);
  }
  std::string exact = PublicBodies();
  EXPECT_TRUE(Contains(exact, "data-group-count=\"employees\">5</strong> verified"));
  EXPECT_EQ(GroupJson("employees").value("confirmed", 0), 5);
  EXPECT_FALSE(GroupJson("employees").contains("fewer_than"));
  EXPECT_EQ(GroupJson("shareholders").value("fewer_than", 0), 3);
}

TEST_F(GroupPagesTest, AnonymousSignersAreShownOnlyAsVerifiedEmployees) {
  ASSERT_EQ(SignEmployee("anon@acme.com", "ANONMARKER", "anonymous").status, 200);
  Response done = Verify("anon@acme.com");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Contains(done.body, "You are shown only as \u201CVerified employee of Acme"));
  EXPECT_FALSE(Contains(done.body, "I signed \u201C"));
  EXPECT_FALSE(Contains(done.body, "share-link"));
  std::string bodies = PublicBodies();
  EXPECT_FALSE(Contains(bodies, "ANONMARKER"));
  EXPECT_TRUE(Contains(bodies,
                       "<bdi class=\"signer-name signer-anonymous\">Verified employee "
                       "of Acme</bdi>"));
  // The day only, not the moment.
  std::size_t at = bodies.find("signer-anonymous");
  ASSERT_NE(at, std::string::npos);
  std::size_t dt = bodies.find("<time datetime=\"", at);
  ASSERT_NE(dt, std::string::npos);
  dt += 16;
  EXPECT_EQ(bodies.find('"', dt) - dt, 10u) << bodies.substr(dt, 30);
}

// Personal links (service/referrals.h): an anonymous signer is offered none unless they ask,
// and the page behind their work address's link names nothing until its button is pressed.
TEST_F(GroupPagesTest, AnAnonymousSignerGetsAPersonalLinkOnlyOnAskingAndBehindAButton) {
  ASSERT_EQ(SignEmployee("anon@acme.com", "ANONMARKER", "anonymous").status, 200);
  const std::string token = LastMail("anon@acme.com").value("token", "");
  Response done = Verify("anon@acme.com");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Contains(done.body, "Give me a personal link"));
  EXPECT_FALSE(Contains(done.body, "?ref="));
  Response unasked = Call("GET", "/s/shares?t=" + token);
  ASSERT_EQ(unasked.status, 200) << unasked.body;
  EXPECT_FALSE(Contains(unasked.body, "?ref="));
  EXPECT_FALSE(Contains(unasked.body, "Letter to Acme"));
  EXPECT_FALSE(Contains(unasked.body, "acme-letter"));
  EXPECT_TRUE(Contains(unasked.body, "action=\"/s/shares\""));
  Response forged = Post("/s/shares", {{"t", token}, {"csrf", "nope"}});
  EXPECT_EQ(forged.status, 403);
  Response asked = Post("/s/shares", {{"t", token}, {"csrf", Token()}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_TRUE(Contains(asked.body, "/c/acme-letter?ref="));
  EXPECT_TRUE(Contains(asked.body, "No signature has come through your personal link yet"));
  EXPECT_FALSE(Contains(asked.body, "share-link"));  // no "post it" buttons: it would name them
}

// A verified employee who signs by name is offered the link at once; its page later still
// waits for the button (the link is in the work mailbox).
TEST_F(GroupPagesTest, AVerifiedNamedSignersSharesPageWaitsForItsButton) {
  ASSERT_EQ(SignEmployee("named@acme.com", "Nadia Named", "public").status, 200);
  const std::string token = LastMail("named@acme.com").value("token", "");
  Response done = Verify("named@acme.com");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(Contains(done.body, "/c/acme-letter?ref="));
  Response later = Call("GET", "/s/shares?t=" + token);
  ASSERT_EQ(later.status, 200);
  EXPECT_FALSE(Contains(later.body, "acme-letter"));
  EXPECT_TRUE(Contains(later.body, "Show my personal link"));
}

TEST_F(GroupPagesTest, FieldErrorsKeepWhatWasTyped) {
  Response r = SignEmployee("zed@gmail.com", "Zed <Z>", "sealed-3", "");
  ASSERT_EQ(r.status, 422) << r.body;
  const std::string& b = r.body;
  EXPECT_TRUE(Contains(b, "<title>Error: "));
  // The work address, the missing personal address (needed when sealed), each at its field.
  EXPECT_TRUE(Contains(b,
                       "<a href=\"#f-work_email-employees\">Use an address ending in "
                       "@acme.com.</a>"));
  EXPECT_TRUE(Contains(b, "id=\"f-work_email-employees-error\""));
  EXPECT_TRUE(Contains(b,
                       "value=\"zed@gmail.com\" aria-describedby=\"f-work_email-employees-hint "
                       "f-work_email-employees-error\" aria-invalid=\"true\""));
  EXPECT_TRUE(Contains(b, "<a href=\"#f-email\">Enter a personal email address"));
  EXPECT_TRUE(Contains(b, "value=\"Zed &lt;Z&gt;\""));
  EXPECT_TRUE(Contains(b, "value=\"employees\" checked"));
  EXPECT_TRUE(Contains(b,
                       "id=\"f-visibility-sealed-3-employees\" name=\"visibility\" "
                       "type=\"radio\" value=\"sealed-3\" checked"));
  EXPECT_FALSE(Contains(b, "value=\"private\" checked"));
  EXPECT_TRUE(Contains(b, "name=\"csrf\" value=\"" + Token() + "\""));

  // A statement not ticked; a seal size not offered; a visibility that is none of the choices.
  Response holder = SignGroup({{"group", "shareholders"},
                               {"name", "Holder"},
                               {"email", "holder@example.org"},
                               {"attested", "employees"}});
  ASSERT_EQ(holder.status, 422) << holder.body;
  EXPECT_TRUE(Contains(holder.body, "<a href=\"#f-attested-shareholders\">Tick the statement"));
  EXPECT_TRUE(Contains(holder.body, "id=\"f-attested-shareholders-error\""));
  EXPECT_TRUE(Contains(holder.body, "value=\"shareholders\" checked"));
  EXPECT_TRUE(Contains(holder.body, "value=\"holder@example.org\""));
  Response odd = SignEmployee("odd@acme.com", "Odd", "sealed-7", "odd@example.org");
  ASSERT_EQ(odd.status, 422);
  EXPECT_TRUE(Contains(odd.body, "Choose one of the sizes offered."));
  EXPECT_TRUE(Contains(odd.body, "aria-describedby=\"f-visibility-error\""));
  Response bogus = SignEmployee("bo@acme.com", "Bo", "everyone", "bo@example.org");
  ASSERT_EQ(bogus.status, 422);
  EXPECT_TRUE(Contains(bogus.body,
                       "<a href=\"#f-visibility-public\">Choose how your name "
                       "appears.</a>"));
  EXPECT_TRUE(Contains(bogus.body, "value=\"bo@acme.com\""));
  // Sealed is for verified groups only.
  Response sealed_public = SignGroup({{"group", "public"},
                                      {"name", "Pub"},
                                      {"email", "pub@example.org"},
                                      {"visibility", "sealed-3"}});
  ASSERT_EQ(sealed_public.status, 422);
  EXPECT_TRUE(Contains(sealed_public.body,
                       "<a href=\"#f-visibility-public\">Sealed and "
                       "anonymous signatures are for verified groups only"));
  auto due = store_->DueOutbox(clock_.Now() + 1000, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());

  // Fixed, the statement ticked: signed, with the link to the personal address.
  Response ok = SignGroup({{"group", "shareholders"},
                           {"name", "Holder"},
                           {"email", "holder@example.org"},
                           {"attested", "shareholders"},
                           {"visibility", "public"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(Contains(ok.body, "Check your email"));
  EXPECT_FALSE(Contains(ok.body, "work"));
  std::string kind;
  LastMail("holder@example.org", &kind);
  EXPECT_EQ(kind, "confirm");
}

TEST_F(GroupPagesTest, TheWithdrawPageOfAWorkAddressIsNeutralToo) {
  ASSERT_EQ(SignEmployee("w@acme.com", "Wanda", "public").status, 200);
  // The verify mail's undo link carries its one token.
  const std::string withdraw = LastMail("w@acme.com").value("token", "");
  ASSERT_FALSE(withdraw.empty());
  Response page = Call("GET", "/s/withdraw?t=" + withdraw);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, "Withdraw your verified signature?"));
  EXPECT_TRUE(Contains(page.body, "action=\"/s/withdraw\""));
  EXPECT_FALSE(Contains(page.body, "Letter to Acme"));
  EXPECT_FALSE(Contains(page.body, "Wanda"));
  ASSERT_EQ(Verify("w@acme.com").status, 200);
  // Once verified, the link's page still names nothing to anyone but the browser that pressed
  // its button (which holds the flash of the result).
  const std::string confirm = LastMail("w@acme.com").value("token", "");
  EXPECT_TRUE(Contains(Call("GET", "/s/confirm?t=" + confirm).body, "Letter to Acme"));
  jar_.clear();
  Response again = Call("GET", "/s/confirm?t=" + confirm);
  EXPECT_TRUE(Contains(again.body, "This address is already verified"));
  EXPECT_FALSE(Contains(again.body, "Letter to Acme"));
}

TEST_F(GroupPagesTest, WithTwoVerifiedGroupsTheChosenOnesWorkAddressCounts) {
  Campaign c;
  c.slug = "two-firms";
  c.title = "Two firms";
  Target t;
  t.name = "Boards";
  c.targets = {t};
  c.goal = 10;
  c.status = CampaignStatus::kOpen;
  SignerGroup acme;
  acme.key = "acme";
  acme.name = "Acme staff";
  acme.kind = GroupKind::kEmployees;
  acme.organization = "Acme";
  acme.domains = {"acme.com"};
  acme.seal_thresholds = {3};
  c.anonymity_floor = 3;
  SignerGroup beta = acme;
  beta.key = "beta";
  beta.name = "Beta staff";
  beta.organization = "Beta";
  beta.domains = {"beta.org", "beta.co.uk"};
  beta.seal_thresholds = {3, 10};
  c.groups = {acme, beta};
  ASSERT_TRUE(campaigns_->Create(c));

  Response page = Call("GET", "/c/two-firms");
  EXPECT_TRUE(Contains(page.body, "Work address at beta.org or beta.co.uk"));
  EXPECT_TRUE(Contains(page.body, "id=\"f-visibility-sealed-3-acme\""));
  EXPECT_TRUE(Contains(page.body, "id=\"f-visibility-sealed-3-beta\""));
  EXPECT_TRUE(Contains(page.body, "(optional for verified employees)"));
  // Without JavaScript both sections send their field, in the order of the groups.
  const std::vector<std::pair<std::string, std::string>> fields = {{"csrf", Token()},
                                                                   {"group", "beta"},
                                                                   {"name", "Bea"},
                                                                   {"work_email", ""},
                                                                   {"work_email", "bea@beta.co.uk"},
                                                                   {"visibility", "sealed-10"},
                                                                   {"email", "bea@example.org"}};
  Response r = Post("/c/two-firms/sign", fields);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "proves you work at Beta"));
  std::string kind;
  LastMail("bea@beta.co.uk", &kind);
  EXPECT_EQ(kind, "verify");
  // The address typed into the other group's section does not count for the chosen one.
  Response wrong = Post("/c/two-firms/sign", {{"csrf", Token()},
                                              {"group", "acme"},
                                              {"name", "Al"},
                                              {"work_email", ""},
                                              {"work_email", "al@beta.org"},
                                              {"visibility", "sealed-3"},
                                              {"email", "al@example.org"}});
  ASSERT_EQ(wrong.status, 422);
  EXPECT_TRUE(Contains(wrong.body, "<a href=\"#f-work_email-acme\">Enter your work address"));
  EXPECT_TRUE(Contains(wrong.body,
                       "id=\"f-visibility-sealed-3-acme\" name=\"visibility\" "
                       "type=\"radio\" value=\"sealed-3\" checked"));
  EXPECT_FALSE(Contains(wrong.body,
                        "id=\"f-visibility-sealed-3-beta\" name=\"visibility\" "
                        "type=\"radio\" value=\"sealed-3\" checked"));
}

}  // namespace
}  // namespace undersigned::http
