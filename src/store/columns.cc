// The stored forms both backends share (store/columns.h).
#include "store/columns.h"

#include <nlohmann/json.hpp>

namespace undersigned::store {

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

// The stored form of a token hash: a hex string (hex SHA-256 is what the service makes; a
// time-ordered hex prefix before it is welcome, see the header) is stored as its bytes, halving
// the unique indexes; anything else is kept byte for byte. Hex digits are case-insensitive.
std::string HashKey(std::string_view hash) {
  if (hash.size() >= 32 && hash.size() % 2 == 0) {
    std::string out(hash.size() / 2, '\0');
    bool ok = true;
    for (std::size_t i = 0; i < out.size() && ok; ++i) {
      int hi = HexValue(hash[2 * i]);
      int lo = HexValue(hash[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      out[i] = static_cast<char>((hi << 4) | lo);
    }
    if (ok) return out;
  }
  return std::string(hash);
}

std::string TargetsJson(const std::vector<Target>& targets) {
  nlohmann::json arr = nlohmann::json::array();
  for (const Target& t : targets) {
    arr.push_back({{"name", t.name},
                   {"title", t.title},
                   {"organization", t.organization},
                   {"x_handle", t.x_handle},
                   {"bluesky_handle", t.bluesky_handle},
                   {"mastodon_handle", t.mastodon_handle},
                   {"email", t.email}});
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<Target>> ParseTargets(std::string_view text) {
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) return Fail(Code::kInternal, "stored campaign targets are not a JSON array");
  std::vector<Target> out;
  out.reserve(arr.size());
  auto str = [](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return {};
    return it->get<std::string>();
  };
  for (const auto& o : arr) {
    if (!o.is_object()) continue;
    out.push_back(Target{str(o, "name"), str(o, "title"), str(o, "organization"),
                         str(o, "x_handle"), str(o, "bluesky_handle"), str(o, "mastodon_handle"),
                         str(o, "email")});
  }
  return out;
}

std::string GroupsJson(const std::vector<SignerGroup>& groups) {
  nlohmann::json arr = nlohmann::json::array();
  for (const SignerGroup& g : groups) {
    nlohmann::json o = {{"key", g.key},
                        {"name", g.name},
                        {"kind", GroupKindName(g.kind)},
                        {"organization", g.organization},
                        {"domains", g.domains},
                        {"attestation", g.attestation},
                        {"seal_thresholds", g.seal_thresholds}};
    if (g.goal) o["goal"] = *g.goal;
    arr.push_back(std::move(o));
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<SignerGroup>> ParseGroups(std::string_view text) {
  if (text == "[]") return std::vector<SignerGroup>{};
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) return Fail(Code::kInternal, "stored campaign groups are not a JSON array");
  std::vector<SignerGroup> out;
  try {
    for (const auto& o : arr) {
      SignerGroup g;
      g.key = o.at("key").get<std::string>();
      g.name = o.at("name").get<std::string>();
      g.kind = ParseGroupKind(o.at("kind").get<std::string>()).value_or(GroupKind::kPublic);
      g.organization = o.value("organization", "");
      g.domains = o.value("domains", std::vector<std::string>{});
      g.attestation = o.value("attestation", "");
      g.seal_thresholds = o.value("seal_thresholds", std::vector<std::int64_t>{});
      if (o.contains("goal")) g.goal = o.at("goal").get<std::int64_t>();
      out.push_back(std::move(g));
    }
  } catch (const nlohmann::json::exception&) {
    return Fail(Code::kInternal, "stored campaign groups are malformed");
  }
  return out;
}

std::string ImageJson(const CampaignImage& image) {
  return nlohmann::json{{"sha256", image.sha256},
                        {"alt", image.alt},
                        {"width", image.width},
                        {"height", image.height}}
      .dump();
}

Result<std::optional<CampaignImage>> ParseImage(std::string_view text) {
  if (text.empty()) return std::optional<CampaignImage>{};
  nlohmann::json o = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!o.is_object()) return Fail(Code::kInternal, "the stored campaign picture is malformed");
  try {
    CampaignImage image;
    image.sha256 = o.at("sha256").get<std::string>();
    image.alt = o.at("alt").get<std::string>();
    image.width = o.at("width").get<int>();
    image.height = o.at("height").get<int>();
    return std::optional<CampaignImage>(std::move(image));
  } catch (const nlohmann::json::exception&) {
    return Fail(Code::kInternal, "the stored campaign picture is malformed");
  }
}

std::string SecondaryTargetsJson(const std::vector<SecondaryTarget>& targets) {
  nlohmann::json a = nlohmann::json::array();
  for (const SecondaryTarget& t : targets) {
    a.push_back({{"name", t.name},
                 {"about", t.about},
                 {"x", t.x_handle},
                 {"bluesky", t.bluesky_handle},
                 {"mastodon", t.mastodon_handle},
                 {"posts", t.posts}});
  }
  return a.dump();
}

Result<std::vector<SecondaryTarget>> ParseSecondaryTargetsJson(std::string_view text) {
  std::vector<SecondaryTarget> out;
  if (text.empty()) return out;
  nlohmann::json a = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!a.is_array()) return Fail(Code::kInternal, "stored secondary targets are malformed");
  try {
    for (const auto& o : a) {
      SecondaryTarget t;
      t.name = o.at("name").get<std::string>();
      t.about = o.value("about", "");
      t.x_handle = o.value("x", "");
      t.bluesky_handle = o.value("bluesky", "");
      t.mastodon_handle = o.value("mastodon", "");
      t.posts = o.at("posts").get<std::vector<std::string>>();
      out.push_back(std::move(t));
    }
  } catch (const nlohmann::json::exception&) {
    return Fail(Code::kInternal, "stored secondary targets are malformed");
  }
  return out;
}

// Group counts as campaign_counts.groups keeps them: {"key": confirmed}.
std::string GroupCountsJson(const std::vector<GroupCount>& groups) {
  if (groups.empty()) return "{}";
  nlohmann::json o = nlohmann::json::object();
  for (const GroupCount& g : groups) o[g.key] = g.confirmed;
  return o.dump();
}

std::vector<GroupCount> ParseGroupCounts(std::string_view text) {
  std::vector<GroupCount> out;
  if (text == "{}" || text.empty()) return out;
  nlohmann::json o = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!o.is_object()) return out;
  for (const auto& [key, value] : o.items()) {
    if (value.is_number_integer()) out.push_back(GroupCount{key, value.get<std::int64_t>()});
  }
  return out;
}

// A campaign's foreign identifiers as a JSON array of strings.
std::string IdentifiersJson(const std::vector<std::string>& ids) {
  nlohmann::json arr = nlohmann::json::array();
  for (const std::string& id : ids) arr.push_back(id);
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> ParseIdentifiers(std::string_view text) {
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) {
    return Fail(Code::kInternal, "stored campaign identifiers are not a JSON array");
  }
  std::vector<std::string> out;
  out.reserve(arr.size());
  for (const auto& id : arr) {
    if (id.is_string()) out.push_back(id.get<std::string>());
  }
  return out;
}

}  // namespace undersigned::store
