// The SQLite backend's writer: the one thread that writes, with group commit, and its helpers.
//
// Submit queues a WriteJob (store/write_tx.h). The writer thread takes everything queued (up to
// max_batch) and runs it in ONE transaction (BEGIN IMMEDIATE ... COMMIT) over one SqliteTx
// (sqlite_tx.h): first without savepoints; if a job fails or discards its work, the batch runs
// again with each job inside its own SAVEPOINT, so that only that job is undone. The committed
// batch goes to a syncer thread, which fdatasyncs the WAL and then finishes every job (one
// fdatasync serves every batch committed while the previous one ran). A checkpointer thread
// copies the WAL back into the database in the background; the writer copies the short tail
// itself so that the WAL restarts, and truncates the WAL once a commit cleared a work address
// (see "Work addresses" in sqlite_store.h). Internal to store/sqlite/.
//
// Ownership: the Writer owns the write connection, the checkpointer's connection, the WAL's
// descriptor, the LogWriter and RowIds, and its three threads; Close() (or the destructor)
// finishes every queued job, waits for its sync and joins the threads. The store's keys
// (StoreKeys) are the store's and outlive the writer.
#pragma once

#include <memory>

#include "log/proof.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_tx.h"
#include "store/write_tx.h"

namespace undersigned::store {

class Writer {
 public:
  // wal_fd: a descriptor of the -wal file to fdatasync after commits, or -1 to finish jobs
  // right after COMMIT (synchronous_full off). Owned from here on. log_range: the log's compact
  // range as stored.
  static std::unique_ptr<Writer> Start(const SqliteOptions& options, std::unique_ptr<Db> db,
                                       std::unique_ptr<Db> checkpointer, int wal_fd,
                                       log::CompactRange log_range, const StoreKeys& keys);
  virtual ~Writer() = default;

  // Queues job for the next batch (Store::Submit); kUnavailable at once once closing.
  virtual void Submit(WriteJob* job) = 0;
  // Finishes queued jobs, then refuses new ones. Idempotent.
  virtual void Close() = 0;
  virtual SqliteStats Stats() const = 0;
};

}  // namespace undersigned::store
