#include "store/sqlite/log_writer.h"

#include <sqlite3.h>

#include <cstring>
#include <limits>

namespace undersigned::store {

Result<log::Hash> HashFromBlob(std::string_view blob) {
  log::Hash h{};
  if (blob.size() != h.size()) return Fail(Code::kInternal, "a stored log hash is not 32 bytes");
  std::memcpy(h.data(), blob.data(), h.size());
  return h;
}

std::string_view BlobOf(const log::Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// count consecutive hashes at a stored level: leaf hashes for level 0, log_nodes at the tile
// levels above (8, 16, ...; see StoresNodesOf).
Result<std::vector<log::Hash>> ReadStoredHashRange(Db& db, std::uint8_t level, std::uint64_t first,
                                                   std::uint64_t count) {
  auto st = db.Prepare(level == 0 ? sql::kLeafHashRange : sql::kNodeHashRange);
  if (!st) return Fail(st.error());
  st->Bind(1, static_cast<std::int64_t>(first)).Bind(2, static_cast<std::int64_t>(first + count));
  if (level != 0) st->Bind(3, static_cast<std::int64_t>(level));
  std::vector<log::Hash> out;
  out.reserve(count);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    if (static_cast<std::uint64_t>(st->Int(0)) != first + out.size()) break;  // a gap
    auto h = HashFromBlob(st->View(1));
    if (!h) return Fail(h.error());
    out.push_back(*h);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the log"));
  if (out.size() != count) return Fail(Code::kNotFound, "no such log node");
  return out;
}

Result<std::vector<log::Hash>> ReadHashRange(Db& db, std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count) {
  return store::ReadHashRange(level, first, count,
                              [&db](std::uint8_t l, std::uint64_t f, std::uint64_t n) {
                                return ReadStoredHashRange(db, l, f, n);
                              });
}

}  // namespace undersigned::store
