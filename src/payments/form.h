// Stripe's request encoding: application/x-www-form-urlencoded, nested objects as
// "metadata[k]=v" and arrays as "line_items[0][price_data][currency]=usd", each key and value
// percent-encoded as Stripe's official library does (RFC 3986 unreserved characters kept,
// square brackets kept literally, everything else %XX in upper case). Pairs stay in the order
// they were added, so a request's body is exactly predictable (tests/stripe/requests.json).
//
// Thread-safety: a value type; not for concurrent mutation.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace undersigned::payments {

class FormBody {
 public:
  FormBody& Add(std::string key, std::string value);
  // prefix[k]=v for each entry, in key order.
  FormBody& AddMap(const std::string& prefix, const std::map<std::string, std::string>& map);
  std::string Encode() const;
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// One key or value, encoded as above.
std::string FormEncodeComponent(std::string_view s);

}  // namespace undersigned::payments
