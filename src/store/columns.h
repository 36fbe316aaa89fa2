// The stored forms every backend shares: how a token hash is kept (HashKey) and the JSON
// columns of campaigns and counts (targets, signer groups, group counts, identifiers). One
// definition, so that a database written by one backend reads the same in the other and the
// forms cannot drift apart. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/group.h"

namespace undersigned::store {

// The stored form of a token hash: a hex string (hex SHA-256 is what the service makes; a
// time-ordered hex prefix before it is welcome, see store/sqlite/sqlite_store.h) is stored as
// its bytes, halving the unique indexes; anything else is kept byte for byte. Hex digits are
// case-insensitive.
std::string HashKey(std::string_view hash);

// The JSON columns of campaigns and campaign_counts.
std::string TargetsJson(const std::vector<Target>& targets);
Result<std::vector<Target>> ParseTargets(std::string_view text);
std::string GroupsJson(const std::vector<SignerGroup>& groups);
Result<std::vector<SignerGroup>> ParseGroups(std::string_view text);
// Group counts as campaign_counts.groups keeps them: {"key": confirmed}.
std::string GroupCountsJson(const std::vector<GroupCount>& groups);
std::vector<GroupCount> ParseGroupCounts(std::string_view text);
// A campaign's picture as campaigns.image keeps it: {"sha256", "alt", "width", "height"}; an
// empty or NULL column (View gives "") is no picture.
std::string ImageJson(const CampaignImage& image);
Result<std::optional<CampaignImage>> ParseImage(std::string_view text);
// The people who can move the targets (core/share_target.h) as campaigns.secondary_targets
// keeps them: [{"name", "about", "x", "bluesky", "mastodon", "posts": [...]}]; "" is none.
std::string SecondaryTargetsJson(const std::vector<SecondaryTarget>& targets);
Result<std::vector<SecondaryTarget>> ParseSecondaryTargetsJson(std::string_view text);
// A campaign's foreign identifiers (and organizers) as a JSON array of strings.
std::string IdentifiersJson(const std::vector<std::string>& ids);
Result<std::vector<std::string>> ParseIdentifiers(std::string_view text);

}  // namespace undersigned::store
