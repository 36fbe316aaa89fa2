// The texts of the organizer accounts' mail (service/accounts.h queues them): an invitation to
// organize, and a one-time sign-in link. RenderEmail (email.h) hands these kinds here. Pure
// functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include "core/error.h"

#include "render/email.h"

namespace undersigned::render {

// Where both kinds of link lead: <base_url>/console/link?t=<token>, a page with a button (a
// mail scanner that opens the link uses nothing up).
inline constexpr char kAccountLinkPath[] = "/console/link";

// <base_url><kAccountLinkPath>?t=<token, percent-encoded>; base_url without a trailing slash.
std::string AccountLinkUrl(std::string_view base_url, std::string_view token);

// True for the kinds RenderAccountEmail renders.
bool IsAccountMailKind(std::string_view kind);

// Kinds:
//   "account_invite"  payload {token, invited_by, campaign_title (optional, may be empty),
//                     role (optional)}: someone invites the recipient to organize; the link
//                     signs them in once so they can set a password.
//   "sign_in_link"    payload {token}: a one-time sign-in link they asked for.
// kInvalidArgument for a missing token or another kind.
Result<RenderedEmail> RenderAccountEmail(std::string_view kind, const nlohmann::json& payload,
                                         const std::string& base_url);

}  // namespace undersigned::render
