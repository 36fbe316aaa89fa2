#include "core/group.h"
#include <stdexcept>

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

std::string TrimSpaces(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(TrimSpaces(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(TrimSpaces(cur));
  return out;
}

Result<std::int64_t> ParseCount(const std::string& field, const std::string& v) {
  try {
    std::size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used == v.size()) return static_cast<std::int64_t>(n);
  } catch (const std::exception&) {
  }
  return Fail(Code::kInvalidArgument,
              "a group's " + field + " must be a whole number, not '" + v + "'");
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

Result<SignerGroup> ParseGroupSpec(const std::string& spec) {
  SignerGroup g;
  bool has_kind = false;
  for (const std::string& part : SplitOn(spec, ';')) {
    if (part.empty()) continue;
    std::size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return Fail(Code::kInvalidArgument,
                  "A group takes key=value parts separated by ';', e.g. \"kind=employees; "
                  "key=staff; name=Acme staff; organization=Acme; domains=acme.com; seal=50\"; "
                  "'" +
                      part + "' has no '='");
    }
    const std::string k = TrimSpaces(part.substr(0, eq));
    const std::string v = TrimSpaces(part.substr(eq + 1));
    if (k == "kind") {
      auto kind = ParseGroupKind(v);
      if (!kind) {
        return Fail(Code::kInvalidArgument,
                    "A group's kind must be public, employees, customers or shareholders");
      }
      g.kind = *kind;
      has_kind = true;
    } else if (k == "key") {
      g.key = v;
    } else if (k == "name") {
      g.name = v;
    } else if (k == "organization") {
      g.organization = v;
    } else if (k == "attestation") {
      g.attestation = v;
    } else if (k == "domains") {
      for (const std::string& d : SplitOn(v, ',')) {
        if (!d.empty()) g.domains.push_back(d);
      }
    } else if (k == "seal") {
      for (const std::string& t : SplitOn(v, ',')) {
        if (t.empty()) continue;
        auto n = ParseCount("seal", t);
        if (!n) return Fail(n.error());
        g.seal_thresholds.push_back(*n);
      }
    } else if (k == "goal") {
      auto n = ParseCount("goal", v);
      if (!n) return Fail(n.error());
      g.goal = *n;
    } else {
      return Fail(Code::kInvalidArgument,
                  "A group has no part '" + k +
                      "' (known: kind, key, name, organization, domains, seal, goal, attestation)");
    }
  }
  if (!has_kind)
    return Fail(Code::kInvalidArgument,
                "A group needs kind=..., one of public, employees, customers, shareholders");
  if (g.key.empty()) g.key = GroupKindName(g.kind);
  return g;
}

std::string FormatGroupSpec(const SignerGroup& g) {
  std::string out = std::string("kind=") + GroupKindName(g.kind) + "; key=" + g.key;
  if (!g.name.empty()) out += "; name=" + g.name;
  if (!g.organization.empty()) out += "; organization=" + g.organization;
  if (!g.domains.empty()) {
    out += "; domains=";
    for (std::size_t i = 0; i < g.domains.size(); ++i) out += (i ? "," : "") + g.domains[i];
  }
  if (!g.seal_thresholds.empty()) {
    out += "; seal=";
    for (std::size_t i = 0; i < g.seal_thresholds.size(); ++i) {
      out += (i ? "," : "") + std::to_string(g.seal_thresholds[i]);
    }
  }
  if (g.goal) out += "; goal=" + std::to_string(*g.goal);
  if (!g.attestation.empty()) out += "; attestation=" + g.attestation;
  return out;
}

}  // namespace undersigned
