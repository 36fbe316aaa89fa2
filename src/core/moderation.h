// Moderation of signatures (issue 13, part 5): what an organizer may hide or invalidate, and the
// rules that need no store: the signer's network as it is kept, CIDR ranges, the bulk filter.
//
// A signer's client address is kept only as its network: the /24 of an IPv4 address, the /48 of
// an IPv6 one ("203.0.113.0/24", "2001:db8:1::/48"). That is what a flood from one place shares
// (one office, one provider's block, one cloud subnet), and it says much less about who signed
// than the address itself. So a bulk filter's ranges may be /24 (IPv4) or /48 (IPv6) or wider;
// a narrower range cannot be told apart and is refused. The network is never shown on a public
// page, in the JSON, the API, an export or a delivery, and the store forgets it once its
// retention has passed (docs/moderation.md).
//
// Pure functions and values; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/signature.h"

namespace undersigned {

// The prefix lengths a signer's network is kept at.
inline constexpr int kKeptPrefixV4 = 24;
inline constexpr int kKeptPrefixV6 = 48;

// The network of a client address as it is stored ("203.0.113.0/24", "2001:db8:1::/48"), or ""
// for an empty or unparsable address. An IPv4-mapped IPv6 address ("::ffff:203.0.113.9") is
// taken as the IPv4 address it maps.
std::string ClientNetwork(std::string_view address);

// A CIDR range: the address family, the network's bytes (4 or 16 used) and the prefix length.
struct CidrRange {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 0;
  bool operator==(const CidrRange&) const = default;
};

// Parses "a.b.c.d/n" or "x:y::/n" (the address bits beyond n must be zero, so that a typo is not
// taken for a wider range). kInvalidArgument saying what to fix, also for a range narrower than
// what is kept (n > 24 for IPv4, n > 48 for IPv6).
Result<CidrRange> ParseCidr(std::string_view text);
// Whether a stored network (ClientNetwork's form) lies within range. False for "" (none kept).
bool NetworkInRange(std::string_view stored_network, const CidrRange& range);

// The domain of a canonical email ("example.org"), lower case; "" if it has none (a
// domain-proven signer's affiliation key: its address is not kept).
std::string EmailDomain(std::string_view canonical_email);

// Which signatures a bulk action reaches: all of these at once.
struct ModerationFilter {
  std::string campaign_slug;           // required
  std::vector<std::string> ranges;     // CIDR ranges (any of them); empty: any network
  std::string email_domain;            // e.g. "mailinator.com"; empty: any
  std::optional<UnixTime> from;        // created >= from
  std::optional<UnixTime> to;          // created < to
  std::vector<SignatureState> states;  // pending and/or confirmed; empty: both
};

// The filter as the store applies it.
struct CheckedFilter {
  std::vector<CidrRange> ranges;
  std::string email_domain;  // lower case
  std::optional<UnixTime> from, to;
  bool pending = true, confirmed = true;
};
// Checks a filter: kInvalidArgument (with field_errors: campaign, ranges, email_domain, from,
// to, states) for a bad range, a domain that is not one, to <= from, a state other than pending
// or confirmed, or a filter that names nothing but the campaign (every signature of a campaign
// is not a bulk action this allows: it would be a reset of the campaign).
Result<CheckedFilter> CheckFilter(const ModerationFilter& filter);

// Whether one signature matches the filter's ranges and domain (the store applies its state and
// time window in SQL).
bool MatchesNetworkAndDomain(const CheckedFilter& f, std::string_view stored_network,
                             std::string_view canonical_email);

// A reason given for an invalidation: trimmed, 1..500 bytes of UTF-8 without control characters.
// kInvalidArgument (field "reason").
Result<std::string> CheckReason(std::string reason);

}  // namespace undersigned
