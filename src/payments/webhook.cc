#include "payments/webhook.h"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <vector>

#include <sodium.h>

namespace undersigned::payments {
namespace {

std::string HmacHex(std::string_view secret, UnixTime t, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  std::string prefix = std::to_string(t) + ".";
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()),
                                prefix.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, crypto_auth_hmacsha256_BYTES * 2);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

WebhookVerifier::WebhookVerifier(std::string secret, const Clock& clock, int tolerance_seconds)
    : secret_(std::move(secret)), clock_(clock), tolerance_(tolerance_seconds) {
  if (sodium_init() < 0) std::abort();
}

Result<WebhookEvent> WebhookVerifier::Verify(std::string_view body, std::string_view header) const {
  if (Trim(header).empty()) {
    return Fail(Code::kInvalidArgument, "webhook: no Stripe-Signature header");
  }
  std::optional<UnixTime> t;
  std::vector<std::string_view> v1;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    std::string_view item = Trim(
        header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    pos = comma == std::string_view::npos ? header.size() + 1 : comma + 1;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name == "t") {
      UnixTime n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || value.empty() || n < 0) {
        return Fail(Code::kInvalidArgument, "webhook: Stripe-Signature has a malformed t");
      }
      t = n;
    } else if (name == "v1") {
      v1.push_back(value);
    }  // other schemes (v0...) are ignored, as Stripe's libraries do
  }
  if (!t) return Fail(Code::kInvalidArgument, "webhook: Stripe-Signature has no timestamp t");
  if (v1.empty()) {
    return Fail(Code::kInvalidArgument, "webhook: Stripe-Signature has no v1 signature");
  }
  const std::string expected = HmacHex(secret_, *t, body);
  bool match = false;
  for (std::string_view s : v1) {
    // Constant time over the signature's 64 characters; the length is public.
    if (s.size() == expected.size() &&
        sodium_memcmp(s.data(), expected.data(), expected.size()) == 0) {
      match = true;  // keep comparing the others: no early exit that depends on which matched
    }
  }
  if (!match) {
    return Fail(Code::kUnauthenticated,
                "webhook: no v1 signature matches (wrong endpoint secret, or the body was "
                "altered)");
  }
  UnixTime now = clock_.Now();
  UnixTime age = now - *t;
  if (age > tolerance_ || -age > tolerance_) {
    return Fail(Code::kUnauthenticated, "webhook: timestamp outside the tolerance (" +
                                            std::to_string(age) + " s from now, at most " +
                                            std::to_string(tolerance_) + " s either way)");
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("type") ||
      !j["type"].is_string()) {
    return Fail(Code::kInvalidArgument, "webhook: body is not a Stripe event (id, type)");
  }
  WebhookEvent e;
  e.id = j["id"].get<std::string>();
  e.type = j["type"].get<std::string>();
  if (auto it = j.find("created"); it != j.end() && it->is_number_integer()) {
    e.created = it->get<UnixTime>();
  }
  if (auto it = j.find("livemode"); it != j.end() && it->is_boolean()) e.livemode = *it;
  if (auto it = j.find("api_version"); it != j.end() && it->is_string()) e.api_version = *it;
  if (auto d = j.find("data"); d != j.end() && d->is_object()) {
    if (auto o = d->find("object"); o != d->end()) e.object = *o;
  }
  if (!e.object.is_object()) {
    return Fail(Code::kInvalidArgument, "webhook: event " + e.id + " has no data.object");
  }
  return e;
}

std::string SignWebhookPayload(std::string_view raw_body, std::string_view secret, UnixTime t) {
  if (sodium_init() < 0) std::abort();
  return "t=" + std::to_string(t) + ",v1=" + HmacHex(secret, t, raw_body);
}

}  // namespace undersigned::payments
