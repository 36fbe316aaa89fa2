// Templates: every templates/*.mustache file (kainjow mustache), loaded once at start-up from
// a directory. Each template can include any other as a partial by file name without the
// extension ({{> header}}). {{x}} is HTML-escaped, {{{x}}} is inserted raw (only for HTML the
// server made itself, such as rendered Markdown). A data key must not be named like a template:
// mustache looks partials up in the data first, so the key would hide the partial.
//
// Immutable after Load(); Render() is const and thread-safe (each call parses its own copy,
// so nothing is shared between threads). Owned by app::App; pages hold a const reference.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <mustache.hpp>

#include "core/error.h"

namespace undersigned::render {

using Data = kainjow::mustache::data;
using DataList = kainjow::mustache::list;

// A string for a {{#section}} that must vanish when it is empty: mustache renders a section
// for any string, "" included, which leaves stray "()" and empty blocks behind.
inline Data TextOrNothing(const std::string& s) { return s.empty() ? Data(false) : Data(s); }

class Templates {
 public:
  // Loads every *.mustache in dir and checks that each parses. kNotFound if dir is missing or
  // holds no templates, kInvalidArgument (with the file and the parser's message) on a syntax
  // error.
  static Result<Templates> Load(const std::string& dir);
  // For tests: templates given as name -> source.
  static Result<Templates> FromSources(std::map<std::string, std::string> sources);

  bool Has(std::string_view name) const;
  // Renders the template `name` with data; the other templates are its partials. kNotFound for
  // an unknown name, kInternal if rendering fails (an unbalanced section in a partial).
  Result<std::string> Render(std::string_view name, const Data& data) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, std::string, std::less<>> sources_;
  Data partials_;  // object: name -> source string
};

// Where to find a directory of assets shipped with the source ("templates", "static"):
// `configured` if not empty; else $UNDERSIGNED_SOURCE_DIR/<name>; else <source dir at build
// time>/<name>; else /usr/share/undersigned/<name>. Returns the first that exists (or the
// configured / last candidate if none does, so the caller's error names it).
std::string FindAssetDir(std::string_view name, std::string_view configured = {});

}  // namespace undersigned::render
