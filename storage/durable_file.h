// Small files replaced atomically and durably: written to a temporary file,
// synced, renamed over the old one, and the directory synced. A crash leaves
// either the old contents or the new, never a mix. For state too small for a
// database (the user file, a device's sync state).
#ifndef VILLAGESYNC_STORAGE_DURABLE_FILE_H_
#define VILLAGESYNC_STORAGE_DURABLE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace villagesync {

// Replaces `path` with `contents`, durably; on failure the old file stays
// as it was. RESOURCE_EXHAUSTED on a full disk, UNAVAILABLE otherwise, naming
// the failed step (the message names the file, not its full path).
absl::Status WriteFileDurably(const std::string& path,
                              absl::string_view contents);

// The contents of `path`. NOT_FOUND if it does not exist; UNAVAILABLE if it
// cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_DURABLE_FILE_H_
