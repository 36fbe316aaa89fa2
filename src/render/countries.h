// The country list of the sign form. Immutable static data; thread-safe.
#pragma once

#include <vector>

namespace undersigned::http::pages {

struct Country {
  const char* code;  // ISO 3166-1 alpha-2, "GB"
  const char* name;  // English short name, "United Kingdom"
};

// Every ISO 3166-1 country, sorted by English name.
const std::vector<Country>& Countries();

}  // namespace undersigned::http::pages
