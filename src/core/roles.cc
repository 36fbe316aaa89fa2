#include "core/roles.h"

namespace undersigned {
namespace {

// The lowest role that may do each action (roles are ordered: owner > editor > moderator >
// viewer, and each may do what those below it may).
CampaignRole LeastRoleFor(CampaignAction action) {
  switch (action) {
    case CampaignAction::kView:
    case CampaignAction::kViewSigners:
      return CampaignRole::kViewer;
    case CampaignAction::kViewActions:
    case CampaignAction::kModerate:
    case CampaignAction::kApproveOrganizations:
    case CampaignAction::kInvalidate:
      return CampaignRole::kModerator;
    case CampaignAction::kExport:
    case CampaignAction::kEdit:
    case CampaignAction::kSendUpdate:
    case CampaignAction::kDeliver:
      return CampaignRole::kEditor;
    case CampaignAction::kSetStatus:
    case CampaignAction::kManageMembers:
    case CampaignAction::kManageTokens:
      return CampaignRole::kOwner;
  }
  return CampaignRole::kOwner;  // unreachable; the strictest answer
}

// Higher is more powerful.
int Rank(CampaignRole role) {
  switch (role) {
    case CampaignRole::kOwner:
      return 3;
    case CampaignRole::kEditor:
      return 2;
    case CampaignRole::kModerator:
      return 1;
    case CampaignRole::kViewer:
      return 0;
  }
  return -1;
}

}  // namespace

bool MayDo(bool instance_admin, std::optional<CampaignRole> role, CampaignAction action) {
  if (instance_admin) return true;
  if (!role) return false;
  return Rank(*role) >= Rank(LeastRoleFor(action));
}

const char* RoleName(CampaignRole role) {
  switch (role) {
    case CampaignRole::kOwner:
      return "owner";
    case CampaignRole::kEditor:
      return "editor";
    case CampaignRole::kModerator:
      return "moderator";
    case CampaignRole::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::optional<CampaignRole> ParseRole(std::string_view name) {
  for (CampaignRole r : kAllCampaignRoles) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

const char* ActionName(CampaignAction action) {
  switch (action) {
    case CampaignAction::kView:
      return "view";
    case CampaignAction::kViewSigners:
      return "view_signers";
    case CampaignAction::kViewActions:
      return "view_actions";
    case CampaignAction::kModerate:
      return "moderate";
    case CampaignAction::kApproveOrganizations:
      return "approve_orgs";
    case CampaignAction::kInvalidate:
      return "invalidate";
    case CampaignAction::kExport:
      return "export";
    case CampaignAction::kEdit:
      return "edit";
    case CampaignAction::kSendUpdate:
      return "send_update";
    case CampaignAction::kDeliver:
      return "deliver";
    case CampaignAction::kSetStatus:
      return "set_status";
    case CampaignAction::kManageMembers:
      return "manage_members";
    case CampaignAction::kManageTokens:
      return "manage_tokens";
  }
  return "view";
}

std::optional<CampaignAction> ParseAction(std::string_view name) {
  for (CampaignAction a : kAllCampaignActions) {
    if (name == ActionName(a)) return a;
  }
  return std::nullopt;
}

}  // namespace undersigned
