#include "service/link_mac.h"

#include <sodium.h>

#include <charconv>

namespace undersigned::service {

std::string HmacBytes(std::string_view key, std::string_view msg) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string HmacHex(std::string_view key, std::string_view msg) {
  const std::string mac = HmacBytes(key, msg);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return std::string(hex);
}

std::string IdLinkToken(std::string_view key, std::string_view purpose, std::int64_t id) {
  const std::string digits = std::to_string(id);
  std::string msg(purpose);
  msg += ':';
  msg += digits;
  return digits + "." + HmacHex(key, msg).substr(0, kLinkMacHexDigits);
}

std::optional<std::int64_t> CheckIdLinkToken(std::string_view key, std::string_view purpose,
                                             std::string_view token) {
  const auto dot = token.find('.');
  if (token.size() > 64 || dot == std::string_view::npos) return std::nullopt;
  std::int64_t id = 0;
  const std::string_view digits = token.substr(0, dot);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || p != digits.data() + digits.size() || id <= 0) return std::nullopt;
  const std::string want = IdLinkToken(key, purpose, id);
  if (token.size() != want.size() || sodium_memcmp(token.data(), want.data(), want.size()) != 0) {
    return std::nullopt;
  }
  return id;
}

}  // namespace undersigned::service
