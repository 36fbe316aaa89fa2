// Who may do what in the organizer console: the instance administrator, and on each campaign
// one of four roles (owner, editor, moderator, viewer). One function, MayDo, decides every
// campaign action; service/accounts.h asks it with the membership read fresh from the store.
// Pure logic, no I/O; thread-safe.
//
// The table (instance administrators may do everything, on every campaign):
//
//   action            owner  editor  moderator  viewer
//   view                x      x        x         x     dashboard, counts, draft preview
//   view_signers        x      x        x         x     the list the public export shows
//   view_actions        x      x        x               the record of organizer actions
//   moderate            x      x        x               hide comments/names, comment queue
//   approve_orgs        x      x        x               co-signing organizations
//   invalidate          x      x        x               invalidate signatures (fraud)
//   export              x      x                        CSV/JSON export of signers
//   edit                x      x                        text, targets, groups, settings
//   send_update         x      x                        updates to signers
//   deliver             x      x                        delivery to the targets
//   set_status          x                               open, close
//   manage_members      x                               add, change, remove organizers
//   manage_tokens       x                               the campaign's API tokens
#pragma once

#include <optional>
#include <string_view>

namespace undersigned {

enum class CampaignRole { kOwner, kEditor, kModerator, kViewer };

enum class CampaignAction {
  kView,
  kViewSigners,
  kViewActions,
  kModerate,
  kApproveOrganizations,
  kInvalidate,
  kExport,
  kEdit,
  kSendUpdate,
  kDeliver,
  kSetStatus,
  kManageMembers,
  kManageTokens,
};
inline constexpr CampaignAction kAllCampaignActions[] = {
    CampaignAction::kView,
    CampaignAction::kViewSigners,
    CampaignAction::kViewActions,
    CampaignAction::kModerate,
    CampaignAction::kApproveOrganizations,
    CampaignAction::kInvalidate,
    CampaignAction::kExport,
    CampaignAction::kEdit,
    CampaignAction::kSendUpdate,
    CampaignAction::kDeliver,
    CampaignAction::kSetStatus,
    CampaignAction::kManageMembers,
    CampaignAction::kManageTokens,
};
inline constexpr CampaignRole kAllCampaignRoles[] = {
    CampaignRole::kOwner, CampaignRole::kEditor, CampaignRole::kModerator, CampaignRole::kViewer};

// Whether someone may do action on a campaign: an instance administrator always; anyone else
// only through their role on that campaign (none: nothing at all).
bool MayDo(bool instance_admin, std::optional<CampaignRole> role, CampaignAction action);

// "owner", "editor", "moderator", "viewer"; Parse* returns nullopt for anything else.
const char* RoleName(CampaignRole role);
std::optional<CampaignRole> ParseRole(std::string_view name);
// "view", "view_signers", ... as in the table above.
const char* ActionName(CampaignAction action);
std::optional<CampaignAction> ParseAction(std::string_view name);

}  // namespace undersigned
