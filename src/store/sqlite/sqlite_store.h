// The SQLite implementation of Store: one database file in WAL mode, durable before any caller
// hears "ok", with group commit.
//
// How writes work: a single writer thread owns the only read-write connection (writer.h).
// Every write is a WriteJob (store/write_tx.h): the transaction scripts of service/tx/ (signing,
// confirming, outcomes, organizations) and the store's own plain writes alike are queued through
// Submit, and the caller blocks (RunWrite) or is called back (RunWriteAsync). The writer takes
// everything queued (up to max_batch), runs it in ONE transaction (BEGIN IMMEDIATE ... COMMIT)
// over one SqliteTx (sqlite_tx.h: the SQL behind each WriteTx call) (first without savepoints;
// if a job fails, the batch runs again with each job inside its own SAVEPOINT, so that a
// failing job, e.g. a conflict, rolls back only itself), and hands the committed batch to a
// syncer thread, which fdatasyncs the WAL and then finishes every job. Every connection opens
// through WalVfs (wal_vfs.h), which writes each commit to the WAL file in one write (one per 31
// pages beyond that) instead of two per page. One fdatasync serves every batch committed while
// the previous one ran, and no caller hears "ok" before its COMMIT returned and the WAL holding
// it reached the disk (what synchronous=FULL does, but the writer runs the next batch while the
// disk flushes). Campaign counts are kept in campaign_counts in the same transaction as the
// signature changes (moved in memory per batch, written once per campaign before COMMIT).
//
// Files: store_impl.h maps the backend's files (one per subject); queries.h holds all its SQL.
//
// Reads use a pool of read-only connections that run concurrently with the writer (WAL), never
// the writer's connection. A read may see a commit whose fdatasync is still running (its
// writer has not been answered yet). Statements are prepared once per connection and cached.
// A checkpointer thread copies the WAL back into the database in the background.
//
// What callers can do for speed: every random key inserted costs each group commit one
// randomly placed 4 KiB index page. A new signer inserts two (the person's email, the token
// hash); the store makes row ids and the uuids of people and signatures itself, which need no
// index (store/public_ids.h). The token hash is appended instead if it is a hex string that
// starts with a time-ordered hex prefix (e.g. the token's first 8 bytes are milliseconds +
// counter, and HashToken(t) = hex(those 8 bytes) + hex(SHA-256(t))). In store_bench --ordered
// time-ordered keys cut pages written per signature from ~4.4 to ~1.0 and the writer's CPU per
// signature by ~40% (measured with uuid indexes and two tokens per signature). Hex hashes of
// any even length >= 32 are stored as bytes.
//
// Tokens: every token hash issued for a signature (at signing, each re-send, a fresh signing
// after a withdrawal, an "already signed" mail) is kept in signature_tokens and stays valid, so
// the links in an earlier mail still work after a re-send. One token per mail: the
// confirmation mail's confirm and withdraw links carry the same token (kind 'signing': it
// confirms and withdraws), since they always travel together; the "already signed" mail's
// token is withdraw-only. Each token costs one B-tree insert.
//
// Work addresses: the outbox keeps a verify mail's recipient (a work address) until the mail is
// sent; MarkOutboxSent then clears it, and secure_delete zeroes the bytes it replaced in the
// page. But the WAL still holds the frames written while the address was there, and they stay
// in the file after checkpoints (PASSIVE, FULL, RESTART: a restarted WAL is overwritten from
// its start, never cleared) and after SIGKILL. So a commit that clears a work address makes the
// writer truncate the WAL to zero bytes (a TRUNCATE checkpoint, which first copies every frame
// into the database, and fsyncs the database, then the truncated WAL): at once if the writer is
// idle for 100 ms, else between two batches at most 1 s after that commit; a TRUNCATE needs every
// read that started before it to end (it waits kScrubBusy, then tries again later). The WAL
// holds no cleared address from then on; wal_scrubs and scrub_pending (SqliteStats) say when.
// With scrub_wal_at_open the store also does it once open, for what a killed server left behind.
//
// Ownership: the store owns its connections and threads; Close() (or the destructor) drains
// queued writes, waits for their sync and joins the threads. Thread-safety: every Store method
// may be called from any thread. ForEachConfirmed holds one read connection while it calls fn;
// fn may call the store (reads take another connection) but must not hold all of them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "store/store.h"

namespace undersigned::store {

struct SqliteOptions {
  std::string path;                  // database file; created (and migrated) if missing
  int read_connections = 4;          // size of the read-only connection pool, >= 1
  int max_batch = 1024;              // most write operations committed in one transaction
  bool synchronous_full = true;      // fdatasync the WAL before answering; if false, callers are
                                     // answered after COMMIT (a power loss, not a crash, may then
                                     // lose the last commits)
  int writer_cache_kib = 16 * 1024;  // page cache of the write connection
  int reader_cache_kib = 4 * 1024;   // page cache of each read connection
  int busy_timeout_ms = 5000;        // waiting for another process holding the lock
  int page_size = 4096;              // bytes; only applies when the file is created
  bool log_enabled = true;           // append signature-log leaves (store.h); false appends none
  // Most pages the database may grow to (PRAGMA max_page_count); a write beyond fails as on a
  // full disk (kUnavailable). 0: no limit but the disk's.
  std::int64_t max_pages = 0;
  bool scrub_wal_at_open = false;  // truncate the WAL once open (see "Work addresses" above):
                                   // for the one process that owns the data directory
};

// Opens (creating and migrating if needed) the database and starts the writer, syncer and
// checkpointer threads.
// kInvalidArgument if the file was written by a newer undersigned; kInternal if it cannot be
// opened, is not a database, or a migration fails.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

// Counters of the writer, for tests and /metrics. Monotonic since open.
struct SqliteStats {
  std::int64_t transactions = 0;  // committed (or failed) batches
  std::int64_t operations = 0;    // write operations run inside them
  std::int64_t max_batch_seen = 0;
  std::int64_t pages_written = 0;  // database pages the writer wrote to the WAL
  std::int64_t syncs = 0;          // fdatasyncs of the WAL (each answers >= 1 batch)
  std::int64_t checkpoints = 0;    // WAL checkpoints (background passes + the writer's tails)
  std::int64_t wal_scrubs = 0;     // TRUNCATE checkpoints that removed cleared addresses' copies
  std::int64_t scrub_pending = 0;  // work addresses cleared whose old copies the WAL may hold
};

// The writer's counters if store is a SQLite store, nullopt otherwise.
std::optional<SqliteStats> GetSqliteStats(const Store& store);

}  // namespace undersigned::store
