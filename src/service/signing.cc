#include "service/signing.h"

#include <algorithm>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/moderation.h"
#include "core/utf8.h"
#include "service/csv.h"
#include "service/tx/scripts.h"

namespace undersigned::service {
namespace {

Error RateLimited(int seconds, const char* what) {
  return Error{
      Code::kTooManyRequests,
      std::string("Too many signatures from ") + what + ". Please wait a little and try again.",
      {},
      seconds};
}

// The payload of a signature's mail: what it says about the campaign. Made once per campaign
// text on each thread rather than once per signature (a JSON dump is a visible share of a
// signing request).
std::string MailPayload(const Campaign& c) {
  struct Cached {
    std::string title, slug, language, payload;
  };
  thread_local Cached cache;
  if (cache.payload.empty() || cache.title != c.title || cache.slug != c.slug ||
      cache.language != c.language) {
    cache =
        Cached{c.title, c.slug, c.language,
               nlohmann::json{
                   {"campaign_title", c.title}, {"campaign_slug", c.slug}, {"language", c.language}}
                   .dump()};
  }
  return cache.payload;
}

}  // namespace

SigningService::SigningService(Store& store, CampaignService& campaigns, const Clock& clock,
                               SigningOptions options, std::function<void()> wake_mailer)
    : store_(store),
      campaigns_(campaigns),
      clock_(clock),
      options_(options),
      wake_mailer_(std::move(wake_mailer)),
      per_address_(clock, options.per_address) {
  auto key = store_.InstanceSecret("affiliation-key");
  if (!key) throw std::runtime_error("reading the affiliation key: " + key.error().message);
  affiliation_key_ = std::move(*key);
}

std::string SigningService::AffiliationKey(const Campaign& campaign,
                                           const std::string& work_email) const {
  const std::string input = campaign.uuid + "\n" + CanonicalEmail(work_email);
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), reinterpret_cast<const unsigned char*>(affiliation_key_.data()),
                     affiliation_key_.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "affiliation:";
  for (unsigned char b : hash) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<SignResult> SigningService::Sign(const std::string& slug, SignatureForm form,
                                        const SignContext& ctx) {
  auto prepared = Prepare(slug, std::move(form), ctx);
  if (!prepared) return Fail(prepared.error());
  const bool counts_now = prepared->signature.confirm_now;
  return Finish(tx::Sign(store_, prepared->signature), std::move(prepared->campaign), counts_now);
}

void SigningService::SignAsync(const std::string& slug, SignatureForm form, const SignContext& ctx,
                               std::function<void(Result<SignResult>)> done) {
  auto prepared = Prepare(slug, std::move(form), ctx);
  if (!prepared) return done(Fail(prepared.error()));
  const bool counts_now = prepared->signature.confirm_now;
  tx::SignAsync(
      store_, std::move(prepared->signature),
      [this, campaign = std::move(prepared->campaign), trusted = counts_now,
       done = std::move(done)](Result<SignOutcome> outcome) mutable {
        // On the store's thread: only post.
        completions_->Post([this, outcome = std::move(outcome), campaign = std::move(campaign),
                            trusted, done = std::move(done)]() mutable {
          done(Finish(std::move(outcome), std::move(campaign), trusted));
        });
      });
}

Result<SigningService::Prepared> SigningService::Prepare(const std::string& slug,
                                                         SignatureForm form,
                                                         const SignContext& ctx) {
  const UnixTime now = clock_.Now();
  auto snap = campaigns_.OpenForSigning(slug, now);
  if (!snap) return Fail(snap.error());
  const Campaign& campaign = (*snap)->campaign;
  const SignerGroup* group = FindGroup(campaign, form.group);
  if (group == nullptr) {
    return Fail(Error{Code::kInvalidArgument,
                      "group: this campaign has no group '" + form.group + "'.",
                      {{"group", "Choose one of the groups this letter is open to."}},
                      0});
  }
  auto valid = ValidateSignatureForm(std::move(form), *group);
  if (!valid) return Fail(valid.error());
  auto origin = ValidateOrigin(ctx.origin);
  if (!origin) return Fail(origin.error());
  const bool by_domain = ProvenByDomain(group->kind);
  if (valid->protection == Protection::kSealed) {
    // A seal already reached would make the name public the moment it is confirmed; one below
    // the floor (a campaign made before the floor was checked) too early. Neither is offered.
    const std::int64_t confirmed = GroupConfirmed((*snap)->counts, group->key);
    const auto open = OpenSealThresholds(*group, campaign.anonymity_floor, confirmed);
    if (std::find(open.begin(), open.end(), valid->seal_threshold) == open.end()) {
      const std::string n = std::to_string(valid->seal_threshold);
      std::string message =
          confirmed >= valid->seal_threshold
              ? n + " have already signed, so a name sealed until " + n +
                    " would be shown as soon as you confirm. Choose another option."
              : "Sealing until " + n + " is not offered here. Choose another option.";
      return Fail(Error{
          Code::kInvalidArgument, "seal_threshold: " + message, {{"seal_threshold", message}}, 0});
    }
  }

  if (!ctx.remote_address.empty() && !ctx.trusted) {
    if (int wait = per_address_.Take(ctx.remote_address)) {
      return Fail(RateLimited(wait, "your network"));
    }
  }
  NewSignature s;
  s.by_domain = by_domain;
  s.canonical_email =
      by_domain ? AffiliationKey(campaign, valid->work_email) : CanonicalEmail(valid->email);
  if (ProvenByAttestation(group->kind)) s.attestation = group->attestation;
  // The per-email limit is taken in the transaction, from a bucket on the person's row: every
  // node and every restart sees the same one.
  if ((!ctx.trusted || by_domain) && options_.per_email.enabled) {
    s.email_limit = options_.per_email;
  }
  s.campaign_id = campaign.id;
  s.campaign_uuid = campaign.uuid;
  s.text_hash = (*snap)->text_hash();  // from memory: the writer checks it is still current
  s.form = std::move(*valid);
  s.source = ctx.source;
  s.origin = std::move(*origin);
  s.confirm_now = ctx.trusted && !by_domain;  // only the work mailbox can verify
  // One token for the mail this signing sends: its confirm and withdraw links both carry it
  // (the store keeps it withdraw-only when the mail is an "already signed" one). A signature
  // that counts at once is mailed nothing and gets none.
  if (!s.confirm_now) {
    s.token = NewToken();
    s.token_hash = HashToken(s.token);
  }
  s.mail_payload = MailPayload(campaign);
  s.client_net = ClientNetwork(ctx.remote_address);  // moderation: /24 or /48 only
  s.max_confirm_sends = options_.max_confirm_sends;
  s.now = now;
  return Prepared{std::move(s), campaign};
}

// trusted: the signature counted at once (confirm_now), so no mail was queued.
Result<SignResult> SigningService::Finish(Result<SignOutcome> outcome, Campaign campaign,
                                          bool trusted) {
  if (!outcome) return Fail(outcome.error());
  if (outcome->rate_limited_seconds > 0) {
    return Fail(RateLimited(outcome->rate_limited_seconds, "this email address"));
  }
  const bool counted_public = outcome->signature.state == SignatureState::kConfirmed &&
                              outcome->signature.form.public_name && trusted;
  campaigns_.OnSignatureChange(campaign.id, outcome->counts,
                               counted_public ? &outcome->signature : nullptr, false);
  if (outcome->campaign_decided) DecidedCampaign();
  const bool mailed = outcome->kind != SignOutcome::Kind::kResendLimit && !trusted;
  if (mailed && wake_mailer_) wake_mailer_();
  return SignResult{outcome->kind, std::move(outcome->signature), std::move(campaign)};
}

Result<TokenOutcome> SigningService::Confirm(const std::string& token,
                                             const std::string& remote_address) {
  if (token.empty() || token.size() > 128) return Fail(Code::kNotFound, "Unknown link.");
  auto r = GuardToken(token_guard_, remote_address,
                      [&] { return tx::Confirm(store_, HashToken(token), clock_.Now()); });
  if (!r) return r;
  if (r->campaign_decided) DecidedCampaign();
  if (r->changed) {
    // A reveal made a group's sealed names public at once: the recent signers are re-read.
    campaigns_.OnSignatureChange(r->campaign.id, r->counts,
                                 r->signature.form.public_name ? &r->signature : nullptr,
                                 r->revealed > 0);
  }
  if (r->revealed > 0 && wake_mailer_) wake_mailer_();
  return r;
}

Result<TokenOutcome> SigningService::Withdraw(const std::string& token,
                                              const std::string& remote_address) {
  if (token.empty() || token.size() > 128) return Fail(Code::kNotFound, "Unknown link.");
  auto r = GuardToken(token_guard_, remote_address,
                      [&] { return tx::Withdraw(store_, HashToken(token), clock_.Now()); });
  if (!r) return r;
  if (r->changed) {
    campaigns_.OnSignatureChange(r->campaign.id, r->counts, nullptr, r->signature.form.public_name);
  }
  return r;
}

Result<Signature> SigningService::EditComment(std::int64_t campaign_id,
                                              const std::string& signature_uuid,
                                              std::string comment) {
  auto s = store_.GetSignatureByUuid(signature_uuid);
  if (!s) return s;
  if (s->campaign_id != campaign_id) return Fail(Code::kNotFound, "no such signature");
  if (DayRounded(*s) || s->sealed) {
    return Fail(Code::kForbidden,
                "the comment of a sealed or anonymous signature cannot be changed through the API");
  }
  auto checked = ValidateComment(std::move(comment));
  if (!checked) return Fail(checked.error());
  auto updated = store_.SetSignatureComment(signature_uuid, *checked, clock_.Now());
  if (!updated) return updated;
  // A confirmed public signer's comment is on the campaign page: have its list re-read.
  if (updated->state == SignatureState::kConfirmed && updated->form.public_name) {
    if (auto snap = campaigns_.SnapshotById(campaign_id)) {
      campaigns_.OnSignatureChange(campaign_id, snap->counts, nullptr, /*withdrawn_public=*/true);
    }
  }
  return updated;
}

Result<TokenOutcome> SigningService::PeekConfirm(const std::string& token,
                                                 const std::string& remote_address) {
  if (token.empty() || token.size() > 128) return Fail(Code::kNotFound, "Unknown link.");
  return GuardToken(token_guard_, remote_address,
                    [&] { return store_.FindByConfirmToken(HashToken(token)); });
}

Result<TokenOutcome> SigningService::PeekWithdraw(const std::string& token,
                                                  const std::string& remote_address) {
  if (token.empty() || token.size() > 128) return Fail(Code::kNotFound, "Unknown link.");
  return GuardToken(token_guard_, remote_address,
                    [&] { return store_.FindByWithdrawToken(HashToken(token)); });
}

Result<void> SigningService::Export(const std::string& slug, const std::string& format,
                                    std::ostream& out) {
  if (format != "csv" && format != "json") {
    return Fail(Code::kInvalidArgument, "format must be csv or json");
  }
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  // The export is what the organizer hands to the target: names and places, never email
  // addresses. A sealed name is not in the store to export (only the reveal opens it); sealed
  // and anonymous signatures are dated to the day.
  auto signed_at = [](const Signature& s) {
    UnixTime t = s.confirmed.value_or(s.created);
    return DayRounded(s) ? FormatIso8601(StartOfDay(t)).substr(0, 10) : FormatIso8601(t);
  };
  auto visibility = [](const Signature& s) -> const char* {
    if (s.sealed) return "sealed";
    if (s.form.protection == Protection::kAnonymous) return "anonymous";
    return s.form.public_name ? "public" : "private";
  };
  if (format == "csv") {
    out << "name,group,verified,visibility,postal_code,country,comment,signed_at\r\n";
    return store_.ForEachConfirmed(campaign->id, [&](const Signature& s) {
      out << CsvField(s.form.name) << ',' << CsvField(s.form.group) << ','
          << (s.verified ? "yes" : "no") << ',' << visibility(s) << ','
          << CsvField(s.form.postal_code) << ',' << CsvField(s.form.country) << ','
          << CsvField(s.form.comment) << ',' << signed_at(s) << "\r\n";
      return static_cast<bool>(out);
    });
  }
  out << "{\"campaign\":" << nlohmann::json{{"slug", campaign->slug}, {"title", campaign->title}}
      << ",\"signatures\":[";
  bool first = true;
  auto r = store_.ForEachConfirmed(campaign->id, [&](const Signature& s) {
    nlohmann::json j{{"name", s.form.name},
                     {"group", s.form.group},
                     {"verified", s.verified},
                     {"visibility", visibility(s)},
                     {"postal_code", s.form.postal_code},
                     {"country", s.form.country},
                     {"comment", s.form.comment},
                     {"public_name", s.form.public_name},
                     {"signed_at", signed_at(s)}};
    out << (first ? "\n" : ",\n") << j.dump();
    first = false;
    return static_cast<bool>(out);
  });
  out << "\n]}\n";
  return r;
}

void SigningService::SweepLimits() { per_address_.Sweep(); }

void SigningService::DecidedCampaign() {
  // The campaign's outcome is on its stored row: install it, and send the outcome mail.
  if (auto r = campaigns_.Refresh(); !r) {
    spdlog::warn("signing: refreshing campaigns after an outcome: {}", r.error().message);
  }
  if (wake_mailer_) wake_mailer_();
}

Result<Signature> SigningService::GetSignature(const std::string& uuid) {
  auto s = store_.GetSignatureByUuid(uuid);
  if (s && s->state == SignatureState::kInvalidated) {
    return Fail(Code::kNotFound, "No signature " + uuid + ": it was invalidated.");
  }
  return s;
}

Result<Paged<Signature>> SigningService::ListSignatures(std::int64_t campaign_id,
                                                        const std::optional<std::string>& group,
                                                        const TimeFilter& filter, Page page) {
  if (group) return store_.ListSignaturesInGroup(campaign_id, *group, filter, page);
  return store_.ListSignatures(campaign_id, filter, page);
}

}  // namespace undersigned::service
