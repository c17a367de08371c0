// Crash durability of RecordStore::Apply: a child process (crash_child.cc)
// applies batches and acknowledges each one; the test kills it with SIGKILL
// at a random moment and checks, in a fresh open of the same store, that
// every acknowledged batch survived whole and the watermark covers it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/record_store.h"
#include "storage/record_view.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::villagesync::testing::IsOk;
using ::villagesync::testing::TempDir;
using Clock = std::chrono::steady_clock;

// These mirror the workload of crash_child.cc.
constexpr uint64_t kWriterReplica = 0xC0FFEE;
constexpr int kBatchSize = 50;
constexpr uint64_t kSeqsPerRound = 1'000'000'000;
constexpr char kVillage[] = "440101001001";

constexpr int kRounds = 24;
constexpr uint32_t kSeed = 20240510;
// Long enough for some rounds to acknowledge batches, short enough (and
// random) that the kill lands in Open, mid-Apply or between batches.
constexpr int kMinKillDelayMs = 5;
constexpr int kMaxKillDelayMs = 150;

std::string IdOf(int round, int batch, int i) {
  return absl::StrCat("r", round, "-b", batch, "-", i);
}

// The writer's seq of the last change of `batch` in `round`.
uint64_t LastSeqOf(int round, int batch) {
  return round * kSeqsPerRound + (batch + 1) * kBatchSize;
}

v1::RecordKey KeyOf(const std::string& id) {
  v1::RecordKey key;
  key.set_village(kVillage);
  key.set_collection("members");
  key.set_id(id);
  return key;
}

// Starts the child with its stdout on a pipe; returns its pid and sets
// `*out` to the read end.
pid_t StartChild(const std::string& dir, int round, int* out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  // Everything the child needs is built before fork: between fork and exec
  // only async-signal-safe calls are allowed.
  std::string round_arg = std::to_string(round);
  const char* argv[] = {VILLAGESYNC_CRASH_CHILD, dir.c_str(), round_arg.c_str(),
                        nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return -1;
  }
  *out = fds[0];
  return pid;
}

// Appends what `fd` yields to `*output` until `deadline` passes or EOF
// (Clock::time_point::max() waits for EOF). Returns false at EOF.
bool ReadUntil(int fd, Clock::time_point deadline, std::string* output) {
  char buffer[4096];
  while (true) {
    int timeout_ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return true;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline check above ends the loop
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    output->append(buffer, static_cast<size_t>(n));
  }
}

// How many batches the child acknowledged: "ACK 0", "ACK 1", ... in order.
// A trailing partial line (killed mid-write) is not an acknowledgement.
::testing::AssertionResult CountAcks(absl::string_view output, int* acked) {
  *acked = 0;
  std::vector<absl::string_view> lines = absl::StrSplit(output, '\n');
  lines.pop_back();  // after the last '\n': empty or a partial line
  for (absl::string_view line : lines) {
    int batch = -1;
    if (!absl::ConsumePrefix(&line, "ACK ") ||
        !absl::SimpleAtoi(line, &batch) || batch != *acked) {
      return ::testing::AssertionFailure()
             << "unexpected child output line \"" << line << "\" after "
             << *acked << " acks";
    }
    ++*acked;
  }
  return ::testing::AssertionSuccess();
}

// Runs the child for `delay_ms`, kills it with SIGKILL and sets `*acked`.
void RunChildAndKill(const std::string& dir, int round, int delay_ms,
                     int* acked) {
  int out = -1;
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(delay_ms);
  pid_t pid = StartChild(dir, round, &out);
  ASSERT_GT(pid, 0) << "cannot start " << VILLAGESYNC_CRASH_CHILD;
  std::string output;
  ReadUntil(out, deadline, &output);
  kill(pid, SIGKILL);
  // Lines written before the kill are still in the pipe: read them all.
  ReadUntil(out, Clock::time_point::max(), &output);
  close(out);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended on its own (see its stderr above), wait status "
      << status;
  ASSERT_TRUE(CountAcks(output, acked));
}

const v1::Value* FindValue(const RecordView& view, absl::string_view name) {
  for (const FieldView& field : view.fields) {
    if (field.name == name && field.value.has_value()) return &*field.value;
  }
  return nullptr;
}

// The record the child wrote under `id` is there with its values.
::testing::AssertionResult RecordIsIntact(const RecordStore& store,
                                          const std::string& id) {
  absl::StatusOr<Record> record = store.Get(KeyOf(id));
  if (!record.ok()) {
    return ::testing::AssertionFailure() << id << ": " << record.status();
  }
  RecordView view =
      ViewRecord(*record, *store.schemas().FindCollection("members"));
  const v1::Value* name = FindValue(view, "name");
  const v1::Value* status = FindValue(view, "status");
  const v1::Value* occupation = FindValue(view, "occupation");
  if (view.deleted || name == nullptr || status == nullptr ||
      occupation == nullptr || name->string_value() != "党员 " + id ||
      status->enum_value() != "正式党员" ||
      occupation->string_value().size() < 1000 ||
      occupation->string_value().rfind(id + "：", 0) != 0) {
    return ::testing::AssertionFailure()
           << id << " has wrong content: " << record->stored.DebugString();
  }
  return ::testing::AssertionSuccess();
}

// How many of the records of `batch` in `round` exist.
int CountPresent(const RecordStore& store, int round, int batch) {
  int present = 0;
  for (int i = 0; i < kBatchSize; ++i) {
    present += store.Get(KeyOf(IdOf(round, batch, i))).ok() ? 1 : 0;
  }
  return present;
}

// The acknowledged batches are intact: every batch of every round if
// `thorough`, else every batch of the last round and the last batch of each
// earlier one (checking all of them after every round would make the test
// quadratic; the end of the test checks them all once).
void ExpectAckedBatchesIntact(const RecordStore& store,
                              const std::vector<int>& acked_per_round,
                              bool thorough) {
  int last_round = static_cast<int>(acked_per_round.size()) - 1;
  for (int round = 0; round <= last_round; ++round) {
    int acked = acked_per_round[round];
    int first = thorough || round == last_round ? 0 : std::max(0, acked - 1);
    for (int batch = first; batch < acked; ++batch) {
      for (int i = 0; i < kBatchSize; ++i) {
        ASSERT_TRUE(RecordIsIntact(store, IdOf(round, batch, i)))
            << "acknowledged batch " << batch << " of round " << round;
      }
    }
  }
}

// Checks the store after the child of the last round of `acked_per_round`
// was killed; `high_seq` is the highest acknowledged seq so far.
void ExpectStoreRecovered(const std::string& dir,
                          const std::vector<int>& acked_per_round,
                          uint64_t high_seq) {
  int round = static_cast<int>(acked_per_round.size()) - 1;
  int acked = acked_per_round.back();
  absl::StatusOr<std::unique_ptr<RecordStore>> store = RecordStore::Open(dir);
  ASSERT_THAT(store, IsOk());
  ASSERT_NO_FATAL_FAILURE(
      ExpectAckedBatchesIntact(**store, acked_per_round, /*thorough=*/false));
  // The batch after the last ack may have committed just before the kill,
  // but Apply is atomic: all of it or none.
  int unacked = CountPresent(**store, round, acked);
  EXPECT_TRUE(unacked == 0 || unacked == kBatchSize)
      << unacked << " of " << kBatchSize << " records of unacknowledged batch "
      << acked << " survived";
  absl::StatusOr<uint64_t> watermark = (*store)->Watermark(kWriterReplica);
  ASSERT_THAT(watermark, IsOk());
  EXPECT_GE(*watermark, high_seq);
  // The watermark commits with its batch: it covers the unacknowledged batch
  // exactly when that batch is there, and nothing beyond it.
  if (unacked == kBatchSize) {
    EXPECT_EQ(*watermark, LastSeqOf(round, acked));
  }
  EXPECT_LE(*watermark, LastSeqOf(round, acked));
}

TEST(CrashTest, AcknowledgedBatchesSurviveSigkillAtRandomMoments) {
  SCOPED_TRACE(absl::StrCat("random seed ", kSeed));
  std::mt19937 random(kSeed);
  std::uniform_int_distribution<int> delay_ms(kMinKillDelayMs, kMaxKillDelayMs);
  TempDir temp;
  std::string dir = temp.Sub("store");
  std::vector<int> acked_per_round;
  uint64_t high_seq = 0;
  int total_acks = 0;
  for (int round = 0; round < kRounds; ++round) {
    int delay = delay_ms(random);
    SCOPED_TRACE(absl::StrCat("round ", round, ", kill after ", delay, " ms"));
    int acked = 0;
    // No RecordStore is open here: the child must be able to lock the store.
    ASSERT_NO_FATAL_FAILURE(RunChildAndKill(dir, round, delay, &acked));
    acked_per_round.push_back(acked);
    total_acks += acked;
    if (acked > 0) high_seq = LastSeqOf(round, acked - 1);
    ASSERT_NO_FATAL_FAILURE(
        ExpectStoreRecovered(dir, acked_per_round, high_seq));
  }
  EXPECT_GT(total_acks, 0);
  absl::StatusOr<std::unique_ptr<RecordStore>> store = RecordStore::Open(dir);
  ASSERT_THAT(store, IsOk());
  ExpectAckedBatchesIntact(**store, acked_per_round, /*thorough=*/true);
}

}  // namespace
}  // namespace villagesync
