// Opening the SQLite store: the file check, pragmas, migrations, the connections and the log's
// compact range; then SqliteStore's assembly (its Writer, the read pool, the keys), Backup and
// Close. The subjects' methods are in campaigns.cc, signatures.cc, ... (store_impl.h).
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "log/proof.h"
#include "store/sqlite/log_writer.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/page_check.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {
namespace {

Result<void> Configure(Db& db, const SqliteOptions& o, bool writer) {
  std::string pragmas =
      "PRAGMA busy_timeout = " + std::to_string(std::max(o.busy_timeout_ms, 0)) +
      "; PRAGMA cache_size = -" +
      std::to_string(std::max(writer ? o.writer_cache_kib : o.reader_cache_kib, 64)) +
      "; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0;";
  if (writer) {
    // NORMAL: COMMIT does not fsync; SqliteStore's syncer fdatasyncs the WAL before any caller
    // is answered, which is what FULL would do, but off the writer thread and once for every
    // batch committed meanwhile. Checkpoints still sync the WAL before copying it (NORMAL).
    pragmas += " PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";
    pragmas += " PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 100663296;";
    // FAST: content a write removes or replaces is zeroed where that costs no extra I/O, so a
    // work address cleared from the outbox once its link is sent (or a sealed name replaced at
    // the reveal) does not linger in free space of the page it was on.
    pragmas += " PRAGMA secure_delete = FAST;";
    if (o.max_pages > 0) pragmas += " PRAGMA max_page_count = " + std::to_string(o.max_pages) + ";";
  }
  // Our own integers only; PRAGMAs take no bound parameters.
  return db.Exec(pragmas.c_str());
}

// For the owner of the data directory, before any of its connections opens: empties what a
// killed server left in the WAL (see "Work addresses"), then runs CheckDatabaseFile over the
// B-trees the schema names, on a file that now holds every page's current version. That check
// reads the file through a descriptor of its own, which must open and close while this process
// has no SQLite connection to the file: closing any descriptor of a file drops every POSIX lock
// the process holds on it, SQLite's included (another process could then take the database for
// itself, and delete the WAL under the store). If another process's read keeps the WAL busy,
// the check is left out (and the writer scrubs later).
Result<void> ScrubAndCheckFile(const SqliteOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(options.path, ec)) return {};  // a new database
  std::vector<std::pair<std::string, std::uint32_t>> roots{{"sqlite_schema", 1}};
  std::string schema_error;  // set when the schema itself could not be read
  {
    auto db = Db::Open(options.path, SQLITE_OPEN_READWRITE);
    if (!db) return Fail(db.error());
    sqlite3* raw = (*db)->raw();
    sqlite3_busy_timeout(raw, std::max(options.busy_timeout_ms, 0));
    if (sqlite3_wal_checkpoint_v2(raw, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) !=
        SQLITE_OK) {
      return {};
    }
    auto st = (*db)->Prepare("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0");
    if (!st) {
      schema_error = st.error().message;
    } else {
      int rc;
      while ((rc = st->Step()) == SQLITE_ROW) {
        roots.emplace_back(st->Text(0), static_cast<std::uint32_t>(st->Int(1)));
      }
      if (rc != SQLITE_DONE) schema_error = sqlite3_errstr(rc);
    }
  }  // closed: no connection of this process is open now
  if (!schema_error.empty()) {
    // The schema spans several pages once it names enough tables: walk its B-tree alone, which
    // names the damaged page, else say the schema cannot be read.
    if (auto r = CheckDatabaseFile(options.path, roots); !r) return r;
    return Fail(Code::kInternal, "the database file " + options.path +
                                     " is damaged: its schema cannot be read (" + schema_error +
                                     ")");
  }
  return CheckDatabaseFile(options.path, roots);
}

}  // namespace

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Db> writer,
                         std::vector<std::unique_ptr<Db>> readers, std::unique_ptr<Db> checkpointer,
                         int wal_fd, log::CompactRange log_range)
    : options_(std::move(options)), readers_(std::move(readers)) {
  for (auto& r : readers_) free_readers_.push_back(r.get());
  writer_ = Writer::Start(options_, std::move(writer), std::move(checkpointer), wal_fd,
                          std::move(log_range), keys_);
}

SqliteStore::~SqliteStore() { Close(); }

Result<void> SqliteStore::LoadKeys() {
  auto key = InstanceSecret("seal-key");
  if (!key) return Fail(key.error());
  keys_.sealer = std::make_unique<FieldSealer>(*key);
  auto id_key = InstanceSecret("id-key");
  if (!id_key) return Fail(id_key.error());
  keys_.public_ids = std::make_unique<PublicIds>(*id_key);
  return {};
}

SqliteStore::ReadLease SqliteStore::Reader() {
  std::unique_lock lk(readers_mu_);
  readers_cv_.wait(lk, [&] { return !free_readers_.empty(); });
  Db* db = free_readers_.back();
  free_readers_.pop_back();
  return ReadLease(*this, db);
}

void SqliteStore::ReturnReader(Db* db) {
  // A reader goes back to the pool with no statement running and no transaction open: one left
  // open would pin an old snapshot (later reads on it would not see new commits) and keep the
  // WAL from being checkpointed. Each such leak is a bug in a read; it is logged and undone.
  for (sqlite3_stmt* st = sqlite3_next_stmt(db->raw(), nullptr); st != nullptr;
       st = sqlite3_next_stmt(db->raw(), st)) {
    if (sqlite3_stmt_busy(st)) {
      spdlog::error("sqlite: a read left a statement running: {}", sqlite3_sql(st));
      sqlite3_reset(st);
    }
  }
  if (db->InTransaction()) {
    spdlog::error("sqlite: a read left a transaction open");
    (void)db->Exec("ROLLBACK");
  }
  {
    std::lock_guard lk(readers_mu_);
    free_readers_.push_back(db);
  }
  readers_cv_.notify_one();
}

void SqliteStore::Close() { writer_->Close(); }

Result<void> SqliteStore::Backup(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) || ec) {
    return Fail(Code::kConflict, "the backup file already exists; choose a new path");
  }
  auto dest = Db::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dest) return Fail(dest.error());
  auto fail = [&](Error e) -> Result<void> {
    dest->reset();
    std::filesystem::remove(path, ec);
    return Fail(std::move(e));
  };
  auto r = Reader();
  sqlite3_backup* bk = sqlite3_backup_init((*dest)->raw(), "main", r->raw(), "main");
  if (bk == nullptr) return fail((*dest)->ErrorFor(SQLITE_ERROR, "starting the backup"));
  // All pages in one step: one read transaction, so the copy is a consistent snapshot while
  // the writer carries on (WAL).
  int rc = sqlite3_backup_step(bk, -1);
  int finish = sqlite3_backup_finish(bk);
  if (rc != SQLITE_DONE) return fail((*dest)->ErrorFor(rc, "copying the database"));
  if (finish != SQLITE_OK) return fail((*dest)->ErrorFor(finish, "finishing the backup"));
  return {};
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (sodium_init() < 0) return Fail(Code::kInternal, "libsodium failed to initialise");
  if (options.path.empty()) return Fail(Code::kInvalidArgument, "no database path given");
  if (options.scrub_wal_at_open) {
    if (auto r = ScrubAndCheckFile(options); !r) return Fail(r.error());
  }
  auto writer = Db::Open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!writer) return Fail(writer.error());
  Db& w = **writer;
  {
    // Only takes effect on a new, empty file (before the WAL switch and the first table).
    std::string ps = "PRAGMA page_size = " + std::to_string(options.page_size);
    if (auto r = w.Exec(ps.c_str()); !r) return Fail(r.error());
  }
  auto mode = w.QueryText("PRAGMA journal_mode = WAL");
  if (!mode) return Fail(mode.error());
  if (*mode != "wal") {
    return Fail(Code::kInternal, "the database could not be switched to WAL mode");
  }
  if (auto r = Configure(w, options, true); !r) return Fail(r.error());
  if (auto r = Migrate(w); !r) return Fail(r.error());

  // The WAL file exists now (Migrate ran a write transaction). Keep a descriptor of it for the
  // syncer, and make the directory entries of the database and the WAL durable once.
  int wal_fd = -1;
  if (options.synchronous_full) {
    std::string wal_path = options.path + "-wal";
    wal_fd = ::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd < 0) {
      return Fail(Code::kInternal,
                  "cannot open the WAL file: " + std::string(std::strerror(errno)));
    }
    std::filesystem::path dir = std::filesystem::absolute(options.path).parent_path();
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    if (::fdatasync(wal_fd) != 0) {
      ::close(wal_fd);
      return Fail(Code::kInternal,
                  "cannot sync the WAL file: " + std::string(std::strerror(errno)));
    }
  }
  auto fail = [&](Error e) -> Result<std::unique_ptr<Store>> {
    if (wal_fd >= 0) ::close(wal_fd);
    return Fail(std::move(e));
  };
  auto checkpointer = Db::Open(options.path, SQLITE_OPEN_READWRITE);
  if (!checkpointer) return fail(checkpointer.error());
  {
    SqliteOptions small = options;
    small.reader_cache_kib = 1024;
    // It only ever waits in a RESTART checkpoint, which holds writers back while it waits.
    small.busy_timeout_ms = 50;
    if (auto c = Configure(**checkpointer, small, false); !c) return fail(c.error());
  }

  std::vector<std::unique_ptr<Db>> readers;
  for (int i = 0; i < std::max(options.read_connections, 1); ++i) {
    auto r = Db::Open(options.path, SQLITE_OPEN_READONLY);
    if (!r) return fail(r.error());
    if (auto c = Configure(**r, options, false); !c) return fail(c.error());
    readers.push_back(std::move(*r));
  }
  // The log's compact range, from the stored nodes (a missing node is a damaged log: say so
  // rather than append to a tree nobody can verify).
  auto log_size = w.QueryText(sql::kLogSize);
  if (!log_size) return fail(log_size.error());
  DbNodeReader nodes(w);
  auto range = log::RestoreCompactRange(nodes, std::stoull(*log_size));
  if (!range) {
    return fail(Error{Code::kInternal,
                      "the signature log in the database is damaged (a node hash of its " +
                          *log_size + " leaves is missing: " + range.error().message + ")",
                      {},
                      0});
  }
  auto store = std::make_unique<SqliteStore>(options, std::move(*writer), std::move(readers),
                                             std::move(*checkpointer), wal_fd, std::move(*range));
  if (auto r = store->LoadKeys(); !r) return Fail(r.error());
  return std::unique_ptr<Store>(std::move(store));
}

std::optional<SqliteStats> GetSqliteStats(const Store& store) {
  if (const auto* s = dynamic_cast<const SqliteStore*>(&store)) return s->Stats();
  return std::nullopt;
}

}  // namespace undersigned::store
