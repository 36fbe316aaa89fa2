// The signature log's storage in SQLite: reading stored hashes (log_leaves, and log_nodes at
// the tile levels), and LogWriter, the writer thread's side of the log (the compact range of
// the committed tree plus what the batch being written appended). Internal to store/sqlite/.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "log/merkle.h"
#include "log/proof.h"
#include "log/tiles.h"
#include "store/log_nodes.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_db.h"

namespace undersigned::store {

Result<log::Hash> HashFromBlob(std::string_view blob);
std::string_view BlobOf(const log::Hash& h);
// count consecutive hashes at any level: read from the tile level at or below it and hashed up
// (store/log_nodes.h). kNotFound if any is missing.
Result<std::vector<log::Hash>> ReadHashRange(Db& db, std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count);

// Reads perfect-subtree hashes straight from one connection (used to restore the writer's
// compact range at open).
class DbNodeReader final : public log::NodeReader {
 public:
  explicit DbNodeReader(Db& db) : db_(db) {}
  Result<log::Hash> Node(std::uint8_t level, std::uint64_t index) override {
    auto r = ReadHashRange(db_, level, index, 1);
    if (!r) return Fail(r.error());
    return r->front();
  }

 private:
  Db& db_;
};

// The writer's side of the log: the compact range of the committed tree plus what the batch
// being written appended, and the SQL that persists each leaf and every node it completes.
// Jobs append through SqliteTx::AppendLeaf; a rolled-back operation (or batch) puts the range back
// where it was. Writer thread only.
class LogWriter {
 public:
  LogWriter(Db& db, bool enabled, log::CompactRange range)
      : db_(db), enabled_(enabled), range_(std::move(range)) {
    range_.set_visitor([this](std::uint8_t level, std::uint64_t index, const log::Hash& hash) {
      if (error_) return;
      if (auto r = Persist(level, index, hash); !r) error_ = r.error();
    });
  }
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  bool enabled() const { return enabled_; }
  std::uint64_t size() const { return range_.Size(); }
  log::Hash Root() const { return range_.Root(); }

  // Appends one entry: its leaf row and the node rows it completes. Returns its index.
  Result<std::uint64_t> Append(std::string_view entry) {
    return AppendHashed(entry, log::LeafHash(entry));
  }
  // The same with the entry's LeafHash computed by the caller (off the writer thread).
  Result<std::uint64_t> AppendHashed(std::string_view entry, const log::Hash& leaf_hash) {
    if (!op_saved_) {
      op_snapshot_ = {range_.Size(), range_.Hashes()};
      op_saved_ = true;
    }
    const std::uint64_t index = range_.Size();
    pending_entry_ = entry;
    error_.reset();
    range_.Append(leaf_hash);
    if (error_) return Fail(*std::exchange(error_, std::nullopt));
    return index;
  }

  // Another process on the same file (the CLI beside a running server: `signature
  // invalidate` appends "invalidate" leaves) may have appended since this writer's last batch.
  // Called with the batch's write lock held: reads the stored size (one index seek) and, if it
  // moved, restores the compact range from the stored nodes.
  Result<void> Resync() {
    if (!enabled_) return {};
    auto st = db_.Prepare(sql::kLogSize);
    if (!st) return Fail(st.error());
    const int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "reading the log's size"));
    const auto stored = static_cast<std::uint64_t>(st->Int(0));
    st->Reset();
    if (stored == range_.Size()) return {};
    DbNodeReader nodes(db_);
    auto restored = log::RestoreCompactRange(nodes, stored);
    if (!restored) return Fail(restored.error());
    if (!range_.Reset(restored->Size(), restored->Hashes())) {
      return Fail(Code::kInternal, "the signature log's stored nodes do not add up");
    }
    return {};
  }
  void BeginBatch() { batch_snapshot_ = {range_.Size(), range_.Hashes()}; }
  void AbortBatch() { Restore(batch_snapshot_); }
  void BeginOp() { op_saved_ = false; }
  void AbortOp() {
    if (op_saved_) Restore(op_snapshot_);
    op_saved_ = false;
  }

 private:
  struct Snapshot {
    std::uint64_t size = 0;
    std::vector<log::Hash> hashes;
  };
  void Restore(const Snapshot& s) { range_.Reset(s.size, s.hashes); }

  Result<void> Persist(std::uint8_t level, std::uint64_t index, const log::Hash& hash) {
    if (!StoresNodesOf(level)) return {};
    if (level == 0) {
      auto st = db_.Prepare(sql::kInsertLeaf);
      if (!st) return Fail(st.error());
      st->Bind(1, static_cast<std::int64_t>(index)).BindBlob(2, pending_entry_);
      st->BindBlob(3, BlobOf(hash));
      return StepDone(db_, *st, "appending to the log");
    }
    auto st = db_.Prepare(sql::kInsertNode);
    if (!st) return Fail(st.error());
    st->Bind(1, static_cast<int>(level)).Bind(2, static_cast<std::int64_t>(index));
    st->BindBlob(3, BlobOf(hash));
    return StepDone(db_, *st, "appending to the log");
  }

  Db& db_;
  const bool enabled_;
  log::CompactRange range_;
  Snapshot batch_snapshot_;
  Snapshot op_snapshot_;
  bool op_saved_ = false;
  std::string_view pending_entry_;
  std::optional<Error> error_;
};

}  // namespace undersigned::store
