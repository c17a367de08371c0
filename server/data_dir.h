// A server's data dir: where its record store and its users live, how to
// tell one never set up, and how to copy it whole while it serves (SPEC
// §11: an online backup is a consistent copy; restoring is copying it back).
#ifndef VILLAGESYNC_SERVER_DATA_DIR_H_
#define VILLAGESYNC_SERVER_DATA_DIR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/record_store.h"
#include "storage/user_store.h"

namespace villagesync {

// DIR/records: the record store (RocksDB).
std::string RecordsDir(absl::string_view data_dir);
// DIR/users.pb: the users.
std::string UsersFile(absl::string_view data_dir);

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
