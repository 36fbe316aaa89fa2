// Rows of the PostgreSQL store into our types and back: the column lists of postgres/queries.h
// mapped to Campaign, Signature, SignatureRow, Person, Organization and OutboxMessage; the JSON
// forms of a campaign's targets, identifiers and groups, and of group counts; token hashes'
// stored form (HashKey); fresh uuids. Pure functions (NewUuid reads the random source).
//
// (These mirror store/sqlite/sqlite_store.cc's helpers so that both backends store the same
// JSON and keys; the integrator of the redesign may move the shared ones to one file.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/signature.h"
#include "store/postgres/pg_conn.h"
#include "store/types.h"
#include "store/write_tx.h"

namespace undersigned::store::pg {

std::string TargetsJson(const std::vector<Target>& targets);
std::string GroupsJson(const std::vector<SignerGroup>& groups);
std::string StringsJson(const std::vector<std::string>& strings);
std::string GroupCountsJson(const std::vector<GroupCount>& groups);
std::vector<GroupCount> ParseGroupCounts(std::string_view text);

// The stored form of a token hash: a hex string of >= 32 even digits as its bytes, anything
// else byte for byte (as SQLite stores it).
std::string HashKey(std::string_view hash);
// A UUIDv7 (time-ordered).
std::string NewUuid();

Result<Campaign> CampaignFrom(const PgResult& r, int row);
// Signature from the first 25 columns of US_SIGNATURE_COLS; SignatureRowFrom adds the last 4.
Signature SignatureFrom(const PgResult& r, int row);
SignatureRow SignatureRowFrom(const PgResult& r, int row);
Person PersonFrom(const PgResult& r, int row);
Organization OrganizationFrom(const PgResult& r, int row);
OutboxMessage OutboxFrom(const PgResult& r, int row);
// kCountsOf's columns from `first` on.
CampaignCounts CountsFrom(const PgResult& r, int row, int first);

struct Limits {
  std::int64_t limit;
  std::int64_t offset;
};
Limits PageLimits(Page p);

}  // namespace undersigned::store::pg
