#include "core/roles.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace undersigned {
namespace {

using A = CampaignAction;
using R = CampaignRole;

// The whole table of core/roles.h, written out: every (role, action) pair is checked.
const std::map<A, std::set<R>>& Table() {
  static const std::map<A, std::set<R>> t = {
      {A::kView, {R::kOwner, R::kEditor, R::kModerator, R::kViewer}},
      {A::kViewSigners, {R::kOwner, R::kEditor, R::kModerator, R::kViewer}},
      {A::kViewActions, {R::kOwner, R::kEditor, R::kModerator}},
      {A::kModerate, {R::kOwner, R::kEditor, R::kModerator}},
      {A::kApproveOrganizations, {R::kOwner, R::kEditor, R::kModerator}},
      {A::kInvalidate, {R::kOwner, R::kEditor, R::kModerator}},
      {A::kExport, {R::kOwner, R::kEditor}},
      {A::kEdit, {R::kOwner, R::kEditor}},
      {A::kSendUpdate, {R::kOwner, R::kEditor}},
      {A::kDeliver, {R::kOwner, R::kEditor}},
      {A::kSetStatus, {R::kOwner}},
      {A::kManageMembers, {R::kOwner}},
      {A::kManageTokens, {R::kOwner}},
  };
  return t;
}

TEST(RolesTest, EveryRoleAndActionAsTheTableSays) {
  ASSERT_EQ(Table().size(), std::size(kAllCampaignActions));
  int checked = 0;
  for (A a : kAllCampaignActions) {
    const auto& allowed = Table().at(a);
    for (R r : kAllCampaignRoles) {
      EXPECT_EQ(MayDo(false, r, a), allowed.count(r) == 1) << RoleName(r) << " " << ActionName(a);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 13 * 4);
}

TEST(RolesTest, AdministratorsMayDoEverythingEvenWithoutARole) {
  for (A a : kAllCampaignActions) {
    EXPECT_TRUE(MayDo(true, std::nullopt, a)) << ActionName(a);
    for (R r : kAllCampaignRoles) EXPECT_TRUE(MayDo(true, r, a));
  }
}

TEST(RolesTest, NoRoleMayDoNothing) {
  for (A a : kAllCampaignActions) EXPECT_FALSE(MayDo(false, std::nullopt, a)) << ActionName(a);
}

TEST(RolesTest, NamesRoundTripAndUnknownNamesAreRefused) {
  std::set<std::string> names;
  for (R r : kAllCampaignRoles) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
    names.insert(RoleName(r));
  }
  EXPECT_EQ(names.size(), 4u);
  for (A a : kAllCampaignActions) {
    EXPECT_EQ(ParseAction(ActionName(a)), a);
    names.insert(ActionName(a));
  }
  EXPECT_EQ(names.size(), 4u + 13u);
  EXPECT_FALSE(ParseRole("admin").has_value());
  EXPECT_FALSE(ParseRole("Owner").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
  EXPECT_FALSE(ParseAction("delete_everything").has_value());
}

}  // namespace
}  // namespace undersigned
