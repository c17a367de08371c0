#include "server/data_dir.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "server/device_registry.h"

namespace villagesync {

std::string RecordsDir(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/records");
}

absl::StatusOr<std::unique_ptr<UserStore>> OpenUsers(
    absl::string_view data_dir) {
  std::string path = UsersFile(data_dir);
  absl::StatusOr<std::unique_ptr<UserStore>> users = UserStore::Open(path);
  if (users.ok()) return users;
  return absl::Status(users.status().code(),
                      absl::StrCat(path, ": ", users.status().message()));
}

std::string UsersFile(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/users.pb");
}

StoreOptions ServerStoreOptions(uint64_t min_free_bytes) {
  StoreOptions options;
  options.refuse_damaged_log = true;
  options.verify_at_open = true;
  options.min_free_bytes = min_free_bytes;
  return options;
}

absl::StatusOr<std::unique_ptr<RecordStore>> OpenServerStore(
    absl::string_view data_dir, StoreOptions options) {
  absl::StatusOr<std::unique_ptr<RecordStore>> store =
      RecordStore::Open(RecordsDir(data_dir), std::move(options));
  if (!absl::IsDataLoss(store.status())) return store;
  absl::string_view message = store.status().message();
  std::string remedy =
      absl::StrContains(message, ".log: dropping")
          ? absl::StrCat(
                "to keep every write before the damage and lose the "
                "rest, run `villagesyncd recover --data_dir ",
                data_dir, "` (it says what is lost)")
          : "restore the data dir from a backup (README: Backup and restore)";
  return absl::DataLossError(absl::StrCat(message, "; ", remedy));
}

absl::StatusOr<DataDirRecovery> RecoverDataDir(absl::string_view data_dir,
                                               absl::Time now) {
  DataDirRecovery recovery;
  std::string saved = absl::StrCat(
      data_dir, "/damaged-log-",
      absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()));
  VS_ASSIGN_OR_RETURN(recovery.report,
                      RecoverStore(RecordsDir(data_dir), saved));
  VS_ASSIGN_OR_RETURN(std::unique_ptr<RecordStore> store,
                      OpenServerStore(data_dir, ServerStoreOptions()));
  DeviceRegistry devices(store.get(), kDefaultMaxDevicesPerUser);
  for (const LostWrites& writer : recovery.report.writers) {
    VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> device,
                        devices.Find(writer.replica));
    recovery.owners.push_back(device ? device->user() : "");
  }
  return recovery;
}

absl::Status NotSetUp(absl::string_view data_dir) {
  return absl::FailedPreconditionError(absl::StrCat(
      "data dir ", data_dir, " has no users: run `villagesyncd bootstrap ",
      "--data_dir ", data_dir, "` first"));
}

absl::StatusOr<uint64_t> BackupDataDir(const RecordStore& store,
                                       const UserStore& users,
                                       const std::string& destination) {
  std::error_code error;
  if (std::filesystem::exists(destination, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("destination: ", destination, " exists already"));
  }
  std::filesystem::create_directories(destination, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "destination: cannot create ", destination, ": ", error.message()));
  }
  VS_RETURN_IF_ERROR(store.Backup(RecordsDir(destination)));
  VS_RETURN_IF_ERROR(users.CopyTo(UsersFile(destination)));
  uint64_t bytes = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(destination, error)) {
    if (entry.is_regular_file(error)) bytes += entry.file_size(error);
  }
  return bytes;
}

absl::StatusOr<uint64_t> BackupOffline(absl::string_view data_dir,
                                       const std::string& destination) {
  absl::StatusOr<std::unique_ptr<RecordStore>> store =
      OpenServerStore(data_dir, ServerStoreOptions());
  if (absl::IsUnavailable(store.status())) {
    return absl::UnavailableError(absl::StrCat(
        store.status().message(),
        "; while a server runs, back up online: villagesync admin backup"));
  }
  VS_RETURN_IF_ERROR(store.status());
  if (!std::filesystem::exists(UsersFile(data_dir))) return NotSetUp(data_dir);
  VS_ASSIGN_OR_RETURN(std::unique_ptr<UserStore> users, OpenUsers(data_dir));
  return BackupDataDir(**store, *users, destination);
}

}  // namespace villagesync
