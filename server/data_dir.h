// A server's data dir: where its record store and its users live, how to
// tell one never set up, and how to copy it whole while it serves (SPEC
// §11: an online backup is a consistent copy; restoring is copying it back).
#ifndef VILLAGESYNC_SERVER_DATA_DIR_H_
#define VILLAGESYNC_SERVER_DATA_DIR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/record_store.h"
#include "storage/store_recovery.h"
#include "storage/user_store.h"

namespace villagesync {

// DIR/records: the record store (RocksDB).
std::string RecordsDir(absl::string_view data_dir);
// DIR/users.pb: the users.
std::string UsersFile(absl::string_view data_dir);
// Opens DIR/users.pb; errors (a damaged file: DATA_LOSS) name the file.
absl::StatusOr<std::unique_ptr<UserStore>> OpenUsers(
    absl::string_view data_dir);

// How every opening of a server's record store begins: a damaged log or
// table file refuses the opening (DATA_LOSS naming it) rather than losing
// acknowledged writes in silence; writes keep `min_free_bytes` free.
StoreOptions ServerStoreOptions(uint64_t min_free_bytes = 0);

// Opens the record store of `data_dir` as ServerStoreOptions says, for the
// tools that do not serve (bootstrap, backup). A damaged store's DATA_LOSS
// says what to do: `villagesyncd recover` for a damaged log, a backup for a
// damaged table file.
absl::StatusOr<std::unique_ptr<RecordStore>> OpenServerStore(
    absl::string_view data_dir, StoreOptions options);

// What `villagesyncd recover` did to a data dir whose log was damaged.
struct DataDirRecovery {
  RecoveryReport report;
  // The owner of each writer in report.writers ("" if none is registered:
  // a peer, this server, or a device whose registration was lost too).
  std::vector<std::string> owners;
};

// Recovers the record store of `data_dir` (see RecoverStore), copying the
// damaged log files to `data_dir`/damaged-log-<UTC time> first.
absl::StatusOr<DataDirRecovery> RecoverDataDir(absl::string_view data_dir,
                                               absl::Time now);

// FAILED_PRECONDITION telling to run `villagesyncd bootstrap` on `data_dir`.
absl::Status NotSetUp(absl::string_view data_dir);

// Writes a consistent copy of the data dir held by `store` and `users` to
// `destination` (created; it must not exist): the store as a RocksDB
// checkpoint under records/, and users.pb. Returns its size in bytes.
// FAILED_PRECONDITION if `destination` exists; UNAVAILABLE on I/O errors.
absl::StatusOr<uint64_t> BackupDataDir(const RecordStore& store,
                                       const UserStore& users,
                                       const std::string& destination);

// The same for a data dir no server holds (villagesyncd backup).
// UNAVAILABLE naming the process if a server holds it (back up online then).
absl::StatusOr<uint64_t> BackupOffline(absl::string_view data_dir,
                                       const std::string& destination);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_DATA_DIR_H_
