// Csrf: stateless double-submit protection for the HTML forms.
//
// A visitor gets a cookie `us_csrf` holding a random nonce (HttpOnly, SameSite=Lax, Path=/,
// Secure on https sites). Every form carries a hidden field `csrf` = base64url(HMAC-SHA256(
// secret, nonce)); a POST is accepted only if the field matches the HMAC of the cookie's nonce
// (compared in constant time). A cross-site attacker can neither read the cookie nor compute the
// HMAC, and with the secret kept server-side a planted cookie is no help either. Separately,
// a POST whose Origin header names another site is refused.
//
// Immutable after construction; thread-safe. The HMAC is OpenSSL's (keyed once: each token
// starts from a copy of the keyed state), libsodium's if OpenSSL cannot provide it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.h"

namespace undersigned::http::pages {

inline constexpr const char* kCsrfCookie = "us_csrf";
inline constexpr const char* kCsrfField = "csrf";

class Csrf {
 public:
  // secret: any length (the instance secret); secure_cookie: add "Secure" (https sites).
  Csrf(std::string secret, bool secure_cookie);

  // A fresh random nonce for the cookie (32 bytes, base64url, 43 characters).
  static std::string NewNonce();
  // True if nonce looks like one NewNonce() made (43 base64url characters).
  static bool WellFormedNonce(std::string_view nonce);

  // The form token for a nonce: base64url(HMAC-SHA256(secret, nonce)), 43 characters.
  std::string TokenFor(std::string_view nonce) const;
  // Constant-time check of a submitted token against the nonce.
  bool Verify(std::string_view nonce, std::string_view token) const;

  // The Set-Cookie value for a nonce.
  std::string CookieValue(std::string_view nonce) const;

  // The nonce of this request's cookie if it is well formed; otherwise a new one, with
  // *set_cookie set to true (the response must carry CookieValue(nonce)).
  std::string NonceFor(const Request& req, bool* set_cookie) const;

 private:
  std::string secret_;
  bool secure_;
  // OpenSSL's HMAC-SHA256 already keyed with secret_ (an EVP_MAC_CTX; null if unavailable).
  // Only ever copied from: each thread works on its own copy, made once per key_id_ (unique to
  // this key, shared by copies of this Csrf).
  std::shared_ptr<void> keyed_;
  std::uint64_t key_id_;
};

// "https://Example.org:443/x" -> "https://example.org"; default ports are dropped, as browsers
// do in the Origin header. Empty if base_url is not an http(s) URL.
std::string OriginOf(std::string_view base_url);

// False if the request carries an Origin header that is neither `expected_origin` (the origin
// of base_url), nor the origin of the request's own Host header, nor "null" (browsers send
// "null" for a form posted from a no-referrer page; the token still protects those). A request
// without Origin passes: the token check decides.
bool OriginAllowed(const Request& req, std::string_view expected_origin);

}  // namespace undersigned::http::pages
