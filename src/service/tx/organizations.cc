// Co-signing organizations (tx::AddOrganization, ConfirmOrganization, DecideOrganization):
// pending -> confirmed (the contact followed the mailed link; the organizers are asked to
// review) -> approved or rejected, and approved -> rejected when an approval is withdrawn
// (rules.h's DecideOrganizationState).
#include <algorithm>
#include <utility>

#include "service/tx/mails.h"
#include "service/tx/rules.h"
#include "service/tx/scripts.h"
#include "store/random.h"
#include "store/write.h"

namespace undersigned::tx {

Result<Organization> AddOrganizationTx(store::WriteTx& tx, const NewOrganization& in) {
  Organization o;
  o.uuid = in.uuid.empty() ? store::NewUuid() : in.uuid;
  o.campaign_id = in.campaign_id;
  o.form = in.form;
  o.canonical_email = in.canonical_email;
  o.has_logo = !in.logo_png.empty();
  o.created = o.modified = in.now;
  auto payload = OrgConfirmPayload(in);
  if (!payload) return Fail(payload.error());
  auto stored = tx.InsertOrganization(o, in.confirm_token_hash, in.logo_png);
  if (!stored) {
    if (stored.error().code == Code::kConflict) {
      return Fail(Code::kConflict,
                  "This address has already put an organization on this letter; follow the "
                  "link we sent to it.");
    }
    return Fail(stored.error());
  }
  if (auto r = tx.QueueMail(
          store::NewMail{"org_confirm", in.form.contact_email, std::move(*payload), in.now, false});
      !r) {
    return Fail(r.error());
  }
  return stored;
}

Result<OrganizationOutcome> ConfirmOrganizationTx(store::WriteTx& tx,
                                                  const std::string& confirm_token_hash,
                                                  const std::string& review_token,
                                                  const std::string& review_token_hash,
                                                  UnixTime now) {
  auto o = tx.OrganizationByConfirmToken(confirm_token_hash);
  if (!o) return Fail(o.error());
  auto campaign = tx.CampaignById(o->campaign_id);
  if (!campaign) return Fail(campaign.error());
  OrganizationOutcome out{std::move(*o), **campaign, false};
  if (out.organization.state != OrganizationState::kPending) return out;
  out.organization.state = OrganizationState::kConfirmed;
  out.organization.modified = now;
  if (auto r = tx.SaveOrganization(out.organization, review_token_hash); !r) {
    return Fail(r.error());
  }
  const std::string payload = OrgReviewPayload(out.campaign, out.organization, review_token);
  for (const std::string& organizer : out.campaign.organizers) {
    if (auto r = tx.QueueMail(store::NewMail{"org_review", organizer, payload, now, false}); !r) {
      return Fail(r.error());
    }
  }
  out.changed = true;
  return out;
}

Result<OrganizationOutcome> DecideOrganizationTx(store::WriteTx& tx, const std::string& uuid,
                                                 OrganizationDecision decision, UnixTime now) {
  auto o = tx.OrganizationByUuid(uuid);
  if (!o) return Fail(o.error());
  auto campaign = tx.CampaignById(o->campaign_id);
  if (!campaign) return Fail(campaign.error());
  OrganizationOutcome out{std::move(*o), **campaign, false};
  auto target = DecideOrganizationState(out.organization.state, decision);
  if (!target) return Fail(target.error());
  if (!*target) return out;
  Organization& org = out.organization;
  org.state = **target;
  org.decided = now;
  org.modified = now;
  if (auto r = tx.SaveOrganization(org, ""); !r) return Fail(r.error());
  // The campaign's page changes: its modified date moves, so that every process's
  // CampaignService::Refresh picks the decision up.
  if (auto r = tx.TouchCampaign(org.campaign_id, now); !r) return Fail(r.error());
  out.campaign.modified = std::max(out.campaign.modified, now);
  out.changed = true;
  return out;
}

Result<Organization> AddOrganization(Store& store, const NewOrganization& o) {
  return store::RunWrite<Organization>(
      store, [&](store::WriteTx& tx) { return AddOrganizationTx(tx, o); });
}

Result<OrganizationOutcome> ConfirmOrganization(Store& store, const std::string& confirm_token_hash,
                                                const std::string& review_token,
                                                const std::string& review_token_hash,
                                                UnixTime now) {
  return store::RunWrite<OrganizationOutcome>(store, [&](store::WriteTx& tx) {
    return ConfirmOrganizationTx(tx, confirm_token_hash, review_token, review_token_hash, now);
  });
}

Result<OrganizationOutcome> DecideOrganization(Store& store, const std::string& uuid,
                                               OrganizationDecision decision, UnixTime now) {
  return store::RunWrite<OrganizationOutcome>(
      store, [&](store::WriteTx& tx) { return DecideOrganizationTx(tx, uuid, decision, now); });
}

}  // namespace undersigned::tx
