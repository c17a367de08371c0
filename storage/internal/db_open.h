// Opening the RocksDB database under a store: its options, its diagnostic
// log, and the refusals opening gives. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_DB_OPEN_H_
#define VILLAGESYNC_STORAGE_INTERNAL_DB_OPEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/record_store.h"

namespace villagesync {

// How opening treats a write-ahead log damaged before its end.
enum class LogDamage {
  // Refuse to open (servers; see StoreOptions::refuse_damaged_log).
  kRefuse,
  // Keep every write before the damage, drop the rest (devices, and
  // RecoverStore once the loss is accepted).
  kKeepPrefix,
};

// The RocksDB options of every store (without its diagnostic logger).
rocksdb::Options DbOptions(LogDamage damage);

// Opens the database under `dir` for reading and writing, creating it if
// missing. DATA_LOSS naming the damaged file if its write-ahead log is damaged
// and `damage` is kRefuse, or if `verify` and a block of its files is;
// UNAVAILABLE naming the holding process if another opening holds it;
// RESOURCE_EXHAUSTED if the disk is full; UNAVAILABLE for other I/O errors.
absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDb(const std::string& dir,
                                                    LogDamage damage,
                                                    bool verify);

// Opens the database under `dir` read-only, replaying its write-ahead log
// into memory as `damage` says and writing nothing. The same errors.
absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDbReadOnly(
    const std::string& dir, LogDamage damage);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_DB_OPEN_H_
