// Rows of the PostgreSQL store into our types and back: the column lists of postgres/queries.h
// mapped to Campaign, Signature, SignatureRow, Person, Organization and OutboxMessage; the JSON
// JSON columns and token hashes' stored form are the ones every backend shares
// (store/columns.h); fresh uuids come from store/random.h. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "core/signature.h"
#include "store/columns.h"
#include "store/postgres/pg_conn.h"
#include "store/random.h"
#include "store/types.h"
#include "store/write_tx.h"

namespace undersigned::store::pg {

// The shared stored forms (store/columns.h, store/random.h), under this namespace too.
using store::GroupCountsJson;
using store::GroupsJson;
using store::HashKey;
using store::IdentifiersJson;
using store::ImageJson;
using store::NewUuid;
using store::ParseGroupCounts;
using store::ParseImage;
using store::SecondaryTargetsJson;
using store::TargetsJson;

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
