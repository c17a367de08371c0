#include "storage/internal/rocks_logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace villagesync {
namespace {

// Longest line kept; RocksDB's option dumps and events fit.
constexpr size_t kMaxLine = 4096;
// Damage reports kept: enough to name every damaged file of a store.
constexpr size_t kMaxDamageReports = 16;

void RemoveOldPerOpenLogs(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (absl::StartsWith(entry.path().filename().string(), "LOG.old.")) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

}  // namespace

BoundedLogger::BoundedLogger(const std::string& dir, size_t max_bytes,
                             rocksdb::InfoLogLevel level)
    : rocksdb::Logger(level),
      path_(dir + "/LOG"),
      old_path_(dir + "/LOG.old"),
      max_bytes_(max_bytes) {
  RemoveOldPerOpenLogs(dir);
  absl::MutexLock lock(&mu_);
  Reopen(/*truncate=*/false);
}

BoundedLogger::~BoundedLogger() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) close(fd_);
}

void BoundedLogger::Logv(const char* format, va_list ap) {
  char line[kMaxLine];
  std::string stamp = absl::FormatTime("%Y/%m/%d-%H:%M:%E6S ", absl::Now(),
                                       absl::LocalTimeZone());
  size_t n = stamp.copy(line, sizeof(line) - 2);
  int body = vsnprintf(line + n, sizeof(line) - n - 1, format, ap);
  if (body < 0) return;
  n = std::min(n + static_cast<size_t>(body), sizeof(line) - 2);
  if (line[n - 1] != '\n') line[n++] = '\n';
  Append(line, n);
}

std::vector<std::string> BoundedLogger::DamageReports() const {
  absl::MutexLock lock(&mu_);
  return damage_;
}

void BoundedLogger::Append(const char* data, size_t size) {
  absl::string_view line(data, size);
  absl::MutexLock lock(&mu_);
  if (absl::StrContains(line, ": dropping ") &&
      damage_.size() < kMaxDamageReports) {
    // After the time and the "[WARN] [db/…:982] " tags.
    absl::string_view report = line.substr(line.find(' ') + 1);
    while (absl::ConsumePrefix(&report, "[") &&
           report.find("] ") != report.npos) {
      report.remove_prefix(report.find("] ") + 2);
    }
    damage_.emplace_back(absl::StripSuffix(report, "\n"));
  }
  if (fd_ >= 0 && size_ + size > max_bytes_) {
    close(fd_);
    fd_ = -1;
    std::rename(path_.c_str(), old_path_.c_str());
    Reopen(/*truncate=*/true);
  }
  if (fd_ < 0) Reopen(/*truncate=*/false);
  if (fd_ < 0) return;
  ssize_t written = write(fd_, data, size);
  // A short or failed write (a full disk) loses this line, nothing more.
  if (written > 0) size_ += static_cast<size_t>(written);
}

void BoundedLogger::Reopen(bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  if (truncate) flags |= O_TRUNC;
  fd_ = open(path_.c_str(), flags, 0644);
  if (fd_ < 0) return;
  off_t end = lseek(fd_, 0, SEEK_END);
  size_ = end > 0 ? static_cast<size_t>(end) : 0;
}

}  // namespace villagesync
