// Conversion of RocksDB statuses to absl::Status at the storage edge.
// Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_ROCKS_STATUS_H_
#define VILLAGESYNC_STORAGE_INTERNAL_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace villagesync {

// Maps `s` to the absl code a caller should act on (Corruption -> DATA_LOSS,
// Busy/TryAgain -> ABORTED, a full disk -> RESOURCE_EXHAUSTED, other IOError
// -> UNAVAILABLE, NotFound -> NOT_FOUND, ...)
// with `context` (the operation and key) in the message.
absl::Status FromRocksStatus(const rocksdb::Status& s,
                             absl::string_view context);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_ROCKS_STATUS_H_
