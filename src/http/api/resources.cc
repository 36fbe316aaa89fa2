#include "http/api/resources.h"

#include <algorithm>
#include <array>
#include <vector>

#include "core/clock.h"
#include "core/time_zone.h"
#include "core/utf8.h"
#include "http/api/json_body.h"
#include "http/picture_url.h"

namespace undersigned::http::api {

using nlohmann::json;

// ---------------------------------------------------------------- URLs and identifiers

Urls::Urls(std::string base_url, bool action_network_ids)
    : base_(std::move(base_url)), action_network_ids_(action_network_ids) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

std::string Urls::Api(std::string_view path) const { return base_ + "/api/v2" + std::string(path); }

json Urls::Identifiers(const std::string& uuid) const {
  json ids = json::array({std::string(kNamespace) + ":" + uuid});
  if (action_network_ids_) ids.push_back("action_network:" + uuid);
  return ids;
}

json Urls::Curies() const {
  // Only osdi: we have no vendor-specific link relations (our own fields carry the
  // "undersigned:" prefix, which needs no curie).
  return json::array({
      {{"name", "osdi"},
       {"href", "https://opensupporter.github.io/osdi-docs/{rel}"},
       {"templated", true}},
  });
}

bool IsOwnNamespace(std::string_view identifier) {
  std::size_t colon = identifier.find(':');
  if (colon == std::string_view::npos) return false;
  std::string ns = ToLowerAscii(identifier.substr(0, colon));
  return ns == kNamespace || ns == "action_network";
}

std::optional<std::string> OwnId(std::string_view identifier) {
  std::size_t colon = identifier.find(':');
  if (colon == std::string_view::npos) return std::string(identifier);
  std::string_view ns = identifier.substr(0, colon);
  if (ns == kNamespace || ns == "action_network") {
    return std::string(identifier.substr(colon + 1));
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- output

namespace {

json Href(const std::string& href) { return json{{"href", href}}; }

json OptionalDate(const std::optional<UnixTime>& t) {
  return t ? json(FormatIso8601(*t)) : json(nullptr);
}

// The prefix of the key the signing service gives a signature of a group proven by work
// address in place of a canonical email (SigningService::AffiliationKey).
constexpr std::string_view kAffiliationPrefix = "affiliation:";

}  // namespace

json GroupJson(const SignerGroup& g) {
  return {
      {"key", g.key},
      {"name", g.name},
      {"kind", GroupKindName(g.kind)},
      {"organization", g.organization},
      {"domains", g.domains},
      {"attestation", g.attestation},
      {"goal", g.goal ? json(*g.goal) : json(nullptr)},
      {"seal_thresholds", g.seal_thresholds},
  };
}

json PetitionJson(const Urls& urls, const Campaign& c, const CampaignCounts& counts, UnixTime now,
                  std::int64_t organizations) {
  json targets = json::array();
  for (const Target& t : c.targets) {
    json jt = {{"name", t.name}, {"title", t.title}, {"organization", t.organization}};
    if (!t.x_handle.empty()) jt["undersigned:x_handle"] = t.x_handle;
    if (!t.bluesky_handle.empty()) jt["undersigned:bluesky_handle"] = t.bluesky_handle;
    if (!t.mastodon_handle.empty()) jt["undersigned:mastodon_handle"] = t.mastodon_handle;
    targets.push_back(std::move(jt));
  }
  // Ours first, then the foreign ones clients gave us.
  json identifiers = urls.Identifiers(c.uuid);
  for (const std::string& id : c.identifiers) {
    if (!IsOwnNamespace(id)) identifiers.push_back(id);
  }
  json j = {
      {"identifiers", std::move(identifiers)},
      {"origin_system", "undersigned"},
      {"created_date", FormatIso8601(c.created)},
      {"modified_date", FormatIso8601(c.modified)},
      {"title", c.title},
      {"name", c.slug},
      {"description", c.description},
      {"petition_text", c.letter_markdown},
      {"summary", c.demand},
      {"browser_url", urls.Browser(c.slug)},
      {"target", std::move(targets)},
      {"total_signatures", counts.confirmed},
      {"undersigned:goal", c.goal},
      {"undersigned:status", StatusName(StatusAt(c, now))},
      {"undersigned:deadline", OptionalDate(c.deadline)},
      {"undersigned:time_zone", c.time_zone},
      {"undersigned:language", c.language},
      {"undersigned:organized_by", c.organized_by},
  };
  if (c.image) j["featured_image_url"] = urls.Absolute(PicturePath(c.slug, *c.image));
  json groups = json::array();
  json group_counts = json::array();
  for (const SignerGroup& g : c.groups) {
    groups.push_back(GroupJson(g));
    json count = {{"key", g.key}, {"name", g.name}};
    // Below the floor the count is not given, so that nobody can single out the first signers.
    if (auto shown = ShownCount(GroupConfirmed(counts, g.key), c.anonymity_floor)) {
      count["confirmed"] = *shown;
    } else {
      count["fewer_than"] = c.anonymity_floor;
    }
    group_counts.push_back(std::move(count));
  }
  j["undersigned:groups"] = std::move(groups);
  // The people who can move the targets, with the posts supporters are offered
  // (core/share_target.h); public, like the campaign page that offers them.
  json people = json::array();
  for (const SecondaryTarget& t : c.secondary_targets) {
    json p = {{"name", t.name}, {"posts", t.posts}};
    if (!t.about.empty()) p["about"] = t.about;
    if (!t.x_handle.empty()) p["x_handle"] = t.x_handle;
    if (!t.bluesky_handle.empty()) p["bluesky_handle"] = t.bluesky_handle;
    if (!t.mastodon_handle.empty()) p["mastodon_handle"] = t.mastodon_handle;
    people.push_back(std::move(p));
  }
  j["undersigned:secondary_targets"] = std::move(people);
  j["undersigned:anonymity_floor"] = c.anonymity_floor;
  j["undersigned:group_counts"] = std::move(group_counts);
  if (c.threshold) {
    j["undersigned:threshold"] = *c.threshold;
    j["undersigned:outcome"] = OutcomeName(c.outcome);
    j["undersigned:outcome_date"] = OptionalDate(c.outcome_at);
  }
  j["undersigned:organization_count"] = organizations;
  j["_links"] = {
      {"self", Href(urls.Petition(c.uuid))},
      {"osdi:signatures", Href(urls.Signatures(c.uuid))},
      {"osdi:record_signature_helper", Href(urls.Signatures(c.uuid))},
      {"undersigned:organizations", Href(urls.Organizations(c.uuid))},
      {"curies", urls.Curies()},
  };
  return j;
}

const char* SignatureVisibility(const Signature& s) {
  if (s.sealed) return "sealed";
  if (s.form.protection == Protection::kAnonymous) return "anonymous";
  return s.form.public_name ? "public" : "private";
}

bool LinksPerson(const Signature& s) {
  return !DayRounded(s) && !s.sealed && !s.canonical_email.starts_with(kAffiliationPrefix);
}

json SignatureJson(const Urls& urls, const Signature& s, const std::string& petition_uuid,
                   const std::string& person_uuid) {
  // Sealed and anonymous signers are dated to the day, everywhere.
  const bool day_only = DayRounded(s) || s.sealed;
  auto date = [day_only](UnixTime t) { return FormatIso8601(day_only ? StartOfDay(t) : t); };
  json j = {
      {"identifiers", urls.Identifiers(s.uuid)},
      {"origin_system", "undersigned"},
      {"created_date", date(s.created)},
      {"modified_date", date(s.modified)},
      {"action_date", date(s.created)},
      {"comments", s.form.comment},
      {"undersigned:state", SignatureStateName(s.state)},
      {"undersigned:public_name", s.form.public_name},
      {"undersigned:source", s.source},
      {"undersigned:confirmed_date", s.confirmed ? json(date(*s.confirmed)) : json(nullptr)},
      {"undersigned:group", s.form.group.empty() ? std::string(kPublicGroupKey) : s.form.group},
      {"undersigned:verified", s.verified},
      {"undersigned:visibility", SignatureVisibility(s)},
  };
  if (!s.attestation.empty()) j["undersigned:attestation"] = s.attestation;
  const bool links_person = !person_uuid.empty() && LinksPerson(s);
  if (urls.action_network_ids()) {
    // As Action Network returns them; clients turn them into columns.
    j["action_network:petition_id"] = petition_uuid;
    if (links_person) j["action_network:person_id"] = person_uuid;
  }
  json links = {
      {"self", Href(urls.Signature(petition_uuid, s.uuid))},
      {"osdi:petition", Href(urls.Petition(petition_uuid))},
  };
  if (links_person) links["osdi:person"] = Href(urls.Person(person_uuid));
  links["curies"] = urls.Curies();
  j["_links"] = std::move(links);
  return j;
}

json PersonJson(const Urls& urls, const Person& p) {
  json postal = json::array();
  if (!p.postal_code.empty() || !p.country.empty()) {
    json a = {{"primary", true}};
    if (!p.postal_code.empty()) a["postal_code"] = p.postal_code;
    if (!p.country.empty()) a["country"] = p.country;
    postal.push_back(std::move(a));
  }
  json j = {
      {"identifiers", urls.Identifiers(p.uuid)},
      {"origin_system", "undersigned"},
      {"created_date", FormatIso8601(p.created)},
      {"modified_date", FormatIso8601(p.modified)},
      {"given_name", p.given_name},
      {"family_name", p.family_name},
      {"email_addresses",
       json::array({{{"primary", true},
                     {"address", p.email},
                     {"status", p.subscribed ? "subscribed" : "unsubscribed"}}})},
      {"postal_addresses", std::move(postal)},
  };
  j["_links"] = {{"self", Href(urls.Person(p.uuid))},
                 {"osdi:signatures", Href(urls.PersonSignatures(p.uuid))},
                 {"curies", urls.Curies()}};
  return j;
}

json OrganizationJson(const Urls& urls, const Organization& o, const Campaign& c) {
  json j = {
      {"identifiers", urls.Identifiers(o.uuid)},
      {"origin_system", "undersigned"},
      {"created_date", FormatIso8601(o.created)},
      {"modified_date", FormatIso8601(o.modified)},
      {"name", o.form.name},
      {"website", o.form.website},
      {"statement", o.form.statement},
      {"state", OrganizationStateName(o.state)},
      {"decided_date", OptionalDate(o.decided)},
  };
  j["logo_url"] = o.state == OrganizationState::kApproved && o.has_logo
                      ? json(urls.base() + "/c/" + PercentEncode(c.slug) + "/organizations/" +
                             PercentEncode(o.uuid) + "/logo.png")
                      : json(nullptr);
  j["_links"] = {
      {"self", Href(urls.Organization(c.uuid, o.uuid))},
      {"osdi:petition", Href(urls.Petition(c.uuid))},
      {"curies", urls.Curies()},
  };
  return j;
}

// ---------------------------------------------------------------- input helpers

namespace {

// Collects per-field errors so a client learns everything wrong at once.
class Errors {
 public:
  void Add(const std::string& field, const std::string& msg) { fields_.emplace(field, msg); }
  void Add(const Error& e) {
    if (e.field_errors.empty()) {
      fields_.emplace("body", e.message);
    } else {
      for (const auto& [f, m] : e.field_errors) fields_.emplace(f, m);
    }
  }
  // Unwraps r, recording its error; returns a default Field on error.
  template <typename T>
  Field<T> Take(Result<Field<T>> r) {
    if (!r) {
      Add(r.error());
      return Field<T>{};
    }
    return *r;
  }
  bool empty() const { return fields_.empty(); }
  bool HasField(const std::string& field) const { return fields_.count(field) != 0; }
  Error ToError() const {
    Error e{Code::kInvalidArgument, "", fields_, 0};
    for (const auto& [f, m] : fields_) {
      if (!e.message.empty()) e.message += "; ";
      e.message.append(f).append(" ").append(m);
    }
    return e;
  }

 private:
  std::map<std::string, std::string> fields_;
};

// Latin-1 Supplement letters (U+00C0..U+00FF) folded to ASCII; "" means a separator.
constexpr std::array<const char*, 64> kLatin1Fold = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // C0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // E0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",   // F0
};

Result<std::vector<Target>> ParseTargets(const json& v, Errors& errors) {
  std::vector<Target> out;
  if (!v.is_array()) {
    errors.Add("target", "must be an array of objects like {\"name\": \"Jane Doe\"}");
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& item = v[i];
    std::string path = "target[" + std::to_string(i) + "]";
    Target t;
    if (item.is_string()) {
      t.name = item.get<std::string>();
    } else if (item.is_object()) {
      auto name = errors.Take(GetString(item, "name", path + ".name"));
      auto title = errors.Take(GetString(item, "title", path + ".title"));
      auto org = errors.Take(GetString(item, "organization", path + ".organization"));
      auto x = errors.Take(GetString(item, "undersigned:x_handle", path + ".undersigned:x_handle"));
      auto bs = errors.Take(
          GetString(item, "undersigned:bluesky_handle", path + ".undersigned:bluesky_handle"));
      auto ms = errors.Take(
          GetString(item, "undersigned:mastodon_handle", path + ".undersigned:mastodon_handle"));
      auto em = errors.Take(GetString(item, "undersigned:email", path + ".undersigned:email"));
      if (!name.has_value() || Trim(name.value).empty()) {
        if (!name.present || name.null) errors.Add(path + ".name", "is required");
      }
      t.name = Trim(name.value);
      t.title = Trim(title.value);
      t.organization = Trim(org.value);
      t.x_handle = Trim(x.value);
      if (!t.x_handle.empty() && t.x_handle.front() == '@') t.x_handle.erase(0, 1);
      t.bluesky_handle = Trim(bs.value);
      if (!t.bluesky_handle.empty() && t.bluesky_handle.front() == '@') {
        t.bluesky_handle.erase(0, 1);
      }
      t.mastodon_handle = Trim(ms.value);
      t.email = Trim(em.value);  // where the letter is delivered; never shown publicly
    } else {
      errors.Add(path, "must be an object like {\"name\": \"Jane Doe\"}");
      continue;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The foreign identifiers in an OSDI "identifiers" array, in order, without duplicates; ours
// ("undersigned:...", "action_network:...") are dropped: they are derived from the uuid.
std::vector<std::string> ParseForeignIdentifiers(const json& v, Errors& errors) {
  std::vector<std::string> out;
  if (!v.is_array()) {
    errors.Add("identifiers", "must be an array of strings like \"system:id\"");
    return out;
  }
  if (v.size() > kMaxForeignIdentifiers + 2) {  // + our own two, which a round trip carries
    errors.Add("identifiers",
               "can hold at most " + std::to_string(kMaxForeignIdentifiers) + " identifiers");
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string path = "identifiers[" + std::to_string(i) + "]";
    if (!v[i].is_string()) {
      errors.Add(path, "must be a string like \"system:id\"");
      continue;
    }
    std::string id = Trim(v[i].get<std::string>());
    std::size_t colon = id.find(':');
    auto prefix_ok = [&] {
      if (colon == 0 || colon == std::string::npos || colon > kMaxIdentifierPrefixBytes) {
        return false;
      }
      for (std::size_t k = 0; k < colon; ++k) {
        char ch = id[k];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
        if (!ok) return false;
      }
      return true;
    };
    if (!prefix_ok() || colon + 1 == id.size()) {
      errors.Add(path,
                 "must have the form \"system:id\" (a system name of letters, digits, _ - or ., "
                 "a colon, then the id), e.g. \"foreign_system:1234\"");
      continue;
    }
    if (id.size() > kMaxIdentifierBytes) {
      errors.Add(path, "is too long (at most " + std::to_string(kMaxIdentifierBytes) + " bytes)");
      continue;
    }
    bool control = std::any_of(id.begin(), id.end(), [](char ch) {
      auto u = static_cast<unsigned char>(ch);
      return u < 0x20 || u == 0x7f;
    });
    if (control || !IsValidUtf8(id)) {
      errors.Add(path, "must not contain control characters");
      continue;
    }
    if (IsOwnNamespace(id)) continue;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
  }
  return out;
}

// The strings of a JSON array (e.g. a group's domains), trimmed; errors name path[i].
std::vector<std::string> ParseStringArray(const json& v, const std::string& path,
                                          const char* example, Errors& errors) {
  std::vector<std::string> out;
  if (!v.is_array()) {
    errors.Add(path, std::string("must be an array of strings like ") + example);
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      errors.Add(path + "[" + std::to_string(i) + "]", "must be a string");
      continue;
    }
    out.push_back(Trim(v[i].get<std::string>()));
  }
  return out;
}

// `undersigned:secondary_targets`: an array of {name, about, x_handle, bluesky_handle,
// mastodon_handle, posts: [...]}. Only the shape is checked here; ValidateCampaign checks the
// values (field "secondary_targets").
std::vector<SecondaryTarget> SecondaryTargetsFrom(const json& v, Errors& errors) {
  std::vector<SecondaryTarget> out;
  constexpr const char* kField = "undersigned:secondary_targets";
  if (!v.is_array()) {
    errors.Add(kField,
               "must be an array like [{\"name\": \"Jane Doe\", \"x_handle\": \"janedoe\", "
               "\"posts\": [\"{handle}, {count} of us ask you to speak up\"]}]");
    return out;
  }
  if (v.size() > kMaxSecondaryTargets) {
    errors.Add(kField, "can hold at most " + std::to_string(kMaxSecondaryTargets) + " people");
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& item = v[i];
    const std::string path = std::string(kField) + "[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      errors.Add(path, "must be an object like {\"name\": \"Jane Doe\", \"posts\": [\"...\"]}");
      continue;
    }
    SecondaryTarget t;
    t.name = Trim(errors.Take(GetString(item, "name", path + ".name")).value);
    t.about = Trim(errors.Take(GetString(item, "about", path + ".about")).value);
    t.x_handle = Trim(errors.Take(GetString(item, "x_handle", path + ".x_handle")).value);
    t.bluesky_handle =
        Trim(errors.Take(GetString(item, "bluesky_handle", path + ".bluesky_handle")).value);
    t.mastodon_handle =
        Trim(errors.Take(GetString(item, "mastodon_handle", path + ".mastodon_handle")).value);
    for (std::string* h : {&t.x_handle, &t.bluesky_handle}) {
      if (h->starts_with("@")) h->erase(0, 1);
    }
    if (auto posts = item.find("posts"); posts != item.end() && !posts->is_null()) {
      t.posts =
          ParseStringArray(*posts, path + ".posts", "[\"{handle}, will you speak up?\"]", errors);
    }
    out.push_back(std::move(t));
  }
  return out;
}

// `undersigned:groups`: an array of {key, name, kind, organization, domains, attestation, goal,
// seal_thresholds}. Only the shape is checked here; ValidateCampaign checks the values.
std::vector<SignerGroup> ParseGroups(const json& v, Errors& errors) {
  std::vector<SignerGroup> out;
  constexpr const char* kField = "undersigned:groups";
  if (!v.is_array()) {
    errors.Add(kField,
               "must be an array of groups like [{\"key\": \"employees\", \"name\": \"Acme "
               "employees\", \"kind\": \"employees\", \"organization\": \"Acme\", "
               "\"domains\": [\"acme.com\"]}]");
    return out;
  }
  if (v.size() > kMaxGroups) {
    errors.Add(kField, "can hold at most " + std::to_string(kMaxGroups) + " groups");
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& item = v[i];
    const std::string path = std::string(kField) + "[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      errors.Add(path, "must be an object like {\"key\": \"public\", \"name\": \"Public\"}");
      continue;
    }
    SignerGroup g;
    g.key = Trim(errors.Take(GetString(item, "key", path + ".key")).value);
    g.name = Trim(errors.Take(GetString(item, "name", path + ".name")).value);
    g.organization =
        Trim(errors.Take(GetString(item, "organization", path + ".organization")).value);
    g.attestation = Trim(errors.Take(GetString(item, "attestation", path + ".attestation")).value);
    auto kind = errors.Take(GetString(item, "kind", path + ".kind"));
    if (kind.has_value()) {
      auto k = ParseGroupKind(ToLowerAscii(Trim(kind.value)));
      if (!k) {
        errors.Add(path + ".kind",
                   "must be one of \"public\", \"employees\", \"customers\", \"shareholders\"");
      } else {
        g.kind = *k;
      }
    }
    auto goal = errors.Take(GetInteger(item, "goal", path + ".goal"));
    if (goal.has_value()) g.goal = goal.value;
    if (auto d = item.find("domains"); d != item.end() && !d->is_null()) {
      g.domains = ParseStringArray(*d, path + ".domains", "[\"acme.com\"]", errors);
      for (std::string& domain : g.domains) domain = ToLowerAscii(domain);
    }
    if (auto t = item.find("seal_thresholds"); t != item.end() && !t->is_null()) {
      if (!t->is_array()) {
        errors.Add(path + ".seal_thresholds", "must be an array of numbers like [50, 200]");
      } else {
        for (std::size_t k = 0; k < t->size(); ++k) {
          auto n = AsInteger((*t)[k], path + ".seal_thresholds[" + std::to_string(k) + "]");
          if (!n) {
            errors.Add(n.error());
          } else {
            g.seal_thresholds.push_back(*n);
          }
        }
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

std::string Slugify(std::string_view text) {
  std::string out;
  bool pending_dash = false;
  auto emit = [&](std::string_view piece) {
    if (piece.empty()) {
      pending_dash = !out.empty();
      return;
    }
    if (pending_dash) out += '-';
    pending_dash = false;
    out += piece;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      char ch = static_cast<char>(c);
      emit(std::string_view(&ch, 1));
    } else if (c >= 'A' && c <= 'Z') {
      char ch = static_cast<char>(c - 'A' + 'a');
      emit(std::string_view(&ch, 1));
    } else if (c == 0xC3 && i + 1 < text.size()) {
      unsigned char c2 = static_cast<unsigned char>(text[i + 1]);
      if (c2 >= 0x80 && c2 <= 0xBF) {
        emit(kLatin1Fold[c2 - 0x80]);
        ++i;
      } else {
        emit("");
      }
    } else if (c == '\'' || (c == 0xE2 && i + 2 < text.size() &&
                             static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                             static_cast<unsigned char>(text[i + 2]) == 0x99)) {
      // Apostrophes join words: "don't" -> "dont".
      if (c == 0xE2) i += 2;
    } else {
      if (c >= 0x80) {  // skip the rest of a multi-byte sequence
        while (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
          ++i;
        }
      }
      emit("");
    }
  }
  if (out.size() > 64) {
    out.resize(64);
    // Prefer cutting at a word boundary.
    std::size_t dash = out.rfind('-');
    if (dash != std::string::npos && dash >= 32) out.resize(dash);
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Result<void> ApplyPetitionJson(const json& body, bool creating, Campaign& c) {
  Errors errors;

  auto title = errors.Take(GetString(body, "title", "title"));
  if (title.null) errors.Add("title", "is required and cannot be null");
  if (title.has_value()) c.title = Trim(title.value);
  if (creating && !title.present) errors.Add("title", "is required");

  auto name = errors.Take(GetString(body, "name", "name"));
  if (name.has_value()) {
    std::string slug = Slugify(name.value);
    if (slug.size() < 3) {
      errors.Add("name",
                 "must contain at least 3 letters or digits (it becomes the page "
                 "address /c/<name>)");
    }
    c.slug = slug;
  } else if (name.null && !creating) {
    errors.Add("name", "cannot be null (it is the page address /c/<name>)");
  }

  auto text = errors.Take(GetString(body, "petition_text", "petition_text"));
  if (text.present) c.letter_markdown = text.null ? "" : text.value;
  auto description = errors.Take(GetString(body, "description", "description"));
  if (description.present) c.description = description.null ? "" : Trim(description.value);
  auto organized_by =
      errors.Take(GetString(body, "undersigned:organized_by", "undersigned:organized_by"));
  if (organized_by.present) c.organized_by = organized_by.null ? "" : Trim(organized_by.value);

  auto summary = errors.Take(GetString(body, "summary", "summary"));
  if (summary.present) c.demand = summary.null ? "" : Trim(summary.value);

  auto target_it = body.find("target");
  if (target_it != body.end()) {
    if (target_it->is_null()) {
      errors.Add("target", "cannot be null: a petition needs at least one target");
    } else {
      auto targets = ParseTargets(*target_it, errors);
      if (targets) c.targets = std::move(*targets);
      if (target_it->is_array() && target_it->empty()) {
        errors.Add("target", "needs at least one target like {\"name\": \"Jane Doe\"}");
      }
    }
  } else if (creating) {
    errors.Add("target",
               "is required: an array of decision makers like "
               "[{\"name\": \"Jane Doe\", \"title\": \"Mayor\"}]");
  }

  auto goal = errors.Take(GetInteger(body, "undersigned:goal", "undersigned:goal"));
  if (goal.null) errors.Add("undersigned:goal", "cannot be null");
  if (goal.has_value()) c.goal = goal.value;
  if (creating && !goal.has_value()) c.goal = kDefaultGoal;

  // The zone first: a deadline given as a date ends at the end of that day in it.
  auto zone = errors.Take(GetString(body, "undersigned:time_zone", "undersigned:time_zone"));
  if (zone.null) errors.Add("undersigned:time_zone", "cannot be null (UTC is the default)");
  if (zone.has_value()) c.time_zone = Trim(zone.value);
  auto deadline = errors.Take(GetString(body, "undersigned:deadline", "undersigned:deadline"));
  if (deadline.null) c.deadline.reset();
  if (deadline.has_value()) {
    const std::string text = Trim(deadline.value);
    if (!ParseIso8601(text)) {
      errors.Add("undersigned:deadline",
                 "must be a date such as \"2025-12-31\" (the end of that day in the "
                 "petition's time zone) or a time such as \"2025-12-31T18:00:00Z\"");
    } else if (auto t = ParseDeadline(text, c.time_zone)) {
      c.deadline = *t;
    }  // else the zone is unknown: validation names undersigned:time_zone
  }

  auto status = errors.Take(GetString(body, "undersigned:status", "undersigned:status"));
  if (status.null) errors.Add("undersigned:status", "cannot be null");
  if (status.has_value()) {
    auto s = ParseStatus(ToLowerAscii(Trim(status.value)));
    if (!s) {
      errors.Add("undersigned:status", "must be one of \"draft\", \"open\", \"closed\"");
    } else {
      c.status = *s;
    }
  } else if (creating) {
    c.status = CampaignStatus::kOpen;
  }

  // A threshold (null removes it); the organizers told of its outcome are set with the CLI.
  auto threshold = errors.Take(GetInteger(body, "undersigned:threshold", "undersigned:threshold"));
  if (threshold.null) c.threshold.reset();
  if (threshold.has_value()) c.threshold = threshold.value;

  // The people who can move the targets replace the old ones as a whole (null or []: none).
  if (auto people = body.find("undersigned:secondary_targets"); people != body.end()) {
    if (people->is_null()) {
      c.secondary_targets.clear();
    } else {
      c.secondary_targets = SecondaryTargetsFrom(*people, errors);
    }
  }
  // Signer groups replace the old ones as a whole (null or []: the public only).
  if (auto groups = body.find("undersigned:groups"); groups != body.end()) {
    if (groups->is_null()) {
      c.groups.clear();
    } else {
      c.groups = ParseGroups(*groups, errors);
    }
  }
  auto floor =
      errors.Take(GetInteger(body, "undersigned:anonymity_floor", "undersigned:anonymity_floor"));
  if (floor.null) c.anonymity_floor = kDefaultAnonymityFloor;
  // Out of range stays out of range (for ValidateCampaign to name) without overflowing an int.
  if (floor.has_value()) {
    c.anonymity_floor = static_cast<int>(std::clamp<std::int64_t>(floor.value, 0, 1'000'000));
  }

  auto language = errors.Take(GetString(body, "undersigned:language", "undersigned:language"));
  if (language.null) errors.Add("undersigned:language", "cannot be null");
  if (language.has_value()) c.language = Trim(language.value);

  auto ids = body.find("identifiers");
  if (ids != body.end() && !ids->is_null()) {
    auto foreign = ParseForeignIdentifiers(*ids, errors);
    // Kept on PUT too: new ones are added after those already known (OSDI merges arrays).
    std::vector<std::string> merged = creating ? std::vector<std::string>{} : c.identifiers;
    for (std::string& id : foreign) {
      if (std::find(merged.begin(), merged.end(), id) == merged.end()) {
        merged.push_back(std::move(id));
      }
    }
    if (merged.size() > kMaxForeignIdentifiers) {
      errors.Add("identifiers", "can hold at most " + std::to_string(kMaxForeignIdentifiers) +
                                    " identifiers of other systems per petition");
    } else {
      c.identifiers = std::move(merged);
    }
  }

  if (creating && c.slug.empty() && !c.title.empty()) c.slug = Slugify(c.title);

  if (!errors.empty()) return Fail(errors.ToError());
  return {};
}

namespace {

std::string ApiPetitionField(const std::string& core) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"slug", "name"},
      {"demand", "summary"},
      {"letter", "petition_text"},
      {"letter_markdown", "petition_text"},
      {"goal", "undersigned:goal"},
      {"deadline", "undersigned:deadline"},
      {"status", "undersigned:status"},
      {"time_zone", "undersigned:time_zone"},
      {"language", "undersigned:language"},
      {"threshold", "undersigned:threshold"},
      {"anonymity_floor", "undersigned:anonymity_floor"},
      {"organized_by", "undersigned:organized_by"},
      {"secondary_targets", "undersigned:secondary_targets"},
  };
  for (const auto& [from, to] : kMap) {
    if (core == from) return to;
  }
  if (core.rfind("groups", 0) == 0) return "undersigned:" + core;  // groups[0].key
  if (core.rfind("targets", 0) == 0) {
    std::string rest = core.substr(7);
    // targets[0].handle -> target[0].undersigned:*_handle
    if (rest.size() >= 7 && rest.compare(rest.size() - 7, 7, ".handle") == 0) {
      rest.replace(rest.size() - 6, 6, "undersigned:*_handle");
    }
    return "target" + rest;
  }
  return core;
}

}  // namespace

Error PetitionFieldError(Error e) {
  if (e.field_errors.empty()) {
    if (e.code == Code::kConflict && e.message.find("slug") != std::string::npos) {
      e.field_errors["name"] = "is already used by another petition; choose another name";
      e.message = "name is already used by another petition; choose another name";
    }
    return e;
  }
  std::map<std::string, std::string> renamed;
  for (auto& [f, m] : e.field_errors) renamed.emplace(ApiPetitionField(f), m);
  e.field_errors = std::move(renamed);
  e.message.clear();
  for (const auto& [f, m] : e.field_errors) {
    if (!e.message.empty()) e.message += "; ";
    e.message.append(f).append(" ").append(m);
  }
  return e;
}

// ---------------------------------------------------------------- record signature helper

namespace {

// The primary element of an OSDI address array (primary: true), else the first object.
const json* PrimaryOf(const json& arr) {
  const json* first = nullptr;
  for (const json& a : arr) {
    if (!a.is_object()) continue;
    if (!first) first = &a;
    auto p = a.find("primary");
    if (p != a.end() && p->is_boolean() && p->get<bool>()) return &a;
  }
  return first;
}

// The last path segment of an href such as "https://x/api/v2/people/<uuid>" or a bare id.
std::optional<std::string> PersonIdFromHref(std::string href) {
  std::size_t q = href.find_first_of("?#");
  if (q != std::string::npos) href.resize(q);
  while (!href.empty() && href.back() == '/') href.pop_back();
  std::size_t slash = href.rfind('/');
  std::string id = slash == std::string::npos ? href : href.substr(slash + 1);
  if (slash != std::string::npos) {
    std::string parent = href.substr(0, slash);
    if (parent.size() < 7 || parent.compare(parent.size() - 7, 7, "/people") != 0) {
      return std::nullopt;
    }
  }
  auto own = OwnId(id);
  if (!own || own->empty() || own->size() > 64) return std::nullopt;
  for (char c : *own) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
      return std::nullopt;
    }
  }
  return own;
}

// Reads an OSDI person object into out, recording bad fields in errors under path + name.
void ReadPerson(const json& person, const std::string& path, Errors& errors, PersonInput& out) {
  auto given = errors.Take(GetString(person, "given_name", path + "given_name"));
  if (given.has_value()) out.change.given_name = Trim(given.value);
  auto family = errors.Take(GetString(person, "family_name", path + "family_name"));
  if (family.has_value()) out.change.family_name = Trim(family.value);

  auto emails = person.find("email_addresses");
  if (emails != person.end() && !emails->is_null()) {
    if (!emails->is_array()) {
      errors.Add(path + "email_addresses", "must be an array like [{\"address\": \"...\"}]");
    } else if (const json* primary = PrimaryOf(*emails)) {
      const std::string at = path + "email_addresses[0].";
      auto address = errors.Take(GetString(*primary, "address", at + "address"));
      if (address.has_value()) out.email = Trim(address.value);
      auto status = errors.Take(GetString(*primary, "status", at + "status"));
      if (status.has_value()) {
        std::string st = ToLowerAscii(Trim(status.value));
        if (st == "subscribed") out.change.subscribed = true;
        if (st == "unsubscribed") out.change.subscribed = false;
      }
    }
  }

  if (emails == person.end()) {  // flat, as a query parameter or a form field
    auto address = errors.Take(GetString(person, "email_address", path + "email_address"));
    if (address.has_value()) out.email = Trim(address.value);
  }

  auto postal = person.find("postal_addresses");
  if (postal != person.end() && !postal->is_null()) {
    if (!postal->is_array()) {
      errors.Add(path + "postal_addresses",
                 "must be an array like [{\"postal_code\": \"...\", \"country\": \"GB\"}]");
    } else if (const json* primary = PrimaryOf(*postal)) {
      const std::string at = path + "postal_addresses[0].";
      auto code = errors.Take(GetStringOrNumber(*primary, "postal_code", at + "postal_code"));
      if (code.has_value()) out.change.postal_code = code.value;
      auto country = errors.Take(GetString(*primary, "country", at + "country"));
      if (country.has_value()) out.change.country = country.value;
    }
  } else if (postal == person.end()) {  // flat
    auto code = errors.Take(GetStringOrNumber(person, "postal_code", path + "postal_code"));
    if (code.has_value()) out.change.postal_code = code.value;
    auto country = errors.Take(GetString(person, "country", path + "country"));
    if (country.has_value()) out.change.country = country.value;
  }
}

}  // namespace

Result<PersonInput> ParsePersonJson(const json& person, const std::string& path) {
  Errors errors;
  PersonInput out;
  if (!person.is_object()) {
    errors.Add(path.empty() ? "body" : path.substr(0, path.size() - 1),
               "must be an object with given_name, family_name and email_addresses");
    return Fail(errors.ToError());
  }
  ReadPerson(person, path, errors, out);
  if (!errors.empty()) return Fail(errors.ToError());
  return out;
}

Error PersonFieldError(Error e, const std::string& path) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"email", "email_addresses[0].address"},
      {"postal_code", "postal_addresses[0].postal_code"},
      {"country", "postal_addresses[0].country"},
  };
  std::map<std::string, std::string> renamed;
  for (auto& [field, message] : e.field_errors) {
    std::string name = field;
    for (const auto& [core, api] : kMap) {
      if (field == core) name = api;
    }
    renamed.emplace(path + name, message);
  }
  if (renamed.empty()) return e;
  Errors errors;
  for (auto& [field, message] : renamed) errors.Add(field, message);
  return errors.ToError();
}

Result<RecordSignatureInput> ParseRecordSignature(const json& body) {
  Errors errors;
  RecordSignatureInput in;

  auto comments = errors.Take(GetString(body, "comments", "comments"));
  if (comments.has_value()) in.form.comment = comments.value;
  auto public_name =
      errors.Take(GetBool(body, "undersigned:public_name", "undersigned:public_name"));
  if (public_name.has_value()) in.form.public_name = public_name.value;
  auto wants = errors.Take(GetBool(body, "undersigned:wants_updates", "undersigned:wants_updates"));
  if (wants.has_value()) {
    in.form.wants_updates = wants.value;
    in.wants_updates_given = true;
  }

  // Signer groups.
  auto group = errors.Take(GetString(body, "undersigned:group", "undersigned:group"));
  in.form.group = Trim(group.value);
  auto work = errors.Take(GetString(body, "undersigned:work_email", "undersigned:work_email"));
  in.form.work_email = Trim(work.value);
  const bool has_work_email = !in.form.work_email.empty();
  auto visibility =
      errors.Take(GetString(body, "undersigned:visibility", "undersigned:visibility"));
  if (visibility.has_value()) {
    std::string v = ToLowerAscii(Trim(visibility.value));
    if (v == "public" || v == "private") {
      in.form.public_name = v == "public";
    } else if (v == "sealed") {
      in.form.protection = Protection::kSealed;
    } else if (v == "anonymous") {
      in.form.protection = Protection::kAnonymous;
    } else {
      errors.Add("undersigned:visibility",
                 "must be one of \"public\", \"private\", \"sealed\", \"anonymous\"");
    }
  }
  auto threshold =
      errors.Take(GetInteger(body, "undersigned:seal_threshold", "undersigned:seal_threshold"));
  if (threshold.has_value()) in.form.seal_threshold = threshold.value;
  auto attested = errors.Take(GetBool(body, "undersigned:attested", "undersigned:attested"));
  if (attested.has_value()) in.form.attested = attested.value;

  // Where the signature came from (Action Network's referrer_data).
  if (auto ref = body.find("referrer_data"); ref != body.end() && !ref->is_null()) {
    if (!ref->is_object()) {
      errors.Add("referrer_data", "must be an object with source, referrer and website");
    } else {
      auto source = errors.Take(GetString(*ref, "source", "referrer_data.source"));
      auto code = errors.Take(GetString(*ref, "referrer", "referrer_data.referrer"));
      auto website = errors.Take(GetString(*ref, "website", "referrer_data.website"));
      SignatureOrigin o;
      o.utm_source = source.value;
      o.utm_campaign = code.value;
      const std::string site = Trim(website.value);
      o.referrer = site.find("://") != std::string::npos ? ReferrerHost(site) : site;
      if (!site.empty() && o.referrer.empty()) {
        errors.Add("referrer_data.website", "must be an http(s) URL or a host name");
      }
      auto valid = ValidateOrigin(std::move(o));
      if (valid) {
        in.origin = std::move(*valid);
      } else {
        const std::map<std::string, std::string> names = {
            {"utm_source", "referrer_data.source"},
            {"utm_campaign", "referrer_data.referrer"},
            {"referrer", "referrer_data.website"}};
        for (const auto& [field, message] : valid.error().field_errors) {
          auto it = names.find(field);
          if (it != names.end() && !errors.HasField(it->second)) errors.Add(it->second, message);
        }
      }
    }
  }

  auto person_it = body.find("person");
  auto links_it = body.find("_links");
  if (person_it != body.end() && !person_it->is_null()) {
    in.kind = RecordSignatureInput::Kind::kInlinePerson;
    const json& person = *person_it;
    if (!person.is_object()) {
      errors.Add("person",
                 "must be an object with given_name, family_name and "
                 "email_addresses");
      return Fail(errors.ToError());
    }
    PersonInput p;
    ReadPerson(person, "person.", errors, p);
    std::string g = p.change.given_name.value_or(""), f = p.change.family_name.value_or("");
    in.form.name = g.empty() ? f : (f.empty() ? g : g + " " + f);
    // With a work address (a group of employees), a personal address is optional: whether it
    // is needed (a sealed name, updates) is for ValidateSignatureForm to say.
    if (p.email) {
      in.form.email = *p.email;
    } else if (!has_work_email && !errors.HasField("person.email_addresses")) {
      errors.Add("person.email_addresses", "is required: [{\"address\": \"name@example.org\"}]");
    }
    if (p.change.subscribed && !in.wants_updates_given) {
      in.form.wants_updates = *p.change.subscribed;
      in.wants_updates_given = true;
    }
    in.form.postal_code = p.change.postal_code.value_or("");
    in.form.country = p.change.country.value_or("");
  } else if (links_it != body.end() && links_it->is_object() && links_it->contains("osdi:person")) {
    in.kind = RecordSignatureInput::Kind::kPersonLink;
    const json& link = (*links_it)["osdi:person"];
    std::optional<std::string> id;
    if (link.is_object() && link.contains("href") && link["href"].is_string()) {
      id = PersonIdFromHref(link["href"].get<std::string>());
    } else if (link.is_string()) {
      id = PersonIdFromHref(link.get<std::string>());
    }
    if (!id) {
      Error e{Code::kInvalidArgument, "You must specify a valid person id", {}, 0};
      e.field_errors["_links.osdi:person"] = "must be {\"href\": \"<base>/api/v2/people/<id>\"}";
      return Fail(std::move(e));
    }
    in.person_uuid = *id;
  } else if (has_work_email) {
    // An employee who gives no person: fine for an anonymous signature (no name is kept); for
    // any other, ValidateSignatureForm asks for the name.
    in.kind = RecordSignatureInput::Kind::kInlinePerson;
  } else {
    errors.Add("person",
               "is required: send the signer as \"person\": {\"given_name\": ..., "
               "\"email_addresses\": [{\"address\": ...}]}, or link an existing one "
               "with \"_links\": {\"osdi:person\": {\"href\": ...}}");
  }
  if (!errors.empty()) return Fail(errors.ToError());
  return in;
}

Result<void> NestFlatSignature(json& body, bool links_lost) {
  if (auto id = body.find("person_id"); id != body.end() && !body.contains("_links")) {
    body["_links"] = {{"osdi:person", {{"href", *id}}}};
    body.erase("person_id");
  }
  if (!body.contains("person")) {
    json person = json::object();
    for (const char* key :
         {"email_address", "given_name", "family_name", "postal_code", "country"}) {
      if (auto it = body.find(key); it != body.end()) {
        person[key] = *it;
        body.erase(it);
      }
    }
    if (!person.empty()) body["person"] = std::move(person);
  }
  if (links_lost && !body.contains("person") && !body.contains("_links")) {
    Error e{Code::kInvalidArgument,
            "the signer is missing: _links came as a query parameter, which cannot carry its "
            "href (a nested payload sent as query parameters loses its values). Send the "
            "signature as a JSON body, or give person_id=<person id> (or email_address=..., "
            "given_name=...) as query parameters",
            {{"_links.osdi:person", "is required"}},
            0};
    return Fail(std::move(e));
  }
  return {};
}

Result<std::string> ParseSignatureEdit(const json& body, const json& current) {
  auto forbidden = [](const std::string& field) {
    return Fail(Error{Code::kForbidden,
                      field + " cannot be changed through the API: only comments can (who "
                              "signed, and how they are shown, is the signer's to decide)",
                      {{field, "cannot be changed"}},
                      0});
  };
  for (const char* key :
       {"person", "undersigned:work_email", "undersigned:attested", "undersigned:seal_threshold"}) {
    if (body.contains(key)) return forbidden(key);
  }
  // A round trip of the resource carries these unchanged; a changed one is refused.
  for (const char* key : {"undersigned:visibility", "undersigned:public_name", "undersigned:group",
                          "undersigned:verified", "undersigned:state", "action_network:person_id",
                          "action_network:petition_id"}) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    auto was = current.find(key);
    if (was == current.end() || *was != *it) return forbidden(key);
  }
  if (auto links = body.find("_links"); links != body.end() && links->is_object()) {
    if (auto person = links->find("osdi:person"); person != links->end()) {
      std::optional<std::string> sent;
      if (person->is_object() && person->contains("href") && (*person)["href"].is_string()) {
        sent = PersonIdFromHref((*person)["href"].get<std::string>());
      }
      std::optional<std::string> linked;
      const json& now_links = current["_links"];
      if (now_links.contains("osdi:person")) {
        linked = PersonIdFromHref(now_links["osdi:person"]["href"].get<std::string>());
      }
      if (!sent || sent != linked) return forbidden("_links.osdi:person");
    }
  }
  auto comments = GetString(body, "comments", "comments");
  if (!comments) return Fail(comments.error());
  if (!comments->has_value()) {
    return Fail(Error{Code::kInvalidArgument,
                      "comments is required: send {\"comments\": \"...\"} (the only field a "
                      "signature's update changes)",
                      {{"comments", "is required"}},
                      0});
  }
  return comments->value;
}

Error SignatureFieldError(Error e) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"name", "person.given_name"},
      {"email", "person.email_addresses[0].address"},
      {"postal_code", "person.postal_addresses[0].postal_code"},
      {"country", "person.postal_addresses[0].country"},
      {"comment", "comments"},
      {"group", "undersigned:group"},
      {"work_email", "undersigned:work_email"},
      {"protection", "undersigned:visibility"},
      {"seal_threshold", "undersigned:seal_threshold"},
      {"attested", "undersigned:attested"},
  };
  if (e.field_errors.empty()) return e;
  std::map<std::string, std::string> renamed;
  for (auto& [f, m] : e.field_errors) {
    std::string name = f;
    for (const auto& [from, to] : kMap) {
      if (f == from) name = to;
    }
    renamed.emplace(name, m);
  }
  e.field_errors = std::move(renamed);
  e.message.clear();
  for (const auto& [f, m] : e.field_errors) {
    if (!e.message.empty()) e.message += "; ";
    e.message.append(f).append(": ").append(m);
  }
  return e;
}

}  // namespace undersigned::http::api
