// Co-signing organizations: an environmental group, a charity, a union signing a letter in its
// own name, listed in its own section with its own count. An organization gives its name, its
// website, a logo and a contact address at its own domain; it confirms that address through a
// one-time link, then the campaign's organizers approve it (or not) before it is shown.
// Plain data and validation; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned {

// pending: the contact address has not followed its link; confirmed: it has, and waits for an
// organizer; approved: shown and counted; rejected: never shown.
enum class OrganizationState { kPending, kConfirmed, kApproved, kRejected };
// What organizers decide about a confirmed organization, or about an approved one later
// (withdrawing an approval: it leaves the campaign's page and counts, and is rejected from then
// on).
enum class OrganizationDecision { kApprove, kReject, kWithdraw };
const char* OrganizationDecisionName(OrganizationDecision d);  // approve, reject, withdraw
const char* OrganizationStateName(OrganizationState s);
std::optional<OrganizationState> ParseOrganizationState(std::string_view s);

// What an organization submits (unvalidated).
struct OrganizationForm {
  std::string name;           // "Friends of the Earth"
  std::string website;        // "https://foe.example.org"
  std::string contact_email;  // at the website's domain: "press@foe.example.org"
  std::string statement;      // optional, shown with it: "We stand with Acme's workers."
};

inline constexpr std::size_t kMaxOrganizationNameBytes = 200;
inline constexpr std::size_t kMaxOrganizationStatementBytes = 1000;

// Trims and checks every field; field_errors keys: name, website, contact_email, statement.
// The website must be an http(s) URL with a host; the contact address must be at that host's
// domain or a parent of it ("www." aside): press@foe.example.org for https://www.foe.example.org.
// The website is kept as typed (trimmed); pages link it with rel="nofollow noopener ugc".
Result<OrganizationForm> ValidateOrganizationForm(OrganizationForm form);

// The host of an http(s) URL, lower-cased, or "" if it is not one.
std::string WebsiteHost(std::string_view url);

struct Organization {
  std::int64_t id = 0;
  std::string uuid;
  std::int64_t campaign_id = 0;
  OrganizationForm form;
  std::string canonical_email;  // of the contact, one organization per address and campaign
  OrganizationState state = OrganizationState::kPending;
  bool has_logo = false;
  UnixTime created = 0;
  UnixTime modified = 0;
  std::optional<UnixTime> decided;  // approved or rejected
};

}  // namespace undersigned
