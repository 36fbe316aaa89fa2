#include "service/organizations.h"

#include <nlohmann/json.hpp>

#include "render/logo.h"
#include "service/ids.h"
#include "service/tx/scripts.h"

namespace undersigned::service {
namespace {

bool PlausibleToken(const std::string& t) { return !t.empty() && t.size() <= 128; }

}  // namespace

OrganizationService::OrganizationService(Store& store, CampaignService& campaigns,
                                         const Clock& clock, std::function<void()> wake_mailer)
    : store_(store),
      campaigns_(campaigns),
      clock_(clock),
      wake_mailer_(std::move(wake_mailer)),
      per_address_(clock, RateLimit{10, 1.0 / 60, true}) {}

Result<Organization> OrganizationService::Submit(const std::string& slug, OrganizationForm form,
                                                 std::string_view logo,
                                                 const std::string& remote_address) {
  const UnixTime now = clock_.Now();
  auto snap = campaigns_.OpenForSigning(slug, now);
  if (!snap) return Fail(snap.error());
  const Campaign& campaign = (*snap)->campaign;
  if (!remote_address.empty()) {
    if (int wait = per_address_.Take(remote_address)) {
      return Fail(Error{Code::kTooManyRequests,
                        "Too many organizations from your network. Please wait a little and "
                        "try again.",
                        {},
                        wait});
    }
  }
  auto valid = ValidateOrganizationForm(std::move(form));
  std::string png;
  std::optional<std::string> logo_error;
  if (!logo.empty()) {
    auto normal = render::NormalizeLogo(logo);
    if (normal) {
      png = std::move(*normal);
    } else {
      logo_error = normal.error().message;
      logo_error->front() = static_cast<char>(std::toupper(logo_error->front()));
      *logo_error += ".";
    }
  }
  if (!valid || logo_error) {
    Error e = valid ? Error{Code::kInvalidArgument, "", {}, 0} : valid.error();
    if (logo_error) {
      e.field_errors["logo"] = *logo_error;
      e.message += (e.message.empty() ? "" : " ") + std::string("logo: ") + *logo_error;
    }
    return Fail(std::move(e));
  }
  NewOrganization o;
  o.campaign_id = campaign.id;
  o.uuid = NewUuid();
  o.canonical_email = CanonicalEmail(valid->contact_email);
  o.form = std::move(*valid);
  o.logo_png = std::move(png);
  o.confirm_token = NewToken();
  o.confirm_token_hash = HashToken(o.confirm_token);
  o.mail_payload = nlohmann::json{{"campaign_title", campaign.title},
                                  {"campaign_slug", campaign.slug},
                                  {"language", campaign.language}}
                       .dump();
  o.now = now;
  auto stored = tx::AddOrganization(store_, o);
  if (stored && wake_mailer_) wake_mailer_();
  return stored;
}

Result<OrganizationOutcome> OrganizationService::Confirm(const std::string& token,
                                                         const std::string& remote_address) {
  if (!PlausibleToken(token)) return Fail(Code::kNotFound, "Unknown link.");
  const std::string review = NewToken();
  auto r = GuardToken(token_guard_, remote_address, [&] {
    return tx::ConfirmOrganization(store_, HashToken(token), review, HashToken(review),
                                   clock_.Now());
  });
  if (r && r->changed && wake_mailer_) wake_mailer_();
  return r;
}

Result<OrganizationOutcome> OrganizationService::PeekConfirm(const std::string& token,
                                                             const std::string& remote_address) {
  if (!PlausibleToken(token)) return Fail(Code::kNotFound, "Unknown link.");
  return GuardToken(token_guard_, remote_address,
                    [&] { return store_.FindOrganizationByConfirmToken(HashToken(token)); });
}

Result<OrganizationOutcome> OrganizationService::PeekReview(const std::string& token,
                                                            const std::string& remote_address) {
  if (!PlausibleToken(token)) return Fail(Code::kNotFound, "Unknown link.");
  return GuardToken(token_guard_, remote_address,
                    [&] { return store_.FindOrganizationByReviewToken(HashToken(token)); });
}

Result<OrganizationOutcome> OrganizationService::Review(const std::string& token, bool approve,
                                                        const std::string& remote_address) {
  auto found = PeekReview(token, remote_address);
  if (!found) return found;
  return Decided(tx::DecideOrganization(
      store_, found->organization.uuid,
      approve ? OrganizationDecision::kApprove : OrganizationDecision::kReject, clock_.Now()));
}

Result<OrganizationOutcome> OrganizationService::Decide(const std::string& slug,
                                                        const std::string& uuid,
                                                        OrganizationDecision decision) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  auto list = store_.ListOrganizations(campaign->id, std::nullopt);
  if (!list) return Fail(list.error());
  bool found = false;
  for (const Organization& o : *list) found = found || o.uuid == uuid;
  if (!found) return Fail(Code::kNotFound, "No organization " + uuid + " on " + slug + ".");
  return Decided(tx::DecideOrganization(store_, uuid, decision, clock_.Now()));
}

Result<OrganizationOutcome> OrganizationService::Decided(Result<OrganizationOutcome> r) {
  if (r && r->changed) {
    if (auto reload = campaigns_.ReloadOrganizations(r->campaign.id); !reload) {
      return Fail(reload.error());
    }
  }
  return r;
}

Result<std::vector<Organization>> OrganizationService::List(
    const std::string& slug, std::optional<OrganizationState> state) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  return store_.ListOrganizations(campaign->id, state);
}

Result<std::vector<Organization>> OrganizationService::ListByCampaignId(
    std::int64_t campaign_id, std::optional<OrganizationState> state) {
  return store_.ListOrganizations(campaign_id, state);
}

Result<std::string> OrganizationService::Logo(const std::string& uuid) {
  if (uuid.empty() || uuid.size() > 64) return Fail(Code::kNotFound, "No such logo.");
  return store_.OrganizationLogo(uuid, false);
}

Result<std::string> OrganizationService::LogoForReview(const std::string& uuid) {
  if (uuid.empty() || uuid.size() > 64) return Fail(Code::kNotFound, "No such logo.");
  return store_.OrganizationLogo(uuid, true);
}

}  // namespace undersigned::service
