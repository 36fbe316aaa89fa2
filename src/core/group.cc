#include "core/group.h"

#include "core/signature.h"
#include "core/utf8.h"

namespace undersigned {
namespace {

bool ValidKey(const std::string& s) {
  if (s.empty() || s.size() > 32 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool ValidDomain(const std::string& d) {
  // A domain is valid if an address at it is.
  return !d.empty() && ToLowerAscii(d) == d && ValidEmail("x@" + d);
}

}  // namespace

const char* GroupKindName(GroupKind k) {
  switch (k) {
    case GroupKind::kPublic:
      return "public";
    case GroupKind::kEmployees:
      return "employees";
    case GroupKind::kCustomers:
      return "customers";
    case GroupKind::kShareholders:
      return "shareholders";
  }
  return "public";
}

std::optional<GroupKind> ParseGroupKind(std::string_view s) {
  for (GroupKind k : {GroupKind::kPublic, GroupKind::kEmployees, GroupKind::kCustomers,
                      GroupKind::kShareholders}) {
    if (s == GroupKindName(k)) return k;
  }
  return std::nullopt;
}

const char* ProtectionName(Protection p) {
  switch (p) {
    case Protection::kNone:
      return "none";
    case Protection::kSealed:
      return "sealed";
    case Protection::kAnonymous:
      return "anonymous";
  }
  return "none";
}

std::optional<Protection> ParseProtection(std::string_view s) {
  for (Protection p : {Protection::kNone, Protection::kSealed, Protection::kAnonymous}) {
    if (s == ProtectionName(p)) return p;
  }
  return std::nullopt;
}

SignerGroup DefaultPublicGroup() {
  SignerGroup g;
  g.key = kPublicGroupKey;
  g.name = "Public";
  g.kind = GroupKind::kPublic;
  return g;
}

void ValidateGroups(const std::vector<SignerGroup>& groups,
                    std::map<std::string, std::string>& errors) {
  if (groups.size() > kMaxGroups) {
    errors["groups"] = "at most " + std::to_string(kMaxGroups) + " groups";
    return;
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const SignerGroup& g = groups[i];
    const std::string p = "groups[" + std::to_string(i) + "].";
    if (!ValidKey(g.key)) {
      errors[p + "key"] = "must be 1 to 32 lower-case letters, digits and inner hyphens";
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (groups[j].key == g.key) errors[p + "key"] = "'" + g.key + "' is used twice";
    }
    CheckTextField(errors, p + "name", g.name, 200, true, false);
    CheckTextField(errors, p + "organization", g.organization, 200, false, false);
    CheckTextField(errors, p + "attestation", g.attestation, 500, ProvenByAttestation(g.kind),
                   false);
    if (ProvenByDomain(g.kind)) {
      if (g.domains.empty()) {
        errors[p + "domains"] =
            "employees are proven by an address at one of the organization's email domains: "
            "give at least one (acme.com)";
      } else if (g.domains.size() > kMaxGroupDomains) {
        errors[p + "domains"] = "at most " + std::to_string(kMaxGroupDomains) + " domains";
      }
      if (Trim(g.organization).empty()) {
        errors[p + "organization"] = "is required for employees (\"verified employee of ...\")";
      }
    } else if (!g.domains.empty()) {
      errors[p + "domains"] = "only employees are proven by email domain";
    }
    for (const std::string& d : g.domains) {
      if (!ValidDomain(d)) {
        errors[p + "domains"] = "'" + d + "' is not a lower-case domain like acme.com";
        break;
      }
    }
    if (g.goal && (*g.goal < 1 || *g.goal > 1'000'000'000)) {
      errors[p + "goal"] = "must be between 1 and 1,000,000,000";
    }
    if (!g.seal_thresholds.empty()) {
      if (!ProvenByDomain(g.kind)) {
        errors[p + "seal_thresholds"] =
            "names can be sealed only in a verified group (employees), whose count is proven";
      } else if (g.seal_thresholds.size() > kMaxSealThresholds) {
        errors[p + "seal_thresholds"] =
            "at most " + std::to_string(kMaxSealThresholds) + " thresholds";
      }
      for (std::size_t j = 0; j < g.seal_thresholds.size(); ++j) {
        std::int64_t t = g.seal_thresholds[j];
        if (t < 2 || t > 1'000'000'000 || (j > 0 && t <= g.seal_thresholds[j - 1])) {
          errors[p + "seal_thresholds"] = "must be ascending numbers from 2 to 1,000,000,000";
          break;
        }
      }
    }
  }
}

std::vector<std::int64_t> OpenSealThresholds(const SignerGroup& g, int floor,
                                             std::int64_t confirmed) {
  std::vector<std::int64_t> open;
  for (std::int64_t t : g.seal_thresholds) {
    if (t >= floor && t > confirmed) open.push_back(t);
  }
  return open;
}

bool DomainMatches(const SignerGroup& g, std::string_view email) {
  std::size_t at = email.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string domain = ToLowerAscii(email.substr(at + 1));
  for (const std::string& d : g.domains) {
    if (domain == d) return true;
    if (domain.size() > d.size() && domain.ends_with(d) &&
        domain[domain.size() - d.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

std::optional<std::int64_t> ShownCount(std::int64_t count, int floor) {
  if (count >= floor) return count;
  return std::nullopt;
}

}  // namespace undersigned
