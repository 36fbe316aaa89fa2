// Signer groups: who may sign a campaign and how each group is proven ("employees of Acme,
// proven by an address at acme.com"), and how each signer chooses to be seen (public, counted
// but unnamed, sealed until the group is large enough, or anonymous). Plain data plus the rules
// the service, the store and the pages share. No I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned {

// What a group is, which decides how its members are proven:
//  - public: anyone; the signer's own address confirms the signature.
//  - employees: an address at one of the group's email domains; the one-time link sent there
//    both confirms and verifies the signature. Only these are "verified" and only these may
//    be sealed or anonymous.
//  - customers, shareholders: a statement the signer attests to, recorded with the signature.
enum class GroupKind { kPublic, kEmployees, kCustomers, kShareholders };
const char* GroupKindName(GroupKind k);
std::optional<GroupKind> ParseGroupKind(std::string_view s);
inline bool ProvenByDomain(GroupKind k) { return k == GroupKind::kEmployees; }
inline bool ProvenByAttestation(GroupKind k) {
  return k == GroupKind::kCustomers || k == GroupKind::kShareholders;
}

// How a signer protects their name, beyond the public_name choice every signer has:
//  - none: the name is shown if public_name, kept for the letter's delivery otherwise;
//  - sealed: the name is stored encrypted and appears nowhere until the group has
//    seal_threshold verified signers; then it is revealed (public) for good, with a notice;
//  - anonymous: no name and no personal address are kept (an address only if the signer asks
//    for updates, and then sealed the same way); shown as "verified employee of X".
enum class Protection { kNone, kSealed, kAnonymous };
const char* ProtectionName(Protection p);
std::optional<Protection> ParseProtection(std::string_view s);

inline constexpr std::size_t kMaxGroups = 12;
inline constexpr std::size_t kMaxGroupDomains = 20;
inline constexpr std::size_t kMaxSealThresholds = 5;
inline constexpr int kDefaultAnonymityFloor = 5;
inline constexpr const char* kPublicGroupKey = "public";

struct SignerGroup {
  std::string key;   // [a-z0-9-], 1..32, unique in the campaign: "employees"
  std::string name;  // shown: "Acme employees"
  GroupKind kind = GroupKind::kPublic;
  std::string organization;          // employees: "Acme", for "verified employee of Acme"
  std::vector<std::string> domains;  // employees: lower-case DNS domains; subdomains match
  std::string attestation;           // customers/shareholders: "I hold shares in Acme plc."
  std::optional<std::int64_t> goal;  // the group's own goal
  // employees: the sizes a signer may choose to keep their name sealed until, ascending.
  std::vector<std::int64_t> seal_thresholds;

  bool operator==(const SignerGroup&) const = default;
};

// The group every campaign without declared groups has: the public.
SignerGroup DefaultPublicGroup();

// Checks a campaign's groups (prefix "groups[i]." in field_errors) into errors.
void ValidateGroups(const std::vector<SignerGroup>& groups,
                    std::map<std::string, std::string>& errors);

// The seal sizes a signer of group g may still choose, ascending: those at or above the
// campaign's anonymity floor (a smaller seal would open names while the page still says "fewer
// than <floor>") and not yet reached (the group has fewer than t confirmed signers: a name
// sealed until a reached size would be made public the moment it is confirmed).
std::vector<std::int64_t> OpenSealThresholds(const SignerGroup& g, int floor,
                                             std::int64_t confirmed);

// Whether email's domain is one of the group's domains or a subdomain of one (case-insensitive).
bool DomainMatches(const SignerGroup& g, std::string_view email);

// A count as the public may see it: exact from `floor` on, "fewer than floor" below (nullopt),
// so that nobody can single out the first few signers of a small group (nor tell when the first
// one signed: zero is "fewer than floor" too).
std::optional<std::int64_t> ShownCount(std::int64_t count, int floor);

// Midnight UTC of t's day: the time shown for sealed and anonymous signatures.
inline UnixTime StartOfDay(UnixTime t) { return t - (((t % 86400) + 86400) % 86400); }

// A group written as key=value parts separated by ';' (the CLI's --group and the console's
// groups field, one per line): "kind=employees; key=staff; name=Acme staff; organization=Acme;
// domains=acme.com,acme.de; seal=50,500; goal=100; attestation=...". kind is required; key
// defaults to the kind's name. kInvalidArgument naming what is wrong. Validation of the group
// itself is ValidateGroups'.
Result<SignerGroup> ParseGroupSpec(const std::string& spec);
// The inverse: ParseGroupSpec(FormatGroupSpec(g)) == g for a group whose texts hold no ';'
// (and whose domains no ',').
std::string FormatGroupSpec(const SignerGroup& g);

}  // namespace undersigned
