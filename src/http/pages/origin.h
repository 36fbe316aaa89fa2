// The sign form's origin field: where the signer came from (core/origin.h), captured by the
// server from the request that showed the campaign page (its Referer's host, its utm_* query
// parameters, `s`, the channel of one of our share links: share.h, and `ref`, the code of a
// signer's personal link: service/referrals.h), carried in one hidden
// field `origin` of the form (and in the flash across an error re-render), and read back when
// the form is posted. Everything from the request is cleaned (CleanOrigin): a bad value is
// dropped, never an error the signer would have to fix. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/origin.h"
#include "http/message.h"

namespace undersigned::http::pages {

// The query parameter our share links carry their channel in (?s=x).
inline constexpr const char* kChannelParam = "s";
// The query parameter a signer's personal link carries its code in (?ref=Ab12...).
inline constexpr const char* kReferralParam = "ref";

// What a GET of the campaign page tells of where the visitor came from. A Referer on our own
// host (own_host: the site's host, lower case) is not an origin: it is left out.
SignatureOrigin LandingOrigin(const Request& req, std::string_view own_host);

// The hidden field's value ("" for an empty origin): a URL-encoded form, e.g.
// "r=news.example.org&us=newsletter&s=x".
std::string EncodeOriginField(const SignatureOrigin& origin);
// The origin a posted field stands for (cleaned; anything unreadable: none).
SignatureOrigin DecodeOriginField(std::string_view value);

// The form's hidden input, escaped, or "" for an empty origin.
std::string OriginInputHtml(const SignatureOrigin& origin);

}  // namespace undersigned::http::pages
