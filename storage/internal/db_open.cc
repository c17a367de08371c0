#include "storage/internal/db_open.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/status_macros.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/table.h"
#include "storage/internal/counter_merge.h"
#include "storage/internal/rocks_logger.h"
#include "storage/internal/rocks_status.h"

namespace villagesync {
namespace {

// Each of the (at most two) diagnostic log files of a store.
constexpr size_t kLogFileBytes = 1 << 20;

// After a write met a full disk, RocksDB's own recovery waits for as much
// free space as its memtables hold (64 MiB or more) and refuses Resume()
// meanwhile; a small disk would never get there. The store resumes instead,
// on its next write (RecordStore::WriteSynced).
class ResumeOnNextWrite : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status /*error*/,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

rocksdb::WALRecoveryMode RecoveryMode(LogDamage damage) {
  switch (damage) {
    case LogDamage::kRefuse:
      // A write cut short by a crash (an incomplete last entry) is dropped;
      // a bad checksum anywhere fails the opening.
      return rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    case LogDamage::kKeepPrefix:
      return rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  }
  return rocksdb::WALRecoveryMode::kPointInTimeRecovery;
}

// Why the store `dir` cannot be opened: another process (or another opening
// in this one) holds its lock. Names the process when it can.
std::string HeldBy(const std::string& dir, const std::string& error) {
  std::string holder = "another process";
  if (absl::StrContains(error, "current process")) {
    holder = "this process (opened twice)";
  } else {
    // RocksDB locks with fcntl: F_GETLK names the holder. (Safe here: this
    // process holds no lock on the file, so closing it releases none.)
    std::string path = dir + "/LOCK";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct flock lock = {};
      lock.l_type = F_WRLCK;
      lock.l_whence = SEEK_SET;
      if (fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK) {
        holder = absl::StrCat("process ", lock.l_pid);
      }
      close(fd);
    }
  }
  return absl::StrCat("store ", dir, " is in use: held by ", holder,
                      " (another villagesyncd on this data dir?)");
}

absl::Status OpenError(const std::string& dir, const rocksdb::Status& s,
                       const BoundedLogger& logger) {
  if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
    return absl::UnavailableError(HeldBy(dir, s.ToString()));
  }
  if (s.IsCorruption()) {
    // RocksDB names a damaged log file only in its diagnostic log.
    std::vector<std::string> reports = logger.DamageReports();
    return absl::DataLossError(absl::StrCat(
        "store ", dir, " is damaged: ",
        reports.empty() ? s.ToString() : absl::StrJoin(reports, "; ")));
  }
  return FromRocksStatus(s, absl::StrCat("open store ", dir));
}

absl::Status CreateDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (!error) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("cannot create store directory ",
                                             dir, ": ", error.message()));
}

}  // namespace

rocksdb::Options DbOptions(LogDamage damage) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  // Creates look up keys that do not exist yet: a bloom filter answers those
  // without reading data blocks.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The same for keys still in the memtable.
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  options.merge_operator = NewCounterMergeOperator();
  options.wal_recovery_mode = RecoveryMode(damage);
  options.listeners.push_back(std::make_shared<ResumeOnNextWrite>());
  return options;
}

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDb(const std::string& dir,
                                                    LogDamage damage,
                                                    bool verify) {
  VS_RETURN_IF_ERROR(CreateDir(dir));
  auto logger = std::make_shared<BoundedLogger>(
      dir, kLogFileBytes, rocksdb::InfoLogLevel::INFO_LEVEL);
  rocksdb::Options options = DbOptions(damage);
  options.info_log = logger;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return OpenError(dir, s, *logger);
  if (verify) {
    s = db->VerifyChecksum();
    if (s.IsCorruption()) {
      return absl::DataLossError(
          absl::StrCat("store ", dir, " is damaged: ", s.ToString()));
    }
    VS_RETURN_IF_ERROR(FromRocksStatus(s, absl::StrCat("verify store ", dir)));
  }
  return db;
}

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDbReadOnly(
    const std::string& dir, LogDamage damage) {
  auto logger = std::make_shared<BoundedLogger>(
      dir, kLogFileBytes, rocksdb::InfoLogLevel::INFO_LEVEL);
  rocksdb::Options options = DbOptions(damage);
  options.info_log = logger;
  options.create_if_missing = false;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return OpenError(dir, s, *logger);
  return db;
}

}  // namespace villagesync
