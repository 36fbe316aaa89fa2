// C2SP tlog-tiles: the Merkle tree served as immutable static files.
//
// A tile at tile level L, index N holds up to 256 consecutive node hashes of tree level 8*L:
// nodes (8L, 256N + i) for i < W, i.e. MTH(D[(256N + i) * 256^L : (256N + i + 1) * 256^L]).
// Level-0 tiles hold leaf hashes. A full tile is exactly 256 hashes (8,192 bytes); the rightmost
// tile of a level is usually partial, W = floor(size / 256^L) mod 256, and is never hashed into
// the level above. Tiles are served at
//     tile/<L>/<N>[.p/<W>]
// with <N> written as zero-padded 3-digit path elements, all but the last prefixed with "x"
// (index 1234067 is "x001/x234/067", index 5 is "005"), and "tile/entries/<N>[.p/<W>]" for the
// entry bundles (big-endian uint16 length-prefixed entries). Levels and widths are decimal with
// no leading zeroes.
//
// Server side: TileHashes() reads a tile's hashes from a NodeReader (a tile is 256 node reads,
// one batch). Auditor side: TiledReader is a NodeReader over fetched tiles, so proofs and roots
// can be recomputed from tiles alone, and RootFromTiles() reads every tile of a tree, checks the
// upper levels against the lower ones and returns the root to compare with a checkpoint.
//
// Tiles from the network are untrusted: nothing here trusts a hash until a root computed from it
// has been compared with a verified checkpoint by the caller.
//
// Thread-safety: free functions are thread-safe if the reader/fetcher they are given is.
// TiledReader caches tiles and is not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "log/merkle.h"
#include "log/proof.h"

namespace undersigned::log {

inline constexpr int kTileHeight = 8;
inline constexpr uint16_t kTileWidth = 256;  // hashes in a full tile
inline constexpr uint8_t kMaxTileLevel = 7;  // 8 * 7 = 56: the highest level a 64-bit tree needs

// A tile (or entry bundle) coordinate. width == kTileWidth for a full tile, 1..255 for partial.
struct TileId {
  uint8_t level = 0;
  uint64_t index = 0;
  uint16_t width = kTileWidth;
  bool partial() const { return width < kTileWidth; }
  friend bool operator==(const TileId&, const TileId&) = default;
  friend auto operator<=>(const TileId&, const TileId&) = default;
};

// "tile/<L>/<N>[.p/<W>]".
std::string TilePath(const TileId& tile);
// "tile/entries/<N>[.p/<W>]" (tile.level is ignored).
std::string EntryBundlePath(const TileId& tile);
// The index part alone: 1234067 -> "x001/x234/067".
std::string TileIndexPath(uint64_t index);

// Strict inverses of the above: only the canonical spelling is accepted (no leading zeroes in
// L or W, no superfluous "x000/" groups, W in 1..255, L in 0..63). kInvalidArgument otherwise.
Result<TileId> ParseTilePath(std::string_view path);
Result<TileId> ParseEntryBundlePath(std::string_view path);

// Every tile, full and partial, that represents a tree of tree_size leaves, level 0 first and
// left to right within a level. Empty for size 0. The list has about size / 255 entries: bound
// tree_size (e.g. by what you are prepared to download) before calling it with untrusted input.
std::vector<TileId> TilesForSize(uint64_t tree_size);

// The hashes of one tile: nodes (8 * tile.level, 256 * tile.index + i) for i < tile.width.
// kInvalidArgument for a level above kMaxTileLevel or a width outside 1..256; the reader's error
// when a node is missing (e.g. the tile does not exist yet).
Result<std::vector<Hash>> TileHashes(NodeReader& reader, const TileId& tile);

// Tile bytes: the concatenated hashes.
std::string EncodeTile(std::span<const Hash> hashes);
// kInvalidArgument unless bytes.size() == 32 * width.
Result<std::vector<Hash>> DecodeTile(std::string_view bytes, uint16_t width);

// Entry bundle bytes: each entry as a big-endian uint16 length and its bytes. kInvalidArgument
// for an entry longer than 65,535 bytes.
Result<std::string> EncodeEntryBundle(std::span<const std::string> entries);
// kInvalidArgument on a truncated bundle or one that does not hold exactly `count` entries.
Result<std::vector<std::string>> DecodeEntryBundle(std::string_view bytes, size_t count);

// Returns the bytes at a tile path (e.g. GET <prefix>/<path>), or an error.
using TileFetcher = std::function<Result<std::string>(const std::string& path)>;

// A NodeReader over the tiles of one tree size. Node(level, index) fetches the tile of tree
// level 8 * floor(level / 8) that contains the node's leftmost descendant at that level (full
// if the tree size makes it full, otherwise the partial tile of the right width) and hashes
// up to 128 of its entries. Tiles are cached for the reader's lifetime. Nodes that are not
// perfect subtrees inside tree_size are kNotFound. Not thread-safe.
class TiledReader final : public NodeReader {
 public:
  TiledReader(TileFetcher fetch, uint64_t tree_size)
      : fetch_(std::move(fetch)), tree_size_(tree_size) {}

  Result<Hash> Node(uint8_t level, uint64_t index) override;
  // Number of tiles fetched so far (each tile is fetched at most once).
  size_t fetches() const { return fetches_; }

 private:
  Result<const std::vector<Hash>*> Tile(const TileId& id);

  TileFetcher fetch_;
  uint64_t tree_size_;
  std::map<TileId, std::vector<Hash>> cache_;
  size_t fetches_ = 0;
};

// Called with each leaf hash, in index order, as RootFromTiles reads level-0 tiles.
using LeafVisitor = std::function<void(uint64_t index, const Hash& leaf_hash)>;

// The auditor's full read: fetches every tile of a tree of tree_size leaves, recomputes the tree
// from the level-0 tiles, checks that every hash in every higher tile equals the node it names,
// and returns the root (EmptyRoot() for size 0) for the caller to compare with a verified
// checkpoint. kInvalidArgument (message naming the tile) for a tile of the wrong length or an
// upper tile that disagrees with the tiles below; the fetcher's error otherwise.
Result<Hash> RootFromTiles(const TileFetcher& fetch, uint64_t tree_size,
                           const LeafVisitor& on_leaf = {});

}  // namespace undersigned::log
