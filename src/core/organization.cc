#include "core/organization.h"

#include <map>

#include "core/signature.h"
#include "core/utf8.h"

namespace undersigned {

const char* OrganizationStateName(OrganizationState s) {
  switch (s) {
    case OrganizationState::kPending:
      return "pending";
    case OrganizationState::kConfirmed:
      return "confirmed";
    case OrganizationState::kApproved:
      return "approved";
    case OrganizationState::kRejected:
      return "rejected";
  }
  return "pending";
}

const char* OrganizationDecisionName(OrganizationDecision d) {
  switch (d) {
    case OrganizationDecision::kApprove:
      return "approve";
    case OrganizationDecision::kReject:
      return "reject";
    case OrganizationDecision::kWithdraw:
      return "withdraw";
  }
  return "reject";
}

std::optional<OrganizationState> ParseOrganizationState(std::string_view s) {
  for (OrganizationState st : {OrganizationState::kPending, OrganizationState::kConfirmed,
                               OrganizationState::kApproved, OrganizationState::kRejected}) {
    if (s == OrganizationStateName(st)) return st;
  }
  return std::nullopt;
}

std::string WebsiteHost(std::string_view url) {
  std::string lower = ToLowerAscii(url);
  std::string_view rest;
  if (lower.starts_with("https://")) {
    rest = std::string_view(lower).substr(8);
  } else if (lower.starts_with("http://")) {
    rest = std::string_view(lower).substr(7);
  } else {
    return "";
  }
  std::size_t end = rest.find_first_of("/:?#");
  std::string host(rest.substr(0, end));
  if (host.find('@') != std::string::npos) return "";  // no userinfo
  // A host is valid if an address at it is (letters, digits, hyphens, dots, a dot inside).
  if (host.empty() || !ValidEmail("x@" + host)) return "";
  return host;
}

Result<OrganizationForm> ValidateOrganizationForm(OrganizationForm f) {
  std::map<std::string, std::string> errors;
  f.name = Trim(f.name);
  f.website = Trim(f.website);
  f.contact_email = Trim(f.contact_email);
  f.statement = Trim(f.statement);
  if (!IsValidUtf8(f.name) || HasControlChars(f.name, false)) {
    errors["name"] = "This is not valid text. Please retype it.";
  } else if (f.name.empty()) {
    errors["name"] = "Enter the organization's name.";
  } else if (f.name.size() > kMaxOrganizationNameBytes) {
    errors["name"] = "This is too long: at most 200 bytes.";
  }
  if (!IsValidUtf8(f.statement) || HasControlChars(f.statement, true)) {
    errors["statement"] = "This is not valid text. Please retype it.";
  } else if (f.statement.size() > kMaxOrganizationStatementBytes) {
    errors["statement"] = "This is too long: at most 1000 bytes.";
  }
  const std::string host = WebsiteHost(f.website);
  if (host.empty() || f.website.size() > 500 ||
      f.website.find_first_of(" \"'<>\\`") != std::string::npos || !IsValidUtf8(f.website)) {
    errors["website"] = "Enter the organization's website, like https://example.org.";
  }
  if (f.contact_email.empty()) {
    errors["contact_email"] = "Enter a contact address at the organization's own domain.";
  } else if (!IsValidUtf8(f.contact_email) || !ValidEmail(f.contact_email)) {
    errors["contact_email"] = "Enter an email address like press@example.org.";
  } else if (!host.empty()) {
    std::string domain = ToLowerAscii(f.contact_email.substr(f.contact_email.rfind('@') + 1));
    std::string site = host.starts_with("www.") ? host.substr(4) : host;
    // The address's domain must be the site's domain, or the site a subdomain of it.
    bool ok = domain == site || (site.size() > domain.size() && site.ends_with("." + domain) &&
                                 domain.find('.') != std::string::npos);
    if (!ok) {
      errors["contact_email"] = "Use an address at the organization's own domain (@" + site +
                                "), so we can tell it speaks for the organization.";
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return f;
}

}  // namespace undersigned
