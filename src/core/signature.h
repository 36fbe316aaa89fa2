// Signatures: what a signer submits, how it is validated and canonicalised, and its states.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned {

enum class SignatureState { kPending, kConfirmed, kWithdrawn };
const char* SignatureStateName(SignatureState s);

// What a person typed into the sign form (or an API client sent). Unvalidated.
struct SignatureForm {
  std::string name;
  std::string email;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, optional
  std::string comment;
  bool public_name = false;
  bool wants_updates = false;
};

// Limits on each field, in bytes of UTF-8.
inline constexpr std::size_t kMaxNameBytes = 200;
inline constexpr std::size_t kMaxEmailBytes = 254;
inline constexpr std::size_t kMaxPostalCodeBytes = 16;
inline constexpr std::size_t kMaxCommentBytes = 2000;

// Whether email is an address the sign form accepts (and the mailer can send to): a practical
// subset of RFC 5321/5322, dot-atom local part and a DNS domain with a dot. No trimming.
bool ValidEmail(const std::string& email);

// Trims fields, checks UTF-8 and lengths, validates the email address syntax and country code.
// On failure, Error::field_errors has one message per bad field (keys: name, email,
// postal_code, country, comment) and the caller re-renders the form with what was typed.
Result<SignatureForm> ValidateSignatureForm(SignatureForm form);

// The identity used to allow one signature per campaign per person: lower-cased, "+tag"
// removed from the local part, dots removed for gmail.com/googlemail.com (mapped to gmail.com).
// REQUIRES: email passed ValidateSignatureForm.
std::string CanonicalEmail(std::string_view email);

// A stored signature as the store returns it.
struct Signature {
  std::int64_t id = 0;
  std::string uuid;
  std::int64_t campaign_id = 0;
  std::int64_t person_id = 0;
  std::string person_uuid;  // the person's public id, for API links
  SignatureForm form;       // as typed (validated)
  std::string canonical_email;
  SignatureState state = SignatureState::kPending;
  std::string source;     // "form", "api", "cli"
  int confirm_sends = 0;  // how many confirmation mails went out
  UnixTime created = 0;
  UnixTime modified = 0;
  std::optional<UnixTime> confirmed;
};

// A public signer, as shown on the campaign page (only those with public_name and confirmed).
struct PublicSigner {
  std::string name;
  std::string comment;
  UnixTime confirmed = 0;
};

// A person (one per canonical email across campaigns), for the API's /people.
struct Person {
  std::int64_t id = 0;
  std::string uuid;
  std::string given_name;
  std::string family_name;
  std::string email;  // as last typed
  std::string canonical_email;
  std::string postal_code;
  std::string country;
  bool subscribed = false;
  UnixTime created = 0;
  UnixTime modified = 0;
};

// Splits "Ada King Lovelace" into given "Ada King" / family "Lovelace" (last word), for OSDI.
std::pair<std::string, std::string> SplitName(std::string_view full);

}  // namespace undersigned
