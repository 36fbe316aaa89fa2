#include "payments/form.h"

namespace undersigned::payments {

FormBody& FormBody::Add(std::string key, std::string value) {
  pairs_.emplace_back(std::move(key), std::move(value));
  return *this;
}

FormBody& FormBody::AddMap(const std::string& prefix,
                           const std::map<std::string, std::string>& map) {
  for (const auto& [k, v] : map) Add(prefix + "[" + k + "]", v);
  return *this;
}

std::string FormBody::Encode() const {
  std::string out;
  for (const auto& [k, v] : pairs_) {
    if (!out.empty()) out += '&';
    out += FormEncodeComponent(k);
    out += '=';
    out += FormEncodeComponent(v);
  }
  return out;
}

std::string FormEncodeComponent(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~' || c == '[' || c == ']';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace undersigned::payments
