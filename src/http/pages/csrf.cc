#include "http/pages/csrf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>

#include "service/ids.h"

namespace undersigned::http::pages {
namespace {

constexpr int kB64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

std::string Base64Url(const unsigned char* bytes, std::size_t n) {
  std::string out(sodium_base64_encoded_len(n, kB64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, n, kB64Variant);
  out.resize(out.size() - 1);  // drop the NUL
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// This thread's copy of the keyed HMAC state of the Csrf whose key is key_id (copied once per
// thread and key, so that no token allocates); null if there is none.
EVP_MAC_CTX* ThreadMac(const std::shared_ptr<void>& keyed, std::uint64_t key_id) {
  struct Local {
    std::uint64_t key_id = 0;
    EVP_MAC_CTX* ctx = nullptr;
    ~Local() { EVP_MAC_CTX_free(ctx); }
  };
  thread_local Local local;
  if (keyed == nullptr) return nullptr;
  if (local.key_id != key_id) {
    EVP_MAC_CTX_free(local.ctx);
    local.ctx = EVP_MAC_CTX_dup(static_cast<const EVP_MAC_CTX*>(keyed.get()));
    local.key_id = local.ctx != nullptr ? key_id : 0;
  }
  return local.ctx;
}

std::atomic<std::uint64_t> g_next_key_id{1};

}  // namespace

Csrf::Csrf(std::string secret, bool secure_cookie)
    : secret_(std::move(secret)), secure_(secure_cookie), key_id_(g_next_key_id.fetch_add(1)) {
  EnsureSodium();
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context holds its own reference
  if (ctx == nullptr) return;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret_.data()), secret_.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return;
  }
  keyed_ =
      std::shared_ptr<void>(ctx, [](void* c) { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(c)); });
}

std::string Csrf::NewNonce() {
  EnsureSodium();
  std::array<unsigned char, 32> bytes;
  service::RandomBytes(bytes.data(), bytes.size());
  return Base64Url(bytes.data(), bytes.size());
}

bool Csrf::WellFormedNonce(std::string_view nonce) {
  if (nonce.size() != 43) return false;
  for (char c : nonce) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

std::string Csrf::TokenFor(std::string_view nonce) const {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac;
  if (EVP_MAC_CTX* ctx = ThreadMac(keyed_, key_id_)) {
    std::size_t len = 0;
    // Without a key, init starts again from the keyed state.
    if (EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(nonce.data()), nonce.size()) ==
            1 &&
        EVP_MAC_final(ctx, mac.data(), &len, mac.size()) == 1 && len == mac.size()) {
      return Base64Url(mac.data(), mac.size());
    }
  }
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret_.data()),
                              secret_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(nonce.data()),
                                nonce.size());
  crypto_auth_hmacsha256_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return Base64Url(mac.data(), mac.size());
}

bool Csrf::Verify(std::string_view nonce, std::string_view token) const {
  if (!WellFormedNonce(nonce)) return false;
  const std::string expected = TokenFor(nonce);
  if (token.size() != expected.size()) return false;
  return sodium_memcmp(expected.data(), token.data(), expected.size()) == 0;
}

std::string Csrf::CookieValue(std::string_view nonce) const {
  std::string v =
      std::string(kCsrfCookie) + "=" + std::string(nonce) + "; Path=/; HttpOnly; SameSite=Lax";
  if (secure_) v += "; Secure";
  return v;
}

std::string Csrf::NonceFor(const Request& req, bool* set_cookie) const {
  std::string nonce = req.Cookie(kCsrfCookie);
  if (WellFormedNonce(nonce)) {
    *set_cookie = false;
    return nonce;
  }
  *set_cookie = true;
  return NewNonce();
}

std::string OriginOf(std::string_view base_url) {
  std::string lower = ToLower(base_url);
  std::string scheme;
  if (lower.rfind("https://", 0) == 0) {
    scheme = "https";
  } else if (lower.rfind("http://", 0) == 0) {
    scheme = "http";
  } else {
    return {};
  }
  std::string rest = lower.substr(scheme.size() + 3);
  std::size_t end = rest.find_first_of("/?#");
  std::string host = rest.substr(0, end);
  if (host.empty()) return {};
  if (std::size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
    host.resize(host.size() - default_port.size());
  }
  return scheme + "://" + host;
}

bool OriginAllowed(const Request& req, std::string_view expected_origin) {
  auto it = req.headers.find("origin");
  if (it == req.headers.end()) return true;
  const std::string& origin = it->second;
  if (origin == "null") return true;
  const std::string normalized = OriginOf(origin);
  if (normalized.empty()) return false;
  if (!expected_origin.empty() && normalized == expected_origin) return true;
  // Same host as the request itself (a site reached under another name than base_url, or
  // behind a TLS proxy): a page of another site cannot make the browser send our Host with
  // its own Origin.
  const std::string host = req.Header("host");
  if (host.empty()) return false;
  const std::string origin_host = normalized.substr(normalized.find("://") + 3);
  const std::string scheme = normalized.substr(0, normalized.find("://"));
  return OriginOf(scheme + "://" + host) == normalized && !origin_host.empty();
}

}  // namespace undersigned::http::pages
