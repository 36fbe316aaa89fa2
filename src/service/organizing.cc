#include "service/organizing.h"

#include <utility>

#include <nlohmann/json.hpp>

namespace undersigned::service {

std::vector<std::string> ChangedFields(const Campaign& a, const Campaign& b) {
  std::vector<std::string> out;
  auto check = [&](bool differs, const char* name) {
    if (differs) out.emplace_back(name);
  };
  check(a.slug != b.slug, "slug");
  check(a.title != b.title, "title");
  check(a.demand != b.demand, "demand");
  check(a.letter_markdown != b.letter_markdown, "letter");
  check(a.description != b.description, "description");
  check(a.organized_by != b.organized_by, "organized_by");
  check(a.targets != b.targets, "targets");
  check(a.goal != b.goal, "goal");
  check(a.deadline != b.deadline, "deadline");
  check(a.time_zone != b.time_zone, "time_zone");
  check(a.status != b.status, "status");
  check(a.language != b.language, "language");
  check(a.threshold != b.threshold, "threshold");
  check(a.organizers != b.organizers, "organizers");
  check(a.groups != b.groups, "groups");
  check(a.anonymity_floor != b.anonymity_floor, "anonymity_floor");
  return out;
}

OrganizingService::OrganizingService(CampaignService& campaigns, AccountService& accounts,
                                     Store& store, const Clock& clock)
    : campaigns_(campaigns), accounts_(accounts), store_(store), clock_(clock) {}

Result<Campaign> OrganizingService::Create(const Actor& by, Campaign c) {
  if (!by.user_id) {
    return Fail(Code::kForbidden,
                "A campaign made in the console needs a signed-in organizer to own it");
  }
  auto user = store_.accounts().GetUser(*by.user_id);
  if (!user) return Fail(user.error());
  if (user->disabled) return Fail(Code::kForbidden, "This account is disabled");
  c.id = 0;
  c.uuid.clear();
  auto made = campaigns_.Create(std::move(c));
  if (!made) return made;
  // Not in the campaign's transaction (two stores' worth of tables): should this fail, the
  // campaign exists without an owner, and an administrator can still add one.
  if (auto m =
          store_.accounts().AddMembership(user->id, made->id, CampaignRole::kOwner, clock_.Now());
      !m) {
    return Fail(m.error());
  }
  if (auto r = accounts_.Record(by, made->id, "campaign.create", made->slug,
                                {{"title", made->title}, {"status", StatusName(made->status)}});
      !r) {
    return Fail(r.error());
  }
  return made;
}

Result<Campaign> OrganizingService::Edit(const Actor& by, Campaign c) {
  auto before = store_.GetCampaignById(c.id);
  if (!before) return Fail(before.error());
  if (auto ok = accounts_.Authorize(by, before->id, CampaignAction::kEdit); !ok) {
    return Fail(ok.error());
  }
  if (c.status != before->status) {
    if (auto ok = accounts_.Authorize(by, before->id, CampaignAction::kSetStatus); !ok) {
      return Fail(ok.error());
    }
  }
  c.uuid = before->uuid;
  c.identifiers = before->identifiers;
  std::vector<std::string> changed = ChangedFields(*before, c);
  if (changed.empty()) return *before;
  auto saved = campaigns_.Update(std::move(c));
  if (!saved) return saved;
  nlohmann::json detail = {{"fields", changed}};
  if (saved->status != before->status) {
    detail["status"] =
        nlohmann::json::array({StatusName(before->status), StatusName(saved->status)});
  }
  if (auto r = accounts_.Record(by, saved->id, "campaign.edit", saved->slug, detail); !r) {
    return Fail(r.error());
  }
  return saved;
}

Result<Campaign> OrganizingService::SetImage(const Actor& by, std::int64_t campaign_id,
                                             std::string_view uploaded, const std::string& alt) {
  if (auto ok = accounts_.Authorize(by, campaign_id, CampaignAction::kEdit); !ok) {
    return Fail(ok.error());
  }
  auto before = store_.GetCampaignById(campaign_id);
  if (!before) return Fail(before.error());
  auto saved = campaigns_.SetImage(campaign_id, uploaded, alt);
  if (!saved) return saved;
  if (saved->image == before->image) return saved;
  nlohmann::json detail = {{"alt", saved->image->alt},
                           {"width", saved->image->width},
                           {"height", saved->image->height},
                           {"replaced", before->image.has_value()},
                           {"new_file", !uploaded.empty()}};
  if (auto r = accounts_.Record(by, saved->id, "campaign.image", saved->slug, detail); !r) {
    return Fail(r.error());
  }
  return saved;
}

Result<Campaign> OrganizingService::RemoveImage(const Actor& by, std::int64_t campaign_id) {
  if (auto ok = accounts_.Authorize(by, campaign_id, CampaignAction::kEdit); !ok) {
    return Fail(ok.error());
  }
  auto before = store_.GetCampaignById(campaign_id);
  if (!before) return Fail(before.error());
  if (!before->image) return before;
  auto saved = campaigns_.RemoveImage(campaign_id);
  if (!saved) return saved;
  if (auto r = accounts_.Record(by, saved->id, "campaign.image", saved->slug,
                                {{"removed", true}, {"alt", before->image->alt}});
      !r) {
    return Fail(r.error());
  }
  return saved;
}

}  // namespace undersigned::service
