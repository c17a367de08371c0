#include "storage/store_recovery.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/internal/db_open.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/wal_reader.h"

namespace villagesync {
namespace {

namespace fs = std::filesystem;

// Copies the write-ahead log files (*.log) of `dir` to `save_to`.
absl::Status SaveLogFiles(const std::string& dir, const std::string& save_to) {
  std::error_code error;
  if (fs::exists(save_to, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat(save_to, " exists already"));
  }
  fs::create_directories(save_to, error);
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (error || entry.path().extension() != ".log") continue;
    fs::copy_file(entry.path(), fs::path(save_to) / entry.path().filename(),
                  error);
    if (error) break;
  }
  if (!error) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("copy the log files to ", save_to, ": ", error.message()));
}

// What the entries of the log past its first damage wrote: the records and
// the highest counter of each writer. (Every record write also merges its
// writers' counters into their known-counter rows.)
class LostWritesCollector : public rocksdb::WriteBatch::Handler {
 public:
  void Put(const rocksdb::Slice& key, const rocksdb::Slice&) override {
    if (key.starts_with(Slice(keys::kRecordPrefix))) {
      records.insert(key.ToString());
    }
  }
  void Merge(const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    if (!key.starts_with(Slice(keys::kKnownCounterPrefix)) ||
        value.size() != 8) {
      return;
    }
    uint64_t replica =
        keys::DecodeBigEndian(absl::string_view(key.data(), key.size())
                                  .substr(keys::kKnownCounterPrefix.size()));
    uint64_t counter =
        keys::DecodeBigEndian(absl::string_view(value.data(), value.size()));
    counters[replica] = std::max(counters[replica], counter);
  }

  static rocksdb::Slice Slice(absl::string_view s) {
    return rocksdb::Slice(s.data(), s.size());
  }

  std::set<std::string> records;
  std::map<uint64_t, uint64_t> counters;
};

// The log files of `dir` in the order RocksDB wrote them.
std::vector<fs::path> LogFiles(const std::string& dir) {
  std::vector<fs::path> logs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".log") logs.push_back(entry.path());
  }
  std::sort(logs.begin(), logs.end());  // zero-padded numbers
  return logs;
}

// Reads the log past its first damage (where recovery stops) into
// `lost`. Entries past the damage that are damaged too are counted.
absl::Status CollectLostWrites(const std::string& dir,
                               LostWritesCollector* lost,
                               uint64_t* unreadable) {
  bool past_damage = false;
  WalVisitor visitor;
  visitor.on_damage = [&] {
    past_damage = true;
    ++*unreadable;
  };
  visitor.on_batch = [&](absl::string_view batch) {
    if (!past_damage) return;
    rocksdb::WriteBatch writes{std::string(batch)};
    writes.Iterate(lost).PermitUncheckedError();
  };
  for (const fs::path& log : LogFiles(dir)) {
    VS_RETURN_IF_ERROR(ScanWal(log.string(), visitor));
  }
  return absl::OkStatus();
}

// Fills `report` with what recovery will lose: the writes past the damage,
// less what the kept state holds anyway.
absl::Status MeasureLoss(const std::string& dir, RecoveryReport* report) {
  LostWritesCollector lost;
  VS_RETURN_IF_ERROR(
      CollectLostWrites(dir, &lost, &report->unreadable_entries));
  report->records_lost = lost.records.size();
  VS_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> kept,
                      OpenDbReadOnly(dir, LogDamage::kKeepPrefix));
  for (const auto& [replica, counter] : lost.counters) {
    LostWrites writer;
    writer.replica = replica;
    writer.lost_up_to = counter;
    std::string row = keys::KnownCounterRow(replica);
    std::string value;
    rocksdb::Status s = kept->Get(rocksdb::ReadOptions(), row, &value);
    if (!s.ok() && !s.IsNotFound()) {
      return FromRocksStatus(s, "read the kept state");
    }
    if (s.ok()) writer.kept_counter = keys::DecodeBigEndian(value);
    if (writer.kept_counter < writer.lost_up_to) {
      report->writers.push_back(writer);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecoveryReport> RecoverStore(const std::string& dir,
                                            const std::string& save_to) {
  RecoveryReport report;
  {
    absl::StatusOr<std::unique_ptr<rocksdb::DB>> probe =
        OpenDb(dir, LogDamage::kRefuse, /*verify=*/false);
    if (probe.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", dir, " has no damaged log: nothing to recover"));
    }
    if (!absl::IsDataLoss(probe.status())) return probe.status();
    report.damage = std::string(probe.status().message());
  }
  VS_RETURN_IF_ERROR(SaveLogFiles(dir, save_to));
  report.saved_to = save_to;
  VS_RETURN_IF_ERROR(MeasureLoss(dir, &report));
  // Opening for writing keeps the prefix for good (RocksDB writes it to a
  // table file and deletes the damaged log); table files are verified.
  VS_RETURN_IF_ERROR(
      OpenDb(dir, LogDamage::kKeepPrefix, /*verify=*/true).status());
  VS_RETURN_IF_ERROR(
      OpenDb(dir, LogDamage::kRefuse, /*verify=*/false).status());
  return report;
}

}  // namespace villagesync
