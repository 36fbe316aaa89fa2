// Delivery against a real SQLite store: counts, named signers only, CSV safety, the printable
// page, and the log checkpoint it cites.
#include "service/delivery.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/log.h"
#include "service/organizations.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class DeliveryTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    Campaign c = OpenCampaign("letter", "Open <the> books");
    c.letter_markdown = "Dear Dana,\n\nplease **open** them.";
    c.targets = {Target{"Dana Rivera", "CEO", "Example Corp", "", "", "", ""}};
    Create(c);
  }
  void Sign(const std::string& name, const std::string& email, bool named,
            const std::string& comment = "") {
    SignTrusted("letter", email, name, named, comment);
  }
};

TEST_F(DeliveryTest, NamesOnlyThoseWhoChoseToBeNamedAndCountsEveryone) {
  Sign("Ada Lovelace", "ada@example.org", true, "=HYPERLINK(\"x\")");
  Sign("Hidden Person", "hidden@example.org", false);
  Sign("Grace Hopper", "grace@example.org", true);
  auto d = BuildDelivery(*store_, "letter", clock_.Now(), "https://sign.example.org/");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->confirmed, 3);
  EXPECT_EQ(d->unnamed, 1);
  ASSERT_EQ(d->named.size(), 2u);
  EXPECT_EQ(d->named[0].name, "Ada Lovelace");
  EXPECT_EQ(d->named[0].place, "10115, Germany");  // the country by its name, not its code
  EXPECT_EQ(d->named[0].day % 86400, 0);
  EXPECT_FALSE(d->log);  // no checkpoint signed yet

  auto json = nlohmann::json::parse(DeliveryJson(*d));
  EXPECT_EQ(json["counts"]["confirmed"], 3);
  EXPECT_EQ(json["counts"]["unnamed"], 1);
  EXPECT_EQ(json["campaign"]["url"], "https://sign.example.org/c/letter");
  EXPECT_TRUE(json["log"].is_null());

  std::ostringstream csv;
  DeliveryCsv(*d, csv);
  EXPECT_NE(csv.str().find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << csv.str();

  auto templates = render::Templates::Load(render::FindAssetDir("templates"));
  ASSERT_TRUE(templates) << templates.error().message;
  auto html = DeliveryHtml(*d, *templates);
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_NE(html->find("Open &lt;the&gt; books"), std::string::npos);
  EXPECT_NE(html->find("<strong>open</strong>"), std::string::npos);
  EXPECT_NE(html->find("Grace Hopper"), std::string::npos);
  EXPECT_NE(html->find("1 chose not to be named"), std::string::npos);
  for (const std::string& text : {csv.str(), *html, DeliveryJson(*d)}) {
    EXPECT_EQ(text.find("Hidden Person"), std::string::npos);
    EXPECT_EQ(text.find("@example.org"), std::string::npos);  // no addresses, ever
  }
}

TEST_F(DeliveryTest, LeavesNoEmptyParenthesesOrQuotesForMissingFields) {
  SignatureForm f;
  f.name = "No Place";
  f.email = "noplace@example.org";
  f.public_name = true;
  SignContext ctx;
  ctx.source = "api";
  ctx.trusted = true;
  ASSERT_TRUE(signing_->Sign("letter", f, ctx));
  Campaign c = OpenCampaign("bare", "Bare letter");
  c.targets = {Target{"Dana Rivera", "", "", "", "", "", ""}};
  Create(c);
  auto d = BuildDelivery(*store_, "letter", clock_.Now(), "https://sign.example.org");
  ASSERT_TRUE(d) << d.error().message;
  auto bare = BuildDelivery(*store_, "bare", clock_.Now(), "https://sign.example.org");
  ASSERT_TRUE(bare) << bare.error().message;
  auto templates = render::Templates::Load(render::FindAssetDir("templates"));
  ASSERT_TRUE(templates) << templates.error().message;
  for (const Delivery* one : {&*d, &*bare}) {
    auto html = DeliveryHtml(*one, *templates);
    ASSERT_TRUE(html) << html.error().message;
    EXPECT_EQ(html->find("()"), std::string::npos) << *html;
    EXPECT_EQ(html->find("<blockquote></blockquote>"), std::string::npos) << *html;
    EXPECT_EQ(html->find("<p class=\"demand\"></p>"), std::string::npos) << *html;
    EXPECT_EQ(html->find("Dana Rivera, \n"), std::string::npos) << *html;
  }
}

TEST_F(DeliveryTest, ListsTheApprovedCoSigningOrganizationsOnly) {
  Sign("Ada Lovelace", "ada@example.org", true);
  OrganizationService orgs(*store_, *campaigns_, clock_, nullptr);
  auto submit = [&](const std::string& name, const std::string& contact) {
    auto o = orgs.Submit(
        "letter",
        OrganizationForm{name, "https://www.foe.example.org", contact, "We <stand> with them."},
        "");
    EXPECT_TRUE(o) << o.error().message;
    std::string token;
    auto due = store_->DueOutbox(kOutboxNever - 1, 100);
    for (const OutboxMessage& m : *due) {
      if (m.kind == "org_confirm" && m.recipient == contact) {
        token = nlohmann::json::parse(m.payload)["confirm_token"];
      }
    }
    EXPECT_TRUE(orgs.Confirm(token));
    return o->uuid;
  };
  ASSERT_TRUE(orgs.Decide("letter", submit("Friends of the Earth", "press@foe.example.org"),
                          OrganizationDecision::kApprove));
  ASSERT_TRUE(orgs.Decide("letter", submit("Rejected Org", "rejected@foe.example.org"),
                          OrganizationDecision::kReject));
  submit("Unreviewed Org", "waiting@foe.example.org");

  auto d = BuildDelivery(*store_, "letter", clock_.Now(), "https://sign.example.org");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->organizations.size(), 1u);
  EXPECT_EQ(d->organizations[0].form.name, "Friends of the Earth");

  auto json = nlohmann::json::parse(DeliveryJson(*d));
  EXPECT_EQ(json["counts"]["organizations"], 1);
  ASSERT_EQ(json["organizations"].size(), 1u);
  EXPECT_EQ(json["organizations"][0]["name"], "Friends of the Earth");
  EXPECT_EQ(json["organizations"][0]["website"], "https://www.foe.example.org");
  EXPECT_EQ(json["organizations"][0]["statement"], "We <stand> with them.");
  EXPECT_EQ(json["organizations"][0]["date"].get<std::string>().size(), 10u);

  auto templates = render::Templates::Load(render::FindAssetDir("templates"));
  ASSERT_TRUE(templates) << templates.error().message;
  auto html = DeliveryHtml(*d, *templates);
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_NE(html->find("<h2>Co-signed by</h2>"), std::string::npos);
  EXPECT_NE(html->find("1 organization</strong>"), std::string::npos);
  EXPECT_NE(html->find("<strong>Friends of the Earth</strong>"), std::string::npos);
  EXPECT_NE(html->find("href=\"https://www.foe.example.org\" rel=\"nofollow noopener ugc\""),
            std::string::npos);
  EXPECT_NE(html->find("We &lt;stand&gt; with them."), std::string::npos);

  std::ostringstream csv;
  DeliveryCsv(*d, csv);
  for (const std::string& text : {csv.str(), *html, DeliveryJson(*d)}) {
    EXPECT_EQ(text.find("Rejected Org"), std::string::npos);
    EXPECT_EQ(text.find("Unreviewed Org"), std::string::npos);
    EXPECT_EQ(text.find("@foe.example.org"), std::string::npos);  // no contact addresses
  }
  EXPECT_EQ(csv.str().find("Friends of the Earth"), std::string::npos);  // the named signers only

  // Without organizations, no such section.
  Create(OpenCampaign("other"));
  auto none = BuildDelivery(*store_, "other", clock_.Now(), "");
  ASSERT_TRUE(none);
  EXPECT_EQ(DeliveryHtml(*none, *templates)->find("Co-signed by"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(DeliveryJson(*none))["counts"]["organizations"], 0);
}

TEST_F(DeliveryTest, SaysWhetherItsThresholdWasReached) {
  auto c = campaigns_->GetBySlug("letter");
  ASSERT_TRUE(c);
  c->threshold = 2;
  c->deadline = clock_.Now() + 86400;
  ASSERT_TRUE(campaigns_->Update(*c));
  Sign("Ada Lovelace", "ada@example.org", true);
  Sign("Grace Hopper", "grace@example.org", true);
  auto d = BuildDelivery(*store_, "letter", clock_.Now(), "https://sign.example.org");
  ASSERT_TRUE(d);
  auto templates = render::Templates::Load(render::FindAssetDir("templates"));
  ASSERT_TRUE(templates);
  auto html = DeliveryHtml(*d, *templates);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("threshold of 2 confirmed signatures"), std::string::npos) << *html;
  EXPECT_NE(html->find("and reached it"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(DeliveryJson(*d))["campaign"]["outcome"], "succeeded");
}

TEST_F(DeliveryTest, CitesTheLatestCheckpoint) {
  Sign("Ada Lovelace", "ada@example.org", true);
  LogOptions lo;
  lo.base_url = "https://sign.example.org";
  lo.data_dir = dir_.string();
  auto log = LogService::Open(*store_, clock_, lo);
  ASSERT_TRUE(log);
  ASSERT_TRUE((*log)->Start());
  (*log)->Stop();
  auto d = BuildDelivery(*store_, "letter", clock_.Now(), "https://sign.example.org");
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->log);
  EXPECT_EQ(d->log->size, 1u);
  EXPECT_EQ(d->log->confirmed, 1);
  EXPECT_EQ(d->log->checkpoint, (*log)->Latest()->note);
  auto templates = render::Templates::Load(render::FindAssetDir("templates"));
  ASSERT_TRUE(templates);
  auto html = DeliveryHtml(*d, *templates);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("undersigned log audit https://sign.example.org"), std::string::npos);
  EXPECT_NE(html->find("sign.example.org/log"), std::string::npos);
  EXPECT_EQ(BuildDelivery(*store_, "nope", 0, "").error().code, Code::kNotFound);
}

}  // namespace
}  // namespace undersigned::service
