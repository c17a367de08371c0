#include "storage/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace villagesync {
namespace {

absl::Status Failed(absl::string_view step, const std::string& path) {
  std::string message =
      absl::StrCat(step, " ", std::filesystem::path(path).filename().string(),
                   ": ", std::strerror(errno));
  if (errno == ENOSPC || errno == EDQUOT) {
    return absl::ResourceExhaustedError(
        absl::StrCat(message,
                     " (the disk is full: free some space, then try "
                     "again; nothing was lost)"));
  }
  return absl::UnavailableError(message);
}

absl::Status WriteAllAndSync(int fd, absl::string_view contents,
                             const std::string& path) {
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed("write", path);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Failed("sync", path);
  return absl::OkStatus();
}

absl::Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Failed("open directory of", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Failed("sync directory of", path);
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileDurably(const std::string& path,
                              absl::string_view contents) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("create", temp);
  absl::Status written = WriteAllAndSync(fd, contents, temp);
  if (::close(fd) != 0 && written.ok()) written = Failed("close", temp);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = Failed("rename", temp);
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());  // the old file stays as it was
    return written;
  }
  return SyncDirectoryOf(path);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(
          std::filesystem::path(path).filename().string(), " does not exist"));
    }
    return Failed("open", path);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Failed("read", path);
  return contents.str();
}

}  // namespace villagesync
