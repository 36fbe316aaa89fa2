#include "store/postgres/pg_nodes.h"

#include <chrono>
#include <string>

#include "store/postgres/queries.h"

namespace undersigned::store::pg {

Result<int> FoldDeadNodes(PgConn& conn, double horizon_seconds) {
  auto rollback = [&conn](Error e) -> Result<int> {
    (void)conn.Exec("ROLLBACK", "rolling back");
    return Fail(std::move(e));
  };
  if (auto r = conn.Exec("BEGIN", "starting a fold"); !r) return Fail(r.error());
  auto dead = conn.Run(sql::kDeadNodes, PgParams().Int(static_cast<std::int64_t>(horizon_seconds)),
                       "finding dead nodes");
  if (!dead) return rollback(dead.error());
  if (dead->rows() == 0) {
    (void)conn.Exec("ROLLBACK", "ending a fold");
    return 0;
  }
  std::string ids = "{";
  for (int i = 0; i < dead->rows(); ++i) {
    if (i > 0) ids += ',';
    ids += std::to_string(dead->Int(i, 0));
  }
  ids += '}';
  if (auto r = conn.Run(sql::kFoldCounts, PgParams().Text(ids), "folding counts"); !r) {
    return rollback(r.error());
  }
  if (auto r = conn.Run(sql::kDeleteNodes, PgParams().Text(ids), "forgetting nodes"); !r) {
    return rollback(r.error());
  }
  if (auto r = conn.Exec("COMMIT", "committing a fold"); !r) return rollback(r.error());
  return dead->rows();
}

NodeKeeper::NodeKeeper(const std::atomic<std::int64_t>& node, double lease_seconds,
                       WithConn with_conn)
    : node_(node), lease_seconds_(lease_seconds), with_conn_(std::move(with_conn)) {
  thread_ = std::thread([this] { Loop(); });
}

void NodeKeeper::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodeKeeper::Loop() {
  const auto every =
      std::chrono::milliseconds(static_cast<std::int64_t>(lease_seconds_ * 1000 / 3));
  std::unique_lock lk(mu_);
  while (!cv_.wait_for(lk, every, [this] { return stop_; })) {
    lk.unlock();
    // Errors are left for the next round: a lease that lapses meanwhile only lets a fold take
    // this node's rows, and its writer then goes on as a new node.
    with_conn_([this](PgConn& conn) {
      (void)conn.Run(sql::kRenewNode,
                     PgParams().Int(node_.load()).Int(static_cast<std::int64_t>(lease_seconds_)),
                     "renewing the node's lease");
      (void)FoldDeadNodes(conn, lease_seconds_);
    });
    lk.lock();
  }
}

}  // namespace undersigned::store::pg
