// ShareImageCache: the rendered share images of the campaigns (the Open Graph card, the flyer
// and poster PDFs: render/share_card.h), in memory, so that serving a cached one costs a map
// look-up and no rendering, whatever the rate of requests.
//
// Each entry (a key such as "card:end-the-contract") remembers what it shows, in two parts:
// `fields` (the title, the targets, the goal...: what an organizer changes) and `count` (the
// count as shown, ShowCount's text). An entry is rendered again when:
//  - its fields changed: at once (an edit must show on the next share);
//  - only its count changed: once the entry is min_interval old (a viral campaign whose count
//    moves every millisecond costs one rendering per min_interval per image, not one per
//    signature; the count shown steps at ShowCount's rounding anyway, so between steps nothing
//    changes and nothing is rendered).
// While one thread renders an entry, the others asking for it get the entry as it was (or, for
// a first rendering, wait for that thread's result instead of rendering it again).
//
// Thread-safety: every member may be called from any thread. Owns its entries; an Image handed
// out stays valid as long as its holder keeps the shared_ptr.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace undersigned::render {

class ShareImageCache {
 public:
  // One rendered image.
  struct Image {
    std::string bytes;
    std::string etag;    // a strong ETag of the bytes, quoted: "\"5f1c...\""
    std::string fields;  // what it was rendered from
    std::string count;
    std::int64_t rendered_ms = 0;  // on the caller's monotonic clock
  };
  using ImagePtr = std::shared_ptr<const Image>;
  using RenderFn = std::function<Result<std::string>()>;

  // min_interval_ms: the least age of an entry before a new count renders it again (>= 0).
  explicit ShareImageCache(std::int64_t min_interval_ms) : min_interval_ms_(min_interval_ms) {}

  // The image of key showing fields and count, rendered by render when the rules above say
  // so. now_ms: a monotonic clock in milliseconds. An error of render is returned as it is
  // (and nothing is cached), unless an older image of key exists: then that one is served.
  Result<ImagePtr> Get(const std::string& key, const std::string& fields, const std::string& count,
                       std::int64_t now_ms, const RenderFn& render);

  // Drops key's entry (a campaign that went back to draft).
  void Forget(const std::string& key);

  // How many renderings this cache asked for, since it was made (for tests and metrics).
  std::uint64_t renders() const;

  std::int64_t min_interval_ms() const { return min_interval_ms_; }

 private:
  struct Entry {
    ImagePtr image;  // nullptr until the first rendering
    bool rendering = false;
    std::shared_ptr<std::mutex> first;  // held by the first rendering of a new key
  };

  const std::int64_t min_interval_ms_;
  mutable std::mutex mu_;  // guards entries_ and renders_
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t renders_ = 0;
};

// A strong ETag for bytes: a quoted 64-bit FNV-1a hash in hex. The same bytes give the same
// ETag on every node.
std::string StrongEtag(const std::string& bytes);

}  // namespace undersigned::render
