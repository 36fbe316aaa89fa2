#include "service/organization_review.h"

#include <algorithm>

namespace undersigned::service {

Result<Campaign> OrganizationReviewService::Authorized(const Actor& by, const std::string& slug) {
  auto c = campaigns_.GetBySlug(slug);
  if (!c) return Fail(c.error());
  if (auto ok = accounts_.Authorize(by, c->id, CampaignAction::kApproveOrganizations); !ok) {
    return Fail(ok.error());
  }
  return c;
}

Result<std::vector<Organization>> OrganizationReviewService::List(const Actor& by,
                                                                  const std::string& slug) {
  auto c = Authorized(by, slug);
  if (!c) return Fail(c.error());
  return organizations_.ListByCampaignId(c->id, std::nullopt);
}

Result<OrganizationOutcome> OrganizationReviewService::Decide(const Actor& by,
                                                              const std::string& slug,
                                                              const std::string& uuid,
                                                              OrganizationDecision decision) {
  auto c = Authorized(by, slug);
  if (!c) return Fail(c.error());
  auto r = organizations_.Decide(c->slug, uuid, decision);
  if (!r) return r;
  if (r->changed) {
    const std::string action = std::string("organization.") + OrganizationDecisionName(decision);
    if (auto rec = accounts_.Record(by, c->id, action, uuid,
                                    {{"name", r->organization.form.name},
                                     {"state", OrganizationStateName(r->organization.state)}});
        !rec) {
      return Fail(rec.error());
    }
  }
  return r;
}

Result<std::string> OrganizationReviewService::Logo(const Actor& by, const std::string& slug,
                                                    const std::string& uuid) {
  auto list = List(by, slug);
  if (!list) return Fail(list.error());
  const bool ours = std::any_of(list->begin(), list->end(),
                                [&](const Organization& o) { return o.uuid == uuid; });
  if (!ours) return Fail(Code::kNotFound, "No such organization on this campaign.");
  return organizations_.LogoForReview(uuid);
}

}  // namespace undersigned::service
