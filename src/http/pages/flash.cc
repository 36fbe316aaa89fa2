#include "http/pages/flash.h"

#include <utility>

#include "http/pages/csrf.h"

namespace undersigned::http::pages {

FlashStore::FlashStore(std::int64_t ttl_ms, std::size_t capacity)
    : ttl_ms_(ttl_ms), capacity_(capacity < 1 ? 1 : capacity) {}

void FlashStore::DropExpired(std::int64_t now_ms) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it != entries_.end() && it->second.expires_ms > now_ms && entries_.size() < capacity_) {
      break;
    }
    if (it != entries_.end()) entries_.erase(it);
    order_.pop_front();
  }
}

std::string FlashStore::Put(FlashEntry e, std::int64_t now_ms) {
  // The same random source as the CSRF cookie's nonce: 32 bytes, base64url.
  std::string id = Csrf::NewNonce();
  std::lock_guard lock(mu_);
  DropExpired(now_ms);
  entries_[id] = Stored{std::move(e), now_ms + ttl_ms_};
  order_.push_back(id);
  return id;
}

std::optional<FlashEntry> FlashStore::Get(std::string_view id, std::string_view slug,
                                          std::int64_t now_ms) const {
  if (!Csrf::WellFormedNonce(id)) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end() || it->second.expires_ms <= now_ms || it->second.entry.slug != slug) {
    return std::nullopt;
  }
  return it->second.entry;
}

std::string FlashStore::CookieValue(std::string_view id, std::string_view path, bool secure) const {
  std::string v = std::string(kFlashCookie) + "=" + std::string(id) +
                  "; Path=" + std::string(path) + "; Max-Age=" + std::to_string(ttl_ms_ / 1000) +
                  "; HttpOnly; SameSite=Lax";
  if (secure) v += "; Secure";
  return v;
}

}  // namespace undersigned::http::pages
