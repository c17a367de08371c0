// Free space on the disk holding a store, checked before writes so that
// RocksDB never meets a full disk in the middle of one. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_DISK_SPACE_H_
#define VILLAGESYNC_STORAGE_INTERNAL_DISK_SPACE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace villagesync {

// Bytes an unprivileged process may still write on the file system holding
// `dir` (statvfs f_bavail). UNAVAILABLE if it cannot be read.
absl::StatusOr<uint64_t> FreeBytes(const std::string& dir);

// OK if at least `reserve` bytes are free under `dir` (always, for a
// reserve of 0). Otherwise RESOURCE_EXHAUSTED, saying how much is free and
// how much writes need: nothing was written, and the same write succeeds
// once space is freed. The reserve leaves RocksDB room to flush, compact
// and write its manifest, and the store's metadata (positions, watermarks)
// room to move.
absl::Status CheckFreeSpace(const std::string& dir, uint64_t reserve);

// "12.50 MiB": a byte count for people.
std::string MebibytesText(uint64_t bytes);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_DISK_SPACE_H_
