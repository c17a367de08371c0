// storage_crash_child DIR ROUND: the writer half of crash_test.cc. Opens a
// RecordStore at DIR and applies batches of remote `members` changes forever,
// printing "ACK <batch>" on stdout after each Apply returns OK, until the test
// kills it with SIGKILL. The test then checks every acknowledged batch.
//
// The workload is defined here; crash_test.cc mirrors only the names and
// sequence numbers it checks (kBatchSize, kSeqsPerRound, ids and `name`).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "proto/records.pb.h"
#include "storage/record_store.h"

namespace villagesync {
namespace {

// The fake remote writer whose changes the child applies.
constexpr uint64_t kWriterReplica = 0xC0FFEE;
constexpr int kBatchSize = 50;
// Each round starts its counters and seqs here, so rounds never reuse a dot
// and every round's acked seqs exceed the previous round's.
constexpr uint64_t kSeqsPerRound = 1'000'000'000;
constexpr char kVillage[] = "440101001001";

// About 1 KB of Chinese text (87 bytes per sentence) for `occupation`.
std::string Occupation(const std::string& id) {
  std::string text = id + "：";
  while (text.size() < 1000) {
    text += "在村里种植水稻和蔬菜，农闲时外出务工，热心参与村集体事务。";
  }
  return text;
}

v1::FieldState Field(const char* name, v1::Value value, uint64_t counter,
                     uint64_t hlc) {
  v1::FieldState field;
  field.set_name(name);
  v1::Sibling* sibling = field.add_siblings();
  *sibling->mutable_value() = std::move(value);
  sibling->mutable_dot()->set_replica(kWriterReplica);
  sibling->mutable_dot()->set_counter(counter);
  sibling->set_hlc(hlc);
  sibling->set_author("crash-writer");
  *field.add_context() = sibling->dot();
  return field;
}

// A creating change as the writer would send it: one write (one dot) that
// sets every required field plus a long optional one.
v1::Change MemberChange(int round, int batch, int i) {
  std::string id = absl::StrCat("r", round, "-b", batch, "-", i);
  uint64_t seq = round * kSeqsPerRound + batch * kBatchSize + i + 1;
  uint64_t hlc = static_cast<uint64_t>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count())
                 << 16;
  v1::Value name, join_date, status, occupation;
  name.set_string_value("党员 " + id);
  join_date.mutable_date_value()->set_days(19853);
  status.set_enum_value("正式党员");
  occupation.set_string_value(Occupation(id));
  v1::Change change;
  change.mutable_key()->set_village(kVillage);
  change.mutable_key()->set_collection("members");
  change.mutable_key()->set_id(id);
  change.set_creates(true);
  change.set_seq(seq);
  *change.add_fields() = Field("join_date", join_date, seq, hlc);
  *change.add_fields() = Field("name", name, seq, hlc);
  *change.add_fields() = Field("occupation", occupation, seq, hlc);
  *change.add_fields() = Field("status", status, seq, hlc);
  return change;
}

std::vector<v1::Change> MemberBatch(int round, int batch) {
  std::vector<v1::Change> changes;
  changes.reserve(kBatchSize);
  for (int i = 0; i < kBatchSize; ++i) {
    changes.push_back(MemberChange(round, batch, i));
  }
  return changes;
}

// Fails unless Apply accepted every change: a rejection means this child
// builds bad changes, which would make the test prove nothing.
bool AllApplied(const std::vector<v1::ApplyResult>& results) {
  for (const v1::ApplyResult& result : results) {
    if (result.outcome() != v1::APPLY_OUTCOME_APPLIED) {
      std::fprintf(stderr, "crash_child: change not applied: %s %s\n",
                   v1::ApplyOutcome_Name(result.outcome()).c_str(),
                   result.reason().c_str());
      return false;
    }
  }
  return true;
}

int Run(const char* dir, int round) {
  absl::StatusOr<std::unique_ptr<RecordStore>> store = RecordStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "crash_child: open: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  for (int batch = 0;; ++batch) {
    std::vector<v1::Change> changes = MemberBatch(round, batch);
    absl::StatusOr<std::vector<v1::ApplyResult>> results =
        (*store)->Apply(changes, kWriterReplica);
    if (!results.ok()) {
      std::fprintf(stderr, "crash_child: apply batch %d: %s\n", batch,
                   results.status().ToString().c_str());
      return 1;
    }
    if (!AllApplied(*results)) return 1;
    std::printf("ACK %d\n", batch);
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace villagesync

int main(int argc, char** argv) {
  int round = 0;
  if (argc != 3 || !absl::SimpleAtoi(argv[2], &round) || round < 0) {
    std::fprintf(stderr, "usage: storage_crash_child DIR ROUND\n");
    return 2;
  }
  return villagesync::Run(argv[1], round);
}
