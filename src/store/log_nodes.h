// Which nodes of the signature log's tree a store keeps, and how any other node is made from
// them: shared by every backend (sqlite/log_writer.cc, postgres/pg_log.cc).
//
// A store keeps only the nodes of the tile levels (multiples of log::kTileHeight): they are
// what tiles serve, and any other node is at most 2^7 = 128 hashes of the tile level below it.
// Keeping every level would cost each appended leaf another insert, and each commit a page per
// level.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/error.h"
#include "log/merkle.h"

namespace undersigned::store {

bool StoresNodesOf(std::uint8_t level);

// Reads count consecutive stored hashes at a tile level (StoresNodesOf(level)); kNotFound if
// any is missing.
using StoredHashReader = std::function<Result<std::vector<log::Hash>>(
    std::uint8_t level, std::uint64_t first, std::uint64_t count)>;

// count consecutive hashes at any level: read from the tile level at or below it with read and
// hashed up. kNotFound beyond the tree.
Result<std::vector<log::Hash>> ReadHashRange(std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count, const StoredHashReader& read);

}  // namespace undersigned::store
