// OSDI pagination: the `page` and `per_page` query parameters and the numbers a collection
// response carries (total_pages, total_records, next/previous). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::http::api {

inline constexpr int kMaxPerPage = 25;       // AN's max_page_size; larger requests are clamped
inline constexpr int kMaxPage = 10'000'000;  // keeps offsets far from overflow

// Absent values take the defaults (page 1, per_page 25). per_page above 25 is clamped to 25 (as
// Action Network does). Not a whole number, page < 1, per_page < 1 or page > kMaxPage is
// kInvalidArgument with a message naming the parameter.
Result<Page> ParsePagination(const std::optional<std::string>& page,
                             const std::optional<std::string>& per_page);

struct PageInfo {
  int page = 1;
  int per_page = kMaxPerPage;
  std::int64_t total_records = 0;
  std::int64_t total_pages = 0;  // ceil(total_records / per_page); 0 for an empty collection
  bool has_next = false;         // page < total_pages
  bool has_previous = false;     // page > 1 (also past the end, pointing one page back)
};

// REQUIRES: p.page >= 1, p.per_page >= 1, total >= 0.
PageInfo Paginate(Page p, std::int64_t total);

}  // namespace undersigned::http::api
