// Recovery of a store whose write-ahead log is damaged (a flipped byte, a
// bad sector): what the damage costs, and opening the store anyway by
// keeping every write before it. A server refuses to open such a store
// (StoreOptions::refuse_damaged_log); `villagesyncd recover` calls this.
#ifndef VILLAGESYNC_STORAGE_STORE_RECOVERY_H_
#define VILLAGESYNC_STORAGE_STORE_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace villagesync {

// The writes of one writer (a device, or a peer's own writes) the store held
// before the damage and no longer holds.
struct LostWrites {
  uint64_t replica = 0;
  // The highest counter of its writes the store still holds (0: none).
  uint64_t kept_counter = 0;
  // The highest counter the log showed past the damage (a lower bound: a
  // damaged entry cannot be read).
  uint64_t lost_up_to = 0;
};

// What RecoverStore found and did.
struct RecoveryReport {
  // RocksDB's account of the damage: each damaged file and what it dropped.
  std::string damage;
  // Where the write-ahead log files were copied, as found, before recovery.
  std::string saved_to;
  // Records written in the lost part of the log (besides what the
  // unreadable entries held).
  uint64_t records_lost = 0;
  // Damaged entries, whose writes cannot be read at all.
  uint64_t unreadable_entries = 0;
  // Writers whose writes were lost, by replica id.
  std::vector<LostWrites> writers;
};

// Recovers the store under `dir`: copies its write-ahead log files to
// `save_to` (created; it must not exist), reads what the log held past the
// damage, then opens the store keeping every write before the damage and
// dropping the rest for good. FAILED_PRECONDITION if the store is not damaged
// (nothing changes) or `save_to` exists; UNAVAILABLE if another process holds
// the store; DATA_LOSS if its table files are damaged too (restore a backup).
absl::StatusOr<RecoveryReport> RecoverStore(const std::string& dir,
                                            const std::string& save_to);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_STORE_RECOVERY_H_
