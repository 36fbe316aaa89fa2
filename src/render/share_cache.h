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
// One request renders an entry; while it does, the others asking for it get the entry as it
// was, or, for a first rendering, wait for that one's result instead of rendering it again.
//
// Two ways in: Get renders on the calling thread and blocks; GetAsync never blocks (for a
// network thread): a hit calls done at once, on the calling thread, and a rendering runs on the
// cache's own render thread (one, started with the cache), which then calls done.
//
// Thread-safety: every member may be called from any thread. Owns its entries and its render
// thread (stopped and joined by the destructor: renderings still queued are dropped, their done
// never called, only destroyed). An Image handed out stays valid as long as its holder keeps the
// shared_ptr.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

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
  using Done = std::function<void(const Result<ImagePtr>&)>;

  // min_interval_ms: the least age of an entry before a new count renders it again (>= 0).
  explicit ShareImageCache(std::int64_t min_interval_ms);
  ~ShareImageCache();
  ShareImageCache(const ShareImageCache&) = delete;
  ShareImageCache& operator=(const ShareImageCache&) = delete;

  // The image of key showing fields and count, rendered by render (on this thread) when the
  // rules above say so. now_ms: a monotonic clock in milliseconds. An error of render is
  // returned as it is (and nothing is cached), unless an older image of key exists: then that
  // one is served.
  Result<ImagePtr> Get(const std::string& key, const std::string& fields, const std::string& count,
                       std::int64_t now_ms, const RenderFn& render);

  // The same without blocking: done gets the image, at once on this thread when no rendering
  // is needed for this request, else from the render thread once rendered (render runs there:
  // it must own what it uses).
  void GetAsync(const std::string& key, const std::string& fields, const std::string& count,
                std::int64_t now_ms, RenderFn render, Done done);

  // Drops key's entry unless it is being rendered (a campaign that went back to draft).
  void Forget(const std::string& key);

  // How many renderings this cache made (or tried), since it was made (for tests and metrics).
  std::uint64_t renders() const;

  std::int64_t min_interval_ms() const { return min_interval_ms_; }

 private:
  struct Entry {
    ImagePtr image;  // nullptr until the first rendering
    bool rendering = false;
    std::vector<Done> waiters;  // answered when the rendering under way ends
  };
  // What Lookup tells its caller.
  struct Ticket {
    ImagePtr image;       // to serve now; nullptr: done was queued, wait
    bool render = false;  // this caller must render and call Finish
  };

  // Serves a fresh or (while another renders) a stale image at once; else queues done and
  // says whether this caller is the one to render.
  Ticket Lookup(const std::string& key, const std::string& fields, const std::string& count,
                std::int64_t now_ms, Done done);
  // Stores a rendering's result and answers the waiters.
  void Finish(const std::string& key, const std::string& fields, const std::string& count,
              std::int64_t now_ms, Result<std::string> bytes);
  void RenderLoop();

  const std::int64_t min_interval_ms_;
  mutable std::mutex mu_;  // guards entries_, renders_, jobs_ and stop_
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t renders_ = 0;
  std::deque<std::function<void()>> jobs_;  // for the render thread
  bool stop_ = false;
  std::condition_variable jobs_cv_;
  std::thread render_thread_;  // last: started once everything above is constructed
};

// A strong ETag for bytes: a quoted 64-bit FNV-1a hash in hex. The same bytes give the same
// ETag on every node.
std::string StrongEtag(const std::string& bytes);

}  // namespace undersigned::render
