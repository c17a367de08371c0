// apply_bench: what a durable write of records costs.
//   BM_RocksDbSyncedBatch  the floor: raw RocksDB writing synced WriteBatches
//                          of 100 fresh ~1 KB values.
//   BM_DurableApply        RecordStore::Apply of 100 fresh ~1 KB `members`
//                          records from a remote writer (validation, merge,
//                          change log, watermark, one synced WriteBatch).
//   BM_DurableApplyFromDevice
//                          the same, as a device's push (SPEC §6: only its
//                          own dots, bounded counters, claims checked
//                          against the stored registers, authors stamped):
//                          the cost of the trust boundary.
//   BM_ApplySmallEditsToLargeStore
//                          what a device does in an incremental pull: Apply
//                          of pages of 1,000 one-field edits (a date) to
//                          random records of a store holding 100,000.
// Items are records (values); with 4 threads the writers share one database,
// so group commit (RocksDB's, and RecordStore's queue) can merge their syncs.
// Databases live on disk under a mkdtemp directory in /tmp (not tmpfs: the
// fsync is the point) that is removed at exit.
//
// Run: build/bench/apply_bench --benchmark_min_time=2
#include <sys/vfs.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "proto/records.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "storage/record_store.h"

namespace villagesync {
namespace {

constexpr int kBatchSize = 100;
// Thread i of a run plays the remote writer kWriterBase + i.
constexpr uint64_t kWriterBase = 0xC0FFEE;
constexpr char kVillage[] = "440101001001";
constexpr long kTmpfsMagic = 0x01021994;

// The mkdtemp directory of this run; set once in main.
std::string g_root;

// Shared by the threads of one benchmark run. Thread 0 sets them up before
// the timed loop and tears them down after it; Google Benchmark holds every
// thread at the loop's start and end, which orders those accesses.
std::unique_ptr<rocksdb::DB> g_db;
std::unique_ptr<RecordStore> g_store;
std::string g_dir;

// A new directory name under g_root (called by thread 0 only).
std::string FreshDir(const char* name) {
  static int next = 0;
  return absl::StrCat(g_root, "/", name, "-", next++);
}

void RemoveDir(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

// About 1 KB of Chinese text (87 bytes per sentence).
std::string ChineseText() {
  std::string text;
  while (text.size() < 1000) {
    text += "在村里种植水稻和蔬菜，农闲时外出务工，热心参与村集体事务。";
  }
  return text;
}

uint64_t NowHlc() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(now).count())
         << 16;
}

std::unique_ptr<rocksdb::DB> OpenRocksDb(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok())
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.ToString().c_str());
  return db;
}

void BM_RocksDbSyncedBatch(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_dir = FreshDir("rocksdb");
    g_db = OpenRocksDb(g_dir);
  }
  const std::string value = ChineseText();
  rocksdb::WriteOptions synced;
  synced.sync = true;
  uint64_t next = 0;
  for (auto _ : state) {
    if (g_db == nullptr) {
      state.SkipWithError("cannot open RocksDB");
      break;
    }
    rocksdb::WriteBatch batch;
    for (int i = 0; i < kBatchSize; ++i) {
      batch.Put(absl::StrCat("t", state.thread_index(), "/", next++), value);
    }
    rocksdb::Status s = g_db->Write(synced, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchSize);
  if (state.thread_index() == 0) {
    g_db.reset();
    RemoveDir(g_dir);
  }
}

v1::FieldState Field(const char* name, v1::Value value, uint64_t replica) {
  v1::FieldState field;
  field.set_name(name);
  v1::Sibling* sibling = field.add_siblings();
  *sibling->mutable_value() = std::move(value);
  sibling->mutable_dot()->set_replica(replica);
  sibling->set_author("bench-writer");
  *field.add_context() = sibling->dot();
  return field;
}

// A remote writer creating fresh `members` records, one write (one dot)
// per record. Reuses its messages from batch to batch so the benchmark
// times the store rather than the building of changes. Not thread-safe.
class MemberWriter {
 public:
  static constexpr int kNameField = 1;

  MemberWriter(uint64_t replica, int thread)
      : replica_(replica), thread_(thread) {
    v1::Value name, join_date, status, occupation;
    join_date.mutable_date_value()->set_days(19853);
    status.set_enum_value("正式党员");
    occupation.set_string_value(ChineseText());
    v1::Change change;
    change.mutable_key()->set_village(kVillage);
    change.mutable_key()->set_collection("members");
    change.set_creates(true);
    // In name order; kNameField is the index of "name".
    *change.add_fields() = Field("join_date", join_date, replica);
    *change.add_fields() = Field("name", name, replica);
    *change.add_fields() = Field("occupation", occupation, replica);
    *change.add_fields() = Field("status", status, replica);
    batch_.assign(kBatchSize, change);
  }

  uint64_t replica() const { return replica_; }

  // The next kBatchSize new records.
  absl::Span<const v1::Change> NextBatch() {
    uint64_t hlc = NowHlc();
    for (v1::Change& change : batch_) {
      ++counter_;
      std::string id = absl::StrCat("t", thread_, "-", counter_);
      change.set_seq(counter_);
      change.mutable_key()->set_id(id);
      for (v1::FieldState& field : *change.mutable_fields()) {
        field.mutable_siblings(0)->mutable_dot()->set_counter(counter_);
        field.mutable_siblings(0)->set_hlc(hlc);
        field.mutable_context(0)->set_counter(counter_);
      }
      change.mutable_fields(kNameField)
          ->mutable_siblings(0)
          ->mutable_value()
          ->set_string_value("党员 " + id);
    }
    return batch_;
  }

 private:
  const uint64_t replica_;
  const int thread_;
  uint64_t counter_ = 0;
  std::vector<v1::Change> batch_;
};

// Empty if every change was applied, else why not.
std::string Unapplied(const std::vector<v1::ApplyResult>& results) {
  for (const v1::ApplyResult& result : results) {
    if (result.outcome() != v1::APPLY_OUTCOME_APPLIED) {
      return absl::StrCat(v1::ApplyOutcome_Name(result.outcome()), " ",
                          result.reason());
    }
  }
  return "";
}

std::unique_ptr<RecordStore> OpenStore(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<RecordStore>> store = RecordStore::Open(dir);
  if (store.ok()) return std::move(*store);
  std::fprintf(stderr, "open %s: %s\n", dir.c_str(),
               store.status().ToString().c_str());
  return nullptr;
}

// Applies MemberWriter batches, as a trusted peer's or as a device's push.
void DurableApply(benchmark::State& state, bool from_device) {
  if (state.thread_index() == 0) {
    g_dir = FreshDir("store");
    g_store = OpenStore(g_dir);
  }
  MemberWriter writer(kWriterBase + state.thread_index(), state.thread_index());
  DevicePush device{writer.replica(), "bench-writer"};
  for (auto _ : state) {
    if (g_store == nullptr) {
      state.SkipWithError("cannot open RecordStore");
      break;
    }
    absl::StatusOr<std::vector<v1::ApplyResult>> results =
        from_device ? g_store->ApplyFromDevice(writer.NextBatch(), device)
                    : g_store->Apply(writer.NextBatch(), writer.replica());
    std::string problem =
        results.ok() ? Unapplied(*results) : results.status().ToString();
    if (!problem.empty()) {
      state.SkipWithError(problem.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchSize);
  if (state.thread_index() == 0) {
    g_store.reset();
    RemoveDir(g_dir);
  }
}

void BM_DurableApply(benchmark::State& state) { DurableApply(state, false); }

void BM_DurableApplyFromDevice(benchmark::State& state) {
  DurableApply(state, true);
}

constexpr int kLargeStore = 100'000;
constexpr int kEditPage = 1000;

// A page of one-field edits by `replica` (its counters from `*counter`) of
// random records written by MemberWriter(kWriterBase, 0).
std::vector<v1::Change> EditPage(uint64_t replica, uint64_t* counter,
                                 std::mt19937_64& rng) {
  std::vector<v1::Change> page(kEditPage);
  uint64_t hlc = NowHlc();
  for (v1::Change& change : page) {
    ++*counter;
    change.mutable_key()->set_village(kVillage);
    change.mutable_key()->set_collection("members");
    change.mutable_key()->set_id(absl::StrCat("t0-", 1 + rng() % kLargeStore));
    change.set_seq(*counter);
    v1::Value date;
    date.mutable_date_value()->set_days(19800 + static_cast<int>(rng() % 300));
    v1::FieldState field = Field("last_contact_date", date, replica);
    field.mutable_siblings(0)->mutable_dot()->set_counter(*counter);
    field.mutable_siblings(0)->set_hlc(hlc);
    field.mutable_context(0)->set_counter(*counter);
    *change.add_fields() = std::move(field);
  }
  return page;
}

void BM_ApplySmallEditsToLargeStore(benchmark::State& state) {
  g_dir = FreshDir("large");
  g_store = OpenStore(g_dir);
  MemberWriter writer(kWriterBase, 0);
  for (int i = 0; g_store != nullptr && i < kLargeStore / kBatchSize; ++i) {
    if (!g_store->Apply(writer.NextBatch(), writer.replica()).ok()) break;
  }
  std::mt19937_64 rng(1);
  uint64_t editor = kWriterBase + 1000, counter = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<v1::Change> page = EditPage(editor, &counter, rng);
    state.ResumeTiming();
    if (g_store == nullptr) {
      state.SkipWithError("cannot open RecordStore");
      break;
    }
    absl::StatusOr<std::vector<v1::ApplyResult>> results =
        g_store->Apply(page, editor);
    std::string problem =
        results.ok() ? Unapplied(*results) : results.status().ToString();
    if (!problem.empty()) {
      state.SkipWithError(problem.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kEditPage);
  g_store.reset();
  RemoveDir(g_dir);
}

BENCHMARK(BM_RocksDbSyncedBatch)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_DurableApply)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_DurableApplyFromDevice)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_ApplySmallEditsToLargeStore)->UseRealTime();

// Syncs on tmpfs cost nothing, which would make every number meaningless.
void WarnIfTmpfs(const std::string& dir) {
  struct statfs info;
  if (statfs(dir.c_str(), &info) == 0 && info.f_type == kTmpfsMagic) {
    std::fprintf(stderr, "warning: %s is on tmpfs; syncs are free there\n",
                 dir.c_str());
  }
}

}  // namespace
}  // namespace villagesync

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  char root[] = "/tmp/apply_bench-XXXXXX";
  if (mkdtemp(root) == nullptr) {
    std::perror("mkdtemp /tmp/apply_bench-XXXXXX");
    return 1;
  }
  villagesync::g_root = root;
  villagesync::WarnIfTmpfs(root);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  villagesync::RemoveDir(root);
  return 0;
}
