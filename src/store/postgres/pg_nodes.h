// Nodes and their leases on PostgreSQL: how the count rows of nodes gone for good are folded.
//
// Each opened store is a node with a row in `nodes` (migrations.cc, version 2) and its own
// campaign_counts rows. A node's lease (lease_until, on the database's clock) is renewed by its
// NodeKeeper every third of node_lease_seconds; a closing node ends it at once. Any node folds
// the rows of nodes whose lease ended more than node_lease_seconds ago, at open and at each
// renewal (the fold is cheap when there is nothing to fold, and safe to run anywhere).
//
// Exactly once: the fold locks the dead nodes' rows in `nodes` (FOR UPDATE SKIP LOCKED), moves
// their count rows into node 0's row of each campaign (DELETE ... RETURNING, then an upsert that
// adds) and deletes the nodes, in one transaction. A writer holds its node's row (FOR KEY
// SHARE) in every transaction that adds counts, before it touches them: while it does, the
// fold skips that node; once a fold deleted it, the writer finds no row, rolls back and goes on
// as a newly registered node (PgWriter::Reregister). So a delta is either in the node's rows
// when they are folded, or written after, under a new node; never both, never lost. Leases
// decide only when a fold happens, not whether it is safe, so clock jumps cannot double a count.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "store/postgres/pg_conn.h"

namespace undersigned::store::pg {

// Folds every node whose lease ended more than horizon_seconds ago; returns how many.
Result<int> FoldDeadNodes(PgConn& conn, double horizon_seconds);

// Renews a node's lease every third of lease_seconds and folds dead nodes, on a connection
// borrowed through with_conn, until Stop.
class NodeKeeper {
 public:
  using WithConn = std::function<void(const std::function<void(PgConn&)>&)>;
  NodeKeeper(const std::atomic<std::int64_t>& node, double lease_seconds, WithConn with_conn);
  ~NodeKeeper() { Stop(); }
  void Stop();

 private:
  void Loop();

  const std::atomic<std::int64_t>& node_;
  const double lease_seconds_;
  WithConn with_conn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace undersigned::store::pg
