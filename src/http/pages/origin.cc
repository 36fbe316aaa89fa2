#include "http/pages/origin.h"

#include <utility>

#include "core/utf8.h"
#include "render/escape.h"

namespace undersigned::http::pages {
namespace {

struct Key {
  const char* name;
  std::string SignatureOrigin::*field;
};
constexpr Key kKeys[] = {
    {"r", &SignatureOrigin::referrer},    {"us", &SignatureOrigin::utm_source},
    {"um", &SignatureOrigin::utm_medium}, {"uc", &SignatureOrigin::utm_campaign},
    {"s", &SignatureOrigin::channel},     {"rc", &SignatureOrigin::referral}};

}  // namespace

SignatureOrigin LandingOrigin(const Request& req, std::string_view own_host) {
  SignatureOrigin o;
  o.referrer = ReferrerHost(req.Header("referer"));
  if (!own_host.empty() && o.referrer == ToLowerAscii(own_host)) o.referrer.clear();
  o.utm_source = req.Query("utm_source").value_or("");
  o.utm_medium = req.Query("utm_medium").value_or("");
  o.utm_campaign = req.Query("utm_campaign").value_or("");
  o.channel = req.Query(kChannelParam).value_or("");
  o.referral = req.Query(kReferralParam).value_or("");
  return CleanOrigin(std::move(o));
}

std::string EncodeOriginField(const SignatureOrigin& origin) {
  std::string out;
  for (const Key& k : kKeys) {
    const std::string& v = origin.*(k.field);
    if (v.empty()) continue;
    if (!out.empty()) out += '&';
    out += k.name;
    out += '=';
    out += PercentEncode(v);
  }
  return out;
}

SignatureOrigin DecodeOriginField(std::string_view value) {
  SignatureOrigin o;
  if (value.size() > 2048) return o;
  auto parsed = ParseForm(value);
  if (!parsed) return o;
  for (const Key& k : kKeys) {
    auto it = parsed->find(k.name);
    if (it != parsed->end()) o.*(k.field) = it->second;
  }
  return CleanOrigin(std::move(o));
}

std::string OriginInputHtml(const SignatureOrigin& origin) {
  const std::string value = EncodeOriginField(origin);
  if (value.empty()) return "";
  return "<input type=\"hidden\" name=\"origin\" value=\"" + render::EscapeHtml(value) + "\">";
}

}  // namespace undersigned::http::pages
