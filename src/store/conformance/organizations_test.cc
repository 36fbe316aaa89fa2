// Store conformance: co-signing organizations, written by the transaction scripts
// (service/tx/organizations.cc) and read through the OrganizationStore.
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

NewOrganization NewOrg(std::int64_t campaign_id, const std::string& contact) {
  NewOrganization o;
  o.campaign_id = campaign_id;
  o.form.name = "Friends of " + contact;
  o.form.website = "https://foe.example.org";
  o.form.contact_email = contact;
  o.form.statement = "We stand with them.";
  o.canonical_email = contact;
  o.logo_png = "\x89PNG fake";
  o.confirm_token = "confirm-" + contact;
  o.confirm_token_hash = HashOf(o.confirm_token);
  o.mail_payload = R"({"campaign_title":"T","campaign_slug":"s","language":"en"})";
  o.now = kT0;
  return o;
}

// Queued mails of one kind: recipient -> payload.
std::multimap<std::string, nlohmann::json> Mails(Store& store, const std::string& kind) {
  std::multimap<std::string, nlohmann::json> out;
  auto due = store.DueOutbox(kT0 + 10 * 86400, 100000);
  EXPECT_TRUE(due);
  for (const auto& m : *due) {
    if (m.kind == kind) out.emplace(m.recipient, nlohmann::json::parse(m.payload));
  }
  return out;
}

TEST_P(StoreTest, OrganizationsArePendingConfirmedThenDecidedOnce) {
  Campaign c = NewCampaign("orgs");
  c.organizers = {"lead@example.org", "second@example.org"};
  c = store_->CreateCampaign(c).value();
  const NewOrganization o = NewOrg(c.id, "press@foe.example.org");
  auto added = tx::AddOrganization(*store_, o);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->state, OrganizationState::kPending);
  EXPECT_TRUE(added->has_logo);
  EXPECT_FALSE(added->uuid.empty());
  EXPECT_EQ(tx::AddOrganization(*store_, o).error().code, Code::kConflict);
  auto confirm_mail = Mails(*store_, "org_confirm");
  ASSERT_EQ(confirm_mail.size(), 1u);
  EXPECT_EQ(confirm_mail.begin()->first, "press@foe.example.org");
  EXPECT_EQ(confirm_mail.begin()->second["confirm_token"], o.confirm_token);
  EXPECT_EQ(confirm_mail.begin()->second["organization_name"], o.form.name);

  auto found = store_->FindOrganizationByConfirmToken(o.confirm_token_hash);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->organization.uuid, added->uuid);
  EXPECT_EQ(found->campaign.slug, "orgs");
  EXPECT_EQ(store_->OrganizationLogo(added->uuid, false).error().code, Code::kNotFound);
  EXPECT_EQ(store_->OrganizationLogo(added->uuid, true).value(), o.logo_png);
  EXPECT_EQ(tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kApprove, kT0 + 1)
                .error()
                .code,
            Code::kConflict);  // its address is not confirmed yet

  const std::string review_hash = HashOf("review");
  auto confirmed =
      tx::ConfirmOrganization(*store_, o.confirm_token_hash, "review", review_hash, kT0 + 2);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->organization.state, OrganizationState::kConfirmed);
  auto again =
      tx::ConfirmOrganization(*store_, o.confirm_token_hash, "review2", HashOf("review2"), kT0 + 3);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  auto review = Mails(*store_, "org_review");
  ASSERT_EQ(review.size(), 2u);  // one per organizer, once
  EXPECT_EQ(review.count("lead@example.org"), 1u);
  EXPECT_EQ(review.count("second@example.org"), 1u);
  const nlohmann::json& p = review.begin()->second;
  EXPECT_EQ(p["review_token"], "review");
  EXPECT_EQ(p["organization_name"], o.form.name);
  EXPECT_EQ(p["website"], "https://foe.example.org");
  EXPECT_EQ(p["campaign_slug"], "orgs");
  EXPECT_EQ(p["campaign_title"], "Title of orgs");
  EXPECT_EQ(p["language"], "en");
  auto by_review = store_->FindOrganizationByReviewToken(review_hash);
  ASSERT_TRUE(by_review);
  EXPECT_EQ(by_review->organization.uuid, added->uuid);
  EXPECT_EQ(store_->FindOrganizationByReviewToken(HashOf("review2")).error().code, Code::kNotFound);

  auto approved =
      tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kApprove, kT0 + 86400 * 2);
  ASSERT_TRUE(approved);
  EXPECT_TRUE(approved->changed);
  EXPECT_EQ(approved->organization.state, OrganizationState::kApproved);
  EXPECT_EQ(approved->organization.decided, kT0 + 86400 * 2);
  EXPECT_EQ(store_->GetCampaignById(c.id)->modified, kT0 + 86400 * 2);  // its page changed
  EXPECT_FALSE(
      tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kApprove, kT0 + 86400 * 3)
          ->changed);
  EXPECT_EQ(
      tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kReject, kT0 + 86400 * 3)
          .error()
          .code,
      Code::kConflict);
  EXPECT_EQ(store_->OrganizationLogo(added->uuid, false).value(), o.logo_png);
  auto listed = store_->ListOrganizations(c.id, OrganizationState::kApproved);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).form.statement, "We stand with them.");
  EXPECT_TRUE(store_->ListOrganizations(c.id, OrganizationState::kPending)->empty());
  EXPECT_EQ(tx::ConfirmOrganization(*store_, HashOf("nope"), "r", HashOf("r"), kT0).error().code,
            Code::kNotFound);

  // Withdrawing the approval later: rejected from then on, gone from the approved list, and
  // the campaign's page changes again; withdrawing twice is a no-op.
  auto withdrawn = tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kWithdraw,
                                          kT0 + 86400 * 4);
  ASSERT_TRUE(withdrawn) << withdrawn.error().message;
  EXPECT_TRUE(withdrawn->changed);
  EXPECT_EQ(withdrawn->organization.state, OrganizationState::kRejected);
  EXPECT_EQ(withdrawn->organization.decided, kT0 + 86400 * 4);
  EXPECT_GE(store_->GetCampaignById(c.id)->modified, kT0 + 86400 * 4);
  EXPECT_TRUE(store_->ListOrganizations(c.id, OrganizationState::kApproved)->empty());
  EXPECT_EQ(store_->ListOrganizations(c.id, OrganizationState::kRejected)->size(), 1u);
  EXPECT_FALSE(
      tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kWithdraw, kT0 + 86400 * 5)
          ->changed);
  // A withdrawn organization is not approved again by the old decision path.
  EXPECT_EQ(
      tx::DecideOrganization(*store_, added->uuid, OrganizationDecision::kApprove, kT0 + 86400 * 5)
          .error()
          .code,
      Code::kConflict);
}

}  // namespace
}  // namespace undersigned::store::conformance
