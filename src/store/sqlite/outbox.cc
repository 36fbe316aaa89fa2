// SqliteStore as an OutboxStore: the outbox as mail::OutboxSender sees it (mail is queued by
// the transaction scripts through SqliteTx::QueueMail).
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

// --- outbox
// The first `limit` due of the fresh and the retried messages together, by next attempt.
Result<std::vector<OutboxMessage>> SqliteStore::DueOutbox(UnixTime now, int limit) {
  auto r = Reader();
  Db& db = *r;
  limit = std::max(limit, 0);
  std::vector<OutboxMessage> out;
  for (const char* sql : {sql::kDueRetryOutbox, sql::kDueFreshOutbox}) {
    auto st = db.Prepare(sql);
    if (!st) return Fail(st.error());
    st->Bind(1, now).Bind(2, limit);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) out.push_back(OutboxFromRow(*st));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the outbox"));
  }
  std::sort(out.begin(), out.end(), [](const OutboxMessage& a, const OutboxMessage& b) {
    return std::tie(a.next_attempt, a.id) < std::tie(b.next_attempt, b.id);
  });
  if (out.size() > static_cast<std::size_t>(limit)) out.resize(static_cast<std::size_t>(limit));
  return out;
}

// Moves outbox_fresh.from_id past messages that are no longer fresh; after every mark.
Result<void> SqliteStore::AdvanceFreshOutbox(Db& db) {
  auto st = db.Prepare(sql::kAdvanceFreshOutbox);
  if (!st) return Fail(st.error());
  return StepDone(db, *st, "advancing the outbox");
}

Result<void> SqliteStore::MarkOutboxSent(std::int64_t id, UnixTime now) {
  return Write<bool>([&](SqliteTx& b) -> Result<bool> {
           Db& db = b.db();
           auto st = db.Prepare(sql::kMarkSent);
           if (!st) return Fail(st.error());
           st->Bind(1, id).Bind(2, now);
           // RETURNING: the update is complete once the first step returned its row.
           int rc = st->Step();
           if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such outbox message");
           if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "marking sent"));
           if (st->Bool(0)) b.NoteClearedAddress();
           st->Reset();
           if (auto r = AdvanceFreshOutbox(db); !r) return Fail(r.error());
           return true;
         })
      .map([](bool) {});
}

Result<void> SqliteStore::MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                           const std::string& error) {
  return Write<bool>([&](SqliteTx& b) -> Result<bool> {
           Db& db = b.db();
           auto st = db.Prepare(sql::kMarkFailed);
           if (!st) return Fail(st.error());
           st->Bind(1, id).Bind(2, next_attempt).Bind(3, error);
           if (auto r = StepDone(db, *st, "marking failed"); !r) return Fail(r.error());
           if (db.Changes() > 0) {
             st->Reset();
             if (auto r = AdvanceFreshOutbox(db); !r) return Fail(r.error());
             return true;
           }
           st->Reset();
           // Not updated: unknown, or already sent (then there is nothing to retry).
           auto ex = db.Prepare(sql::kOutboxExists);
           if (!ex) return Fail(ex.error());
           ex->Bind(1, id);
           int rc = ex->Step();
           if (rc == SQLITE_ROW) return true;
           if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such outbox message");
           return Fail(db.ErrorFor(rc, "marking failed"));
         })
      .map([](bool) {});
}

Result<std::int64_t> SqliteStore::OutboxDepth() {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kOutboxDepth);
  if (!st) return Fail(st.error());
  st->Bind(1, kOutboxNever);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting the outbox"));
  return st->Int(0);
}

Result<std::optional<UnixTime>> SqliteStore::NextOutboxAttempt() {
  return ReadOptInt(sql::kNextOutbox, "reading the outbox");
}

// The one value (perhaps NULL) of a one-row query without parameters, on a reader.
Result<std::optional<std::int64_t>> SqliteStore::ReadOptInt(const char* sql,
                                                            std::string_view what) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, what));
  return st->OptInt(0);
}

}  // namespace undersigned::store
