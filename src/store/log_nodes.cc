#include "store/log_nodes.h"

#include <limits>

#include "log/tiles.h"

namespace undersigned::store {

bool StoresNodesOf(std::uint8_t level) { return level % log::kTileHeight == 0; }

Result<std::vector<log::Hash>> ReadHashRange(std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count, const StoredHashReader& read) {
  if (StoresNodesOf(level)) return read(level, first, count);
  const int up = level % log::kTileHeight;
  const auto base = static_cast<std::uint8_t>(level - up);
  if (first > (std::numeric_limits<std::uint64_t>::max() >> up) ||
      count > (std::uint64_t{1} << (56 - up))) {
    return Fail(Code::kNotFound, "no such log node");
  }
  auto hashes = read(base, first << up, count << up);
  if (!hashes) return Fail(hashes.error());
  std::vector<log::Hash>& h = *hashes;
  for (int l = 0; l < up; ++l) {
    const std::size_t n = h.size() / 2;
    for (std::size_t i = 0; i < n; ++i) h[i] = log::NodeHash(h[2 * i], h[2 * i + 1]);
    h.resize(n);
  }
  return hashes;
}

}  // namespace undersigned::store
