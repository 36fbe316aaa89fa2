// StaticFiles: the files of a small directory (css, js, svg, png, ico...) read into memory at
// start-up, each with its content type and a strong ETag. Lookup by the relative path below the
// mount prefix; anything that is not exactly a file that was loaded is "not found", so path
// traversal has nothing to reach. Immutable after Load(); thread-safe to read.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace undersigned::http {

struct StaticFile {
  std::string content;
  std::string content_type;
  std::string etag;  // quoted, e.g. "\"5f1c...\""
};

class StaticFiles {
 public:
  // Reads every regular file under directory (recursively, skipping dot files). Fails with
  // kNotFound if the directory does not exist, kInternal if a file cannot be read.
  static Result<std::shared_ptr<const StaticFiles>> Load(const std::filesystem::path& directory);

  // relative: decoded path below the prefix, e.g. "css/site.css". Returns nullptr for anything
  // unsafe ("..", ".", empty segments, backslashes, NUL) or unknown.
  const StaticFile* Find(std::string_view relative) const;

  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;
};

// Content type by file extension ("text/css; charset=utf-8" for .css); application/octet-stream
// for unknown extensions.
std::string_view ContentTypeForPath(std::string_view path);

}  // namespace undersigned::http
