// A tolerant reader of RocksDB write-ahead log files, for recovery only.
// Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_WAL_READER_H_
#define VILLAGESYNC_STORAGE_INTERNAL_WAL_READER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace villagesync {

// What ScanWal calls for each entry of the log, in log order.
struct WalVisitor {
  // An intact entry: the bytes of one WriteBatch (rocksdb::WriteBatch(rep)
  // reads them).
  std::function<void(absl::string_view batch)> on_batch;
  // An entry that fails its checksum or framing; its bytes are skipped.
  std::function<void()> on_damage;
};

// Reads the log file at `path` (RocksDB's log format: 32 KiB blocks of
// checksummed fragments), calling `visitor` for every entry. Where RocksDB's
// own reader, finding a bad checksum, drops the rest of the block, this one
// trusts the damaged fragment's length when it fits the block and goes on,
// so that recovery can see what followed the damage. An entry cut short at
// the end of the file (a crash mid-write) is neither. UNAVAILABLE if the
// file cannot be read; FAILED_PRECONDITION for a log format it does not know
// (recycled logs, compressed logs).
absl::Status ScanWal(const std::string& path, const WalVisitor& visitor);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_WAL_READER_H_
