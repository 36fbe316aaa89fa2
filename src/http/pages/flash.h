// Flash: what a POST of a form hands to the page it redirects to (post/redirect/get), so
// that reloading or going back never sends the form again. A failed form redirects to a page
// that shows it with what was typed and a message per field; a signed one to the "check your
// email" page, which names the address the link went to; a pressed confirm or withdraw button
// to its link's page, which then shows the result to the browser that pressed it. The
// co-signing organization form uses it for its "check your email" page the same way.
//
// What was typed is personal, so it never goes into a URL: it is kept here, in memory, for a
// few minutes, under a random id that only the browser that posted holds (the cookie us_flash,
// HttpOnly, SameSite=Lax, scoped to the campaign's path). Reading does not consume an entry: a
// reload shows the same page until it expires. Nothing is written to disk; a restart forgets.
//
// Thread-safe (one mutex). Bounded: past `capacity` entries the oldest goes first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/signature.h"
#include "http/message.h"
#include "store/store.h"

namespace undersigned::http::pages {

inline constexpr const char* kFlashCookie = "us_flash";

struct FlashEntry {
  // Who may read it: the campaign the form was posted to (read only by its pages), or for the
  // button of a confirm or withdraw link, "confirm:" or "withdraw:" and the link's token.
  std::string slug;
  // A failed form: what was typed and what to fix.
  SignatureForm typed;
  std::map<std::string, std::string> errors;
  std::string general_error;
  // A signed form (sent = true): the address the link went to, the outcome, and the key of the
  // verified group whose work address it is ("" if the personal one).
  bool sent = false;
  SignOutcome::Kind kind = SignOutcome::Kind::kCreated;
  std::string email;
  std::string work_group;
  // A submitted co-signing organization (the form of http/pages/organizations.cc): its name;
  // email is then its contact address.
  std::string organization;
  // A link's button was pressed (token_done = true); changed: it changed the signature (false:
  // it was already in that state).
  bool token_done = false;
  bool changed = false;
};

class FlashStore {
 public:
  static constexpr std::int64_t kDefaultTtlMs = 10 * 60 * 1000;

  explicit FlashStore(std::int64_t ttl_ms = kDefaultTtlMs, std::size_t capacity = 20000);

  // Keeps e until now_ms + ttl; returns its id (43 random base64url characters).
  std::string Put(FlashEntry e, std::int64_t now_ms);
  // The entry under id for slug, if it has not expired.
  std::optional<FlashEntry> Get(std::string_view id, std::string_view slug,
                                std::int64_t now_ms) const;

  std::int64_t ttl_ms() const { return ttl_ms_; }

  // The Set-Cookie value that hands id to the browser for the pages under path ("/c/<slug>/").
  std::string CookieValue(std::string_view id, std::string_view path, bool secure) const;

 private:
  struct Stored {
    FlashEntry entry;
    std::int64_t expires_ms;
  };
  void DropExpired(std::int64_t now_ms);  // REQUIRES: mu_ held

  const std::int64_t ttl_ms_;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Stored> entries_;
  std::deque<std::string> order_;  // ids, oldest first (expiry follows insertion order)
};

}  // namespace undersigned::http::pages
