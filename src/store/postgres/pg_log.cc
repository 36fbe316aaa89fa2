#include "store/postgres/pg_log.h"

#include <cstring>
#include <limits>

#include "log/tiles.h"
#include "store/postgres/queries.h"

namespace undersigned::store::pg {
namespace {

constexpr std::uint64_t kChunk = 10000;  // leaves integrated per transaction at most

Result<log::Hash> HashFrom(const std::string& bytes) {
  log::Hash h{};
  if (bytes.size() != h.size()) return Fail(Code::kInternal, "a stored log hash is not 32 bytes");
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

std::string_view HashBytes(const log::Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

Result<std::vector<log::Hash>> ReadStoredHashRange(PgConn& conn, std::uint8_t level,
                                                   std::uint64_t first, std::uint64_t count) {
  PgParams p;
  p.Int(static_cast<std::int64_t>(first)).Int(static_cast<std::int64_t>(first + count));
  if (level != 0) p.Int(std::int64_t{level});
  auto r = conn.Run(level == 0 ? sql::kLeafHashRange : sql::kNodeHashRange, p, "reading the log");
  if (!r) return Fail(r.error());
  std::vector<log::Hash> out;
  out.reserve(count);
  for (int i = 0; i < r->rows(); ++i) {
    if (static_cast<std::uint64_t>(r->Int(i, 0)) != first + out.size()) break;  // a gap
    auto h = HashFrom(r->Bytes(i, 1));
    if (!h) return Fail(h.error());
    out.push_back(*h);
  }
  if (out.size() != count) return Fail(Code::kNotFound, "no such log node");
  return out;
}

}  // namespace

Result<std::vector<log::Hash>> ReadHashRange(PgConn& conn, std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count) {
  return store::ReadHashRange(level, first, count,
                              [&conn](std::uint8_t l, std::uint64_t f, std::uint64_t n) {
                                return ReadStoredHashRange(conn, l, f, n);
                              });
}

Result<log::Hash> PgNodeReader::Node(std::uint8_t level, std::uint64_t index) {
  auto r = ReadHashRange(conn_, level, index, 1);
  if (!r) return Fail(r.error());
  return r->front();
}

LogIntegrator::LogIntegrator(std::unique_ptr<PgConn> conn, std::string owner, double lease_seconds,
                             std::chrono::milliseconds poll)
    : conn_(std::move(conn)),
      owner_(std::move(owner)),
      lease_seconds_(lease_seconds),
      poll_(poll) {}

void LogIntegrator::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lk(stop_mu_);
    while (!stop_) {
      lk.unlock();
      (void)Step();  // errors: tried again at the next poll
      lk.lock();
      stop_cv_.wait_for(lk, poll_, [this] { return stop_; });
    }
  });
}

void LogIntegrator::Stop() {
  stopped_ = true;
  {
    std::lock_guard lk(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::uint64_t> LogIntegrator::Step() {
  std::lock_guard lk(mu_);
  auto r = StepLocked();
  if (!r) {
    range_.reset();
    if (conn_->in_transaction()) (void)conn_->Exec("ROLLBACK", "rolling back");
    if (!conn_->ok()) (void)conn_->Reset();
  }
  return r;
}

Result<std::uint64_t> LogIntegrator::StepLocked() {
  bool held = false;
  if (!stopped_.load()) {  // a stopped integrator only reads how far others got
    auto lease = conn_->Run(sql::kTakeIntegratorLease,
                            PgParams().Text(owner_).Text(std::to_string(lease_seconds_)),
                            "taking the integrator's lease");
    if (!lease) return Fail(lease.error());
    held = lease->rows() > 0;
  }
  if (held && !held_) {
    takeovers_.fetch_add(1, std::memory_order_relaxed);
    range_.reset();  // someone else may have integrated meanwhile
  }
  held_ = held;
  for (;;) {
    auto state = conn_->Run(sql::kLogState, "reading the log's state");
    if (!state) return Fail(state.error());
    const auto committed = static_cast<std::uint64_t>(state->Int(0, 0));
    const auto integrated = static_cast<std::uint64_t>(state->Int(0, 1));
    if (!held || integrated >= committed) return integrated;
    auto more = IntegrateChunk(integrated, committed);
    if (!more) return Fail(more.error());
    if (!*more) return integrated;  // lost the lease, or someone else moved it
  }
}

Result<bool> LogIntegrator::IntegrateChunk(std::uint64_t integrated, std::uint64_t committed) {
  if (!range_ || range_->Size() != integrated) {
    PgNodeReader reader(*conn_);
    auto restored = log::RestoreCompactRange(reader, integrated);
    if (!restored) {
      return Fail(Code::kInternal,
                  "the signature log in the database is damaged (a node hash of its " +
                      std::to_string(integrated) + " integrated leaves is missing)");
    }
    range_ = std::move(*restored);
  }
  const std::uint64_t end = std::min(committed, integrated + kChunk);
  auto leaves = ReadStoredHashRange(*conn_, 0, integrated, end - integrated);
  if (!leaves) return Fail(leaves.error());
  struct Node {
    std::uint8_t level;
    std::uint64_t index;
    log::Hash hash;
  };
  std::vector<Node> nodes;
  log::CompactRange range = *range_;
  range.set_visitor([&nodes](std::uint8_t level, std::uint64_t index, const log::Hash& hash) {
    if (level != 0 && StoresNodesOf(level)) nodes.push_back({level, index, hash});
  });
  for (const log::Hash& h : *leaves) range.Append(h);
  range.set_visitor({});

  if (auto r = conn_->Exec("BEGIN", "integrating the log"); !r) return Fail(r.error());
  if (!nodes.empty()) {
    PgRows rows(sql::kNodeCols);
    for (const Node& node : nodes) {
      rows.Add()
          .Int(std::int64_t{node.level})
          .Int(static_cast<std::int64_t>(node.index))
          .Bytes(HashBytes(node.hash));
    }
    if (auto r = conn_->Run(sql::kInsertNodes, rows.Columns(), "storing log nodes"); !r) {
      return Fail(r.error());
    }
  }
  auto moved = conn_->Run(sql::kSetIntegrated,
                          PgParams()
                              .Int(static_cast<std::int64_t>(integrated))
                              .Int(static_cast<std::int64_t>(end))
                              .Text(owner_),
                          "moving the integrated size");
  if (!moved) return Fail(moved.error());
  if (moved->affected() == 0) {
    (void)conn_->Exec("ROLLBACK", "rolling back");
    range_.reset();
    held_ = false;
    return false;
  }
  if (auto r = conn_->Exec("COMMIT", "integrating the log"); !r) return Fail(r.error());
  range_ = std::move(range);
  steps_.fetch_add(1, std::memory_order_relaxed);
  leaves_.fetch_add(static_cast<std::int64_t>(end - integrated), std::memory_order_relaxed);
  return true;
}

Result<void> LogIntegrator::WaitFor(std::uint64_t size, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto integrated = Step();
    if (integrated && *integrated >= size) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return Fail(Code::kUnavailable,
                  "the signature log's tree is not built yet (its integrator is busy or gone)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<void> LogIntegrator::Release() {
  std::lock_guard lk(mu_);
  auto r = conn_->Run(sql::kReleaseIntegratorLease, PgParams().Text(owner_),
                      "releasing the integrator's lease");
  held_ = false;
  range_.reset();
  if (!r) return Fail(r.error());
  return {};
}

}  // namespace undersigned::store::pg
