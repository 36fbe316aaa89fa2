#include "http/api/api.h"

#include <atomic>
#include <limits>
#include <memory>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "http/api/filter.h"
#include "http/api/json_body.h"
#include "http/api/pagination.h"
#include "http/api/resources.h"
#include "http/router.h"
#include "http/url.h"
#include "service/ids.h"
#include "service/people.h"

namespace undersigned::http {
namespace {

using api::CollectionFilter;
using api::FilterTarget;
using api::PageInfo;
using api::Urls;
using nlohmann::json;

constexpr const char* kHalJson = "application/hal+json; charset=utf-8";

Response Hal(const json& body, int status = 200) {
  Response r = Response::Json(api::Dump(body), status, kHalJson);
  r.Header("Cache-Control", "max-age=0, private, must-revalidate");
  return r;
}

Response ApiError(const Error& e) {
  Response r = JsonError(e);
  r.content_type = kHalJson;
  r.Header("Cache-Control", "no-store");
  return r;
}

Response ApiError(Code code, std::string message) {
  return ApiError(Error{code, std::move(message), {}, 0});
}

// Caller-supplied text quoted back in an error, cut short.
std::string Quote(std::string_view s) {
  return std::string(s.substr(0, 100)) + (s.size() > 100 ? "..." : "");
}

Error NotFound(const char* what, const std::string& id) {
  return Error{Code::kNotFound, std::string("no ") + what + " with id '" + Quote(id) + "'", {}, 0};
}

// The keys of the groups c's signers choose from, for error messages: "employees, public".
std::string GroupKeys(const Campaign& c) {
  std::string keys;
  for (const SignerGroup& g : EffectiveGroups(c)) {
    if (!keys.empty()) keys += ", ";
    keys += g.key;
  }
  return keys;
}

// A signature's group key (the public group for a signature of a campaign without groups).
std::string GroupOf(const Signature& s) {
  return s.form.group.empty() ? std::string(kPublicGroupKey) : s.form.group;
}

// Who is calling: a valid token, or nobody.
struct Caller {
  std::optional<ApiToken> token;
  bool authenticated() const { return token.has_value(); }
};

enum class Auth { kOptional, kRequired };

// The state every handler shares. Thread-safe: the services are, and the limiters are.
class Api {
 public:
  explicit Api(ApiDeps deps)
      : d_(std::move(deps)),
        urls_(d_.base_url, d_.action_network_ids),
        per_token_(d_.clock, d_.per_token),
        per_address_(d_.clock, d_.per_token) {}

  Response Entry(const Request& req);
  Response ListPetitions(const Request& req);
  Response GetPetition(const Request& req);
  Response CreatePetition(const Request& req);
  Response UpdatePetition(const Request& req);
  Response ListSignatures(const Request& req);
  Response GetSignature(const Request& req);
  Response UpdateSignature(const Request& req);
  // Asynchronous: answers once the signature is durable, without parking a thread.
  void RecordSignature(const Request& req, Respond respond);
  Response ListPeople(const Request& req);
  Response GetPerson(const Request& req);
  Response SignupPerson(const Request& req);
  Response UpdatePerson(const Request& req);
  Response ListPersonSignatures(const Request& req);
  Response GetPersonSignature(const Request& req);
  Response ListOrganizations(const Request& req);
  Response GetOrganization(const Request& req);

 private:
  Result<Caller> Admit(const Request& req, Auth auth);
  // A 415 response if the content type is not JSON (a missing one is accepted).
  std::optional<Response> CheckContentType(const Request& req);
  // The JSON body, or for clients that send flat fields instead of JSON (ParseLenientBody),
  // those of `fields` found in the query (empty body) or in a form-encoded body.
  Result<json> LenientBody(const Request& req, std::span<const std::string_view> fields);
  // The person named by the {id} route parameter.
  Result<Person> PersonParam(const Request& req);
  // The uuid of the petition with this id, cached in *cache for one request ("" if gone).
  std::string PetitionUuidOf(std::int64_t campaign_id,
                             std::unordered_map<std::int64_t, std::string>* cache);
  Result<Page> Pagination(const Request& req);
  Result<CollectionFilter> Filter(const Request& req, FilterTarget target);
  // The petition named by the {id} route parameter; drafts only for authenticated callers.
  Result<Campaign> PetitionParam(const Request& req, const Caller& caller);
  // Why token may not make this request (its scope), or nullopt.
  static std::optional<Error> OutOfScope(const Request& req, const ApiToken& token);
  // Person uuid for a signature (by canonical email), cached in *cache for one request.
  std::string PersonUuidOf(const Signature& s, std::unordered_map<std::string, std::string>* cache);
  // The petition's resource with its counts (from the snapshot).
  json PetitionOut(const Campaign& c);
  // rel: the link relation of the items, "osdi:signatures".
  Response Collection(const Request& req, const std::string& url, const std::string& rel,
                      std::vector<json> items, const PageInfo& info);
  Result<Campaign> CreateWithFreeSlug(Campaign c, bool slug_derived);
  // Petitions whose foreign identifiers include identifier, filtered and paged like List.
  Result<Paged<Campaign>> PetitionsWithForeignId(const std::string& identifier,
                                                 std::optional<CampaignStatus> status,
                                                 const TimeFilter& time, Page page);
  // A petition's signatures in one group, newest first, paged like Store::ListSignatures.
  Result<Paged<Signature>> SignaturesInGroup(std::int64_t campaign_id, const std::string& group,
                                             const TimeFilter& time, Page page);

  ApiDeps d_;
  Urls urls_;
  RateLimiter per_token_;
  RateLimiter per_address_;
  std::atomic<std::uint64_t> calls_{0};
};

// The flat fields (query parameters, or a form body) each write takes from clients that send
// no JSON (ParseLenientBody). A person's are read by ParsePersonJson.
constexpr std::string_view kFlatPersonFields[] = {"email_address", "given_name", "family_name",
                                                  "postal_code", "country"};
constexpr std::string_view kFlatSignatureFields[] = {"comments",   "person_id",   "email_address",
                                                     "given_name", "family_name", "postal_code",
                                                     "country"};
constexpr std::string_view kFlatCommentFields[] = {"comments"};
constexpr std::string_view kFlatPetitionFields[] = {"title", "description", "petition_text",
                                                    "summary"};

constexpr std::uint64_t kSweepEvery = 4096;  // calls between dropping idle rate-limit buckets

// ---------------------------------------------------------------- plumbing

Result<Caller> Api::Admit(const Request& req, Auth auth) {
  if (calls_.fetch_add(1, std::memory_order_relaxed) % kSweepEvery == kSweepEvery - 1) {
    per_token_.Sweep();
    per_address_.Sweep();
  }
  std::string raw = req.Header("osdi-api-token");
  if (raw.empty()) raw = req.Query("osdi-api-token").value_or("");
  raw = Trim(raw);
  const std::string address_key = "a:" + req.remote_address;
  auto limited = [](int wait) {
    return Error{
        Code::kTooManyRequests,
        "too many requests; wait " + std::to_string(wait) + " s (Retry-After) and try again",
        {},
        wait};
  };
  if (!raw.empty()) {
    auto token = d_.tokens.Authenticate(raw);
    if (token) {
      if (int wait = per_token_.Take("t:" + std::to_string(token->id))) {
        return Fail(limited(wait));
      }
      if (auto refused = OutOfScope(req, *token)) return Fail(std::move(*refused));
      return Caller{*token};
    }
    if (token.error().code != Code::kUnauthenticated) return Fail(token.error());
    // Wrong tokens count against the address, so guessing is slow.
    if (int wait = per_address_.Take(address_key)) return Fail(limited(wait));
    return Fail(Code::kUnauthenticated,
                "invalid API token: check the OSDI-API-Token header (tokens are made with "
                "`undersigned token create --name NAME`)");
  }
  if (int wait = per_address_.Take(address_key)) return Fail(limited(wait));
  if (auth == Auth::kRequired) {
    return Fail(Code::kUnauthenticated,
                "this endpoint needs an API token: send it in the OSDI-API-Token header");
  }
  return Caller{};
}

std::optional<Response> Api::CheckContentType(const Request& req) {
  std::string ct = req.Header("content-type");
  if (Trim(ct).empty() || api::IsJsonContentType(ct)) return std::nullopt;
  Response r = Response::Json(
      api::Dump(json{{"error", "unsupported content type '" + Quote(ct) +
                                   "': send JSON with the header Content-Type: application/json"}}),
      415, kHalJson);
  r.Header("Accept-Post", "application/json, application/hal+json");
  return r;
}

Result<json> Api::LenientBody(const Request& req, std::span<const std::string_view> fields) {
  return api::ParseLenientBody(req.body, req.query, fields);
}

Result<Person> Api::PersonParam(const Request& req) {
  const std::string raw = req.Param("id");
  auto id = api::OwnId(raw);
  if (!id || id->empty()) return Fail(NotFound("person", raw));
  auto p = d_.people.Get(*id);
  if (!p && p.error().code == Code::kNotFound) return Fail(NotFound("person", raw));
  return p;
}

std::string Api::PetitionUuidOf(std::int64_t campaign_id,
                                std::unordered_map<std::int64_t, std::string>* cache) {
  if (auto it = cache->find(campaign_id); it != cache->end()) return it->second;
  auto snap = d_.campaigns.SnapshotById(campaign_id);
  std::string uuid = snap ? snap->campaign.uuid : std::string();
  (*cache)[campaign_id] = uuid;
  return uuid;
}

Result<Page> Api::Pagination(const Request& req) {
  return api::ParsePagination(req.Query("page"), req.Query("per_page"));
}

Result<CollectionFilter> Api::Filter(const Request& req, FilterTarget target) {
  auto text = req.Query("filter");
  if (!text) text = req.Query("$filter");
  if (!text) return CollectionFilter{};
  auto clauses = api::ParseFilter(*text);
  if (!clauses) return Fail(clauses.error());
  return api::InterpretFilter(*clauses, target);
}

// A scoped token (ApiToken::campaign_id, read_only) reaches only what its scope names: a
// read-only one makes no change, and one for a campaign reaches that petition and what is under
// it (PetitionParam checks which petition), not the list of petitions nor the people, who sign
// other campaigns too.
std::optional<Error> Api::OutOfScope(const Request& req, const ApiToken& token) {
  if (token.read_only && req.method != "GET" && req.method != "HEAD") {
    return Error{Code::kForbidden,
                 "this API token is read-only: it cannot " + req.method + " " + req.path,
                 {},
                 0};
  }
  if (!token.campaign_id) return std::nullopt;
  static constexpr std::string_view kPetition = "/api/v2/petitions/";
  const std::string_view path = req.path;
  const bool entry = path == "/api/v2" || path == "/api/v2/";
  const bool under_petition =
      path.size() > kPetition.size() && path.substr(0, kPetition.size()) == kPetition;
  if (entry || under_petition) return std::nullopt;
  return Error{Code::kForbidden,
               "this API token is for one petition only: use /api/v2/petitions/{its id} and "
               "what is under it",
               {},
               0};
}

Result<Campaign> Api::PetitionParam(const Request& req, const Caller& caller) {
  const std::string raw = req.Param("id");
  auto id = api::OwnId(raw);
  if (!id || id->empty()) return Fail(NotFound("petition", raw));
  auto c = d_.campaigns.GetByUuid(*id);
  if (!c) {
    if (c.error().code == Code::kNotFound) return Fail(NotFound("petition", raw));
    return c;
  }
  if (c->status == CampaignStatus::kDraft && !caller.authenticated()) {
    return Fail(NotFound("petition", raw));
  }
  if (caller.token && caller.token->campaign_id && *caller.token->campaign_id != c->id) {
    return Fail(Code::kForbidden, "this API token is for another petition");
  }
  return c;
}

std::string Api::PersonUuidOf(const Signature& s,
                              std::unordered_map<std::string, std::string>* cache) {
  if (!s.person_uuid.empty()) return s.person_uuid;  // the store joins it in
  if (cache) {
    if (auto it = cache->find(s.canonical_email); it != cache->end()) return it->second;
  }
  std::string uuid = d_.people.UuidByCanonicalEmail(s.canonical_email).value_or("");
  if (cache) (*cache)[s.canonical_email] = uuid;
  return uuid;
}

json Api::PetitionOut(const Campaign& c) {
  auto snap = d_.campaigns.SnapshotById(c.id);
  return api::PetitionJson(urls_, c, snap ? snap->counts : CampaignCounts{}, d_.clock.Now(),
                           snap ? static_cast<std::int64_t>(snap->organizations.size()) : 0);
}

Response Api::Collection(const Request& req, const std::string& url, const std::string& rel,
                         std::vector<json> items, const PageInfo& info) {
  std::string filter_param;
  if (auto f = req.Query("filter")) {
    filter_param = "&filter=" + PercentEncode(*f);
  } else if (auto f2 = req.Query("$filter")) {
    filter_param = "&filter=" + PercentEncode(*f2);
  }
  auto page_url = [&](std::int64_t page) {
    return url + "?page=" + std::to_string(page) + "&per_page=" + std::to_string(info.per_page) +
           filter_param;
  };
  json hrefs = json::array();
  for (json& item : items) {
    hrefs.push_back({{"href", item["_links"]["self"]["href"]}});
    item["_links"].erase("curies");  // once, at the top, is enough
  }
  json links = {{"self", {{"href", page_url(info.page)}}}};
  if (info.has_next) links["next"] = {{"href", page_url(info.page + 1)}};
  if (info.has_previous) {
    std::int64_t prev =
        std::min<std::int64_t>(info.page - 1, std::max<std::int64_t>(info.total_pages, 1));
    links["previous"] = {{"href", page_url(prev)}};
  }
  links[rel] = std::move(hrefs);
  links["curies"] = urls_.Curies();
  json body = {
      {"total_pages", info.total_pages},
      {"per_page", info.per_page},
      {"page", info.page},
      {"total_records", info.total_records},
      {"_links", std::move(links)},
      {"_embedded", {{rel, std::move(items)}}},
  };
  return Hal(body);
}

// ---------------------------------------------------------------- entry point

Response Api::Entry(const Request& req) {
  auto caller = Admit(req, Auth::kOptional);
  if (!caller) return ApiError(caller.error());
  // Only the collections undersigned has are linked (OSDI lists events, forms, donations, tags,
  // lists... too; a client that follows a link must find something there).
  json body = {
      {"motd",
       "Welcome to the undersigned API, compatible with OSDI 1.2 as Action Network "
       "speaks it. Petitions are public; people and signatures need an OSDI-API-Token."},
      {"vendor_name", "undersigned"},
      {"product_name", "undersigned"},
      {"osdi_version", "1.2"},
      {"namespace", std::string(api::kNamespace)},
      {"max_pagesize", api::kMaxPerPage},
      {"max_page_size", api::kMaxPerPage},
      {"_links",
       {
           {"self", {{"href", urls_.Api("/")}, {"title", "this API entry point"}}},
           {"osdi:people", {{"href", urls_.People()}, {"title", "the people who signed"}}},
           {"osdi:petitions", {{"href", urls_.Petitions()}, {"title", "the petitions"}}},
           {"docs",
            {{"href", "https://opensupporter.github.io/osdi-docs/"},
             {"title", "OSDI documentation"}}},
           {"curies", urls_.Curies()},
       }},
  };
  return Hal(body);
}

// ---------------------------------------------------------------- petitions

Response Api::ListPetitions(const Request& req) {
  auto caller = Admit(req, Auth::kOptional);
  if (!caller) return ApiError(caller.error());
  auto page = Pagination(req);
  if (!page) return ApiError(page.error());
  auto filter = Filter(req, FilterTarget::kPetitions);
  if (!filter) return ApiError(filter.error());

  std::optional<CampaignStatus> status = filter->status;
  if (!caller->authenticated()) {
    if (status == CampaignStatus::kDraft) {
      return ApiError(Code::kUnauthenticated, "draft petitions are listed only with an API token");
    }
    if (!status) status = CampaignStatus::kOpen;  // without a token: what the public can see
  }

  std::vector<json> items;
  std::int64_t total = 0;
  // A status filter compares the status at this moment: a campaign whose deadline passed is
  // closed here as on every other surface.
  const UnixTime now = d_.clock.Now();
  TimeFilter time = filter->time;
  time.status_at = now;
  if (filter->empty_result) {
    // nothing
  } else if (filter->identifier && !api::OwnId(*filter->identifier)) {
    // A foreign system's identifier, kept from a POST or PUT.
    auto list = PetitionsWithForeignId(*filter->identifier, status, time, *page);
    if (!list) return ApiError(list.error());
    total = list->total;
    for (const Campaign& c : list->items) items.push_back(PetitionOut(c));
  } else if (filter->identifier) {
    auto id = api::OwnId(*filter->identifier);
    auto c = d_.campaigns.GetByUuid(*id);
    if (!c && c.error().code != Code::kNotFound) return ApiError(c.error());
    bool visible = c && (!status || StatusAt(*c, now) == *status) &&
                   (caller->authenticated() || c->status != CampaignStatus::kDraft) &&
                   (!filter->time.modified_after || c->modified > *filter->time.modified_after) &&
                   (!filter->time.modified_before || c->modified < *filter->time.modified_before);
    if (visible) {
      total = 1;
      if (page->page == 1) items.push_back(PetitionOut(*c));
    }
  } else {
    auto list = d_.campaigns.List(status, time, *page);
    if (!list) return ApiError(list.error());
    total = list->total;
    for (const Campaign& c : list->items) items.push_back(PetitionOut(c));
  }
  return Collection(req, urls_.Petitions(), "osdi:petitions", std::move(items),
                    api::Paginate(*page, total));
}

Result<Paged<Campaign>> Api::PetitionsWithForeignId(const std::string& identifier,
                                                    std::optional<CampaignStatus> status,
                                                    const TimeFilter& time, Page page) {
  return d_.campaigns.ListByIdentifier(identifier, status, time, page);
}

Result<Paged<Signature>> Api::SignaturesInGroup(std::int64_t campaign_id, const std::string& group,
                                                const TimeFilter& time, Page page) {
  return d_.signing.ListSignatures(campaign_id, group, time, page);
}

Response Api::GetPetition(const Request& req) {
  auto caller = Admit(req, Auth::kOptional);
  if (!caller) return ApiError(caller.error());
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  return Hal(PetitionOut(*c));
}

Result<Campaign> Api::CreateWithFreeSlug(Campaign c, bool slug_derived) {
  if (slug_derived && c.slug.size() < 3) c.slug = "petition-" + c.uuid.substr(0, 8);
  const std::string base = c.slug;
  for (int attempt = 1;; ++attempt) {
    auto created = d_.campaigns.Create(c);
    if (created || !slug_derived || created.error().code != Code::kConflict || attempt > 5) {
      return created;
    }
    // The derived slug is taken: try "<slug>-2" ... then one with part of the uuid.
    std::string suffix =
        attempt < 5 ? "-" + std::to_string(attempt + 1) : "-" + c.uuid.substr(0, 8);
    c.slug = base.substr(0, 64 - suffix.size());
    while (!c.slug.empty() && c.slug.back() == '-') c.slug.pop_back();
    c.slug += suffix;
  }
}

Response Api::CreatePetition(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  if (auto bad = CheckContentType(req)) return *bad;
  auto body = LenientBody(req, kFlatPetitionFields);
  if (!body) return ApiError(body.error());
  Campaign c;
  c.uuid = service::NewUuid();
  auto applied = api::ApplyPetitionJson(*body, /*creating=*/true, c);
  if (!applied) return ApiError(applied.error());
  const bool derived = !body->contains("name") || (*body)["name"].is_null();
  auto created = CreateWithFreeSlug(std::move(c), derived);
  if (!created) return ApiError(api::PetitionFieldError(created.error()));
  Response r = Hal(PetitionOut(*created));
  r.Header("Location", urls_.Petition(created->uuid));
  return r;
}

Response Api::UpdatePetition(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  if (auto bad = CheckContentType(req)) return *bad;
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  auto body = LenientBody(req, kFlatPetitionFields);
  if (!body) return ApiError(body.error());
  auto applied = api::ApplyPetitionJson(*body, /*creating=*/false, *c);
  if (!applied) return ApiError(applied.error());
  auto updated = d_.campaigns.Update(*c);
  if (!updated) return ApiError(api::PetitionFieldError(updated.error()));
  return Hal(PetitionOut(*updated));
}

// ---------------------------------------------------------------- signatures

Response Api::ListSignatures(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  auto page = Pagination(req);
  if (!page) return ApiError(page.error());
  auto filter = Filter(req, FilterTarget::kSignatures);
  if (!filter) return ApiError(filter.error());
  const std::optional<std::string>& group = filter->group;
  if (group && FindGroup(*c, *group) == nullptr) {
    return ApiError(Code::kInvalidArgument, "filter: this petition has no group '" + Quote(*group) +
                                                "'; its groups: " + GroupKeys(*c));
  }

  std::unordered_map<std::string, std::string> people;
  std::vector<json> items;
  std::int64_t total = 0;
  if (filter->empty_result) {
    // nothing
  } else if (filter->identifier) {
    auto id = api::OwnId(*filter->identifier);
    auto s = id ? d_.signing.GetSignature(*id) : Result<Signature>(Fail(Code::kNotFound, ""));
    if (!s && s.error().code != Code::kNotFound) return ApiError(s.error());
    if (s && s->campaign_id == c->id && (!group || GroupOf(*s) == *group) &&
        (!filter->time.modified_after || s->modified > *filter->time.modified_after) &&
        (!filter->time.modified_before || s->modified < *filter->time.modified_before)) {
      total = 1;
      if (page->page == 1) {
        items.push_back(api::SignatureJson(urls_, *s, c->uuid, PersonUuidOf(*s, &people)));
      }
    }
  } else {
    auto list = group ? SignaturesInGroup(c->id, *group, filter->time, *page)
                      : d_.signing.ListSignatures(c->id, std::nullopt, filter->time, *page);
    if (!list) return ApiError(list.error());
    total = list->total;
    for (const Signature& s : list->items) {
      items.push_back(api::SignatureJson(urls_, s, c->uuid, PersonUuidOf(s, &people)));
    }
  }
  return Collection(req, urls_.Signatures(c->uuid), "osdi:signatures", std::move(items),
                    api::Paginate(*page, total));
}

Response Api::GetSignature(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  const std::string raw = req.Param("sid");
  auto id = api::OwnId(raw);
  if (!id || id->empty()) return ApiError(NotFound("signature", raw));
  auto s = d_.signing.GetSignature(*id);
  if (!s) {
    if (s.error().code == Code::kNotFound) return ApiError(NotFound("signature", raw));
    return ApiError(s.error());
  }
  if (s->campaign_id != c->id) return ApiError(NotFound("signature", raw));
  return Hal(api::SignatureJson(urls_, *s, c->uuid, PersonUuidOf(*s, nullptr)));
}

// Only the comments change (as in Action Network); a body that would change who signed, or how
// they are shown, is refused rather than half applied, so that a round trip of the resource
// with new comments works and nothing else can slip through.
Response Api::UpdateSignature(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  if (auto bad = CheckContentType(req)) return *bad;
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  const std::string raw = req.Param("sid");
  auto id = api::OwnId(raw);
  if (!id || id->empty()) return ApiError(NotFound("signature", raw));
  auto body = LenientBody(req, kFlatCommentFields);
  if (!body) return ApiError(body.error());
  auto current = d_.signing.GetSignature(*id);
  if (!current || current->campaign_id != c->id) {
    if (current || current.error().code == Code::kNotFound) {
      return ApiError(NotFound("signature", raw));
    }
    return ApiError(current.error());
  }
  const json now = api::SignatureJson(urls_, *current, c->uuid, PersonUuidOf(*current, nullptr));
  auto comments = api::ParseSignatureEdit(*body, now);
  if (!comments) return ApiError(comments.error());
  auto updated = d_.signing.EditComment(c->id, *id, std::move(*comments));
  if (!updated) {
    Error e = updated.error();
    if (e.code == Code::kNotFound) e = NotFound("signature", raw);
    if (e.code == Code::kInvalidArgument) e = api::SignatureFieldError(std::move(e));
    return ApiError(e);
  }
  return Hal(api::SignatureJson(urls_, *updated, c->uuid, PersonUuidOf(*updated, nullptr)));
}

void Api::RecordSignature(const Request& req, Respond respond) {
  auto caller = Admit(req, Auth::kOptional);
  if (!caller) return respond(ApiError(caller.error()));
  if (auto bad = CheckContentType(req)) return respond(std::move(*bad));
  auto c = PetitionParam(req, *caller);
  if (!c) return respond(ApiError(c.error()));
  auto body = LenientBody(req, kFlatSignatureFields);
  if (!body) return respond(ApiError(body.error()));
  const bool links_lost = Trim(req.body).empty() && req.Query("_links").has_value();
  if (auto nested = api::NestFlatSignature(*body, links_lost); !nested) {
    return respond(ApiError(nested.error()));
  }
  if (c->status == CampaignStatus::kDraft) {
    return respond(ApiError(Code::kConflict,
                            "this petition is a draft: set undersigned:status to \"open\" before "
                            "recording signatures"));
  }
  auto input = api::ParseRecordSignature(*body);
  if (!input) return respond(ApiError(input.error()));

  SignatureForm form = std::move(input->form);
  if (input->kind == api::RecordSignatureInput::Kind::kPersonLink) {
    if (!caller->authenticated()) {
      return respond(
          ApiError(Code::kUnauthenticated,
                   "signing as an existing person (_links.osdi:person) needs an API token; "
                   "without one, send the signer as \"person\": {...}"));
    }
    auto person = d_.people.Get(input->person_uuid);
    if (!person) {
      if (person.error().code != Code::kNotFound) return respond(ApiError(person.error()));
      Error e{Code::kInvalidArgument, "You must specify a valid person id", {}, 0};
      e.field_errors["_links.osdi:person"] = "no person with id '" + input->person_uuid + "'";
      return respond(ApiError(e));
    }
    std::string g = Trim(person->given_name), f = Trim(person->family_name);
    form.name = g.empty() ? f : (f.empty() ? g : g + " " + f);
    form.email = person->email;
    form.postal_code = person->postal_code;
    form.country = person->country;
    if (!input->wants_updates_given) form.wants_updates = person->subscribed;
  }
  // An unknown group is named here, with the ones there are (the service only says "no").
  if (FindGroup(*c, form.group) == nullptr) {
    const std::string msg =
        "this petition has no group '" + Quote(form.group) + "'; use one of: " + GroupKeys(*c);
    Error e{Code::kInvalidArgument, "undersigned:group: " + msg, {{"undersigned:group", msg}}, 0};
    return respond(ApiError(e));
  }

  service::SignContext ctx;
  ctx.source = "api";
  ctx.origin = input->origin;
  ctx.trusted = caller->authenticated();
  // A trusted integration is limited per token above, not per address.
  if (!ctx.trusted) ctx.remote_address = req.remote_address;
  const bool trusted = ctx.trusted;
  const bool background = req.Query("background_request") == "true";
  std::string petition_id = req.Param("id");
  d_.signing.SignAsync(
      c->slug, std::move(form), ctx,
      [this, trusted, background, petition_id = std::move(petition_id), uuid = c->uuid,
       respond = std::move(respond)](Result<service::SignResult> signed_) {
        if (!signed_) {
          Error e = signed_.error();
          if (e.code == Code::kInvalidArgument) e = api::SignatureFieldError(std::move(e));
          if (e.code == Code::kNotFound) e = NotFound("petition", petition_id);
          return respond(ApiError(e));
        }
        // A public action has nothing to reveal; background_request=true asks for {} too (AN).
        if (!trusted || background) return respond(Hal(json::object()));
        respond(Hal(api::SignatureJson(urls_, signed_->signature, uuid,
                                       PersonUuidOf(signed_->signature, nullptr))));
      });
}

// ---------------------------------------------------------------- people

Response Api::ListPeople(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  auto page = Pagination(req);
  if (!page) return ApiError(page.error());
  auto filter = Filter(req, FilterTarget::kPeople);
  if (!filter) return ApiError(filter.error());

  std::vector<json> items;
  std::int64_t total = 0;
  if (filter->empty_result) {
    // nothing
  } else if (filter->identifier) {
    auto id = api::OwnId(*filter->identifier);
    auto p = id ? d_.people.Get(*id) : Result<Person>(Fail(Code::kNotFound, ""));
    if (!p && p.error().code != Code::kNotFound) return ApiError(p.error());
    if (p && (!filter->email || CanonicalEmail(Trim(*filter->email)) == p->canonical_email) &&
        (!filter->time.modified_after || p->modified > *filter->time.modified_after) &&
        (!filter->time.modified_before || p->modified < *filter->time.modified_before)) {
      total = 1;
      if (page->page == 1) items.push_back(api::PersonJson(urls_, *p));
    }
  } else {
    std::optional<std::string> canonical;
    if (filter->email) canonical = CanonicalEmail(*filter->email);
    auto list = d_.people.List(canonical, filter->time, *page);
    if (!list) return ApiError(list.error());
    total = list->total;
    for (const Person& p : list->items) items.push_back(api::PersonJson(urls_, p));
  }
  return Collection(req, urls_.People(), "osdi:people", std::move(items),
                    api::Paginate(*page, total));
}

Response Api::GetPerson(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  auto p = PersonParam(req);
  if (!p) return ApiError(p.error());
  return Hal(api::PersonJson(urls_, *p));
}

// The person signup helper: {"person": {...}, "add_tags": [...]}, matched by email (a plain
// OSDI person body, without "person", is taken too). undersigned keeps no tags: add_tags,
// remove_tags and triggers are accepted and ignored.
Response Api::SignupPerson(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  if (auto bad = CheckContentType(req)) return *bad;
  auto body = LenientBody(req, kFlatPersonFields);
  if (!body) return ApiError(body.error());
  const bool helper = body->contains("person");
  const std::string path = helper ? "person." : "";
  auto in = api::ParsePersonJson(helper ? (*body)["person"] : *body, path);
  if (!in) return ApiError(in.error());
  if (!in->email) {
    const std::string field = path + "email_addresses";
    return ApiError(Error{Code::kInvalidArgument,
                          field + " is required: people are matched by email, send " + field +
                              ": [{\"address\": \"name@example.org\"}]",
                          {{field, "is required"}},
                          0});
  }
  auto person = d_.people.Signup(*in->email, std::move(in->change));
  if (!person) return ApiError(api::PersonFieldError(person.error(), path));
  if (req.Query("background_processing") == "true") return Hal(json::object());  // as AN
  return Hal(api::PersonJson(urls_, *person));
}

Response Api::UpdatePerson(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  if (auto bad = CheckContentType(req)) return *bad;
  auto p = PersonParam(req);
  if (!p) return ApiError(p.error());
  auto body = LenientBody(req, kFlatPersonFields);
  if (!body) return ApiError(body.error());
  auto in = api::ParsePersonJson(*body, "");
  if (!in) return ApiError(in.error());
  auto person = d_.people.Update(p->uuid, in->email, std::move(in->change));
  if (!person) {
    if (person.error().code == Code::kNotFound) return ApiError(NotFound("person", p->uuid));
    return ApiError(api::PersonFieldError(person.error(), ""));
  }
  if (req.Query("background_processing") == "true") return Hal(json::object());
  return Hal(api::PersonJson(urls_, *person));
}

// A person's signatures in every petition, newest first. Sealed and anonymous ones are never
// listed here (nor is a person linked from them): that would tie them to their signer.
Response Api::ListPersonSignatures(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  auto p = PersonParam(req);
  if (!p) return ApiError(p.error());
  auto page = Pagination(req);
  if (!page) return ApiError(page.error());
  auto filter = Filter(req, FilterTarget::kSignatures);
  if (!filter) return ApiError(filter.error());
  if (filter->group) {
    return ApiError(Code::kInvalidArgument,
                    "filter: undersigned:group filters a petition's signatures "
                    "(/api/v2/petitions/{id}/signatures), not a person's");
  }
  std::unordered_map<std::int64_t, std::string> petitions;
  std::vector<json> items;
  std::int64_t total = 0;
  auto out = [&](const Signature& s) {
    return api::SignatureJson(urls_, s, PetitionUuidOf(s.campaign_id, &petitions), p->uuid);
  };
  if (filter->empty_result) {
    // nothing
  } else if (filter->identifier) {
    auto id = api::OwnId(*filter->identifier);
    auto s = id ? d_.signing.GetSignature(*id) : Result<Signature>(Fail(Code::kNotFound, ""));
    if (!s && s.error().code != Code::kNotFound) return ApiError(s.error());
    if (s && s->person_id == p->id && api::LinksPerson(*s) &&
        (!filter->time.modified_after || s->modified > *filter->time.modified_after) &&
        (!filter->time.modified_before || s->modified < *filter->time.modified_before)) {
      total = 1;
      if (page->page == 1) items.push_back(out(*s));
    }
  } else {
    auto list = d_.people.Signatures(p->id, filter->time, *page);
    if (!list) return ApiError(list.error());
    total = list->total;
    for (const Signature& s : list->items) items.push_back(out(s));
  }
  return Collection(req, urls_.PersonSignatures(p->uuid), "osdi:signatures", std::move(items),
                    api::Paginate(*page, total));
}

Response Api::GetPersonSignature(const Request& req) {
  auto caller = Admit(req, Auth::kRequired);
  if (!caller) return ApiError(caller.error());
  auto p = PersonParam(req);
  if (!p) return ApiError(p.error());
  const std::string raw = req.Param("sid");
  auto id = api::OwnId(raw);
  if (!id || id->empty()) return ApiError(NotFound("signature", raw));
  auto s = d_.signing.GetSignature(*id);
  if (!s) {
    if (s.error().code == Code::kNotFound) return ApiError(NotFound("signature", raw));
    return ApiError(s.error());
  }
  // Not this person's, or one that must not be tied to them: as if it were not there.
  if (s->person_id != p->id || !api::LinksPerson(*s)) return ApiError(NotFound("signature", raw));
  std::unordered_map<std::int64_t, std::string> petitions;
  return Hal(api::SignatureJson(urls_, *s, PetitionUuidOf(s->campaign_id, &petitions), p->uuid));
}

// ---------------------------------------------------------------- co-signing organizations

// Without a token, only what the campaign page shows (the approved ones); with one, every
// state. In the order they asked to co-sign.
Response Api::ListOrganizations(const Request& req) {
  auto caller = Admit(req, Auth::kOptional);
  if (!caller) return ApiError(caller.error());
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  auto page = Pagination(req);
  if (!page) return ApiError(page.error());
  auto filter = Filter(req, FilterTarget::kOrganizations);
  if (!filter) return ApiError(filter.error());
  std::optional<OrganizationState> state = filter->state;
  std::vector<Organization> matching;
  if (!caller->authenticated() && state && *state != OrganizationState::kApproved) {
    return ApiError(Code::kUnauthenticated,
                    "only approved organizations are listed without an API token");
  }
  if (!caller->authenticated()) state = OrganizationState::kApproved;
  if (!filter->empty_result) {
    auto list = d_.organizations.ListByCampaignId(c->id, state);
    if (!list) return ApiError(list.error());
    std::optional<std::string> id;
    if (filter->identifier) id = api::OwnId(*filter->identifier).value_or("");
    for (Organization& o : *list) {
      if (id && o.uuid != *id) continue;
      if (filter->time.modified_after && o.modified <= *filter->time.modified_after) continue;
      if (filter->time.modified_before && o.modified >= *filter->time.modified_before) continue;
      matching.push_back(std::move(o));
    }
  }
  const auto total = static_cast<std::int64_t>(matching.size());
  const std::int64_t first = static_cast<std::int64_t>(page->page - 1) * page->per_page;
  std::vector<json> items;
  for (std::int64_t i = first; i < total && i < first + page->per_page; ++i) {
    items.push_back(api::OrganizationJson(urls_, matching[static_cast<std::size_t>(i)], *c));
  }
  return Collection(req, urls_.Organizations(c->uuid), "undersigned:organizations",
                    std::move(items), api::Paginate(*page, total));
}

Response Api::GetOrganization(const Request& req) {
  auto caller = Admit(req, Auth::kOptional);
  if (!caller) return ApiError(caller.error());
  auto c = PetitionParam(req, *caller);
  if (!c) return ApiError(c.error());
  const std::string raw = req.Param("oid");
  auto id = api::OwnId(raw);
  if (!id || id->empty()) return ApiError(NotFound("organization", raw));
  auto list = d_.organizations.ListByCampaignId(
      c->id, caller->authenticated()
                 ? std::nullopt
                 : std::optional<OrganizationState>(OrganizationState::kApproved));
  if (!list) return ApiError(list.error());
  for (const Organization& o : *list) {
    if (o.uuid == *id) return Hal(api::OrganizationJson(urls_, o, *c));
  }
  return ApiError(NotFound("organization", raw));
}

// Wraps a member handler: exceptions (bugs) become a JSON 500 instead of a dropped connection.
Handler Bind(const std::shared_ptr<Api>& api, Response (Api::*fn)(const Request&)) {
  return [api, fn](const Request& req) -> Response {
    try {
      return ((*api).*fn)(req);
    } catch (const std::exception& e) {
      spdlog::error("api: {} {} failed: {}", req.method, req.path, e.what());
      return ApiError(Code::kInternal, "internal error");
    }
  };
}

}  // namespace

AsyncHandler BindAsync(const std::shared_ptr<Api>& api, void (Api::*fn)(const Request&, Respond)) {
  return [api, fn](const Request& req, Respond respond) {
    try {
      ((*api).*fn)(req, respond);
    } catch (const std::exception& e) {
      spdlog::error("api: {} {} failed: {}", req.method, req.path, e.what());
      respond(ApiError(Code::kInternal, "internal error"));  // ignored if it had answered
    }
  };
}

std::vector<ApiRoute> MakeApiRoutes(ApiDeps deps) {
  auto api = std::make_shared<Api>(std::move(deps));
  std::vector<ApiRoute> routes;
  auto add = [&](const char* method, const std::string& pattern,
                 Response (Api::*fn)(const Request&), const char* name) {
    bool write = std::string_view(method) != "GET";
    routes.push_back(
        ApiRoute{method, pattern, Bind(api, fn), {}, true, write ? kApiBodyLimit : 0, name});
    if (pattern.back() != '/') {
      routes.push_back(ApiRoute{
          method, pattern + "/", Bind(api, fn), {}, true, write ? kApiBodyLimit : 0, name});
    }
  };
  add("GET", "/api/v2", &Api::Entry, "api_entry");
  add("GET", "/api/v2/petitions", &Api::ListPetitions, "api_petitions_list");
  add("POST", "/api/v2/petitions", &Api::CreatePetition, "api_petitions_create");
  add("GET", "/api/v2/petitions/{id}", &Api::GetPetition, "api_petition_get");
  add("PUT", "/api/v2/petitions/{id}", &Api::UpdatePetition, "api_petition_update");
  add("GET", "/api/v2/petitions/{id}/signatures", &Api::ListSignatures, "api_signatures_list");
  for (const char* pattern :
       {"/api/v2/petitions/{id}/signatures", "/api/v2/petitions/{id}/signatures/"}) {
    // The handler reads the token cache (which may ask the store) on a pool thread, then
    // waits for nothing.
    routes.push_back(ApiRoute{"POST",
                              pattern,
                              {},
                              BindAsync(api, &Api::RecordSignature),
                              true,
                              kApiBodyLimit,
                              "api_record_signature"});
  }
  add("GET", "/api/v2/petitions/{id}/signatures/{sid}", &Api::GetSignature, "api_signature_get");
  add("PUT", "/api/v2/petitions/{id}/signatures/{sid}", &Api::UpdateSignature,
      "api_signature_update");
  add("GET", "/api/v2/petitions/{id}/organizations", &Api::ListOrganizations,
      "api_organizations_list");
  add("GET", "/api/v2/petitions/{id}/organizations/{oid}", &Api::GetOrganization,
      "api_organization_get");
  add("GET", "/api/v2/people", &Api::ListPeople, "api_people_list");
  add("POST", "/api/v2/people", &Api::SignupPerson, "api_person_signup");
  add("GET", "/api/v2/people/{id}", &Api::GetPerson, "api_person_get");
  add("PUT", "/api/v2/people/{id}", &Api::UpdatePerson, "api_person_update");
  add("GET", "/api/v2/people/{id}/signatures", &Api::ListPersonSignatures,
      "api_person_signatures_list");
  add("GET", "/api/v2/people/{id}/signatures/{sid}", &Api::GetPersonSignature,
      "api_person_signature_get");
  return routes;
}

void RegisterApi(Router& router, ApiDeps deps) {
  for (ApiRoute& r : MakeApiRoutes(std::move(deps))) {
    RouteOptions options{r.blocking, r.body_limit, std::move(r.name)};
    if (r.async_handler) {
      router.AddAsync(r.method, r.pattern, std::move(r.async_handler), std::move(options));
    } else {
      router.Add(r.method, r.pattern, std::move(r.handler), std::move(options));
    }
  }
}

}  // namespace undersigned::http
