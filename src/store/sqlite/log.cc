// SqliteStore as a LogStore: the signature log as stored (leaves are appended by the
// transaction scripts through SqliteTx::AppendLeaf and the writer's LogWriter).
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/log_writer.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

// --- the signature log
Result<LogHead> SqliteStore::GetLogHead() {
  return Write<LogHead>([&](SqliteTx& b) -> Result<LogHead> {
    Db& db = b.db();
    LogHead head;
    head.size = b.log().size();
    head.root = b.log().Root();
    auto st = db.Prepare(sql::kConfirmedCounts);
    if (!st) return Fail(st.error());
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      LogCampaignCount c{st->Int(0), st->Text(1), st->Text(2), st->Int(3),
                         ParseGroupCounts(st->View(4))};
      // Counts this batch changed are written just before COMMIT: take them from the batch.
      if (const CampaignCounts* mine = b.Peek(c.campaign_id)) {
        c.confirmed = mine->confirmed;
        c.groups = mine->groups;
      }
      // A campaign without declared groups is not counted by group: its leaves all say
      // "public".
      if (c.groups.empty() && c.confirmed != 0) {
        c.groups.push_back({kPublicGroupKey, c.confirmed});
      }
      head.counts.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading counts"));
    return head;  // (it wrote nothing)
  });
}

Result<std::vector<log::Hash>> SqliteStore::LogNodes(std::uint8_t level, std::uint64_t first,
                                                     std::uint64_t count) {
  if (count == 0) return std::vector<log::Hash>{};
  auto r = Reader();
  return ReadHashRange(*r, level, first, count);
}

Result<std::vector<std::string>> SqliteStore::LogEntries(std::uint64_t first, std::uint64_t count) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kLeafEntryRange);
  if (!st) return Fail(st.error());
  st->Bind(1, static_cast<std::int64_t>(first)).Bind(2, static_cast<std::int64_t>(first + count));
  std::vector<std::string> out;
  out.reserve(count);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    if (static_cast<std::uint64_t>(st->Int(0)) != first + out.size()) break;
    out.push_back(st->Text(1));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the log"));
  if (out.size() != count) return Fail(Code::kNotFound, "no such log entry");
  return out;
}

Result<void> SqliteStore::ForEachLogLeaf(
    const std::function<bool(std::uint64_t, std::string_view, std::string_view)>& fn) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kAllLeaves);
  if (!st) return Fail(st.error());
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    if (!fn(static_cast<std::uint64_t>(st->Int(0)), st->View(1), st->View(2))) return {};
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the log"));
  return {};
}

Result<void> SqliteStore::SaveCheckpoint(const StoredCheckpoint& c) {
  return Write<bool>([&](SqliteTx& b) -> Result<bool> {
           Db& db = b.db();
           auto st = db.Prepare(sql::kSaveCheckpoint);
           if (!st) return Fail(st.error());
           st->Bind(1, static_cast<std::int64_t>(c.size)).Bind(2, c.note);
           st->Bind(3, c.counts_json).Bind(4, c.created);
           if (auto r = StepDone(db, *st, "saving the checkpoint"); !r) return Fail(r.error());
           return true;
         })
      .map([](bool) {});
}

Result<std::optional<StoredCheckpoint>> SqliteStore::LatestCheckpoint() {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kLatestCheckpoint);
  if (!st) return Fail(st.error());
  int rc = st->Step();
  if (rc == SQLITE_DONE) return std::optional<StoredCheckpoint>();
  if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the checkpoint"));
  return std::optional<StoredCheckpoint>(StoredCheckpoint{static_cast<std::uint64_t>(st->Int(0)),
                                                          st->Text(1), st->Text(2), st->Int(3)});
}

Result<LogReceiptInfo> SqliteStore::LogReceipt(const std::string& token_hash) {
  std::string key = HashKey(token_hash);
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kReceiptByConfirmHash);
  if (!st) return Fail(st.error());
  st->BindBlob(1, key);
  int rc = st->Step();
  if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such signature");
  if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the signature"));
  if (ParseState(st->View(1)) != SignatureState::kConfirmed || st->IsNull(2) || st->IsNull(4)) {
    return Fail(Code::kConflict, "the signature is not confirmed");
  }
  return LogReceiptInfo{st->Int(0), static_cast<std::uint64_t>(st->Int(2)), st->Text(3),
                        st->Text(4)};
}

}  // namespace undersigned::store
