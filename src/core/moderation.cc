#include "core/moderation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

namespace undersigned {
namespace {

// Zeroes every bit of bytes[0..size) after the first prefix bits.
void MaskTo(std::uint8_t* bytes, int size, int prefix) {
  for (int i = 0; i < size; ++i) {
    const int bits = std::clamp(prefix - i * 8, 0, 8);
    bytes[i] &= static_cast<std::uint8_t>(bits == 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
  }
}

// Parses an address without a prefix into r (v6, bytes); false if it is not one.
bool ParseAddress(const std::string& text, CidrRange& r) {
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    r.v6 = false;
    std::memcpy(r.bytes.data(), &v4, 4);
    return true;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(r.bytes.data(), &v6, 16);
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(r.bytes.data(), kMapped, 12) == 0) {
      std::memmove(r.bytes.data(), r.bytes.data() + 12, 4);
      std::fill(r.bytes.begin() + 4, r.bytes.end(), 0);
      r.v6 = false;
    } else {
      r.v6 = true;
    }
    return true;
  }
  return false;
}

std::string FormatNetwork(const CidrRange& r) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (r.v6) {
    in6_addr a{};
    std::memcpy(&a, r.bytes.data(), 16);
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
  } else {
    in_addr a{};
    std::memcpy(&a, r.bytes.data(), 4);
    inet_ntop(AF_INET, &a, buf, sizeof buf);
  }
  return std::string(buf) + "/" + std::to_string(r.prefix);
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool ValidDomain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.find('.') == std::string_view::npos) return false;
  if (d.front() == '.' || d.back() == '.' || d.front() == '-') return false;
  char prev = 0;
  for (char c : d) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

}  // namespace

std::string ClientNetwork(std::string_view address) {
  std::string text = Trim(address);
  // "[2001:db8::1]" as some proxies write it.
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  CidrRange r;
  if (text.empty() || !ParseAddress(text, r)) return "";
  r.prefix = r.v6 ? kKeptPrefixV6 : kKeptPrefixV4;
  MaskTo(r.bytes.data(), r.v6 ? 16 : 4, r.prefix);
  return FormatNetwork(r);
}

Result<CidrRange> ParseCidr(std::string_view text_in) {
  const std::string text = Trim(text_in);
  const auto slash = text.find('/');
  auto bad = [&](const std::string& why) {
    return Fail(Code::kInvalidArgument, "range \"" + text + "\": " + why);
  };
  if (slash == std::string::npos) {
    return bad("write it as a CIDR range, such as 203.0.113.0/24 or 2001:db8:1::/48");
  }
  CidrRange r;
  if (!ParseAddress(text.substr(0, slash), r)) return bad("not an IPv4 or IPv6 address");
  const std::string len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3 ||
      !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("the prefix length after / must be a number");
  }
  r.prefix = std::stoi(len);
  const int kept = r.v6 ? kKeptPrefixV6 : kKeptPrefixV4;
  if (r.prefix > kept) {
    return bad("signers' networks are kept only to /" + std::to_string(kept) +
               ", so a narrower range cannot be told apart; use /" + std::to_string(kept) +
               " or a wider range");
  }
  CidrRange masked = r;
  MaskTo(masked.bytes.data(), r.v6 ? 16 : 4, r.prefix);
  if (masked.bytes != r.bytes) {
    return bad("has bits set beyond its prefix; did you mean " + FormatNetwork(masked) + "?");
  }
  return r;
}

bool NetworkInRange(std::string_view stored_network, const CidrRange& range) {
  const auto slash = stored_network.find('/');
  if (stored_network.empty() || slash == std::string_view::npos) return false;
  CidrRange net;
  if (!ParseAddress(std::string(stored_network.substr(0, slash)), net)) return false;
  if (net.v6 != range.v6) return false;
  MaskTo(net.bytes.data(), net.v6 ? 16 : 4, range.prefix);
  return net.bytes == range.bytes;
}

std::string EmailDomain(std::string_view canonical_email) {
  const auto at = canonical_email.rfind('@');
  if (at == std::string_view::npos || canonical_email.rfind("affiliation:", 0) == 0) return "";
  std::string d(canonical_email.substr(at + 1));
  std::transform(d.begin(), d.end(), d.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return d;
}

Result<CheckedFilter> CheckFilter(const ModerationFilter& f) {
  std::map<std::string, std::string> errors;
  CheckedFilter out;
  if (Trim(f.campaign_slug).empty()) errors["campaign"] = "name the campaign";
  for (const std::string& text : f.ranges) {
    auto r = ParseCidr(text);
    if (!r) {
      errors["ranges"] = r.error().message;
      break;
    }
    out.ranges.push_back(*r);
  }
  out.email_domain = Trim(f.email_domain);
  if (!out.email_domain.empty() && out.email_domain.front() == '@') {
    out.email_domain.erase(0, 1);
  }
  std::transform(out.email_domain.begin(), out.email_domain.end(), out.email_domain.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!out.email_domain.empty() && !ValidDomain(out.email_domain)) {
    errors["email_domain"] = "write a domain such as example.org";
  }
  out.from = f.from;
  out.to = f.to;
  if (f.from && f.to && *f.to <= *f.from) errors["to"] = "must be after from";
  if (!f.states.empty()) {
    out.pending = out.confirmed = false;
    for (SignatureState s : f.states) {
      if (s == SignatureState::kPending) {
        out.pending = true;
      } else if (s == SignatureState::kConfirmed) {
        out.confirmed = true;
      } else {
        errors["states"] = "only pending and confirmed signatures can be invalidated";
      }
    }
  }
  if (errors.empty() && out.ranges.empty() && out.email_domain.empty() && !out.from && !out.to) {
    errors["ranges"] =
        "name address ranges, an email domain or a time window: a filter of the whole campaign "
        "is refused";
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return out;
}

bool MatchesNetworkAndDomain(const CheckedFilter& f, std::string_view stored_network,
                             std::string_view canonical_email) {
  if (!f.email_domain.empty() && EmailDomain(canonical_email) != f.email_domain) return false;
  if (f.ranges.empty()) return true;
  return std::any_of(f.ranges.begin(), f.ranges.end(),
                     [&](const CidrRange& r) { return NetworkInRange(stored_network, r); });
}

Result<std::string> CheckReason(std::string reason) {
  std::map<std::string, std::string> errors;
  reason = Trim(reason);
  CheckTextField(errors, "reason", reason, 500, /*required=*/true, /*allow_newlines=*/false);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return reason;
}

}  // namespace undersigned
