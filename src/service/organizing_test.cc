#include "service/organizing.h"

#include <sodium.h>

#include <gtest/gtest.h>

#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class OrganizingTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    organizing_ = std::make_unique<OrganizingService>(*campaigns_, *accounts_, *store_, clock_);
  }
  void CloseServices() override {
    organizing_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }
  Actor UserActor(const std::string& email, bool admin = false) {
    auto u = accounts_->CreateUser(Actor::Operator(), email, "", admin);
    EXPECT_TRUE(u.has_value()) << u.error().message;
    return Actor::Of(*u);
  }
  std::vector<std::string> Actions(std::int64_t campaign_id) {
    auto page = accounts_->ListActions(Actor::Operator(), ActionFilter{campaign_id, std::nullopt},
                                       Page{1, 100});
    EXPECT_TRUE(page.has_value());
    std::vector<std::string> out;
    for (auto& e : page->items) out.insert(out.begin(), e.action + " " + e.detail);
    return out;
  }

  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<OrganizingService> organizing_;
};

TEST_F(OrganizingTest, TheCreatorOwnsTheNewCampaignAndTheRecordSaysSo) {
  Actor ana = UserActor("ana@example.org");
  Campaign c = OpenCampaign("new-one");
  c.status = CampaignStatus::kDraft;
  auto made = organizing_->Create(ana, c);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  auto role = store_->accounts().GetMembership(*ana.user_id, made->id);
  ASSERT_TRUE(role.has_value());
  EXPECT_EQ(role->role, CampaignRole::kOwner);
  auto actions = Actions(made->id);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].rfind("campaign.create ", 0), 0u) << actions[0];

  // The operator (no user) cannot own one; a bad campaign names its fields.
  EXPECT_EQ(organizing_->Create(Actor::Operator(), OpenCampaign("op-one")).error().code,
            Code::kForbidden);
  Campaign bad = OpenCampaign("Bad Slug!");
  auto refused = organizing_->Create(ana, bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(refused.error().field_errors.count("slug"));
}

TEST_F(OrganizingTest, EditsNeedTheRightRoleAndAreRecordedWithTheFieldsThatChanged) {
  Actor owner = UserActor("owner@example.org");
  auto made = organizing_->Create(owner, OpenCampaign("edited"));
  ASSERT_TRUE(made.has_value()) << made.error().message;
  Actor editor = UserActor("editor@example.org");
  Actor viewer = UserActor("viewer@example.org");
  Actor stranger = UserActor("stranger@example.org");
  ASSERT_TRUE(accounts_->AddMember(owner, made->id, "editor@example.org", CampaignRole::kEditor));
  ASSERT_TRUE(accounts_->AddMember(owner, made->id, "viewer@example.org", CampaignRole::kViewer));

  Campaign c = *made;
  c.letter_markdown = "A new letter.";
  c.title = "A new title";
  EXPECT_EQ(organizing_->Edit(stranger, c).error().code, Code::kNotFound);
  EXPECT_EQ(organizing_->Edit(viewer, c).error().code, Code::kForbidden);
  auto saved = organizing_->Edit(editor, c);
  ASSERT_TRUE(saved.has_value()) << saved.error().message;
  EXPECT_EQ(saved->title, "A new title");

  // Changing the status is the owner's (kSetStatus), not an editor's.
  Campaign closed = *saved;
  closed.status = CampaignStatus::kClosed;
  EXPECT_EQ(organizing_->Edit(editor, closed).error().code, Code::kForbidden);
  ASSERT_TRUE(organizing_->Edit(owner, closed).has_value());

  // create, two member.add, the editor's edit, the owner's status change.
  auto actions = Actions(made->id);
  ASSERT_EQ(actions.size(), 5u);
  EXPECT_EQ(actions[3], R"(campaign.edit {"fields":["title","letter"]})");
  EXPECT_EQ(actions[4], R"(campaign.edit {"fields":["status"],"status":["open","closed"]})");
  // An edit that changes nothing is not recorded.
  ASSERT_TRUE(organizing_->Edit(owner, *store_->GetCampaignById(made->id)));
  EXPECT_EQ(Actions(made->id).size(), 5u);
}

TEST(ChangedFields, NamesEachFieldThatDiffers) {
  Campaign a;
  Campaign b = a;
  EXPECT_TRUE(ChangedFields(a, b).empty());
  b.letter_markdown = "x";
  b.groups.push_back(DefaultPublicGroup());
  EXPECT_EQ(ChangedFields(a, b), (std::vector<std::string>{"letter", "groups"}));
}

}  // namespace
}  // namespace undersigned::service
