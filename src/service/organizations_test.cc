// Co-signing organizations through the service and a real store: submission with a logo, the
// contact's confirmation, the organizers' review, and what the campaign shows.
#include "service/organizations.h"

#include <nlohmann/json.hpp>

#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

// A 4x4 RGBA PNG.
const std::string kPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x04\x00\x00\x00"
    "\x04\x08\x06\x00\x00\x00\xa9\xf1\x9e\x7e\x00\x00\x00\x12\x49\x44\x41\x54\x78\x9c\x63\x50\x68"
    "\x38\xf0\x1f\x19\x33\x90\x2e\x00\x00\xf3\x78\x25\xf1\xbe\x45\x46\x77\x00\x00\x00\x00\x49\x45"
    "\x4e\x44\xae\x42\x60\x82",
    75);

class OrganizationsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    Campaign c = OpenCampaign("letter");
    c.organizers = {"organizer@example.org"};
    Create(c);
    orgs_ =
        std::make_unique<OrganizationService>(*store_, *campaigns_, clock_, [this] { ++wakes_; });
  }
  void CloseServices() override {
    orgs_.reset();
    ServiceFixture::CloseServices();
  }
  static OrganizationForm Form(const std::string& contact = "press@foe.example.org") {
    return OrganizationForm{"Friends of the Earth", "https://foe.example.org", contact,
                            "We stand with them."};
  }
  // The payload of the latest unsent mail of kind to recipient.
  nlohmann::json Mail(const std::string& kind, const std::string& to) {
    nlohmann::json found;
    auto due = store_->DueOutbox(kOutboxNever - 1, 100);
    EXPECT_TRUE(due);
    for (const OutboxMessage& m : *due) {
      if (m.kind == kind && m.recipient == to) found = nlohmann::json::parse(m.payload);
    }
    return found;
  }
  std::unique_ptr<OrganizationService> orgs_;
};

TEST_F(OrganizationsTest, ConfirmedAndApprovedOrganizationsAreShownWithTheirLogo) {
  auto o = orgs_->Submit("letter", Form(), kPng);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->state, OrganizationState::kPending);
  EXPECT_TRUE(o->has_logo);
  EXPECT_FALSE(orgs_->Logo(o->uuid));  // not shown before approval
  nlohmann::json confirm = Mail("org_confirm", "press@foe.example.org");
  ASSERT_TRUE(confirm.contains("confirm_token"));

  // An organizer cannot approve before the address is confirmed.
  auto early = orgs_->Decide("letter", o->uuid, OrganizationDecision::kApprove);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, Code::kConflict);

  auto confirmed = orgs_->Confirm(confirm["confirm_token"]);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  EXPECT_EQ(confirmed->organization.state, OrganizationState::kConfirmed);
  nlohmann::json review = Mail("org_review", "organizer@example.org");
  ASSERT_TRUE(review.contains("review_token"));
  EXPECT_EQ(review["organization_name"], "Friends of the Earth");
  EXPECT_TRUE(campaigns_->Snapshot("letter")->organizations.empty());
  // Confirming twice changes nothing and mails nobody again.
  ASSERT_TRUE(orgs_->Confirm(confirm["confirm_token"]));
  auto due = store_->DueOutbox(kOutboxNever - 1, 100);
  int reviews = 0;
  for (const OutboxMessage& m : *due) reviews += m.kind == "org_review";
  EXPECT_EQ(reviews, 1);

  auto approved = orgs_->Review(review["review_token"], true);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->organization.state, OrganizationState::kApproved);
  auto snap = campaigns_->Snapshot("letter");
  ASSERT_EQ(snap->organizations.size(), 1u);
  EXPECT_EQ(snap->organizations[0].form.name, "Friends of the Earth");
  auto logo = orgs_->Logo(o->uuid);
  ASSERT_TRUE(logo);
  EXPECT_EQ(logo->substr(1, 3), "PNG");
  EXPECT_NE(*logo, kPng);  // re-encoded, not the uploaded bytes

  // Rejecting after approval is refused; the decision stands across a restart.
  EXPECT_FALSE(orgs_->Review(review["review_token"], false));
  CloseServices();
  OpenServices();
  orgs_ = std::make_unique<OrganizationService>(*store_, *campaigns_, clock_, nullptr);
  EXPECT_EQ(campaigns_->Snapshot("letter")->organizations.size(), 1u);
}

TEST_F(OrganizationsTest, RejectedOrganizationsAreNeverShown) {
  auto o = orgs_->Submit("letter", Form(), "");
  ASSERT_TRUE(o);
  ASSERT_TRUE(orgs_->Confirm(Mail("org_confirm", "press@foe.example.org")["confirm_token"]));
  ASSERT_TRUE(orgs_->Decide("letter", o->uuid, OrganizationDecision::kReject));
  EXPECT_TRUE(campaigns_->Snapshot("letter")->organizations.empty());
  EXPECT_FALSE(orgs_->Decide("letter", o->uuid, OrganizationDecision::kApprove));
  auto all = orgs_->List("letter", std::nullopt);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).state, OrganizationState::kRejected);
}

TEST_F(OrganizationsTest, OneNetworkCannotFloodMailboxes) {
  for (int i = 0; i < 10; ++i) {
    auto r = orgs_->Submit("letter", Form("press" + std::to_string(i) + "@foe.example.org"), "",
                           "203.0.113.9");
    ASSERT_TRUE(r) << i << ": " << r.error().message;
  }
  auto refused = orgs_->Submit("letter", Form("press10@foe.example.org"), "", "203.0.113.9");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::kTooManyRequests);
  EXPECT_GE(refused.error().retry_after_seconds, 1);
  EXPECT_TRUE(orgs_->Submit("letter", Form("press10@foe.example.org"), "", "198.51.100.1"));
}

TEST_F(OrganizationsTest, BadSubmissionsSayWhatToFix) {
  auto bad = orgs_->Submit("letter", Form("someone@gmail.com"), "not an image");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(bad.error().field_errors.count("contact_email"));
  EXPECT_NE(bad.error().field_errors.at("logo").find("PNG or JPEG"), std::string::npos);
  ASSERT_TRUE(orgs_->Submit("letter", Form(), ""));
  auto twice = orgs_->Submit("letter", Form("Press@foe.example.org"), "");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Code::kConflict);
  EXPECT_FALSE(orgs_->Submit("no-such", Form(), ""));
  EXPECT_FALSE(orgs_->Confirm("bogus"));
}

}  // namespace
}  // namespace undersigned::service
