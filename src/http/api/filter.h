// OSDI collection filters: the `filter` (or `$filter`) query parameter, an OData subset such as
// `modified_date gt '2024-01-01' and email_address eq 'ada@example.org'`.
//
// Fields: modified_date and identifier everywhere; email_address (people); undersigned:status
// (petitions); undersigned:group (signatures: the key of a signer group, `eq` only); state, also
// spelt undersigned:state (co-signing organizations: pending, confirmed, approved, rejected;
// `eq` only).
//
// ParseFilter only parses; InterpretFilter checks the fields and operators one collection
// supports and turns the clauses into what the Store can answer (TimeFilter, an email, an
// identifier, a status). Both are pure functions: thread-safe, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "store/store.h"

namespace undersigned::http::api {

enum class FilterOp { kEq, kNe, kGt, kGe, kLt, kLe };
const char* FilterOpName(FilterOp op);

struct FilterClause {
  std::string field;  // as written, e.g. "modified_date", "undersigned:status"
  FilterOp op = FilterOp::kEq;
  std::string value;  // unquoted; '' inside single quotes is one quote
};

// Longest filter accepted, and most clauses joined by `and`.
inline constexpr std::size_t kMaxFilterBytes = 1000;
inline constexpr std::size_t kMaxFilterClauses = 8;

// Grammar: clause ( "and" clause )*, clause = field op value, where field is
// [A-Za-z0-9_.:-]+, op is one of eq ne gt ge lt le (any case), and value is 'single quoted'
// (with '' for a quote), "double quoted", or a bare word without spaces. `or` and parentheses
// are refused with a message. An empty (all-space) text gives no clauses.
// Errors are kInvalidArgument with a message that says what to fix.
Result<std::vector<FilterClause>> ParseFilter(std::string_view text);

// The collections that take filters; each supports its own fields.
enum class FilterTarget { kPetitions, kSignatures, kPeople, kOrganizations };

struct CollectionFilter {
  TimeFilter time;                         // modified_date gt/ge/lt/le
  std::optional<std::string> email;        // people: email_address eq (as given, trimmed)
  std::optional<std::string> identifier;   // identifier eq 'ns:id' (as given)
  std::optional<CampaignStatus> status;    // petitions: undersigned:status eq
  std::optional<std::string> group;        // signatures: undersigned:group eq (a group key)
  std::optional<OrganizationState> state;  // organizations: state eq
  bool empty_result = false;               // the clauses cannot match anything (e.g. gt after lt)
};

// Checks each clause against the fields target supports (unsupported fields or operators are
// kInvalidArgument naming what is supported) and folds them together: several time bounds
// intersect; dates accept the forms of ParseIso8601 (a bare date means its midnight UTC).
Result<CollectionFilter> InterpretFilter(const std::vector<FilterClause>& clauses,
                                         FilterTarget target);

// What InterpretFilter accepts for target, for error messages and docs.
std::string SupportedFilters(FilterTarget target);

}  // namespace undersigned::http::api
