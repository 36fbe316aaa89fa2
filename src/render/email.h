// The texts of outgoing mail, rendered from an outbox row. Mail-agnostic: the result is plain
// strings that app/ maps to mail::MailMessage. Pure function, thread-safe.
#pragma once

#include <string>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::render {

struct RenderedEmail {
  std::string subject;  // one line, no CR/LF
  std::string text;     // plain-text body, LF line endings
  std::string html;     // optional HTML alternative (same content); may be empty
};

// Kinds:
//   "confirm"         payload {campaign_title, campaign_slug, token}: link
//                     <base_url>/s/confirm?t=<token> (a page with a button) and link
//                     <base_url>/s/withdraw?t=<token>: one token (the store's signing kind)
//                     serves both links, since they always travel together.
//   "already_signed"  payload {campaign_title, campaign_slug, withdraw_token}: says the
//                     signature is already counted; withdraw link (left out if the payload
//                     has no withdraw_token), whose token can withdraw but not confirm.
//   "outcome"         payload {outcome: succeeded|failed, role: signer|organizer,
//                     campaign_title, campaign_slug, threshold, confirmed}: a campaign with a
//                     threshold reached it, or its deadline passed first (store.h).
//   "verify"          payload as "confirm", but sent to a work address (a group proven by
//                     domain): neutral, naming no campaign or cause.
//   "verify_already"  payload as "already_signed", equally neutral.
//   "revealed"        payload {campaign_title, campaign_slug, group, threshold}: a sealed name
//                     was revealed when its group reached the threshold its signer chose.
//   "org_confirm"     payload {campaign_title, campaign_slug, organization_name,
//                     confirm_token}: to an organization's contact; link <base>/o/confirm?t=.
//   "org_review"      payload {campaign_title, campaign_slug, organization_name, website,
//                     review_token}: to each organizer; link <base>/o/review?t=.
//   "account_invite", "sign_in_link": organizer accounts' mail (render/account_email.h).
// The signer's name (payload "name") is deliberately not used: anyone can type any address
// into the form, so nothing a visitor typed is echoed into mail sent to someone else.
// base_url has no trailing slash ("https://sign.example.org"; one is stripped if present).
// kInvalidArgument for an unknown kind, a payload that is not a JSON object, or a missing key.
Result<RenderedEmail> RenderEmail(const OutboxMessage& message, const std::string& base_url);

}  // namespace undersigned::render
