#include "server/data_dir.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"

namespace villagesync {

std::string RecordsDir(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/records");
}

std::string UsersFile(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/users.pb");
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
      RecordStore::Open(RecordsDir(data_dir));
  if (absl::IsUnavailable(store.status())) {
    return absl::UnavailableError(absl::StrCat(
        store.status().message(),
        "; while a server runs, back up online: villagesync admin backup"));
  }
  VS_RETURN_IF_ERROR(store.status());
  if (!std::filesystem::exists(UsersFile(data_dir))) return NotSetUp(data_dir);
  VS_ASSIGN_OR_RETURN(std::unique_ptr<UserStore> users,
                      UserStore::Open(UsersFile(data_dir)));
  return BackupDataDir(**store, *users, destination);
}

}  // namespace villagesync
