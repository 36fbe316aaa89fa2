// The signature log on PostgreSQL: reading stored hashes (PgNodeReader, ReadHashRange) and the
// integrator that builds the tree (LogIntegrator).
//
// Leaves are written by the writing transactions (pg_tx.h: positions assigned under a lock on
// log_state, the leaf's bytes and hash inserted with them). The tree's nodes above the leaves
// are built by one integrator per database: whichever node holds the lease row log_integrator
// (owner, expires_at on the database's clock, taken with a conditional UPDATE when free,
// expired or already its own; renewed at each step). It reads the committed leaves past
// `integrated`, appends their hashes to its in-memory log::CompactRange, stores the nodes of
// the tile levels (8, 16, ...; level 0 is the leaves themselves, as in SQLite's log_nodes) and
// moves `integrated` in the same transaction, only if its lease still holds and nobody moved
// it meanwhile. Any node takes over when a lease expires (lease_seconds), restoring its range
// from the stored nodes.
//
// Thread-safety: LogIntegrator is used from its own thread (Run) and from readers that need the
// tree up to a size (WaitFor); a mutex serialises its steps on its own connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "log/merkle.h"
#include "log/proof.h"
#include "store/log_nodes.h"
#include "store/postgres/pg_conn.h"

namespace undersigned::store::pg {

// count consecutive hashes at any level (level 0: leaf hashes), read from the stored tile level
// at or below it and hashed up. kNotFound if any is missing.
Result<std::vector<log::Hash>> ReadHashRange(PgConn& conn, std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count);

class PgNodeReader final : public log::NodeReader {
 public:
  explicit PgNodeReader(PgConn& conn) : conn_(conn) {}
  Result<log::Hash> Node(std::uint8_t level, std::uint64_t index) override;

 private:
  PgConn& conn_;
};

struct IntegratorStats {
  std::int64_t steps = 0;      // integrations that committed
  std::int64_t leaves = 0;     // leaves integrated by this node
  std::int64_t takeovers = 0;  // times this node took the lease from nobody or another owner
};

class LogIntegrator {
 public:
  // owner: this node's name in the lease row. lease_seconds: how long a lease lasts unless
  // renewed (each step renews it). poll: how often the thread integrates.
  LogIntegrator(std::unique_ptr<PgConn> conn, std::string owner, double lease_seconds,
                std::chrono::milliseconds poll = std::chrono::milliseconds(200));
  double lease_seconds() const { return lease_seconds_; }
  ~LogIntegrator() { Stop(); }

  // Starts the background thread (integrates every poll while it holds or can take the lease).
  void Start();
  // Stops the thread; from then on Step never takes the lease (WaitFor waits for whoever has it).
  void Stop();
  // One step: takes or renews the lease and integrates every committed leaf. Returns the
  // integrated size as stored (perhaps by another node, if the lease is theirs).
  Result<std::uint64_t> Step();
  // Blocks until leaves [0, size) are integrated (here or by the lease holder), at most timeout.
  Result<void> WaitFor(std::uint64_t size, std::chrono::milliseconds timeout);
  // Gives the lease up (for tests of a takeover; a closing node lets it expire otherwise).
  Result<void> Release();
  IntegratorStats Stats() const { return {steps_.load(), leaves_.load(), takeovers_.load()}; }
  const std::string& owner() const { return owner_; }

 private:
  Result<std::uint64_t> StepLocked();
  Result<bool> IntegrateChunk(std::uint64_t integrated, std::uint64_t committed);

  std::unique_ptr<PgConn> conn_;
  const std::string owner_;
  const double lease_seconds_;
  const std::chrono::milliseconds poll_;
  std::mutex mu_;                           // one step at a time; guards conn_ and range_
  std::optional<log::CompactRange> range_;  // valid for range_->Size() == integrated
  bool held_ = false;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
  std::atomic<std::int64_t> steps_{0}, leaves_{0}, takeovers_{0};
};

}  // namespace undersigned::store::pg
