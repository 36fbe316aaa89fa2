// Every mail a write queues, built in one place: its kind, recipient and JSON payload (what the
// renderer, render/email.h, reads for that kind). Pure functions; the transaction scripts queue
// what they return (WriteTx::QueueMail). No backend builds a payload, in SQL or otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "store/types.h"
#include "store/write_tx.h"

namespace undersigned::tx {

// base (a JSON object, or empty for {}) with string members appended, without parsing base:
// the signing payload is built once per signature on the hot path. kInternal if base is not
// an object.
Result<std::string> ExtendPayload(
    std::string_view base, std::initializer_list<std::pair<const char*, std::string_view>> extra);

// The mail of a signing with its raw token: "confirm" carries it as "token" (its confirm and
// withdraw links both use it), "already_signed" as "withdraw_token" (a withdraw-only token).
// A signature in a group proven by domain gets them at its work address instead, as the
// neutral kinds "verify" and "verify_already", without the name (the employer's mail system
// sees them). Payload: s.mail_payload plus the token, "name" and "signature_uuid".
Result<store::NewMail> SigningMail(const NewSignature& s, std::string_view signature_uuid,
                                   bool with_confirm);

// "outcome" to a signer or an organizer: outcome, role (signer|organizer), campaign_title,
// campaign_slug, language, threshold (null if none), confirmed.
std::string OutcomePayload(const Campaign& c, CampaignOutcome outcome, bool organizer,
                           std::int64_t confirmed);

// "revealed" to a signer whose sealed name a group's count opened: campaign_title,
// campaign_slug, language, group (its name), threshold, name, count.
std::string RevealedPayload(const Campaign& c, const SignerGroup& group, std::int64_t threshold,
                            std::string_view name, std::int64_t count);

// "invalidated" to a signer whose signature the organizers removed (and chose to tell):
// campaign_title, campaign_slug, language. (Not the reason: it is the organizers' record.)
std::string InvalidatedPayload(const Campaign& c);

// "org_confirm" to an organization's contact: o.mail_payload plus confirm_token and
// organization_name.
Result<std::string> OrgConfirmPayload(const NewOrganization& o);

// "org_review" to each organizer: campaign_title, campaign_slug, language, organization_name,
// website, review_token.
std::string OrgReviewPayload(const Campaign& c, const Organization& o,
                             std::string_view review_token);

}  // namespace undersigned::tx
