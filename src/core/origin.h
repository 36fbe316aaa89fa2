// Where a signature came from: the host of the page that linked to the campaign (never its path
// or query), the campaign's utm_* parameters, the share channel of one of our own share links
// (?s=<channel>, http/pages/share.h), and the code of the signer's personal link it came through
// (?ref=<code>, service/referrals.h). Kept with the signature for the organizers' dashboard
// (service/dashboard.h) and, the code, to count what a signer's shares brought; never shown
// publicly, never in the export.
//
// Two ways in: what the server captured itself from a landing request (a Referer header, a
// query string: anybody's input, so CleanOrigin drops whatever is not valid and never fails),
// and what a client sent back or an API client gave (ValidateOrigin: kInvalidArgument naming
// the field). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace undersigned {

struct SignatureOrigin {
  std::string referrer;    // a lower-case host name ("news.example.org"), no port
  std::string utm_source;  // as given, trimmed
  std::string utm_medium;
  std::string utm_campaign;
  std::string channel;  // share channel: [a-z0-9_-], e.g. "x", "mastodon", "email"
  // The personal link's code: [A-Za-z0-9_-]. Written with a new signature (signatures.referral);
  // a signature read back from the store leaves it empty (the count is a query of its own).
  std::string referral;
  bool empty() const {
    return referrer.empty() && utm_source.empty() && utm_medium.empty() && utm_campaign.empty() &&
           channel.empty() && referral.empty();
  }
  bool operator==(const SignatureOrigin&) const = default;
};

inline constexpr std::size_t kMaxOriginHostBytes = 253;
inline constexpr std::size_t kMaxUtmBytes = 100;
inline constexpr std::size_t kMaxChannelBytes = 32;
inline constexpr std::size_t kMaxReferralBytes = 32;

// The host of an absolute http(s) URL (lower-cased, without user info, port, path, query or
// fragment), or "" if url is not one or its host is not a DNS name or an IP literal.
std::string ReferrerHost(std::string_view url);

// Every field checked as ValidateOrigin does; an invalid one is dropped (set to "").
SignatureOrigin CleanOrigin(SignatureOrigin origin);

// Trims the utm values and lower-cases referrer and channel, then checks them: the referrer a
// host name (at most kMaxOriginHostBytes of [a-z0-9.-], or an IP literal), each utm value at
// most kMaxUtmBytes of UTF-8 without control or direction characters, the channel at most
// kMaxChannelBytes of [a-z0-9_-], the referral at most kMaxReferralBytes of [A-Za-z0-9_-] (its
// case kept). kInvalidArgument with field_errors keyed "referrer", "utm_source", "utm_medium",
// "utm_campaign", "channel", "referral".
Result<SignatureOrigin> ValidateOrigin(SignatureOrigin origin);

}  // namespace undersigned
