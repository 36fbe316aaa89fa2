// CSV for the files organizers open in spreadsheets (exports, deliveries). Pure; thread-safe.
#pragma once

#include <string>

namespace undersigned::service {

// A CSV field, quoted, with formula-leading characters neutralised so that a comment like
// "=HYPERLINK(...)" stays text when the organizer opens the file in a spreadsheet.
inline std::string CsvField(const std::string& v) {
  std::string out = "\"";
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    out += '\'';
  }
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace undersigned::service
