#include "log/tiles.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>

namespace undersigned::log {
namespace {

// x >> s, defined as 0 for s >= 64.
inline uint64_t Shr(uint64_t x, unsigned s) { return s >= 64 ? 0 : x >> s; }

tl::unexpected<Error> BadPath(std::string_view path) {
  return Fail(Code::kInvalidArgument, "not a canonical tile path: " + std::string(path));
}

// Parses the decimal number at the start of s (digits only), advancing s.
std::optional<uint64_t> TakeNumber(std::string_view& s, size_t max_digits) {
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > max_digits) return std::nullopt;
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + n, v);
  s.remove_prefix(n);
  return v;
}

// Parses "<N>[.p/<W>]" (the part after "tile/<L>/" or "tile/entries/") loosely; the caller
// checks canonical form by re-encoding.
std::optional<std::pair<uint64_t, uint16_t>> ParseIndexAndWidth(std::string_view s) {
  uint64_t index = 0;
  for (;;) {
    const bool more = !s.empty() && s[0] == 'x';
    if (more) s.remove_prefix(1);
    if (s.size() < 3) return std::nullopt;
    std::string_view group = s.substr(0, 3);
    auto g = TakeNumber(group, 3);
    if (!g || !group.empty()) return std::nullopt;
    s.remove_prefix(3);
    if (index > (UINT64_MAX - *g) / 1000) return std::nullopt;  // overflow
    index = index * 1000 + *g;
    if (!more) break;
    if (s.empty() || s[0] != '/') return std::nullopt;
    s.remove_prefix(1);
  }
  uint16_t width = kTileWidth;
  if (!s.empty()) {
    if (s.substr(0, 3) != ".p/") return std::nullopt;
    s.remove_prefix(3);
    auto w = TakeNumber(s, 3);
    if (!w || !s.empty() || *w == 0 || *w >= kTileWidth) return std::nullopt;
    width = static_cast<uint16_t>(*w);
  }
  return std::make_pair(index, width);
}

std::string WidthSuffix(uint16_t width) {
  return width < kTileWidth ? ".p/" + std::to_string(width) : std::string();
}

}  // namespace

std::string TileIndexPath(uint64_t index) {
  std::vector<int> groups;
  do {
    groups.push_back(static_cast<int>(index % 1000));
    index /= 1000;
  } while (index > 0);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    char buf[8];
    std::snprintf(buf, sizeof buf, i > 0 ? "x%03d/" : "%03d", groups[i]);
    out += buf;
  }
  return out;
}

std::string TilePath(const TileId& t) {
  return "tile/" + std::to_string(t.level) + "/" + TileIndexPath(t.index) + WidthSuffix(t.width);
}

std::string EntryBundlePath(const TileId& t) {
  return "tile/entries/" + TileIndexPath(t.index) + WidthSuffix(t.width);
}

Result<TileId> ParseTilePath(std::string_view path) {
  std::string_view s = path;
  if (s.substr(0, 5) != "tile/") return BadPath(path);
  s.remove_prefix(5);
  auto level = TakeNumber(s, 2);
  if (!level || *level > 63 || s.empty() || s[0] != '/') return BadPath(path);
  s.remove_prefix(1);
  auto iw = ParseIndexAndWidth(s);
  if (!iw) return BadPath(path);
  TileId t{static_cast<uint8_t>(*level), iw->first, iw->second};
  if (TilePath(t) != path) return BadPath(path);  // leading zeroes, "x000/" groups...
  return t;
}

Result<TileId> ParseEntryBundlePath(std::string_view path) {
  std::string_view s = path;
  if (s.substr(0, 13) != "tile/entries/") return BadPath(path);
  s.remove_prefix(13);
  auto iw = ParseIndexAndWidth(s);
  if (!iw) return BadPath(path);
  TileId t{0, iw->first, iw->second};
  if (EntryBundlePath(t) != path) return BadPath(path);
  return t;
}

std::vector<TileId> TilesForSize(uint64_t tree_size) {
  std::vector<TileId> out;
  for (unsigned level = 0; level <= kMaxTileLevel; ++level) {
    const uint64_t nodes = Shr(tree_size, kTileHeight * level);  // perfect nodes at 8 * level
    if (nodes == 0) break;
    const uint64_t full = nodes / kTileWidth;
    for (uint64_t i = 0; i < full; ++i) out.push_back(TileId{static_cast<uint8_t>(level), i});
    if (const uint64_t w = nodes % kTileWidth; w != 0) {
      out.push_back(TileId{static_cast<uint8_t>(level), full, static_cast<uint16_t>(w)});
    }
  }
  return out;
}

Result<std::vector<Hash>> TileHashes(NodeReader& reader, const TileId& tile) {
  if (tile.level > kMaxTileLevel || tile.width == 0 || tile.width > kTileWidth) {
    return Fail(Code::kInvalidArgument, "no such tile: " + TilePath(tile));
  }
  const uint8_t node_level = static_cast<uint8_t>(kTileHeight * tile.level);
  std::vector<NodeAddress> addresses;
  addresses.reserve(tile.width);
  for (uint64_t i = 0; i < tile.width; ++i) {
    addresses.push_back(NodeAddress{node_level, tile.index * kTileWidth + i});
  }
  return reader.Nodes(addresses);
}

std::string EncodeTile(std::span<const Hash> hashes) {
  std::string out(hashes.size() * 32, '\0');
  for (size_t i = 0; i < hashes.size(); ++i) std::memcpy(&out[i * 32], hashes[i].data(), 32);
  return out;
}

Result<std::vector<Hash>> DecodeTile(std::string_view bytes, uint16_t width) {
  if (bytes.size() != size_t{width} * 32) {
    return Fail(Code::kInvalidArgument, "tile has " + std::to_string(bytes.size()) +
                                            " bytes, want " + std::to_string(width * 32));
  }
  std::vector<Hash> out(width);
  for (size_t i = 0; i < width; ++i) std::memcpy(out[i].data(), bytes.data() + i * 32, 32);
  return out;
}

Result<std::string> EncodeEntryBundle(std::span<const std::string> entries) {
  std::string out;
  for (const std::string& e : entries) {
    if (e.size() > 0xFFFF) {
      return Fail(Code::kInvalidArgument, "log entry longer than 65535 bytes");
    }
    out.push_back(static_cast<char>(e.size() >> 8));
    out.push_back(static_cast<char>(e.size() & 0xFF));
    out += e;
  }
  return out;
}

Result<std::vector<std::string>> DecodeEntryBundle(std::string_view bytes, size_t count) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    if (bytes.size() < 2) return Fail(Code::kInvalidArgument, "truncated entry bundle");
    const size_t len = size_t{static_cast<uint8_t>(bytes[0])} << 8 | static_cast<uint8_t>(bytes[1]);
    bytes.remove_prefix(2);
    if (bytes.size() < len) return Fail(Code::kInvalidArgument, "truncated entry bundle");
    if (out.size() == count) return Fail(Code::kInvalidArgument, "entry bundle has extra entries");
    out.emplace_back(bytes.substr(0, len));
    bytes.remove_prefix(len);
  }
  if (out.size() != count) {
    return Fail(Code::kInvalidArgument, "entry bundle has " + std::to_string(out.size()) +
                                            " entries, want " + std::to_string(count));
  }
  return out;
}

Result<const std::vector<Hash>*> TiledReader::Tile(const TileId& id) {
  if (auto it = cache_.find(id); it != cache_.end()) return &it->second;
  const std::string path = TilePath(id);
  auto bytes = fetch_(path);
  ++fetches_;
  if (!bytes) return Fail(bytes.error());
  auto hashes = DecodeTile(*bytes, id.width);
  if (!hashes) return Fail(Code::kInvalidArgument, path + ": " + hashes.error().message);
  return &cache_.emplace(id, std::move(*hashes)).first->second;
}

Result<Hash> TiledReader::Node(uint8_t level, uint64_t index) {
  if (level >= 64 || index >= Shr(tree_size_, level)) {
    return Fail(Code::kNotFound, "node (" + std::to_string(level) + ", " + std::to_string(index) +
                                     ") is not in a tree of size " + std::to_string(tree_size_));
  }
  const unsigned tile_level = level / kTileHeight;
  const unsigned r = level % kTileHeight;  // levels of the node above its tile's row
  const uint64_t first = index << r;       // leftmost descendant in the tile's row
  const uint64_t row_nodes = Shr(tree_size_, kTileHeight * tile_level);
  TileId id{static_cast<uint8_t>(tile_level), first / kTileWidth, kTileWidth};
  if (id.index >= row_nodes / kTileWidth) id.width = static_cast<uint16_t>(row_nodes % kTileWidth);
  auto tile = Tile(id);
  if (!tile) return Fail(tile.error());
  const size_t offset = first % kTileWidth;
  const size_t count = size_t{1} << r;
  // In range: the node is a perfect subtree inside the tree, so its row lies inside the tile.
  return RootFromLeaves(std::span<const Hash>(**tile).subspan(offset, count));
}

Result<Hash> RootFromTiles(const TileFetcher& fetch, uint64_t tree_size,
                           const LeafVisitor& on_leaf) {
  if (tree_size == 0) return EmptyRoot();
  // Nodes of levels 8, 16, ... as the CompactRange creates them: exactly what the hashes of
  // the tiles at levels 1, 2, ... must be.
  std::vector<std::vector<Hash>> rows(kMaxTileLevel + 1);
  CompactRange range([&rows](uint8_t level, uint64_t index, const Hash& h) {
    if (level > 0 && level % kTileHeight == 0) rows[level / kTileHeight].push_back(h);
  });
  // The tiles of TilesForSize, level 0 first, enumerated lazily: the size comes from an
  // untrusted checkpoint, and a fetch failure should stop the walk before anything is allocated.
  for (unsigned level = 0; level <= kMaxTileLevel; ++level) {
    const uint64_t nodes = Shr(tree_size, kTileHeight * level);
    if (nodes == 0) break;
    for (uint64_t t = 0; t * kTileWidth < nodes; ++t) {
      const uint64_t left = nodes - t * kTileWidth;
      const TileId id{static_cast<uint8_t>(level), t,
                      static_cast<uint16_t>(left < kTileWidth ? left : kTileWidth)};
      const std::string path = TilePath(id);
      auto bytes = fetch(path);
      if (!bytes) return Fail(bytes.error());
      auto hashes = DecodeTile(*bytes, id.width);
      if (!hashes) return Fail(Code::kInvalidArgument, path + ": " + hashes.error().message);
      if (level == 0) {
        for (size_t i = 0; i < hashes->size(); ++i) {
          if (on_leaf) on_leaf(t * kTileWidth + i, (*hashes)[i]);
          range.Append((*hashes)[i]);
        }
        continue;
      }
      // Level 0 is read first, so every node an upper tile names has been computed.
      const auto& row = rows[level];
      for (size_t i = 0; i < hashes->size(); ++i) {
        const uint64_t node = t * kTileWidth + i;
        if (node >= row.size() || row[node] != (*hashes)[i]) {
          return Fail(Code::kInvalidArgument,
                      path + ": hash " + std::to_string(i) + " does not match the tiles below it");
        }
      }
    }
  }
  return range.Root();
}

}  // namespace undersigned::log
