// The OSDI resources of undersigned and their JSON: petitions (core Campaign), signatures
// (core Signature) and people (core Person), both ways; co-signing organizations (core
// Organization, read-only, not an OSDI type). Output is HAL (`_links`, curies);
// input follows the OSDI / Action Network field names, with our own fields under the
// `undersigned:` prefix. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/signature.h"

namespace undersigned::http::api {

// Builds absolute URLs from the public base URL ("https://sign.example.org", no trailing
// slash needed).
class Urls {
 public:
  explicit Urls(std::string base_url, bool action_network_ids = true);

  const std::string& base() const { return base_; }
  bool action_network_ids() const { return action_network_ids_; }
  // base + "/api/v2" + path; path starts with '/'.
  std::string Api(std::string_view path) const;
  std::string Petitions() const { return Api("/petitions"); }
  std::string Petition(const std::string& uuid) const { return Api("/petitions/" + uuid); }
  std::string Signatures(const std::string& petition_uuid) const {
    return Petition(petition_uuid) + "/signatures";
  }
  std::string Signature(const std::string& petition_uuid, const std::string& uuid) const {
    return Signatures(petition_uuid) + "/" + uuid;
  }
  std::string Organizations(const std::string& petition_uuid) const {
    return Petition(petition_uuid) + "/organizations";
  }
  std::string Organization(const std::string& petition_uuid, const std::string& uuid) const {
    return Organizations(petition_uuid) + "/" + uuid;
  }
  std::string People() const { return Api("/people"); }
  std::string Person(const std::string& uuid) const { return Api("/people/" + uuid); }
  std::string PersonSignatures(const std::string& uuid) const {
    return Person(uuid) + "/signatures";
  }
  std::string Browser(const std::string& slug) const { return base_ + "/c/" + slug; }
  // A path of the site (from its root) as an absolute URL.
  std::string Absolute(const std::string& path) const { return base_ + path; }

  // ["undersigned:<uuid>"] plus, when action_network_ids, "action_network:<uuid>" so that
  // Action Network clients (which look for that prefix) find the id to call us back with.
  nlohmann::json Identifiers(const std::string& uuid) const;
  // The `curies` link array: osdi (the OSDI docs).
  nlohmann::json Curies() const;

 private:
  std::string base_;
  bool action_network_ids_;
};

// Namespaces under which an identifier names one of our own resources.
inline constexpr std::string_view kNamespace = "undersigned";
// "undersigned:<id>" or "action_network:<id>" -> "<id>"; a bare id (no ':') is returned as is;
// anything else (a foreign system's id) -> nullopt.
std::optional<std::string> OwnId(std::string_view identifier);
// True if identifier is in one of our namespaces ("undersigned:", "action_network:"; the
// namespace compared case-insensitively). Such identifiers are never stored as foreign ones.
bool IsOwnNamespace(std::string_view identifier);

// Limits on the foreign identifiers ("system:id") a petition keeps (Campaign::identifiers).
inline constexpr std::size_t kMaxForeignIdentifiers = 25;
inline constexpr std::size_t kMaxIdentifierBytes = 200;
inline constexpr std::size_t kMaxIdentifierPrefixBytes = 64;

// --- output
// identifiers: ours (Urls::Identifiers) first, then c.identifiers. Signer groups:
// `undersigned:groups` (the declared ones, [] for a campaign open to the public only, each
// {key, name, kind, organization, domains, attestation, goal, seal_thresholds}),
// `undersigned:anonymity_floor`, and `undersigned:group_counts`: one {key, name, confirmed}
// per declared group, where a count below the anonymity floor is not given: {key, name,
// fewer_than: floor} instead (ShownCount). total_signatures stays exact.
// `undersigned:organization_count`: the approved co-signing organizations (organizations), and
// the link `undersigned:organizations` to their collection. `undersigned:status` is the status
// at now (StatusAt: closed once the deadline passed); `undersigned:time_zone` is the IANA zone
// in which a deadline given as a date ends.
nlohmann::json PetitionJson(const Urls& urls, const Campaign& c, const CampaignCounts& counts,
                            UnixTime now, std::int64_t organizations = 0);
nlohmann::json GroupJson(const SignerGroup& g);

// "sealed" (the name is still sealed), "anonymous", else "public" or "private" by public_name.
const char* SignatureVisibility(const Signature& s);
// Whether a signature may link to its person: not for sealed or anonymous signers (the link
// would tie the signature to someone), nor for a group proven by work address, whose "person"
// stands for the keyed hash of that address and is no person of the API.
bool LinksPerson(const Signature& s);
// Carries `undersigned:group` (key), `undersigned:verified`, `undersigned:visibility` and
// `undersigned:attestation` (when one was attested). For sealed and anonymous signers
// (DayRounded) every date is the start of its day (UTC). person_uuid may be empty; the
// osdi:person link is left out then and whenever !LinksPerson(s). With Action Network ids on,
// also `action_network:petition_id` and (when the person is linked) `action_network:person_id`,
// as Action Network returns them.
nlohmann::json SignatureJson(const Urls& urls, const Signature& s, const std::string& petition_uuid,
                             const std::string& person_uuid);
nlohmann::json PersonJson(const Urls& urls, const Person& p);
// A co-signing organization: identifiers, origin_system, created_date, modified_date, name,
// website, statement, state (pending, confirmed, approved, rejected), decided_date (null until
// approved or rejected), logo_url (the public logo of an approved organization that has one,
// else null); links self and osdi:petition. The contact address is left out: it is the
// organization's own, given to confirm the request, and the organizers already have it (in the
// review mail and `undersigned organization list`).
nlohmann::json OrganizationJson(const Urls& urls, const Organization& o, const Campaign& c);

// --- input
// Applies an OSDI petition body to c. creating: fills defaults the API promises (status open,
// goal 1000, language en, slug derived from the title when `name` is absent); otherwise only
// the fields present change, and null clears the optional ones (summary, description,
// petition_text, undersigned:deadline, undersigned:organized_by). description (an introduction)
// and petition_text (the letter) are separate fields, as in Action Network.
// `undersigned:deadline` as a date ("2026-12-31") is the end of that day in
// `undersigned:time_zone` (the given one, else the petition's; UTC by default); as a full
// timestamp it is taken as given. Type errors and bad values are kInvalidArgument with
// field_errors keyed by the API field name. Does not run ValidateCampaign.
// `undersigned:groups` replaces the groups as a whole (null or [] removes them: everyone signs
// as the public); each group's kind is one of public, employees, customers, shareholders
// (default public) and its domains are lower-cased. `undersigned:anonymity_floor` (null: the
// default, kDefaultAnonymityFloor). Their values are checked by ValidateCampaign.
// `identifiers`: the foreign ones ("system:id"; ours, undersigned: and action_network:, are
// skipped) are kept in c.identifiers; creating sets them, otherwise new ones are added to those
// c has (OSDI merges arrays; null changes nothing). Each must be "system:id" with a system name
// of [A-Za-z0-9_.-], at most kMaxIdentifierBytes, no control characters, and a petition keeps
// at most kMaxForeignIdentifiers; otherwise the error names "identifiers" or "identifiers[i]".
Result<void> ApplyPetitionJson(const nlohmann::json& body, bool creating, Campaign& c);
inline constexpr std::int64_t kDefaultGoal = 1000;

// Rewrites the field names of a ValidateCampaign / store error into the API's names
// (slug -> name, demand -> summary, letter -> petition_text, targets -> target, goal ->
// undersigned:goal, groups[0].key -> undersigned:groups[0].key, anonymity_floor ->
// undersigned:anonymity_floor, ...) and rebuilds the message from them.
Error PetitionFieldError(Error e);

// "Stop the Cuts! (2024)" -> "stop-the-cuts-2024": lower-case ASCII letters and digits, Latin-1
// accents folded, runs of anything else become one '-', at most 64 bytes, no '-' at the ends.
// May return fewer than 3 characters (e.g. for a title without Latin letters).
std::string Slugify(std::string_view text);

// A person as the person signup helper (its "person" object) and PUT /api/v2/people/{id} (the
// body itself) send it: the email from email_addresses (the primary entry, else the first),
// given_name, family_name, postal_code and country from postal_addresses (likewise), subscribed
// from the email's status ("subscribed" / "unsubscribed"; other statuses change nothing).
// Without those arrays, the flat fields email_address, postal_code and country (as clients
// that send query parameters or forms give them). Absent fields stay absent; others
// (languages_spoken, custom_fields, ...) are ignored. path prefixes field names in errors
// ("person.").
struct PersonInput {
  std::optional<std::string> email;
  PersonChange change;
};
Result<PersonInput> ParsePersonJson(const nlohmann::json& person, const std::string& path);
// Renames the field errors of PeopleService (email, given_name, postal_code, country, ...) to
// the API's names under path ("person.email_addresses[0].address").
Error PersonFieldError(Error e, const std::string& path);

// A record-signature-helper body: either an inline person or a link to an existing person.
// Signer groups: `undersigned:group` (a key; absent: the petition's first group),
// `undersigned:work_email` (the address proving a group of employees; with it, the person and
// their email_addresses may be left out: the personal address is needed only for a sealed name
// or updates), `undersigned:visibility` ("public" / "private" set public_name, "sealed" seals
// the name until the group has `undersigned:seal_threshold` verified signers, "anonymous"),
// `undersigned:attested` (the group's statement was agreed to).
struct RecordSignatureInput {
  enum class Kind { kInlinePerson, kPersonLink };
  Kind kind = Kind::kInlinePerson;
  SignatureForm form;                // inline person + comment/public_name/wants_updates
  std::string person_uuid;           // kPersonLink: from _links["osdi:person"].href
  bool wants_updates_given = false;  // the body said whether the person wants updates
  // Action Network's referrer_data (core/origin.h): source as utm_source, website's host as the
  // referrer, referrer (its referrer code) as utm_campaign. Validated (ValidateOrigin).
  SignatureOrigin origin;
};
// kInvalidArgument naming the field for malformed bodies. An unusable osdi:person href gives
// Action Network's message "You must specify a valid person id".
Result<RecordSignatureInput> ParseRecordSignature(const nlohmann::json& body);

// A record-signature body made of flat fields (query parameters or a form, see
// ParseLenientBody) in the helper's shape: person_id becomes _links.osdi:person, email_address,
// given_name, family_name, postal_code and country become "person" (unless the body has one).
// links_lost: the query carried `_links` (a nested object a client flattened into a query
// string, losing its href): without any other signer, that is kInvalidArgument saying so.
Result<void> NestFlatSignature(nlohmann::json& body, bool links_lost);

// The new comments of a PUT on a signature. current: the signature as the API shows it. Fields
// that would change who signed or how they are shown (person, work address, attestation,
// seal threshold; visibility, public_name, group, verified, state, the person link or ids when
// they differ from current) are kForbidden naming the field; comments is required
// (kInvalidArgument). Other fields are ignored.
Result<std::string> ParseSignatureEdit(const nlohmann::json& body, const nlohmann::json& current);

// Rewrites ValidateSignatureForm field names into the helper's (name -> person.given_name,
// email -> person.email_addresses[0].address, comment -> comments, group ->
// undersigned:group, work_email -> undersigned:work_email, protection ->
// undersigned:visibility, seal_threshold -> undersigned:seal_threshold, attested ->
// undersigned:attested, ...).
Error SignatureFieldError(Error e);

}  // namespace undersigned::http::api
