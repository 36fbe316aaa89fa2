#include "render/templates.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "render/escape.h"

namespace undersigned::render {
namespace fs = std::filesystem;
namespace mu = kainjow::mustache;

Result<Templates> Templates::FromSources(std::map<std::string, std::string> sources) {
  Templates t;
  for (auto& [name, source] : sources) {
    mu::mustache parsed(source);
    if (!parsed.is_valid()) {
      return Fail(Code::kInvalidArgument,
                  "template " + name + ".mustache: " + parsed.error_message());
    }
    t.partials_.set(name, Data(source));
    t.sources_.emplace(name, std::move(source));
  }
  return t;
}

Result<Templates> Templates::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Fail(Code::kNotFound, "no template directory " + dir);
  std::map<std::string, std::string> sources;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".mustache") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return Fail(Code::kInternal, "cannot read " + entry.path().string());
    std::ostringstream ss;
    ss << in.rdbuf();
    sources.emplace(entry.path().stem().string(), ss.str());
  }
  if (ec) return Fail(Code::kInternal, "cannot list " + dir + ": " + ec.message());
  if (sources.empty()) return Fail(Code::kNotFound, "no *.mustache templates in " + dir);
  auto t = FromSources(std::move(sources));
  if (t) t->dir_ = dir;
  return t;
}

bool Templates::Has(std::string_view name) const { return sources_.find(name) != sources_.end(); }

Result<std::string> Templates::Render(std::string_view name, const Data& data) const {
  auto it = sources_.find(name);
  if (it == sources_.end()) return Fail(Code::kNotFound, "no template " + std::string(name));
  mu::mustache tmpl(it->second);
  tmpl.set_custom_escape([](const std::string& s) { return EscapeHtml(s); });
  // The page's data is searched first, then the partials (templates by name).
  mu::context<std::string> ctx;
  ctx.push(&partials_);
  ctx.push(&data);
  std::string out = tmpl.render(ctx);
  if (!tmpl.is_valid()) {
    return Fail(Code::kInternal, "template " + it->first + ": " + tmpl.error_message());
  }
  return out;
}

std::string FindAssetDir(std::string_view name, std::string_view configured) {
  std::error_code ec;
  if (!configured.empty()) return std::string(configured);
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("UNDERSIGNED_SOURCE_DIR"); env != nullptr && *env != 0) {
    candidates.push_back(std::string(env) + "/" + std::string(name));
  }
#ifdef UNDERSIGNED_BUILD_SOURCE_DIR
  candidates.push_back(std::string(UNDERSIGNED_BUILD_SOURCE_DIR) + "/" + std::string(name));
#endif
  candidates.push_back("/usr/share/undersigned/" + std::string(name));
  for (const auto& c : candidates) {
    if (fs::is_directory(c, ec)) return c;
  }
  return candidates.back();
}

}  // namespace undersigned::render
