#include "render/share_cache.h"

#include <cstdio>
#include <utility>

namespace undersigned::render {

std::string StrongEtag(const std::string& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[24];
  std::snprintf(out, sizeof out, "\"%016llx\"", static_cast<unsigned long long>(h));
  return out;
}

Result<ShareImageCache::ImagePtr> ShareImageCache::Get(const std::string& key,
                                                       const std::string& fields,
                                                       const std::string& count,
                                                       std::int64_t now_ms,
                                                       const RenderFn& render) {
  std::shared_ptr<std::mutex> first;
  {
    std::lock_guard lock(mu_);
    Entry& e = entries_[key];
    if (e.image) {
      const Image& im = *e.image;
      const bool fresh =
          im.fields == fields && (im.count == count || now_ms - im.rendered_ms < min_interval_ms_);
      if (fresh || e.rendering) return e.image;
      e.rendering = true;  // this thread renders; the others keep serving e.image meanwhile
    } else {
      if (!e.first) e.first = std::make_shared<std::mutex>();
      first = e.first;
    }
  }
  // A first rendering: one thread renders, the others wait for its image.
  std::unique_lock<std::mutex> first_lock;
  if (first) {
    first_lock = std::unique_lock(*first);
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.image) return it->second.image;
  }
  Result<std::string> bytes = render();
  std::lock_guard lock(mu_);
  ++renders_;
  Entry& e = entries_[key];
  e.rendering = false;
  if (!bytes) {
    if (e.image) return e.image;
    return Fail(bytes.error());
  }
  auto image = std::make_shared<Image>();
  image->etag = StrongEtag(*bytes);
  image->bytes = std::move(*bytes);
  image->fields = fields;
  image->count = count;
  image->rendered_ms = now_ms;
  e.image = image;
  e.first.reset();
  return ImagePtr(std::move(image));
}

void ShareImageCache::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && !it->second.rendering && !it->second.first) entries_.erase(it);
}

std::uint64_t ShareImageCache::renders() const {
  std::lock_guard lock(mu_);
  return renders_;
}

}  // namespace undersigned::render
