// PgWriter: the PostgreSQL store's group commit (see pg_tx.h for how a batch runs).
#include <algorithm>
#include <ctime>

#include "store/postgres/pg_tx.h"
#include "store/postgres/queries.h"

namespace undersigned::store::pg {

bool PgWriter::Aborted() { return PQtransactionStatus(conn_->raw()) == PQTRANS_INERROR; }

PgWriter::PgWriter(std::unique_ptr<PgConn> conn, const WriterContext& ctx, int max_batch)
    : conn_(std::move(conn)), ctx_(ctx), max_batch_(std::max(max_batch, 1)) {
  thread_ = std::thread([this] { Loop(); });
}

void PgWriter::Submit(WriteJob* job) {
  {
    std::lock_guard lk(mu_);
    if (!closing_) {
      queue_.push_back(job);
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  job->Finish(Error{Code::kUnavailable, "the store is closing", {}, 0});
}

void PgWriter::Close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lk(mu_);
    closing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

PgWriterStats PgWriter::Stats() const {
  return {transactions_.load(),      operations_.load(),     max_batch_seen_.load(),
          savepoint_batches_.load(), failed_batches_.load(), reregistered_.load()};
}

void PgWriter::Loop() {
  std::vector<WriteJob*> jobs;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything queued ran
      while (!queue_.empty() && jobs.size() < static_cast<std::size_t>(max_batch_)) {
        jobs.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(jobs);
    jobs.clear();
  }
}

void PgWriter::RunBatch(std::vector<WriteJob*>& jobs) {
  transactions_.fetch_add(1, std::memory_order_relaxed);
  operations_.fetch_add(static_cast<std::int64_t>(jobs.size()), std::memory_order_relaxed);
  std::int64_t seen = max_batch_seen_.load();
  const auto n = static_cast<std::int64_t>(jobs.size());
  while (n > seen && !max_batch_seen_.compare_exchange_weak(seen, n)) {
  }
  std::optional<Error> error;
  std::vector<std::optional<Error>> job_errors(jobs.size());
  if (!conn_->ok()) {
    people_.Clear();
    numbers_.Clear();
    if (auto r = conn_->Reset(); !r) error = r.error();
  }
  // A wrong guess of a signer's id (see pg_tx.h) is learnt, and a node whose counts were
  // folded registers again (pg_nodes.h): either way the batch runs again as it was, a few times.
  constexpr int kRuns = 4;
  bool learned = false;
  bool done = false;
  for (int run = 0; run < kRuns && !done && !error && (run == 0 || learned); ++run) {
    done = Attempt(jobs, false, &error, &job_errors, &learned);
  }
  if (!done && !error) {
    savepoint_batches_.fetch_add(1, std::memory_order_relaxed);
    // (Only a fold of this node makes a run with savepoints come back undone.)
    for (int run = 0; run < kRuns && !done && !error; ++run) {
      done = Attempt(jobs, true, &error, &job_errors, &learned);
    }
    if (!done && !error) {
      error = Error{Code::kUnavailable, "the node was folded again and again", {}, 0};
    }
  }
  // A job that lost a deadlock to another node's writer (twice, in its savepoint) lost it inside
  // a transaction that held this batch's other locks (the log's next position, say). That
  // transaction is committed now: run such jobs again on their own, in a fresh one, a few times.
  // (kUnavailable with the connection still up: a deadlock or a serialization failure.)
  for (int round = 0; round < 3 && !error && conn_->ok(); ++round) {
    std::vector<WriteJob*> again;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (job_errors[i] && job_errors[i]->code == Code::kUnavailable) {
        again.push_back(jobs[i]);
        where.push_back(i);
      }
    }
    if (again.empty()) break;
    std::vector<std::optional<Error>> errors(again.size());
    std::optional<Error> batch_error;
    bool relearned = false;
    if (!Attempt(again, true, &batch_error, &errors, &relearned)) break;
    for (std::size_t k = 0; k < again.size(); ++k) {
      job_errors[where[k]] = batch_error ? batch_error : errors[k];
    }
    if (batch_error) break;
  }
  if (error) failed_batches_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i]->Finish(error ? error : job_errors[i]);
}

Result<void> PgWriter::Reregister() {
  auto r = conn_->Run(sql::kNewNode,
                      PgParams()
                          .Int(static_cast<std::int64_t>(std::time(nullptr)))
                          .Int(static_cast<std::int64_t>(ctx_.node_lease_seconds)),
                      "registering the node again");
  if (!r) return Fail(r.error());
  ctx_.count_node.store(r->Int(0, 0));
  reregistered_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

bool PgWriter::Attempt(std::vector<WriteJob*>& jobs, bool savepoints, std::optional<Error>* error,
                       std::vector<std::optional<Error>>* job_errors, bool* learned) {
  *learned = false;
  PgTx tx(*conn_, ctx_, people_, numbers_, known_people_);
  auto fail = [&](Error e) {
    if (conn_->in_transaction()) (void)conn_->Exec("ROLLBACK", "rolling back");
    tx.RolledBack();  // (a COMMIT that failed may have committed: forgetting is safe either way)
    if (e.code == Code::kInternal && !conn_->ok()) e.code = Code::kUnavailable;
    *error = std::move(e);
    return true;
  };
  if (auto r = conn_->Exec("BEGIN", "starting a transaction"); !r) return fail(r.error());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    WriteJob* job = jobs[i];
    if (!savepoints) {
      const bool ok = job->Run(tx) && !Aborted();
      if (!ok || tx.TakeDiscard()) {
        *learned = tx.TakeLearned();
        (void)conn_->Exec("ROLLBACK", "rolling back");
        tx.RolledBack();
        if (!conn_->ok()) return fail(Error{Code::kUnavailable, "the connection was lost", {}, 0});
        return false;
      }
      continue;
    }
    // A job whose SQL failed (a deadlock with another node's writer, say) runs once more.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (auto r = conn_->Exec("SAVEPOINT job", "starting a job"); !r) return fail(r.error());
      auto saved = tx.Save();
      // (A job that swallowed an SQL error left the transaction aborted: it failed.)
      bool ok = job->Run(tx) && !Aborted() && !tx.TakeDiscard();
      if (ok) {
        // The job's kept rows go in now: one that fails (a token hash already taken...) fails
        // this job, with that error, though its Run succeeded.
        if (auto f = tx.FlushRows(); !f) {
          ok = false;
          (*job_errors)[i] = f.error();
        } else {
          (*job_errors)[i].reset();
        }
      }
      if (ok) {
        if (auto r = conn_->Exec("RELEASE SAVEPOINT job", "ending a job"); !r) {
          return fail(r.error());
        }
        break;
      }
      const bool again = Aborted() || tx.TakeLearned();  // an SQL error, or a guess learnt
      if (auto r =
              conn_->Exec("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job", "rolling a job back");
          !r) {
        return fail(r.error());
      }
      tx.Restore(*saved);
      if (!again) break;
    }
  }
  auto moved = tx.FlushBatch();
  if (!moved && tx.TakeLostNode()) {
    // A fold took this node's counts (its lease ran out while it stalled): nothing of this
    // transaction counts; go on as a new node, and run the batch again.
    (void)conn_->Exec("ROLLBACK", "rolling back");
    tx.RolledBack();
    if (auto r = Reregister(); !r) return fail(r.error());
    *learned = true;
    return false;
  }
  if (!moved) {
    if (!savepoints && conn_->ok()) {
      *learned = tx.TakeLearned();
      // A kept row failed (a duplicate token, a signer another node added...): find whose,
      // with savepoints.
      (void)conn_->Exec("ROLLBACK", "rolling back");
      tx.RolledBack();
      return false;
    }
    return fail(moved.error());
  }
  // No NOTIFY: other nodes poll the counts (service::CampaignService::PollCounts, every 200 ms),
  // and a notifying commit takes a global lock (docs/scale-out.md). (*moved: counts changed.)
  if (auto r = conn_->Exec("COMMIT", "committing"); !r) {
    // The outcome of a COMMIT whose connection broke is unknown: the caller hears kUnavailable.
    return fail(r.error());
  }
  return true;
}

}  // namespace undersigned::store::pg
