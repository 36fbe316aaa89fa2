#include "store/conformance/backend.h"

#include <map>
#include <utility>

namespace undersigned::store::conformance {
namespace {

std::map<std::string, BackendFactory>& Registry() {
  static std::map<std::string, BackendFactory> registry;
  return registry;
}

}  // namespace

bool RegisterBackend(const std::string& name, BackendFactory factory) {
  Registry()[name] = std::move(factory);
  return true;
}

std::vector<std::string> BackendNames() {
  std::vector<std::string> out;
  for (const auto& [name, f] : Registry()) out.push_back(name);
  return out;
}

std::unique_ptr<TestBackend> MakeBackend(const std::string& name, std::string* skip_reason) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    *skip_reason = "no backend named " + name;
    return nullptr;
  }
  return it->second(skip_reason);
}

}  // namespace undersigned::store::conformance
