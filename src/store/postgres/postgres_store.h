// The PostgreSQL implementation of Store, for one node or several nodes on one database.
//
// Every write is durable before its caller hears "ok" (synchronous_commit on); each node commits
// many queued writes in one transaction (group commit); counts are kept in one row per campaign
// and node and summed on read; log positions are assigned in the writing transaction and the
// tree is built by one integrator chosen through a lease row; the outbox is claimed with FOR
// UPDATE SKIP LOCKED and a lease. Coordination uses lease rows and polling (no LISTEN/NOTIFY),
// so that PostgreSQL-compatible distributed engines stay possible.
//
// Where it is: postgres_store.cc (the facade, the read pool, opening), pg_tx.h (the writer and
// its WriteTx), pg_log.h (the log's integrator), pg_conn.h (libpq), queries.h (every statement),
// migrations.cc (the schema and what each table is for), rows.h (rows to types), accounts.h
// (organizer accounts: the AccountStore).
//
// Each opened store is one node: it registers a row in `nodes` at open, with a lease it renews;
// the count rows of nodes gone for good are folded (FoldDeadNodes), so they stay bounded. Instance
// values and secrets (CSRF and token keys, the log's key, "seal-key", "id-key") are rows every node
// reads, so nodes share them. Backups are PostgreSQL's business (pg_dump): Backup says so.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::store {

struct PostgresOptions {
  std::string url;           // libpq connection URI: postgresql://user@host:port/db?...
  int read_connections = 4;  // pool of connections for reads, >= 1
  int max_batch = 256;       // most write jobs committed in one transaction
  // Writer lanes (pg_tx.h, PgWriter): connections that each commit batches while the others
  // build and send theirs; each counts as a node of its own in `nodes`. >= 1.
  int write_lanes = 2;
  bool log_enabled = true;  // append signature-log leaves (WriteTx::AppendLeaf)
  // How long the log integrator's lease lasts unless renewed (it is renewed every 200 ms): a
  // node that dies holding it delays other nodes' log heads and receipts this long.
  double log_lease_seconds = 10;
  // How long a node's lease lasts unless renewed (every third of it). The count rows of a node
  // whose lease ended more than this long ago (it died; a closed node's ends at once) are
  // folded into one row per campaign, at open and at each renewal, by any node.
  double node_lease_seconds = 30;
};

// True if url names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(const std::string& url);

// Connects, migrates the schema (safe when several nodes start at once) and starts the writer.
// kInvalidArgument if the URL is malformed or the schema is newer than this undersigned;
// kUnavailable if the server cannot be reached; kInternal otherwise. Messages never carry the
// URL's password.
Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options);

// Counters of one opened store (one node), for tests and /metrics. Monotonic since open.
struct PostgresStats {
  std::int64_t node_id = 0;       // this store's row in `nodes` (its campaign_counts rows)
  std::int64_t transactions = 0;  // writer batches committed (or failed)
  std::int64_t operations = 0;    // write jobs run inside them
  std::int64_t max_batch_seen = 0;
  std::int64_t savepoint_batches = 0;     // batches run again with a savepoint per job
  std::int64_t failed_batches = 0;        // batches that failed as a whole (BEGIN or COMMIT)
  std::int64_t integrations = 0;          // log integration steps this node committed
  std::int64_t leaves_integrated = 0;     // leaves this node hashed into the tree
  std::int64_t integrator_takeovers = 0;  // times this node took the integrator's lease
  std::int64_t reregistered = 0;  // times a fold took this node's counts (it stalled past its
                                  // lease) and it went on as a new node
};

// The counters if store is a PostgreSQL store, nullopt otherwise.
std::optional<PostgresStats> GetPostgresStats(const Store& store);

// Folds the count rows of every node whose lease ended more than horizon_seconds ago (on the
// database's clock) into node 0's row of each campaign and forgets those nodes, in one
// transaction; nodes whose writer holds its row right now are skipped. Returns how many nodes
// were folded. The store does this by itself (PostgresOptions::node_lease_seconds); tests call
// it with a negative horizon to fold live nodes under their writers.
Result<int> FoldDeadNodes(Store& store, double horizon_seconds);

// For tests of a takeover: stops this node's log integrator as if the node had died (its lease
// is left to expire), or gives the lease up at once with release_lease.
Result<void> StopLogIntegrator(Store& store, bool release_lease);

}  // namespace undersigned::store
