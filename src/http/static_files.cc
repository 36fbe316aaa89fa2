#include "http/static_files.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace undersigned::http {
namespace {

std::string ETagFor(std::string_view content) {
  // FNV-1a 64: not cryptographic, only needs to change when the content changes.
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", static_cast<unsigned long long>(h),
                content.size());
  return buf;
}

bool SafeRelative(std::string_view rel) {
  if (rel.empty() || rel.front() == '/') return false;
  std::size_t pos = 0;
  while (pos <= rel.size()) {
    std::size_t end = rel.find('/', pos);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view seg = rel.substr(pos, end - pos);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (seg.find('\\') != std::string_view::npos || seg.find('\0') != std::string_view::npos ||
        seg.find(':') != std::string_view::npos) {
      return false;
    }
    pos = end + 1;
  }
  return true;
}

}  // namespace

std::string_view ContentTypeForPath(std::string_view path) {
  std::size_t dot = path.rfind('.');
  std::size_t slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string ext(path.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::map<std::string, std::string_view, std::less<>> kTypes = {
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"txt", "text/plain; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"xml", "application/xml"},
      {"pdf", "application/pdf"},
  };
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

Result<std::shared_ptr<const StaticFiles>> StaticFiles::Load(
    const std::filesystem::path& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    return Fail(Code::kNotFound, "static directory not found: " + directory.string());
  }
  auto files = std::make_shared<StaticFiles>();
  fs::recursive_directory_iterator it(directory, fs::directory_options::none, ec), end;
  if (ec) return Fail(Code::kInternal, "cannot list " + directory.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Fail(Code::kInternal, "cannot list " + directory.string() + ": " + ec.message());
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (!name.empty() && name.front() == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string rel = p.lexically_relative(directory).generic_string();
    if (!SafeRelative(rel)) continue;
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return Fail(Code::kInternal, "cannot read " + p.string());
    StaticFile f;
    f.content = std::move(ss).str();
    f.content_type = std::string(ContentTypeForPath(rel));
    f.etag = ETagFor(f.content);
    files->files_.emplace(std::move(rel), std::move(f));
  }
  return std::shared_ptr<const StaticFiles>(std::move(files));
}

const StaticFile* StaticFiles::Find(std::string_view relative) const {
  if (!SafeRelative(relative)) return nullptr;
  auto it = files_.find(relative);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace undersigned::http
