// RocksDB's diagnostic log (the LOG file in a store's directory), written by
// villagesync instead of RocksDB's own file logger. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_ROCKS_LOGGER_H_
#define VILLAGESYNC_STORAGE_INTERNAL_ROCKS_LOGGER_H_

#include <cstdarg>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"

namespace villagesync {

// A logger for `dir`/LOG that RocksDB writes its diagnostics to. Two things
// differ from RocksDB's own:
// - It is never fatal. RocksDB 7.8's file logger asserts (aborting the
//   process) on the write after one that failed, as on a full disk; this one
//   drops lines it cannot write and tries again with the next.
// - It is bounded: past `max_bytes` the file becomes LOG.old (replacing the
//   previous one), so a store holds at most two log files whatever the
//   number of openings. Construction removes the LOG.old.<time> files
//   earlier versions left (one per opening).
// It also remembers the files RocksDB reported damage in while recovering
// its write-ahead log (it names them only in this log). Thread-safe.
class BoundedLogger : public rocksdb::Logger {
 public:
  // Lines below `level` are not written.
  BoundedLogger(const std::string& dir, size_t max_bytes,
                rocksdb::InfoLogLevel level);
  ~BoundedLogger() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

  // The files RocksDB said it dropped bytes of ("dropping N bytes"), in the
  // order reported, each with RocksDB's words; at most a few.
  std::vector<std::string> DamageReports() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Append(const char* data, size_t size) ABSL_LOCKS_EXCLUDED(mu_);
  void Reopen(bool truncate) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  const std::string path_;
  const std::string old_path_;
  const size_t max_bytes_;

  mutable absl::Mutex mu_;
  // Guarded by mu_.
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  size_t size_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> damage_ ABSL_GUARDED_BY(mu_);
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_ROCKS_LOGGER_H_
