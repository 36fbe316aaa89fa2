// Helpers shared by the log_test sources: deterministic leaves and hex hashes. Test-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "log/encoding.h"
#include "log/merkle.h"

namespace undersigned::log::testing {

inline Hash TestLeaf(uint64_t i) { return LeafHash("leaf " + std::to_string(i)); }

inline std::vector<Hash> TestLeaves(uint64_t n) {
  std::vector<Hash> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) out.push_back(TestLeaf(i));
  return out;
}

inline std::string Hex(const Hash& h) { return HexEncode(h); }

inline Hash FromHex(std::string_view hex) {
  Hash h{};
  auto bytes = HexDecode(hex);
  if (bytes && bytes->size() == h.size()) std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

}  // namespace undersigned::log::testing
