// The OSDI / Action Network compatible API under /api/v2/: the entry point, petitions (list,
// get, create, update), their signatures (list, get, and the record-signature helper) and people
// (list, get, create by the signup helper, update), a person's signatures. See docs/api.md.
//
// Signer groups (core/group.h): petitions carry their groups, anonymity floor and counts by
// group; signatures their group, verification and visibility, and may be filtered by group
// (`filter=undersigned:group eq 'employees'`); the record-signature helper takes the group, work
// address, visibility and attestation (resources.h). A token never verifies an employee: such a
// signature stays pending until the link sent to the work address is followed.
//
// Co-signing organizations (core/organization.h), read-only and not an OSDI type:
// GET /api/v2/petitions/{id}/organizations (HAL collection, embedded as
// `undersigned:organizations`, in the order they asked to co-sign; `filter=state eq 'approved'`)
// and .../organizations/{oid}; petitions link them and carry `undersigned:organization_count`
// (approved ones). Without a token only approved organizations are visible (what the campaign
// page shows); with one, every state. Their contact addresses are never in the API.
//
// Handlers only translate HTTP to service calls and back: every read and write goes through the
// services (campaigns, signing, people, organizations, tokens), never the store, so that the
// CLI and the console share the same rules. Responses are application/hal+json;
// errors are {"error": "..."} (plus "fields" naming each bad field) with 400, 401, 404, 409,
// 413, 415 or 429 (+ Retry-After).
//
// Auth: the `OSDI-API-Token` header or the `osdi-api-token` query parameter. Petitions are
// readable without a token (open and closed ones; drafts need a token); people and signatures
// need one; writes need one, except the record-signature helper, which without a token is a
// public action (waits for email confirmation, answers 200 {}). A token that is present but
// wrong is always 401. Calls are rate limited per token (per address without one).
//
// Ownership: the handlers hold references to the services and clock in ApiDeps (owned
// by app::App, which must outlive the router) and share one rate limiter. Thread-safe: every
// handler may run on any blocking-executor thread concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/rate_limiter.h"
#include "http/message.h"
#include "http/router.h"
#include "service/api_tokens.h"
#include "service/campaigns.h"
#include "service/organizations.h"
#include "service/people.h"
#include "service/signing.h"

namespace undersigned::http {

class Router;

struct ApiDeps {
  service::CampaignService& campaigns;
  service::SigningService& signing;
  service::ApiTokenService& tokens;
  service::PeopleService& people;
  service::OrganizationService& organizations;
  const Clock& clock;
  std::string base_url;  // public origin, "https://sign.example.org"; links are absolute
  // Per token (and per address for calls without one): Action Network allows 4 a second.
  RateLimit per_token{40, 4.0, true};
  // Also list "action_network:<uuid>" in identifiers, so that Action Network client libraries
  // (which look for that prefix to find an object's id) work unchanged.
  bool action_network_ids = true;
};

inline constexpr std::size_t kApiBodyLimit = std::size_t{64} * 1024;

// One route of the API, as the Router takes it.
struct ApiRoute {
  std::string method;          // "GET", "POST", "PUT"
  std::string pattern;         // "/api/v2/petitions/{id}/signatures"
  Handler handler;             // or, for a route answered asynchronously:
  AsyncHandler async_handler;  // (recording a signature: nothing waits for the disk)
  bool blocking = true;        // all of them touch the store
  std::size_t body_limit = 0;
  std::string name;  // for metrics, "api_petitions_list"
};

// The routes, with their handlers sharing one state (rate limiter, URL builder). Patterns use
// {id} (petition or person id) and {sid} (signature id); a handler reads them from
// Request::params. Both "/api/v2/petitions" and "/api/v2/petitions/" are listed (Action
// Network clients use the trailing slash).
std::vector<ApiRoute> MakeApiRoutes(ApiDeps deps);

// Adds MakeApiRoutes(deps) to router.
void RegisterApi(Router& router, ApiDeps deps);

}  // namespace undersigned::http
