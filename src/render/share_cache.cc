#include "render/share_cache.h"

#include <cstdio>
#include <future>
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

ShareImageCache::ShareImageCache(std::int64_t min_interval_ms)
    : min_interval_ms_(min_interval_ms), render_thread_([this] { RenderLoop(); }) {}

ShareImageCache::~ShareImageCache() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  jobs_cv_.notify_all();
  render_thread_.join();
}

void ShareImageCache::RenderLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      jobs_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

ShareImageCache::Ticket ShareImageCache::Lookup(const std::string& key, const std::string& fields,
                                                const std::string& count, std::int64_t now_ms,
                                                Done done) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  if (e.image) {
    const Image& im = *e.image;
    const bool fresh =
        im.fields == fields && (im.count == count || now_ms - im.rendered_ms < min_interval_ms_);
    // Fresh, or another request is rendering the new one: this one gets the image as it is.
    if (fresh || e.rendering) return {e.image, false};
  }
  e.waiters.push_back(std::move(done));
  if (e.rendering) return {nullptr, false};  // a first rendering under way: wait for it
  e.rendering = true;
  return {nullptr, true};
}

void ShareImageCache::Finish(const std::string& key, const std::string& fields,
                             const std::string& count, std::int64_t now_ms,
                             Result<std::string> bytes) {
  std::vector<Done> waiters;
  Result<ImagePtr> result = ImagePtr();
  {
    std::lock_guard lock(mu_);
    ++renders_;
    Entry& e = entries_[key];
    e.rendering = false;
    waiters.swap(e.waiters);
    if (!bytes) {
      if (e.image) {
        result = e.image;  // the old image is better than none
      } else {
        result = Fail(bytes.error());
      }
    } else {
      auto image = std::make_shared<Image>();
      image->etag = StrongEtag(*bytes);
      image->bytes = std::move(*bytes);
      image->fields = fields;
      image->count = count;
      image->rendered_ms = now_ms;
      e.image = image;
      result = ImagePtr(std::move(image));
    }
  }
  for (Done& w : waiters) w(result);
}

Result<ShareImageCache::ImagePtr> ShareImageCache::Get(const std::string& key,
                                                       const std::string& fields,
                                                       const std::string& count,
                                                       std::int64_t now_ms,
                                                       const RenderFn& render) {
  auto promise = std::make_shared<std::promise<Result<ImagePtr>>>();
  std::future<Result<ImagePtr>> future = promise->get_future();
  Ticket t = Lookup(key, fields, count, now_ms,
                    [promise](const Result<ImagePtr>& r) { promise->set_value(r); });
  if (t.image) return t.image;
  if (t.render) Finish(key, fields, count, now_ms, render());
  return future.get();
}

void ShareImageCache::GetAsync(const std::string& key, const std::string& fields,
                               const std::string& count, std::int64_t now_ms, RenderFn render,
                               Done done) {
  Ticket t = Lookup(key, fields, count, now_ms, done);
  if (t.image) {
    done(t.image);
    return;
  }
  if (!t.render) return;  // queued behind the rendering under way
  {
    std::lock_guard lock(mu_);
    jobs_.push_back([this, key, fields, count, now_ms, render = std::move(render)] {
      Finish(key, fields, count, now_ms, render());
    });
  }
  jobs_cv_.notify_one();
}

void ShareImageCache::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && !it->second.rendering) entries_.erase(it);
}

std::uint64_t ShareImageCache::renders() const {
  std::lock_guard lock(mu_);
  return renders_;
}

}  // namespace undersigned::render
