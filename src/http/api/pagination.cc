#include "http/api/pagination.h"

#include <charconv>

#include "core/utf8.h"

namespace undersigned::http::api {
namespace {

// A whole decimal number, optionally surrounded by spaces; nullopt otherwise (or on overflow).
std::optional<std::int64_t> ParseWhole(const std::string& text) {
  std::string s = Trim(text);
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<Page> ParsePagination(const std::optional<std::string>& page,
                             const std::optional<std::string>& per_page) {
  Page p;
  p.page = 1;
  p.per_page = kMaxPerPage;
  if (page) {
    auto v = ParseWhole(*page);
    if (!v || *v < 1 || *v > kMaxPage) {
      return Fail(Code::kInvalidArgument, "page must be a whole number from 1 to " +
                                              std::to_string(kMaxPage) + " (pages start at 1)");
    }
    p.page = static_cast<int>(*v);
  }
  if (per_page) {
    auto v = ParseWhole(*per_page);
    if (!v || *v < 1) {
      return Fail(Code::kInvalidArgument,
                  "per_page must be a whole number from 1 to " + std::to_string(kMaxPerPage));
    }
    p.per_page = static_cast<int>(std::min<std::int64_t>(*v, kMaxPerPage));
  }
  return p;
}

PageInfo Paginate(Page p, std::int64_t total) {
  PageInfo info;
  info.page = p.page;
  info.per_page = p.per_page;
  info.total_records = total;
  info.total_pages = total <= 0 ? 0 : (total + p.per_page - 1) / p.per_page;
  info.has_next = p.page < info.total_pages;
  info.has_previous = p.page > 1;
  return info;
}

}  // namespace undersigned::http::api
