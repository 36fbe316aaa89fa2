#include "service/organizing.h"

#include <sodium.h>

#include <gtest/gtest.h>

#include "render/test_images.h"
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

TEST_F(OrganizingTest, APictureIsReencodedDescribedAuthorizedAndRecorded) {
  Actor owner = UserActor("owner@example.org");
  auto made = organizing_->Create(owner, OpenCampaign("pictured"));
  ASSERT_TRUE(made.has_value()) << made.error().message;
  Actor viewer = UserActor("viewer@example.org");
  Actor stranger = UserActor("stranger@example.org");
  ASSERT_TRUE(accounts_->AddMember(owner, made->id, "viewer@example.org", CampaignRole::kViewer));
  const std::string& png = render::test::kPng;

  EXPECT_EQ(organizing_->SetImage(stranger, made->id, png, "A picture").error().code,
            Code::kNotFound);
  EXPECT_EQ(organizing_->SetImage(viewer, made->id, png, "A picture").error().code,
            Code::kForbidden);
  // What is wrong is said per field: the file, then the description.
  auto not_image = organizing_->SetImage(owner, made->id, "GIF89a", "A picture");
  ASSERT_FALSE(not_image.has_value());
  EXPECT_EQ(not_image.error().field_errors.at("image"), "the picture must be a PNG or JPEG image");
  auto no_alt = organizing_->SetImage(owner, made->id, png, " ");
  ASSERT_FALSE(no_alt.has_value());
  EXPECT_TRUE(no_alt.error().field_errors.count("image_alt"));
  auto no_file = organizing_->SetImage(owner, made->id, "", "A picture");
  ASSERT_FALSE(no_file.has_value());
  EXPECT_TRUE(no_file.error().field_errors.count("image"));
  EXPECT_FALSE(store_->GetCampaignById(made->id)->image.has_value());

  auto set = organizing_->SetImage(owner, made->id, png, "Four pixels of protest");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  ASSERT_TRUE(set->image.has_value());
  EXPECT_EQ(set->image->width, 4);
  EXPECT_EQ(set->image->height, 4);
  EXPECT_EQ(set->image->sha256.size(), 64u);
  // Kept as a JPEG; the snapshot pages are served from has it, and the bytes are served from it.
  auto jpeg = store_->CampaignImageJpeg(made->id);
  ASSERT_TRUE(jpeg.has_value());
  EXPECT_EQ(jpeg->substr(0, 3), "\xff\xd8\xff");
  auto snap = campaigns_->SnapshotById(made->id);
  ASSERT_TRUE(snap && snap->campaign.image);
  EXPECT_EQ(snap->campaign.image->alt, "Four pixels of protest");
  auto bytes = campaigns_->ImageBytes(made->id, *snap->campaign.image);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(**bytes, *jpeg);

  // A new description alone keeps the bytes; the same again changes and records nothing.
  auto described = organizing_->SetImage(owner, made->id, "", "Four pixels, described anew");
  ASSERT_TRUE(described.has_value()) << described.error().message;
  EXPECT_EQ(described->image->sha256, set->image->sha256);
  EXPECT_EQ(described->image->alt, "Four pixels, described anew");
  ASSERT_TRUE(organizing_->SetImage(owner, made->id, "", "Four pixels, described anew"));
  // A snapshot naming the older bytes gets nothing once they are replaced.
  CampaignImage old = *set->image;
  old.sha256 = std::string(64, '0');
  EXPECT_EQ(campaigns_->ImageBytes(made->id, old).error().code, Code::kNotFound);

  EXPECT_EQ(organizing_->RemoveImage(viewer, made->id).error().code, Code::kForbidden);
  auto removed = organizing_->RemoveImage(owner, made->id);
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_FALSE(removed->image.has_value());
  EXPECT_FALSE(campaigns_->SnapshotById(made->id)->campaign.image.has_value());
  ASSERT_TRUE(organizing_->RemoveImage(owner, made->id));  // nothing to remove: not recorded

  // create, member.add, set, describe, remove.
  auto actions = Actions(made->id);
  ASSERT_EQ(actions.size(), 5u);
  EXPECT_EQ(actions[2],
            R"(campaign.image {"alt":"Four pixels of protest","height":4,"new_file":true,)"
            R"("replaced":false,"width":4})");
  EXPECT_EQ(actions[3],
            R"(campaign.image {"alt":"Four pixels, described anew","height":4,"new_file":false,)"
            R"("replaced":true,"width":4})");
  EXPECT_EQ(actions[4], R"(campaign.image {"alt":"Four pixels, described anew","removed":true})");
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
