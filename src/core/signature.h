// Signatures: what a signer submits, how it is validated and canonicalised, and its states.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "core/group.h"
#include "core/origin.h"

namespace undersigned {

// kInvalidated: removed by the campaign's organizers (moderation, core/moderation.h): counted
// nowhere, listed nowhere, for good; its signer cannot sign the campaign again.
enum class SignatureState { kPending, kConfirmed, kWithdrawn, kInvalidated };
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
  // Signer groups (core/group.h). group: the key of the group claimed (empty: the campaign's
  // first group). work_email: the address proving a domain group; it receives the one-time
  // link and is never stored. email is then the signer's own address for updates and notices,
  // optional unless the name is sealed.
  std::string group;
  std::string work_email;
  Protection protection = Protection::kNone;
  std::int64_t seal_threshold = 0;  // sealed: one of the group's seal_thresholds
  bool attested = false;            // the group's attestation was ticked
};

// Limits on each field, in bytes of UTF-8.
inline constexpr std::size_t kMaxNameBytes = 200;
inline constexpr std::size_t kMaxEmailBytes = 254;
inline constexpr std::size_t kMaxPostalCodeBytes = 16;
inline constexpr std::size_t kMaxCommentBytes = 2000;

// Whether email is an address the sign form accepts (and the mailer can send to): a practical
// subset of RFC 5321/5322, dot-atom local part and a DNS domain with a dot. No trimming.
bool ValidEmail(const std::string& email);

// Trims fields, checks UTF-8 and lengths, validates the email address syntax and country code,
// and what the group asks: a work address at one of its domains, the attestation, a sealed
// threshold it offers. On failure, Error::field_errors has one message per bad field (keys:
// name, email, postal_code, country, comment, group, work_email, protection, seal_threshold,
// attested) and the caller re-renders the form with what was typed. An anonymous form comes
// back without a name and postal code (and without an email unless it wants updates); its
// public_name is set (it is shown, as "verified employee of X"). A sealed form's public_name is
// cleared (the reveal sets it). form.group is set to group.key.
Result<SignatureForm> ValidateSignatureForm(SignatureForm form, const SignerGroup& group);
inline Result<SignatureForm> ValidateSignatureForm(SignatureForm form) {
  return ValidateSignatureForm(std::move(form), DefaultPublicGroup());
}

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
  // Groups: verified is set once a domain-proven signature is confirmed through the link sent
  // to the work address. sealed: the name (and personal details) are still encrypted; form holds
  // none of them. attestation: the statement the signer attested to, as it read then.
  bool verified = false;
  bool sealed = false;
  std::string attestation;
  // Where it came from (core/origin.h), as recorded when it was first made.
  SignatureOrigin origin;
};

// Whether a signature's times are shown rounded to the day (sealed and anonymous signers).
inline bool DayRounded(const Signature& s) { return s.form.protection != Protection::kNone; }

// A public signer, as shown on the campaign page (only those with public_name and confirmed).
struct PublicSigner {
  std::string name;  // empty for an anonymous signer
  std::string comment;
  UnixTime confirmed = 0;  // the day only, for sealed (revealed) and anonymous signers
  std::string group;       // group key
  bool verified = false;
  bool anonymous = false;
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

// Person fields an API client sets (the person signup helper, PUT /api/v2/people/{id}): absent
// ones stay as they are.
struct PersonChange {
  std::optional<std::string> given_name;
  std::optional<std::string> family_name;
  std::optional<std::string> postal_code;
  std::optional<std::string> country;
  std::optional<bool> subscribed;
};
// Trims and checks the present fields as the sign form checks them (names at most
// kMaxNameBytes, postal code, country upper-cased); kInvalidArgument with field_errors.
Result<void> ValidatePersonChange(PersonChange& change);
// A comment as the sign form takes it (trimmed, at most kMaxCommentBytes, newlines allowed).
Result<std::string> ValidateComment(std::string comment);

// Splits "Ada King Lovelace" into given "Ada King" / family "Lovelace" (last word), for OSDI.
std::pair<std::string, std::string> SplitName(std::string_view full);

}  // namespace undersigned
