#include "core/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cmath>

#include "core/utf8.h"

namespace undersigned::totp {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}  // namespace

std::int64_t StepAt(UnixTime t, int step_seconds) {
  std::int64_t s = t / step_seconds;
  if (t < 0 && t % step_seconds != 0) --s;  // floor
  return s;
}

std::string CodeForStep(std::string_view secret, std::int64_t step, int digits) {
  std::array<unsigned char, 8> counter{};
  auto c = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<unsigned char>(c & 0xff);
    c >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(), counter.size(),
       mac.data(), &mac_len);
  const int offset = mac[mac_len - 1] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint64_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string out = std::to_string(binary % mod);
  if (static_cast<int>(out.size()) < digits) out.insert(0, digits - out.size(), '0');
  return out;
}

std::string CodeAt(std::string_view secret, UnixTime t, int digits, int step_seconds) {
  return CodeForStep(secret, StepAt(t, step_seconds), digits);
}

std::optional<std::int64_t> Verify(std::string_view secret, std::string_view code, UnixTime now,
                                   std::optional<std::int64_t> after_step, int window) {
  std::string typed;
  for (char ch : code) {
    if (ch == ' ') continue;
    if (ch < '0' || ch > '9') return std::nullopt;
    typed.push_back(ch);
  }
  if (typed.size() != static_cast<std::size_t>(kDigits) || secret.empty()) return std::nullopt;
  const std::int64_t current = StepAt(now);
  std::optional<std::int64_t> matched;
  // Every step in the window is computed and compared, matched or not, in constant time.
  for (std::int64_t s = current - window; s <= current + window; ++s) {
    const std::string expected = CodeForStep(secret, s);
    const bool equal = CRYPTO_memcmp(expected.data(), typed.data(), typed.size()) == 0;
    if (equal && (!after_step || s > *after_step) && !matched) matched = s;
  }
  return matched;
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t symbols = 0;
  for (char ch : text) {
    if (ch == ' ' || ch == '-' || ch == '=') continue;
    int v = -1;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    if (ch >= 'a' && ch <= 'z') v = ch - 'a';
    if (ch >= '2' && ch <= '7') v = ch - '2' + 26;
    if (v < 0) return std::nullopt;
    ++symbols;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // Lengths an encoding makes leave 0-4 bits over; 1, 3 and 6 symbols mod 8 are impossible.
  const std::size_t rest = symbols % 8;
  if (rest == 1 || rest == 3 || rest == 6) return std::nullopt;
  return out;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  const std::string enc_issuer = PercentEncode(issuer);
  return "otpauth://totp/" + enc_issuer + ":" + PercentEncode(account) +
         "?secret=" + Base32Encode(secret) + "&issuer=" + enc_issuer +
         "&algorithm=SHA1&digits=" + std::to_string(kDigits) +
         "&period=" + std::to_string(kStepSeconds);
}

}  // namespace undersigned::totp
