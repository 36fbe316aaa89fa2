// LogStore: The signature log as stored. Leaves are appended by the transaction scripts in the
// transaction that changes a confirmed count (WriteTx::AppendLeaf); a store opened with
// log_enabled false appends none.
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class LogStore {
 public:
  virtual ~LogStore() = default;

  // The durable head and counts (runs through the writer, like a write).
  virtual Result<LogHead> GetLogHead() = 0;
  // count consecutive hashes at (level, first...): level 0 are leaf hashes. kNotFound if any is
  // missing (beyond the tree).
  virtual Result<std::vector<log::Hash>> LogNodes(std::uint8_t level, std::uint64_t first,
                                                  std::uint64_t count) = 0;
  // Entries [first, first + count). kNotFound if any is missing.
  virtual Result<std::vector<std::string>> LogEntries(std::uint64_t first, std::uint64_t count) = 0;
  // Every leaf in index order with its stored hash; stops early if fn returns false. For the
  // start-up check.
  virtual Result<void> ForEachLogLeaf(
      const std::function<bool(std::uint64_t index, std::string_view entry,
                               std::string_view stored_hash)>& fn) = 0;
  // Keeps a signed checkpoint (idempotent per size).
  virtual Result<void> SaveCheckpoint(const StoredCheckpoint& checkpoint) = 0;
  virtual Result<std::optional<StoredCheckpoint>> LatestCheckpoint() = 0;
  // The receipt data of the signature with this token hash, which must be of the signing kind
  // (as for Confirm): kNotFound for an unknown or withdraw-only token, kConflict if it is not
  // confirmed (or has no leaf).
  virtual Result<LogReceiptInfo> LogReceipt(const std::string& token_hash) = 0;
};

}  // namespace undersigned
