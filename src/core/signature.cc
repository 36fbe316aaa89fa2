#include "core/signature.h"

#include "core/utf8.h"

namespace undersigned {
namespace {

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

// A practical subset of RFC 5321/5322 addresses: dot-atom local part, DNS domain with a dot.
bool ValidEmail(const std::string& email) {
  if (email.size() > kMaxEmailBytes) return false;
  std::size_t at = email.rfind('@');
  if (at == std::string::npos || at == 0 || at > 64) return false;
  std::string_view local(email.data(), at);
  std::string_view domain(email.data() + at + 1, email.size() - at - 1);
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.' && prev == '.') return false;
    if (c != '.' && !IsAtext(c)) return false;
    prev = c;
  }
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= domain.size()) {
    std::size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    std::string_view label = domain.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-')) {
        return false;
      }
    }
    if (dot == domain.size()) {
      // The top-level label must not be all digits.
      bool digits = true;
      for (char c : label) digits = digits && c >= '0' && c <= '9';
      if (digits) return false;
      break;
    }
    start = dot + 1;
  }
  return true;
}

namespace {

void CheckText(std::map<std::string, std::string>& errors, const char* field,
               const std::string& value, std::size_t max_bytes, bool allow_newlines) {
  if (!IsValidUtf8(value)) {
    errors[field] = "This is not valid text (UTF-8). Please retype it.";
  } else if (HasControlChars(value, allow_newlines)) {
    errors[field] = "This contains invisible control characters. Please retype it.";
  } else if (HasBidiControls(value)) {
    errors[field] =
        "This contains invisible direction controls (such as U+202E) that make text show in "
        "another order. Please retype it without them.";
  } else if (value.size() > max_bytes) {
    errors[field] = "This is too long: at most " + std::to_string(max_bytes) + " bytes.";
  }
}

}  // namespace

const char* SignatureStateName(SignatureState s) {
  switch (s) {
    case SignatureState::kPending:
      return "pending";
    case SignatureState::kConfirmed:
      return "confirmed";
    case SignatureState::kWithdrawn:
      return "withdrawn";
    case SignatureState::kInvalidated:
      return "invalidated";
  }
  return "pending";
}

namespace {

// The postal code's rules, for the sign form and the API's people alike.
void CheckPostalCode(std::map<std::string, std::string>& errors, const std::string& postal_code) {
  CheckText(errors, "postal_code", postal_code, kMaxPostalCodeBytes, false);
  if (errors.count("postal_code")) return;
  for (char c : postal_code) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
          c == '-')) {
      errors["postal_code"] = "Use only letters, digits, spaces and hyphens.";
      return;
    }
  }
}

// A country is empty or a two-letter code, kept upper-cased.
void NormalizeCountry(std::map<std::string, std::string>& errors, std::string& country) {
  if (country.empty()) return;
  std::string up;
  for (char c : country) up += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  if (up.size() != 2 || up[0] < 'A' || up[0] > 'Z' || up[1] < 'A' || up[1] > 'Z') {
    errors["country"] = "Choose a country from the list (a two-letter code such as GB).";
  } else {
    country = up;
  }
}

}  // namespace

Result<SignatureForm> ValidateSignatureForm(SignatureForm f, const SignerGroup& group) {
  std::map<std::string, std::string> errors;
  f.name = Trim(f.name);
  f.email = Trim(f.email);
  f.work_email = Trim(f.work_email);
  f.postal_code = Trim(f.postal_code);
  f.country = Trim(f.country);
  f.comment = Trim(f.comment);
  f.group = group.key;
  const bool by_domain = ProvenByDomain(group.kind);
  const bool anonymous = f.protection == Protection::kAnonymous;
  const bool sealed = f.protection == Protection::kSealed;

  if (f.protection != Protection::kNone && !by_domain) {
    errors["protection"] =
        "Sealed and anonymous signatures are for verified groups only; choose whether to show "
        "your name.";
  }
  if (sealed) {
    bool offered = false;
    for (std::int64_t t : group.seal_thresholds) offered = offered || t == f.seal_threshold;
    if (!offered) {
      errors["seal_threshold"] = group.seal_thresholds.empty()
                                     ? "This group does not offer sealed names."
                                     : "Choose one of the sizes offered.";
    }
  } else {
    f.seal_threshold = 0;
  }
  if (anonymous) {
    // Kept: nothing that names the signer. The comment is theirs to write.
    f.name.clear();
    f.postal_code.clear();
    f.country.clear();
    if (!f.wants_updates) f.email.clear();
  }

  CheckText(errors, "name", f.name, kMaxNameBytes, false);
  if (!errors.count("name") && f.name.empty() && !anonymous) errors["name"] = "Enter your name.";

  const bool email_required = !by_domain || sealed || f.wants_updates;
  if (f.email.empty()) {
    if (email_required) {
      errors["email"] =
          !by_domain ? "Enter your email address, so we can send you the confirmation link."
          : sealed   ? "Enter a personal email address: we tell you there when your name is "
                       "revealed."
                     : "Enter a personal email address for updates, or untick updates.";
    }
  } else if (!IsValidUtf8(f.email) || !ValidEmail(f.email)) {
    errors["email"] = "Enter an email address like name@example.org.";
  }

  if (by_domain) {
    if (f.work_email.empty()) {
      errors["work_email"] = "Enter your work address, so we can check you work at " +
                             (group.organization.empty() ? group.name : group.organization) + ".";
    } else if (!IsValidUtf8(f.work_email) || !ValidEmail(f.work_email)) {
      errors["work_email"] = "Enter an email address like name@" + group.domains.front() + ".";
    } else if (!DomainMatches(group, f.work_email)) {
      std::string list;
      for (const std::string& d : group.domains) list += (list.empty() ? "@" : ", @") + d;
      errors["work_email"] = "Use an address ending in " + list + ".";
    } else if (!f.email.empty() && CanonicalEmail(f.email) == CanonicalEmail(f.work_email)) {
      errors["email"] =
          "Use a personal address here, not your work address: your work address is never kept.";
    }
  } else {
    f.work_email.clear();
  }
  if (ProvenByAttestation(group.kind)) {
    if (!f.attested)
      errors["attested"] = "Tick the statement to sign as one of " + group.name + ".";
  } else {
    f.attested = false;
  }

  CheckPostalCode(errors, f.postal_code);
  NormalizeCountry(errors, f.country);

  CheckText(errors, "comment", f.comment, kMaxCommentBytes, true);

  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  if (anonymous) f.public_name = true;  // shown, without a name
  if (sealed) f.public_name = false;    // until the reveal
  return f;
}

Result<void> ValidatePersonChange(PersonChange& change) {
  std::map<std::string, std::string> errors;
  for (auto [field, value] : {std::pair{"given_name", &change.given_name},
                              std::pair{"family_name", &change.family_name}}) {
    if (!*value) continue;
    **value = Trim(**value);
    CheckText(errors, field, **value, kMaxNameBytes, false);
  }
  if (change.postal_code) {
    *change.postal_code = Trim(*change.postal_code);
    CheckPostalCode(errors, *change.postal_code);
  }
  if (change.country) {
    *change.country = Trim(*change.country);
    NormalizeCountry(errors, *change.country);
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return {};
}

Result<std::string> ValidateComment(std::string comment) {
  std::map<std::string, std::string> errors;
  comment = Trim(comment);
  CheckText(errors, "comment", comment, kMaxCommentBytes, true);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return comment;
}

std::string CanonicalEmail(std::string_view email) {
  std::string lower = ToLowerAscii(email);
  std::size_t at = lower.rfind('@');
  if (at == std::string::npos) return lower;
  std::string local = lower.substr(0, at);
  std::string domain = lower.substr(at + 1);
  if (std::size_t plus = local.find('+'); plus != std::string::npos && plus > 0) {
    local.resize(plus);
  }
  if (domain == "googlemail.com") domain = "gmail.com";
  if (domain == "gmail.com") {
    std::string nodots;
    for (char c : local) {
      if (c != '.') nodots += c;
    }
    local = nodots;
  }
  return local + "@" + domain;
}

std::pair<std::string, std::string> SplitName(std::string_view full) {
  std::string name = Trim(full);
  std::size_t space = name.find_last_of(' ');
  if (space == std::string::npos) return {name, ""};
  return {Trim(name.substr(0, space)), name.substr(space + 1)};
}

}  // namespace undersigned
