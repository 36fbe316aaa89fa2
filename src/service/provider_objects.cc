#include "service/provider_objects.h"

#include <algorithm>

namespace undersigned::service {

std::string TextOf(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> MetadataIdOf(const nlohmann::json& object, const char* key) {
  auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return std::nullopt;
  const std::string id = TextOf(*md, key);
  if (id.empty() || id.size() > 18 ||
      !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(id);
}

}  // namespace undersigned::service
