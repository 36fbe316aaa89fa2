// SigningService: signing, confirming, withdrawing and exporting signatures; the one path that
// the sign form, the OSDI record-signature helper and the CLI all take.
//
// Thread-safe. Holds references to the Store, the CampaignService and the Clock (owned by
// app::App). Calls `wake_mailer` after a commit that queued mail.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "core/rate_limiter.h"
#include "core/signature.h"
#include "service/campaigns.h"
#include "service/completions.h"
#include "service/ids.h"
#include "service/token_guard.h"
#include "store/store.h"

namespace undersigned::service {

struct SigningOptions {
  int max_confirm_sends = 3;                // confirmation mails per signature, counting the first
  RateLimit per_address{600, 1.0, true};    // an office behind one NAT can sign; a script cannot
  RateLimit per_email{5, 1.0 / 600, true};  // 5 at once, then one per 10 minutes
};

// Where a signature comes from.
struct SignContext {
  std::string source = "form";  // "form", "api", "cli"
  std::string remote_address;   // for the per-address limit; empty skips it
  bool trusted = false;         // valid API token: counts at once, no confirmation mail
  SignatureOrigin origin;       // referrer host, utm_*, share channel (checked: ValidateOrigin)
};

struct SignResult {
  SignOutcome::Kind kind;
  Signature signature;
  Campaign campaign;
};

class SigningService {
 public:
  // Reads (or makes) the store's "affiliation-key" secret; throws std::runtime_error if the
  // store cannot (a start-up failure).
  SigningService(Store& store, CampaignService& campaigns, const Clock& clock,
                 SigningOptions options, std::function<void()> wake_mailer);

  // kNotFound (no campaign), kInvalidArgument with field_errors (bad form), kConflict (campaign
  // not open), kTooManyRequests (rate limited; retry_after_seconds set).
  // In a group proven by email domain (form.group, core/group.h) the link goes to the work
  // address and following it both confirms and verifies; a trusted client cannot skip that.
  Result<SignResult> Sign(const std::string& slug, SignatureForm form, const SignContext& ctx);
  // Sign without blocking: the checks run now; done is called exactly once, with what Sign
  // would return, either now (a check failed) or from a store thread once the signature is
  // durable. done must be quick (it runs where the store answers the next commits).
  void SignAsync(const std::string& slug, SignatureForm form, const SignContext& ctx,
                 std::function<void(Result<SignResult>)> done);
  // By raw token (as it came from the mail link). A confirmation mail's confirm and withdraw
  // links carry the same token; Confirm refuses (kNotFound) the withdraw-only token of an
  // "already signed" mail. remote_address: who presented it, for the TokenGuard (empty: not
  // throttled); kTooManyRequests when that address guessed too many.
  Result<TokenOutcome> Confirm(const std::string& token, const std::string& remote_address = "");
  Result<TokenOutcome> Withdraw(const std::string& token, const std::string& remote_address = "");
  // Replaces the comment of the signature with this uuid in campaign campaign_id (what
  // PUT /api/v2/petitions/{id}/signatures/{sid} may change: nothing else). kNotFound if it is not
  // there; kInvalidArgument (field "comment") for a bad comment; kForbidden for a sealed or
  // anonymous signature, whose comment stays as its signer wrote it (it is shown beside "verified
  // employee of ..." and is the signer's only words).
  Result<Signature> EditComment(std::int64_t campaign_id, const std::string& signature_uuid,
                                std::string comment);
  // Read-only, for the page with the button.
  Result<TokenOutcome> PeekConfirm(const std::string& token,
                                   const std::string& remote_address = "");
  Result<TokenOutcome> PeekWithdraw(const std::string& token,
                                    const std::string& remote_address = "");
  // Throttles the token lookups above; guard (owned by the caller, outliving this) may be null.
  void SetTokenGuard(TokenGuard* guard) { token_guard_ = guard; }

  // Confirmed signatures, ready to hand to the target. format: "csv" or "json".
  Result<void> Export(const std::string& slug, const std::string& format, std::ostream& out);

  // --- reads of signatures (the API's; any other surface's)
  // The signature with this uuid, in any state but invalidated (an invalidated signature is
  // gone from every read, as from the lists); kNotFound.
  Result<Signature> GetSignature(const std::string& uuid);
  // A campaign's signatures in every state, newest first; group: only that group's (its key,
  // "public" for a campaign without groups).
  Result<Paged<Signature>> ListSignatures(std::int64_t campaign_id,
                                          const std::optional<std::string>& group,
                                          const TimeFilter& filter, Page page);

  void SweepLimits();

 private:
  // The checks of Sign and the NewSignature to store.
  struct Prepared {
    NewSignature signature;
    Campaign campaign;
  };
  Result<Prepared> Prepare(const std::string& slug, SignatureForm form, const SignContext& ctx);
  // A write reached a campaign's threshold: refresh its snapshot, wake the mailer.
  void DecidedCampaign();
  // After the store answered: tells the campaigns and the mailer.
  Result<SignResult> Finish(Result<SignOutcome> outcome, Campaign campaign, bool trusted);

  // The key that identifies a signer of a domain-proven group: "affiliation:" and a keyed hash
  // of the campaign and the canonical work address, so that the address itself is never stored
  // and an alias of it (case, +tag, Gmail dots) finds the same signature.
  std::string AffiliationKey(const Campaign& campaign, const std::string& work_email) const;

  Store& store_;
  CampaignService& campaigns_;
  std::string affiliation_key_;  // instance secret "affiliation-key"
  const Clock& clock_;
  SigningOptions options_;
  std::function<void()> wake_mailer_;
  RateLimiter per_address_;  // per_email is kept in the store (NewSignature::email_limit)
  // SignAsync's completions run here, never on the store's thread (completions.h). Last: it is
  // destroyed (drained and joined) first, while everything its completions use still exists.
  std::unique_ptr<CompletionThread> completions_ = std::make_unique<CompletionThread>();
  TokenGuard* token_guard_ = nullptr;
};

}  // namespace undersigned::service
