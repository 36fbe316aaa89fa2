#include "http/api/json_body.h"

#include <cmath>
#include <vector>

#include "core/utf8.h"
#include "http/message.h"

namespace undersigned::http::api {

using nlohmann::json;

bool IsJsonContentType(std::string_view content_type) {
  std::string ct = ToLowerAscii(Trim(content_type.substr(0, content_type.find(';'))));
  if (ct == "application/json" || ct == "application/hal+json" || ct == "text/json") return true;
  return ct.rfind("application/", 0) == 0 && ct.size() > 17 &&
         ct.compare(ct.size() - 5, 5, "+json") == 0;
}

namespace {

// Deepest nesting of [ and { outside strings. Cheap pre-check so that a body like [[[[...
// cannot drive the parser into deep recursion.
int NestingDepth(std::string_view s) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

// nlohmann's DOM builder, also keeping the names of the objects and key being read, so that a
// number that cannot be represented (1e999 overflows a double) is refused naming its field.
class KeyTrackingParser : public nlohmann::detail::json_sax_dom_parser<json> {
 public:
  explicit KeyTrackingParser(json& result) : json_sax_dom_parser(result, true) {}

  bool start_object(std::size_t n) {
    path_.emplace_back();
    return json_sax_dom_parser::start_object(n);
  }
  bool key(json::string_t& k) {
    path_.back() = k;
    return json_sax_dom_parser::key(k);
  }
  bool end_object() {
    path_.pop_back();
    return json_sax_dom_parser::end_object();
  }
  bool start_array(std::size_t n) {
    path_.emplace_back();  // elements are named by their array: "tags", not "tags[3]"
    return json_sax_dom_parser::start_array(n);
  }
  bool end_array() {
    path_.pop_back();
    return json_sax_dom_parser::end_array();
  }

  // The field being read: "person.postal_addresses.postal_code" (empty outside any key).
  std::string Path() const {
    std::string out;
    for (const std::string& part : path_) {
      if (part.empty()) continue;
      if (!out.empty()) out += '.';
      out += part;
    }
    return out;
  }

 private:
  std::vector<std::string> path_;
};

}  // namespace

Result<json> ParseJsonObject(std::string_view body) {
  if (body.size() > kMaxJsonBodyBytes) {
    return Fail(Code::kPayloadTooLarge, "request body is too large (at most " +
                                            std::to_string(kMaxJsonBodyBytes / 1024) + " KiB)");
  }
  if (Trim(body).empty()) {
    return Fail(Code::kInvalidArgument, "request body is empty; send a JSON object");
  }
  if (!IsValidUtf8(body)) {
    return Fail(Code::kInvalidArgument, "request body is not valid UTF-8; encode text as UTF-8");
  }
  if (NestingDepth(body) > kMaxJsonDepth) {
    return Fail(Code::kInvalidArgument, "request body nests too deeply (at most " +
                                            std::to_string(kMaxJsonDepth) + " levels)");
  }
  json j;
  KeyTrackingParser parser(j);
  try {
    json::sax_parse(body.begin(), body.end(), &parser);
  } catch (const json::parse_error& e) {
    return Fail(Code::kInvalidArgument, "request body is not valid JSON (syntax error at byte " +
                                            std::to_string(e.byte) + ")");
  } catch (const json::out_of_range&) {  // a number beyond a double's range
    const std::string field = parser.Path();
    if (field.empty()) {
      return Fail(Code::kInvalidArgument, "request body holds a number too large to use");
    }
    Error e{Code::kInvalidArgument, field + " is a number too large to use", {}, 0};
    e.field_errors[field] = "is a number too large to use";
    return Fail(std::move(e));
  }
  if (!j.is_object()) {
    return Fail(Code::kInvalidArgument, "request body must be a JSON object ({...})");
  }
  return j;
}

namespace {

// The pairs named in fields, as a JSON object of strings (first value wins).
json FlatObject(const std::multimap<std::string, std::string>& pairs,
                std::span<const std::string_view> fields) {
  json out = json::object();
  for (std::string_view f : fields) {
    auto it = pairs.find(std::string(f));
    if (it != pairs.end()) out[it->first] = it->second;
  }
  return out;
}

}  // namespace

Result<json> ParseLenientBody(std::string_view body,
                              const std::multimap<std::string, std::string>& query,
                              std::span<const std::string_view> fields) {
  auto parsed = ParseJsonObject(body);
  if (parsed || parsed.error().code != Code::kInvalidArgument) return parsed;
  if (Trim(body).empty()) {
    json flat = FlatObject(query, fields);
    if (!flat.empty()) return flat;
    return parsed;
  }
  if (auto form = ParseForm(body)) {
    json flat = FlatObject(*form, fields);
    if (!flat.empty()) return flat;
  }
  return parsed;
}

namespace {

tl::unexpected<Error> TypeError(const std::string& path, const char* what) {
  Error e{Code::kInvalidArgument, path + " must be " + what, {}, 0};
  e.field_errors[path] = std::string("must be ") + what;
  return tl::unexpected<Error>(std::move(e));
}

template <typename T>
const json* Lookup(const json& obj, const char* key, Field<T>& f) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  f.present = true;
  if (it->is_null()) {
    f.null = true;
    return nullptr;
  }
  return &*it;
}

}  // namespace

Result<Field<std::string>> GetString(const json& obj, const char* key, const std::string& path) {
  Field<std::string> f;
  const json* v = Lookup(obj, key, f);
  if (!v) return f;
  if (!v->is_string()) return TypeError(path, "a string");
  f.value = v->get<std::string>();
  return f;
}

Result<Field<std::string>> GetStringOrNumber(const json& obj, const char* key,
                                             const std::string& path) {
  Field<std::string> f;
  const json* v = Lookup(obj, key, f);
  if (!v) return f;
  if (v->is_string()) {
    f.value = v->get<std::string>();
  } else if (v->is_number_unsigned()) {
    f.value = std::to_string(v->get<std::uint64_t>());
  } else if (v->is_number_integer()) {
    f.value = std::to_string(v->get<std::int64_t>());
  } else {
    return TypeError(path, "a string");
  }
  return f;
}

Result<std::int64_t> AsInteger(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) {  // check first: is_number_integer() is true for it too
    std::uint64_t u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return TypeError(path, "a smaller number");
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) {
      return TypeError(path, "a whole number");
    }
    return static_cast<std::int64_t>(d);
  }
  return TypeError(path, "a whole number");
}

Result<Field<std::int64_t>> GetInteger(const json& obj, const char* key, const std::string& path) {
  Field<std::int64_t> f;
  const json* v = Lookup(obj, key, f);
  if (!v) return f;
  auto n = AsInteger(*v, path);
  if (!n) return Fail(n.error());
  f.value = *n;
  return f;
}

Result<Field<bool>> GetBool(const json& obj, const char* key, const std::string& path) {
  Field<bool> f;
  const json* v = Lookup(obj, key, f);
  if (!v) return f;
  if (!v->is_boolean()) return TypeError(path, "true or false");
  f.value = v->get<bool>();
  return f;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace undersigned::http::api
