#include "storage/internal/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace villagesync {

absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs fs = {};
  if (statvfs(dir.c_str(), &fs) != 0) {
    return absl::UnavailableError(
        absl::StrCat("free space of the store's disk: ", std::strerror(errno)));
  }
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

absl::Status CheckFreeSpace(const std::string& dir, uint64_t reserve) {
  if (reserve == 0) return absl::OkStatus();
  absl::StatusOr<uint64_t> free = FreeBytes(dir);
  if (!free.ok()) return free.status();
  if (*free >= reserve) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "disk full: ", MebibytesText(*free), " free on the store's disk, ",
      "writes need ", MebibytesText(reserve),
      "; nothing was written, and writes resume once space is freed"));
}

std::string MebibytesText(uint64_t bytes) {
  return absl::StrFormat("%.2f MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace villagesync
