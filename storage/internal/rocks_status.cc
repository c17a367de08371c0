#include "storage/internal/rocks_status.h"

#include "absl/strings/str_cat.h"

namespace villagesync {

absl::Status FromRocksStatus(const rocksdb::Status& s,
                             absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
      return absl::AbortedError(message);
    case rocksdb::Status::kTimedOut:
      return absl::DeadlineExceededError(message);
    case rocksdb::Status::kIOError:
      if (s.IsNoSpace()) {
        // RocksDB's message names files: callers may show this to others.
        return absl::ResourceExhaustedError(
            absl::StrCat(context,
                         ": disk full (no space left on the disk "
                         "holding the store)"));
      }
      return absl::UnavailableError(message);
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace villagesync
