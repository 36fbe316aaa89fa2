#include "core/origin.h"

#include <map>
#include <utility>

#include "core/utf8.h"

namespace undersigned {
namespace {

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// A DNS name (labels of [a-z0-9-], not starting or ending with '-') or an IPv4 literal, lower
// case; an IPv6 literal in brackets ("[2001:db8::1]").
bool ValidHost(std::string_view h) {
  if (h.empty() || h.size() > kMaxOriginHostBytes) return false;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    for (char c : h.substr(1, h.size() - 2)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) {
        return false;
      }
    }
    return true;
  }
  std::size_t label = 0;
  char prev = '.';
  for (char c : h) {
    if (!HostChar(c)) return false;
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

bool ValidChannel(std::string_view c) {
  if (c.empty() || c.size() > kMaxChannelBytes) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
      return false;
    }
  }
  return true;
}

bool ValidReferral(std::string_view r) {
  if (r.empty() || r.size() > kMaxReferralBytes) return false;
  for (char ch : r) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_' || ch == '-')) {
      return false;
    }
  }
  return true;
}

// What is wrong with a utm value, or "" if nothing.
std::string UtmProblem(const std::string& v) {
  if (!IsValidUtf8(v)) return "is not valid UTF-8";
  if (HasControlChars(v, false) || HasBidiControls(v)) return "holds control characters";
  if (v.size() > kMaxUtmBytes) return "is longer than " + std::to_string(kMaxUtmBytes) + " bytes";
  return "";
}

// Normalizes origin in place and returns a message per bad field.
std::map<std::string, std::string> Check(SignatureOrigin& o) {
  std::map<std::string, std::string> errors;
  o.referrer = ToLowerAscii(Trim(o.referrer));
  o.channel = ToLowerAscii(Trim(o.channel));
  if (!o.referrer.empty() && !ValidHost(o.referrer)) {
    errors["referrer"] = "must be a host name such as news.example.org (no scheme, path or port)";
  }
  if (!o.channel.empty() && !ValidChannel(o.channel)) {
    errors["channel"] =
        "must be at most " + std::to_string(kMaxChannelBytes) + " of a-z, 0-9, '_' and '-'";
  }
  o.referral = Trim(o.referral);
  if (!o.referral.empty() && !ValidReferral(o.referral)) {
    errors["referral"] = "must be at most " + std::to_string(kMaxReferralBytes) +
                         " of A-Z, a-z, 0-9, '_' and '-' (the code of a personal link)";
  }
  for (auto [key, value] :
       {std::pair{"utm_source", &o.utm_source}, std::pair{"utm_medium", &o.utm_medium},
        std::pair{"utm_campaign", &o.utm_campaign}}) {
    *value = Trim(*value);
    if (std::string p = UtmProblem(*value); !p.empty()) errors[key] = p;
  }
  return errors;
}

}  // namespace

std::string ReferrerHost(std::string_view url) {
  std::string lower = ToLowerAscii(Trim(url));
  std::string_view s = lower;
  if (s.starts_with("https://")) {
    s.remove_prefix(8);
  } else if (s.starts_with("http://")) {
    s.remove_prefix(7);
  } else {
    return "";
  }
  s = s.substr(0, s.find_first_of("/?#"));
  if (std::size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
  if (!s.empty() && s.front() == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos) return "";
    s = s.substr(0, close + 1);
  } else if (std::size_t colon = s.find(':'); colon != std::string_view::npos) {
    s = s.substr(0, colon);
  }
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);  // "example.org." is the same host
  return ValidHost(s) ? std::string(s) : "";
}

SignatureOrigin CleanOrigin(SignatureOrigin origin) {
  const auto errors = Check(origin);
  if (errors.count("referrer")) origin.referrer.clear();
  if (errors.count("channel")) origin.channel.clear();
  if (errors.count("referral")) origin.referral.clear();
  if (errors.count("utm_source")) origin.utm_source.clear();
  if (errors.count("utm_medium")) origin.utm_medium.clear();
  if (errors.count("utm_campaign")) origin.utm_campaign.clear();
  return origin;
}

Result<SignatureOrigin> ValidateOrigin(SignatureOrigin origin) {
  auto errors = Check(origin);
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return origin;
}

}  // namespace undersigned
