// ISO 3166-1 countries with their English names: the sign form's list, and the names the
// delivered letter prints for signers' country codes. Immutable static data; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace undersigned::render {

struct Country {
  const char* code;  // ISO 3166-1 alpha-2, "GB"
  const char* name;  // English short name, "United Kingdom"
};

// Every ISO 3166-1 country, sorted by English name.
const std::vector<Country>& Countries();

// "DE" -> "Germany" (case-insensitive); a code it does not know is returned as given.
std::string CountryName(std::string_view code);

}  // namespace undersigned::render
