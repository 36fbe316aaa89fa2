#include "store/sqlite/writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/sqlite/log_writer.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/row_ids.h"
#include "store/sqlite/rows.h"

namespace undersigned::store {
namespace {

// A queued job and, once its batch failed (or its sync did), why.
struct Queued {
  WriteJob* job;
  std::optional<Error> error;
};

class WriterImpl final : public Writer {
 public:
  WriterImpl(const SqliteOptions& options, std::unique_ptr<Db> db, std::unique_ptr<Db> checkpointer,
             int wal_fd, log::CompactRange log_range, const StoreKeys& keys)
      : options_(options),
        wal_path_(options_.path + "-wal"),
        db_(std::move(db)),
        log_(*db_, options_.log_enabled, std::move(log_range)),
        keys_(keys),
        checkpointer_(std::move(checkpointer)),
        wal_fd_(wal_fd),
        scrub_wanted_(options_.scrub_wal_at_open),
        scrub_by_(std::chrono::steady_clock::now()) {
    sqlite3_wal_hook(db_->raw(), &WriterImpl::WalHook, this);
    if (wal_fd_ >= 0) syncer_ = std::thread([this] { SyncLoop(); });
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    thread_ = std::thread([this] { WriterLoop(); });
  }
  ~WriterImpl() override {
    Close();
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  void Submit(WriteJob* job) override {
    {
      std::unique_lock lk(mu_);
      if (!closing_) {
        queue_.push_back(Queued{job, std::nullopt});
        lk.unlock();
        cv_.notify_one();
        return;
      }
    }
    job->Finish(Error{Code::kUnavailable, "the store is closing", {}, 0});
  }

  void Close() override {
    std::lock_guard close_lock(close_mu_);
    {
      std::lock_guard lk(mu_);
      closing_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();  // every queued write committed
    {
      std::lock_guard lk(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_one();
    if (syncer_.joinable()) syncer_.join();  // ... synced, and its caller answered
    {
      std::lock_guard lk(ckpt_mu_);
      ckpt_stop_ = true;
    }
    ckpt_cv_.notify_one();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
    // Every page into the database file and the WAL emptied, now: a clean stop must not leave
    // frames behind (a cleared work address lives on in old frames until they are overwritten)
    // even if some connection of this process is closed later than this one, or never.
    if (checkpointer_ && !truncated_at_close_) {
      truncated_at_close_ = true;
      int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                         nullptr, nullptr);
      if (rc != SQLITE_OK) {
        spdlog::warn("sqlite: the checkpoint at close did not complete ({})", sqlite3_errstr(rc));
      }
    }
  }

  SqliteStats Stats() const override {
    return {transactions_.load(),  operations_.load(),   max_batch_seen_.load(),
            pages_written_.load(), syncs_.load(),        checkpoints_.load(),
            wal_scrubs_.load(),    scrub_pending_.load()};
  }

 private:
  void WriterLoop() {
    pthread_setname_np(pthread_self(), "us-sqlite-write");
    std::vector<Queued> batch;
    batch.reserve(static_cast<std::size_t>(std::max(options_.max_batch, 1)));
    SqliteTx state(*db_, log_, row_ids_, keys_);
    for (;;) {
      {
        std::unique_lock lk(mu_);
        auto ready = [&] { return !queue_.empty() || closing_; };
        if (scrub_wanted_ && !ready()) {
          // Idle with a WAL to scrub: once idle for kScrubIdle (one scrub serves a burst of
          // sent mail), and again after kScrubRetry if reads held the WAL.
          if (!cv_.wait_for(lk, kScrubIdle, ready)) {
            lk.unlock();
            const bool scrubbed = ScrubWal();
            lk.lock();
            if (!scrubbed) cv_.wait_for(lk, kScrubRetry, ready);
          }
          continue;
        }
        cv_.wait(lk, ready);
        if (queue_.empty()) return;  // closing and drained
        std::size_t n =
            std::min(queue_.size(), static_cast<std::size_t>(std::max(options_.max_batch, 1)));
        batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      RunBatch(batch, state);
      if (wal_fd_ >= 0) {
        // Durability is the syncer's job, so that this thread can run the next batch while
        // the disk flushes this one.
        {
          std::lock_guard lk(sync_mu_);
          sync_queue_.insert(sync_queue_.end(), batch.begin(), batch.end());
        }
        sync_cv_.notify_one();
      } else {
        // After Finish an op may be gone (its caller returns): touch nothing afterwards.
        for (Queued& q : batch) q.job->Finish(std::move(q.error));
      }
      batch.clear();
      AfterCommit();
      if (state.cleared_addresses() > 0 && !scrub_wanted_) {
        scrub_wanted_ = true;
        scrub_by_ = std::chrono::steady_clock::now() + kScrubDelay;
        WakeCheckpointer();  // it copies most of the WAL beside the writer; the scrub, the rest
      }
      if (scrub_wanted_ && std::chrono::steady_clock::now() >= scrub_by_) {
        if (!ScrubWal()) scrub_by_ = std::chrono::steady_clock::now() + kScrubRetry;
      }
    }
  }

  // Truncates the WAL to zero bytes (see "Work addresses" in sqlite_store.h) on the writer
  // thread, between batches. False if reads (or the checkpointer's pass) held the WAL for
  // longer than kScrubBusy; then nothing is lost and the caller tries again later.
  bool ScrubWal() {
    sqlite3* db = db_->raw();
    sqlite3_busy_timeout(db, static_cast<int>(kScrubBusy.count()));
    int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_busy_timeout(db, std::max(options_.busy_timeout_ms, 0));
    if (rc != SQLITE_OK) return false;
    // The truncation on disk too, so that a power loss cannot bring the old frames back. A
    // descriptor of its own: wal_fd_ belongs to the syncer.
    int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      const bool synced = ::fsync(fd) == 0;
      ::close(fd);
      if (!synced) return false;
    }
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
    wal_scrubs_.fetch_add(1, std::memory_order_relaxed);
    scrub_pending_.store(0, std::memory_order_relaxed);  // every clearing so far was before it
    scrub_wanted_ = false;
    // The WAL starts again from its beginning: what AfterCommit tracks starts again too.
    {
      std::lock_guard lk(ckpt_mu_);
      wal_generation_ = ++ckpt_generation_;
    }
    wal_frames_ = last_frames_ = last_wake_frames_ = 0;
    return true;
  }

  // Answers committed operations once the WAL holding their commit is on disk. One
  // fdatasync covers every batch committed before it started (group commit across batches).
  void SyncLoop() {
    pthread_setname_np(pthread_self(), "us-sqlite-sync");
    std::vector<Queued> ops;
    for (;;) {
      {
        std::unique_lock lk(sync_mu_);
        sync_cv_.wait(lk, [&] { return !sync_queue_.empty() || sync_stop_; });
        if (sync_queue_.empty()) return;  // stopping and drained
        ops.swap(sync_queue_);
      }
      if (auto r = SyncWal(); !r) {
        for (Queued& q : ops) {
          if (!q.error) q.error = r.error();
        }
      }
      syncs_.fetch_add(1, std::memory_order_relaxed);
      // After Finish an op may be gone (its caller returns): touch nothing afterwards.
      for (Queued& q : ops) q.job->Finish(std::move(q.error));
      ops.clear();
    }
  }

  Result<void> SyncWal() {
    // SQLite only deletes the WAL when the last connection closes, which cannot happen while
    // this store is open; check anyway, since syncing a deleted file would prove nothing.
    struct stat st {};
    if (::fstat(wal_fd_, &st) != 0 || st.st_nlink == 0) {
      int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return Fail(Code::kInternal, "the write was committed but the WAL file is gone");
      }
      ::close(wal_fd_);
      wal_fd_ = fd;
    }
    if (::fdatasync(wal_fd_) != 0) {
      if (errno == ENOSPC || errno == EDQUOT) {
        return Fail(DiskFull(std::string("syncing the WAL: ") + std::strerror(errno)));
      }
      return Fail(Code::kInternal,
                  std::string("the write was committed but could not be synced to disk: ") +
                      std::strerror(errno));
    }
    return {};
  }

  // Called by SQLite on the writer thread after each commit with the WAL's size in pages.
  static int WalHook(void* self, sqlite3*, const char*, int frames) {
    static_cast<WriterImpl*>(self)->wal_frames_ = frames;
    return SQLITE_OK;
  }

  // Checkpointing. Copying WAL pages back into the database is left to a checkpointer thread
  // on its own connection (PASSIVE: it never blocks the writer), woken each time the WAL grew
  // by kCheckpointPages. But a WAL only restarts from its beginning (instead of growing) after
  // a checkpoint that caught up completely, which a background thread never does while the
  // writer keeps appending. So once the WAL reaches kRestartPages, the checkpointer chases the
  // writer until it is at most kTailPages behind, and then the writer itself copies that short
  // tail between two batches; its next transaction restarts the WAL.
  void AfterCommit() {
    if (wal_frames_ < last_frames_) {  // the WAL restarted
      std::lock_guard lk(ckpt_mu_);
      wal_generation_ = ++ckpt_generation_;
      last_wake_frames_ = 0;
    }
    last_frames_ = wal_frames_;
    if (wal_frames_ >= kRestartPages) {
      CheckpointResult r;
      {
        std::lock_guard lk(ckpt_mu_);
        r = ckpt_result_;
      }
      // Past kWalLimitPages the checkpointer is not keeping up: the writer copies everything
      // itself, which bounds the WAL's size by slowing writes down.
      bool caught_up = r.generation == wal_generation_ && r.log <= wal_frames_ &&
                       wal_frames_ - r.done <= kTailPages;
      if (caught_up || wal_frames_ >= kWalLimitPages) {
        int log = 0, done = 0;
        if (sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log,
                                      &done) == SQLITE_OK) {
          checkpoints_.fetch_add(1, std::memory_order_relaxed);
        }
        last_wake_frames_ = wal_frames_;
        return;
      }
      if (wal_frames_ - last_wake_frames_ >= kTailPages) WakeCheckpointer();
      return;
    }
    if (wal_frames_ - last_wake_frames_ >= kCheckpointPages) WakeCheckpointer();
  }

  void WakeCheckpointer() {
    last_wake_frames_ = wal_frames_;
    {
      std::lock_guard lk(ckpt_mu_);
      ckpt_wanted_ = true;
    }
    ckpt_cv_.notify_one();
  }

  void CheckpointLoop() {
    pthread_setname_np(pthread_self(), "us-sqlite-ckpt");
    for (;;) {
      std::uint64_t generation;
      {
        std::unique_lock lk(ckpt_mu_);
        // Also once a second when idle, so a quiet store's WAL gets copied back and restarts.
        ckpt_cv_.wait_for(lk, std::chrono::seconds(1), [&] { return ckpt_wanted_ || ckpt_stop_; });
        if (ckpt_stop_) return;
        ckpt_wanted_ = false;
        generation = ckpt_generation_;
      }
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &log, &done);
      if (rc != SQLITE_OK) continue;  // e.g. BUSY: the writer is finishing a tail itself
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lk(ckpt_mu_);
      ckpt_result_ = CheckpointResult{generation, log, done};
    }
  }

  Result<void> Run(const char* sql) {
    auto st = db_->Prepare(sql);
    if (!st) return Fail(st.error());
    return StepDone(*db_, *st, sql);
  }

  void FailAll(std::vector<Queued>& batch, const Error& e) {
    for (Queued& q : batch) q.error = e;
  }

  // Runs a batch in one transaction. First without savepoints (they cost the writer about a
  // sixth of its time per operation); if any operation fails or discards its work, the whole
  // transaction is rolled back and the batch runs again with a savepoint around each operation,
  // so that only that one is undone. Operations are functions of the database, safe to run
  // twice: the second run overwrites what the first one returned.
  void RunBatch(std::vector<Queued>& batch, SqliteTx& state) {
    transactions_.fetch_add(1, std::memory_order_relaxed);
    operations_.fetch_add(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    auto size = static_cast<std::int64_t>(batch.size());
    if (size > max_batch_seen_.load(std::memory_order_relaxed)) max_batch_seen_.store(size);
    if (!RunBatchOnce(batch, state, /*savepoints=*/false)) {
      RunBatchOnce(batch, state, /*savepoints=*/true);
    }
  }

  // false: an operation failed without savepoints; nothing was kept, run it again with them.
  bool RunBatchOnce(std::vector<Queued>& batch, SqliteTx& state, bool savepoints) {
    state.Clear();
    if (auto r = Run(sql::kBegin); !r) {
      state.log().BeginBatch();
      FailAll(batch, r.error());
      return true;
    }
    // (Under the write lock: leaves another process appended are taken in first.)
    if (auto r = state.log().Resync(); !r) {
      (void)Run(sql::kRollback);
      FailAll(batch, r.error());
      return true;
    }
    state.log().BeginBatch();
    auto abort = [&](Error e) {
      state.log().AbortBatch();
      if (db_->InTransaction()) (void)Run(sql::kRollback);
      if (e.code != Code::kUnavailable) e.message = "the write was not committed: " + e.message;
      FailAll(batch, e);
      return true;
    };
    for (Queued& q : batch) {
      if (savepoints) {
        if (auto r = Run(sql::kSavepoint); !r) return abort(r.error());
        state.log().BeginOp();
        state.BeginJob();
      }
      bool keep = q.job->Run(state);
      if (state.TakeDiscard()) keep = false;
      if (!keep) {
        if (!db_->InTransaction()) {
          // SQLite rolled the whole transaction back (I/O error, disk full...): the
          // operation's failed step left its code on the connection.
          int rc = sqlite3_extended_errcode(db_->raw());
          if ((rc & 0xff) == SQLITE_FULL) return abort(db_->ErrorFor(rc, "write"));
          return abort(Error{Code::kInternal, "the transaction was rolled back", {}, 0});
        }
        if (!savepoints) {
          state.log().AbortBatch();
          if (auto r = Run(sql::kRollback); !r) return abort(r.error());
          return false;
        }
        state.log().AbortOp();
        state.AbortJob();
        if (auto r = Run(sql::kRollbackTo); !r) return abort(r.error());
      }
      if (savepoints) {
        if (auto r = Run(sql::kRelease); !r) return abort(r.error());
      }
    }
    if (auto r = state.Flush(); !r) return abort(r.error());
    // Before COMMIT, so that whoever sees the clearing committed also sees it pending.
    if (state.cleared_addresses() > 0) {
      scrub_pending_.fetch_add(state.cleared_addresses(), std::memory_order_relaxed);
    }
    if (auto r = Run(sql::kCommit); !r) return abort(r.error());
    int cur = 0, high = 0;
    if (sqlite3_db_status(db_->raw(), SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, 1) == SQLITE_OK) {
      pages_written_.fetch_add(cur, std::memory_order_relaxed);
    }
    return true;
  }

  static constexpr int kCheckpointPages = 2000;  // 8 MiB of 4 KiB pages
  static constexpr int kRestartPages = 16000;    // 64 MiB
  static constexpr int kTailPages = 512;
  static constexpr int kWalLimitPages = 65536;  // 256 MiB
  // Scrubbing the WAL (ScrubWal): at most this long after the commit that cleared an address
  // while writes keep coming (the bound the README states); after this long without writes;
  // how long a TRUNCATE waits for reads to end; how soon a scrub that had to give up tries
  // again.
  static constexpr std::chrono::milliseconds kScrubDelay{1000};
  static constexpr std::chrono::milliseconds kScrubIdle{100};
  static constexpr std::chrono::milliseconds kScrubBusy{20};
  static constexpr std::chrono::milliseconds kScrubRetry{50};

  struct CheckpointResult {
    std::uint64_t generation = 0;  // of the WAL the pass ran on
    int log = 0;                   // frames in the WAL
    int done = 0;                  // frames copied into the database
  };

  const SqliteOptions options_;
  const std::string wal_path_;
  std::unique_ptr<Db> db_;  // used by the writer thread only
  LogWriter log_;           // writer thread only
  RowIds row_ids_;          // writer thread only
  const StoreKeys& keys_;
  std::unique_ptr<Db> checkpointer_;  // used by the checkpoint thread only (then by Close)
  bool truncated_at_close_ = false;   // under close_mu_
  int wal_fd_;                        // used by the syncer thread only

  // Writer thread only.
  int wal_frames_ = 0;  // set by WalHook after each commit
  int last_frames_ = 0;
  int last_wake_frames_ = 0;
  std::uint64_t wal_generation_ = 0;
  bool scrub_wanted_ = false;  // a cleared address may be in the WAL (set at open if asked)
  std::chrono::steady_clock::time_point scrub_by_;  // when busy, scrub at the latest then

  std::mutex sync_mu_;  // guards sync_queue_ and sync_stop_
  std::condition_variable sync_cv_;
  std::vector<Queued> sync_queue_;  // committed, waiting for fdatasync
  bool sync_stop_ = false;
  std::thread syncer_;

  std::mutex ckpt_mu_;  // guards the ckpt_ fields
  std::condition_variable ckpt_cv_;
  std::uint64_t ckpt_generation_ = 0;  // how many times the WAL restarted
  CheckpointResult ckpt_result_;       // of the last background pass
  bool ckpt_wanted_ = false;
  bool ckpt_stop_ = false;
  std::thread checkpoint_thread_;

  std::mutex mu_;  // guards queue_ and closing_
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  bool closing_ = false;

  std::mutex close_mu_;
  std::thread thread_;

  std::atomic<std::int64_t> transactions_{0};
  std::atomic<std::int64_t> operations_{0};
  std::atomic<std::int64_t> max_batch_seen_{0};
  std::atomic<std::int64_t> pages_written_{0};
  std::atomic<std::int64_t> syncs_{0};
  std::atomic<std::int64_t> checkpoints_{0};
  std::atomic<std::int64_t> wal_scrubs_{0};
  std::atomic<std::int64_t> scrub_pending_{0};
};

}  // namespace

std::unique_ptr<Writer> Writer::Start(const SqliteOptions& options, std::unique_ptr<Db> db,
                                      std::unique_ptr<Db> checkpointer, int wal_fd,
                                      log::CompactRange log_range, const StoreKeys& keys) {
  return std::make_unique<WriterImpl>(options, std::move(db), std::move(checkpointer), wal_fd,
                                      std::move(log_range), keys);
}

}  // namespace undersigned::store
