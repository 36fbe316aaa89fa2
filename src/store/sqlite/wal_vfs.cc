#include "store/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <vector>

namespace undersigned::store {
namespace {

constexpr int kFrameHeaderBytes = 24;  // SQLite's WAL_FRAME_HDRSIZE
// A longer run is written out before it ends (4 MiB; tests make it small).
std::atomic<std::size_t> g_max_buffer{4 << 20};
// The unix VFS takes at most 128 KiB - 1 bytes per write (it masks the length with 0x1ffff), so
// the buffer goes out in parts of 31 pages of 4 KiB.
constexpr std::size_t kMaxWrite = 31 * 4096;

std::atomic<std::int64_t> g_writes{0};
std::atomic<std::int64_t> g_write_outs{0};

// Our file: the real file follows it in the same allocation (szOsFile covers both).
struct WalFile {
  sqlite3_file base;  // first: SQLite sees a WalFile as a sqlite3_file
  sqlite3_file* real;
  bool is_wal;
  // The buffered run of a WAL file: bytes for [offset, offset + buffer.size()).
  std::vector<unsigned char>* buffer;
  sqlite3_int64 offset;
  bool commit_header;  // the last write SQLite made was a commit frame's header
};

sqlite3_vfs* Real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
WalFile* Self(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

int WriteOut(WalFile* f) {
  if (f->buffer == nullptr || f->buffer->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  const std::size_t size = f->buffer->size();
  for (std::size_t done = 0; done < size && rc == SQLITE_OK; done += kMaxWrite) {
    const std::size_t n = std::min(kMaxWrite, size - done);
    rc = f->real->pMethods->xWrite(f->real, f->buffer->data() + done, static_cast<int>(n),
                                   f->offset + static_cast<sqlite3_int64>(done));
    g_write_outs.fetch_add(1, std::memory_order_relaxed);
  }
  f->buffer->clear();
  return rc;
}

// True for a frame header of a commit frame: bytes 4..7 hold the database size after the commit,
// zero in every other frame.
bool IsCommitHeader(const void* p, int n) {
  if (n != kFrameHeaderBytes) return false;
  const auto* b = static_cast<const unsigned char*>(p);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int Close(sqlite3_file* file) {
  WalFile* f = Self(file);
  int rc = WriteOut(f);
  int rc2 = f->real->pMethods->xClose(f->real);
  delete f->buffer;
  f->buffer = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

int Read(sqlite3_file* file, void* out, int n, sqlite3_int64 offset) {
  WalFile* f = Self(file);
  if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, out, n, offset);
}

int Write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  WalFile* f = Self(file);
  if (!f->is_wal) return f->real->pMethods->xWrite(f->real, data, n, offset);
  g_writes.fetch_add(1, std::memory_order_relaxed);
  // SQLite writes a frame as its header, then its page: the write after a commit frame's header
  // completes the commit, which must be in the file before SQLite publishes it. (Kept apart from
  // the buffer's state: a full buffer may go out between the two.)
  const bool completes_commit = f->commit_header;
  f->commit_header = IsCommitHeader(data, n);
  std::vector<unsigned char>& buf = *f->buffer;
  const auto size = static_cast<std::size_t>(n);
  if (!buf.empty() && (offset != f->offset + static_cast<sqlite3_int64>(buf.size()) ||
                       buf.size() + size > g_max_buffer.load(std::memory_order_relaxed))) {
    if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  }
  if (size > kMaxWrite) {  // never from SQLite's WAL code, which writes a page at a time
    g_write_outs.fetch_add(1, std::memory_order_relaxed);
    return f->real->pMethods->xWrite(f->real, data, n, offset);
  }
  if (buf.empty()) f->offset = offset;
  const auto* p = static_cast<const unsigned char*>(data);
  buf.insert(buf.end(), p, p + size);
  return completes_commit ? WriteOut(f) : SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = Self(file);
  if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

int Sync(sqlite3_file* file, int flags) {
  WalFile* f = Self(file);
  if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = Self(file);
  if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

int Lock(sqlite3_file* file, int level) {
  WalFile* f = Self(file);
  return f->real->pMethods->xLock(f->real, level);
}

int Unlock(sqlite3_file* file, int level) {
  WalFile* f = Self(file);
  return f->real->pMethods->xUnlock(f->real, level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  WalFile* f = Self(file);
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  WalFile* f = Self(file);
  if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int SectorSize(sqlite3_file* file) {
  WalFile* f = Self(file);
  return f->real->pMethods->xSectorSize(f->real);
}

int DeviceCharacteristics(sqlite3_file* file) {
  WalFile* f = Self(file);
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}

int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  WalFile* f = Self(file);
  return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  WalFile* f = Self(file);
  return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) {
  WalFile* f = Self(file);
  f->real->pMethods->xShmBarrier(f->real);
}

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  WalFile* f = Self(file);
  return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int n, void** out) {
  WalFile* f = Self(file);
  *out = nullptr;
  if (int rc = WriteOut(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFetch(f->real, offset, n, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  WalFile* f = Self(file);
  return f->real->pMethods->xUnfetch(f->real, offset, p);
}

// Version 1 to 3 method tables: a file gets the one matching its real file's version, so that
// SQLite never calls a method the real file lacks.
sqlite3_io_methods MakeMethods(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xCheckReservedLock = CheckReservedLock;
  m.xFileControl = FileControl;
  m.xSectorSize = SectorSize;
  m.xDeviceCharacteristics = DeviceCharacteristics;
  if (version >= 2) {
    m.xShmMap = ShmMap;
    m.xShmLock = ShmLock;
    m.xShmBarrier = ShmBarrier;
    m.xShmUnmap = ShmUnmap;
  }
  if (version >= 3) {
    m.xFetch = Fetch;
    m.xUnfetch = Unfetch;
  }
  return m;
}

const sqlite3_io_methods kMethods[3] = {MakeMethods(1), MakeMethods(2), MakeMethods(3)};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  WalFile* f = Self(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->buffer = nullptr;
  f->offset = 0;
  f->commit_header = false;
  int rc = Real(vfs)->xOpen(Real(vfs), name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) return rc;  // nothing to close
  if (f->is_wal) {
    f->buffer = new (std::nothrow) std::vector<unsigned char>();
    if (f->buffer == nullptr) {
      f->real->pMethods->xClose(f->real);
      return SQLITE_NOMEM;
    }
  }
  const int version = f->real->pMethods->iVersion;
  f->base.pMethods = &kMethods[version < 1 ? 0 : version > 3 ? 2 : version - 1];
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Real(vfs)->xDelete(Real(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Real(vfs)->xAccess(Real(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Real(vfs)->xFullPathname(Real(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Real(vfs)->xDlOpen(Real(vfs), name); }
void DlError(sqlite3_vfs* vfs, int n, char* out) { Real(vfs)->xDlError(Real(vfs), n, out); }
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Real(vfs)->xDlSym(Real(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Real(vfs)->xDlClose(Real(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return Real(vfs)->xRandomness(Real(vfs), n, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Real(vfs)->xSleep(Real(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Real(vfs)->xCurrentTime(Real(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Real(vfs)->xGetLastError(Real(vfs), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Real(vfs)->xCurrentTimeInt64(Real(vfs), out);
}
int SetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr p) {
  return Real(vfs)->xSetSystemCall(Real(vfs), name, p);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Real(vfs)->xGetSystemCall(Real(vfs), name);
}
const char* NextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Real(vfs)->xNextSystemCall(Real(vfs), name);
}

constexpr const char* kName = "undersigned-wal";

// Registers the VFS over the default one; its name, or nullptr if there is none.
const char* Register() {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr || real->iVersion < 2) return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = real->iVersion > 3 ? 3 : real->iVersion;
  vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + real->szOsFile;
  vfs.mxPathname = real->mxPathname;
  vfs.zName = kName;
  vfs.pAppData = real;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = real->xDlOpen != nullptr ? DlOpen : nullptr;
  vfs.xDlError = real->xDlError != nullptr ? DlError : nullptr;
  vfs.xDlSym = real->xDlSym != nullptr ? DlSym : nullptr;
  vfs.xDlClose = real->xDlClose != nullptr ? DlClose : nullptr;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (vfs.iVersion >= 3) {
    vfs.xSetSystemCall = real->xSetSystemCall != nullptr ? SetSystemCall : nullptr;
    vfs.xGetSystemCall = real->xGetSystemCall != nullptr ? GetSystemCall : nullptr;
    vfs.xNextSystemCall = real->xNextSystemCall != nullptr ? NextSystemCall : nullptr;
  }
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return kName;
}

}  // namespace

const char* WalVfsName() {
  static const char* name = Register();  // thread-safe once
  return name;
}

void SetWalVfsBufferForTesting(std::size_t bytes) {
  g_max_buffer.store(bytes, std::memory_order_relaxed);
}

WalVfsStats GetWalVfsStats() {
  return WalVfsStats{g_writes.load(std::memory_order_relaxed),
                     g_write_outs.load(std::memory_order_relaxed)};
}

}  // namespace undersigned::store
