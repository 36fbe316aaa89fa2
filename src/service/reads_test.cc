// The reads the API makes through the services (and that the CLI and the console share):
// signatures (SigningService), people and their signatures (PeopleService), campaigns by a
// foreign identifier (CampaignService), a campaign's organizations by its id
// (OrganizationService).
#include <gtest/gtest.h>

#include "core/signature.h"
#include "service/organizations.h"
#include "service/people.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class ReadsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    people_ = std::make_unique<PeopleService>(*store_, clock_);
    Create(OpenCampaign("river"));
    Create(OpenCampaign("forest"));
  }
  void CloseServices() override {
    people_.reset();
    ServiceFixture::CloseServices();
  }
  std::int64_t IdOf(const std::string& slug) { return campaigns_->Snapshot(slug)->campaign.id; }

  std::unique_ptr<PeopleService> people_;
};

TEST_F(ReadsTest, SignaturesOfACampaignNewestFirstAndByGroup) {
  SignTrusted("river", "ada@example.org", "Ada");
  clock_.Advance(10);
  SignTrusted("river", "bob@example.org", "Bob");
  SignTrusted("forest", "ada@example.org", "Ada");

  auto all = signing_->ListSignatures(IdOf("river"), std::nullopt, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->total, 2);
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[0].form.name, "Bob");  // newest first
  EXPECT_EQ(all->items[1].form.name, "Ada");

  // A campaign without groups has the public group only.
  auto pub = signing_->ListSignatures(IdOf("river"), std::string(kPublicGroupKey), TimeFilter{},
                                      Page{1, 25});
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->total, 2);
  auto none =
      signing_->ListSignatures(IdOf("river"), std::string("staff"), TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->total, 0);

  auto one = signing_->GetSignature(all->items[0].uuid);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->form.name, "Bob");
  EXPECT_EQ(one->campaign_id, IdOf("river"));
  auto missing = signing_->GetSignature("no-such-uuid");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kNotFound);
}

TEST_F(ReadsTest, PeopleAndTheirSignatures) {
  SignTrusted("river", "Ada.Lovelace+petitions@Example.org", "Ada");
  SignTrusted("forest", "ada.lovelace@example.org", "Ada");
  SignTrusted("forest", "bob@example.org", "Bob");

  const std::string canonical = CanonicalEmail("ada.lovelace@example.org");
  auto uuid = people_->UuidByCanonicalEmail(canonical);
  ASSERT_TRUE(uuid) << uuid.error().message;
  ASSERT_FALSE(uuid->empty());
  auto nobody = people_->UuidByCanonicalEmail(CanonicalEmail("carol@example.org"));
  ASSERT_TRUE(nobody);
  EXPECT_EQ(*nobody, "");

  auto ada = people_->Get(*uuid);
  ASSERT_TRUE(ada) << ada.error().message;
  EXPECT_EQ(ada->canonical_email, canonical);
  auto unknown = people_->Get("no-such-uuid");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Code::kNotFound);

  auto everyone = people_->List(std::nullopt, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(everyone) << everyone.error().message;
  EXPECT_EQ(everyone->total, 2);  // one person per canonical email
  auto just_ada = people_->List(canonical, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(just_ada) << just_ada.error().message;
  ASSERT_EQ(just_ada->items.size(), 1u);
  EXPECT_EQ(just_ada->items[0].uuid, *uuid);

  auto signed_ = people_->Signatures(ada->id, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(signed_) << signed_.error().message;
  EXPECT_EQ(signed_->total, 2);  // both campaigns
}

TEST_F(ReadsTest, CampaignsByForeignIdentifier) {
  Campaign c = OpenCampaign("tagged");
  c.identifiers = {"crm:1234"};
  Create(c);
  auto found = campaigns_->ListByIdentifier("crm:1234", std::nullopt, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].slug, "tagged");
  auto closed =
      campaigns_->ListByIdentifier("crm:1234", CampaignStatus::kClosed, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->total, 0);
  auto other = campaigns_->ListByIdentifier("crm:12", std::nullopt, TimeFilter{}, Page{1, 25});
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->total, 0);  // compared exactly
}

TEST_F(ReadsTest, OrganizationsByCampaignIdAsBySlug) {
  OrganizationService orgs(*store_, *campaigns_, clock_, nullptr);
  auto submitted = orgs.Submit("river",
                               OrganizationForm{"Friends of the Earth", "https://foe.example.org",
                                                "press@foe.example.org", "We stand with them."},
                               "");
  ASSERT_TRUE(submitted) << submitted.error().message;
  auto by_id = orgs.ListByCampaignId(IdOf("river"), std::nullopt);
  ASSERT_TRUE(by_id) << by_id.error().message;
  ASSERT_EQ(by_id->size(), 1u);
  EXPECT_EQ((*by_id)[0].uuid, submitted->uuid);
  auto approved = orgs.ListByCampaignId(IdOf("river"), OrganizationState::kApproved);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_TRUE(approved->empty());  // pending until its contact confirms and organizers approve
  auto elsewhere = orgs.ListByCampaignId(IdOf("forest"), std::nullopt);
  ASSERT_TRUE(elsewhere) << elsewhere.error().message;
  EXPECT_TRUE(elsewhere->empty());
}

}  // namespace
}  // namespace undersigned::service
