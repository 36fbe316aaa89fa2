// Flash: what a POST of a form hands to the page it redirects to (post/redirect/get), so
// that reloading or going back never sends the form again. A failed form redirects to a page
// that shows it with what was typed and a message per field; a signed one to the "check your
// email" page, which names the address the link went to; a pressed confirm or withdraw button
// to its link's page, which then shows the result to the browser that pressed it. The
// co-signing organization form uses it for its "check your email" page the same way.
//
// The entry travels in the cookie itself (us_flash: HttpOnly, SameSite=Lax, scoped to the
// campaign's path, Secure on https, Max-Age the TTL), sealed: serialized compactly (a small
// binary form, raw-deflated when that makes it shorter), with its scope and an absolute expiry
// in wall-clock seconds, then encrypted and authenticated with libsodium's secretbox
// (XSalsa20-Poly1305, random nonce) and written base64url without padding. The key is derived
// from a secret every node shares (Store::InstanceSecret("flash-key")), so that several
// `undersigned serve` processes behind any load balancer read each other's flash. The server
// keeps nothing: what was typed is personal, and it lives only in that browser's cookie,
// encrypted, for the TTL (10 minutes). Reading checks the MAC, the scope and the expiry;
// anything else is "no flash", never an error. Reading does not consume the entry: a reload
// shows the same page until it expires (or a later form replaces the cookie).
//
// Size: browsers cap a cookie at about 4 KB, so a sealed value is at most kMaxCookieValueBytes.
// A failed form that would not fit (a very long or poorly compressible comment, or fields typed
// far past their limits) loses its comment first, then everything typed, each time with a
// message in the entry saying what must be typed again; the errors and the scope always fit.
//
// Thread-safe: the store is immutable after construction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/signature.h"
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
  // Where the signer came from (http/pages/origin.h), kept for the form's hidden field.
  SignatureOrigin origin;
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
  static constexpr std::int64_t kDefaultTtlSeconds = 10 * 60;
  // The longest cookie value Seal returns (the browsers' limit is 4096 bytes for the name, the
  // value and its attributes' overhead together).
  static constexpr std::size_t kMaxCookieValueBytes = 3800;
  // What a dropped comment's or form's field says (shown by the form next to the field).
  static constexpr const char* kCommentDropped =
      "Your comment was too long to keep while the form came back: please type it again.";
  static constexpr const char* kTypedDropped =
      "What you typed was too long to keep while the form came back: please type it again.";

  // secret: any length, the same on every node (Store::InstanceSecret("flash-key")); the key is
  // derived from it. Empty: a random key of this object only (a flash then survives neither a
  // restart nor another node; for tests).
  explicit FlashStore(std::string_view secret, std::int64_t ttl_seconds = kDefaultTtlSeconds);

  // The cookie value that carries e (scope e.slug) until now + ttl: at most
  // kMaxCookieValueBytes characters of base64url (e shrunk as the header says if need be).
  std::string Seal(FlashEntry e, UnixTime now) const;
  // The entry sealed in value, if its MAC holds, its scope is `scope` and it has not expired
  // at now; otherwise nullopt.
  std::optional<FlashEntry> Open(std::string_view value, std::string_view scope,
                                 UnixTime now) const;

  std::int64_t ttl_seconds() const { return ttl_seconds_; }

  // The Set-Cookie value that hands a sealed value to the browser for the pages under path
  // ("/c/<slug>/").
  std::string CookieValue(std::string_view value, std::string_view path, bool secure) const;

 private:
  std::string SealBytes(const std::string& plain) const;

  std::array<unsigned char, 32> key_;
  const std::int64_t ttl_seconds_;
};

}  // namespace undersigned::http::pages
