// A store under disk faults: a damaged write-ahead log refuses the opening
// (servers) or keeps its prefix (devices), and RecoverStore says what it
// costs; a damaged table file refuses a verified opening and fails reads
// with DATA_LOSS, never serving wrong data; a disk short of the reserve
// refuses record writes with RESOURCE_EXHAUSTED and writes nothing; the
// store's diagnostic logs stay bounded over many openings.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/internal/wal_reader.h"
#include "storage/record_store.h"
#include "storage/store_recovery.h"
#include "tests/testing/damage.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using testing::FlipByte;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::NewMember;
using ::testing::SizeIs;
using testing::StatusIs;

constexpr char kVillage[] = "440101001001";

StoreOptions ServerLike() {
  StoreOptions options;
  options.refuse_damaged_log = true;
  options.verify_at_open = true;
  return options;
}

// The files of `dir` whose names end with `extension`, largest first.
std::vector<fs::path> FilesEndingWith(const std::string& dir,
                                      const std::string& extension) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) {
              return fs::file_size(a) > fs::file_size(b);
            });
  return files;
}

// Puts `n` members (each its own synced write) into the store under `dir`.
void PutMembers(const std::string& dir, const StoreOptions& options, int n) {
  auto store = RecordStore::Open(dir, options);
  ASSERT_THAT(store, IsOk());
  for (int i = 0; i < n; ++i) {
    ASSERT_THAT((*store)->Put(NewMember(kVillage, absl::StrCat("m", i),
                                        absl::StrCat("党员", i))),
                IsOk());
  }
}

size_t MemberCount(RecordStore& store) {
  auto members = store.List("members", kVillage, 10000, "");
  EXPECT_THAT(members, IsOk());
  return members.ok() ? members->size() : 0;
}

class StoreFaultsTest : public ::testing::Test {
 protected:
  std::string Dir() const { return dir_.Sub("store"); }
  testing::TempDir dir_;
};

TEST_F(StoreFaultsTest, DamagedLogRefusesAServerOpeningNamingTheFile) {
  PutMembers(Dir(), ServerLike(), 50);
  std::vector<fs::path> logs = FilesEndingWith(Dir(), ".log");
  ASSERT_THAT(logs, SizeIs(1));
  FlipByte(logs[0], 0.5);
  EXPECT_THAT(RecordStore::Open(Dir(), ServerLike()),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(logs[0].filename().string()),
                             HasSubstr("dropping"))));
}

TEST_F(StoreFaultsTest, DamagedLogKeepsItsPrefixOnADevice) {
  PutMembers(Dir(), {}, 50);
  FlipByte(FilesEndingWith(Dir(), ".log")[0], 0.5);
  auto store = RecordStore::Open(Dir());
  ASSERT_THAT(store, IsOk());
  size_t kept = MemberCount(**store);
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, 50u);
}

TEST_F(StoreFaultsTest, RecoverSaysWhatIsLostThenKeepsThePrefix) {
  uint64_t replica = 0;
  {
    auto store = RecordStore::Open(Dir(), ServerLike());
    ASSERT_THAT(store, IsOk());
    replica = (*store)->writer_id();
  }
  PutMembers(Dir(), ServerLike(), 50);
  std::vector<fs::path> logs = FilesEndingWith(Dir(), ".log");
  FlipByte(logs[0], 0.5);
  std::string saved = dir_.Sub("damaged");
  auto report = RecoverStore(Dir(), saved);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->damage, HasSubstr(logs[0].filename().string()));
  EXPECT_TRUE(fs::exists(fs::path(saved) / logs[0].filename()));
  EXPECT_GT(report->records_lost, 0u);
  EXPECT_LT(report->records_lost, 50u);
  ASSERT_THAT(report->writers, SizeIs(1));
  EXPECT_EQ(report->writers[0].replica, replica);
  EXPECT_EQ(report->writers[0].lost_up_to, 50u);
  EXPECT_EQ(report->unreadable_entries, 1u);
  EXPECT_EQ(report->writers[0].kept_counter + report->unreadable_entries +
                report->records_lost,
            50u);

  {
    auto store = RecordStore::Open(Dir(), ServerLike());
    ASSERT_THAT(store, IsOk());
    EXPECT_EQ(MemberCount(**store), report->writers[0].kept_counter);
    EXPECT_THAT(RecoverStore(Dir(), dir_.Sub("again")),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("in use")));
  }
  EXPECT_THAT(
      RecoverStore(Dir(), dir_.Sub("again")),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("nothing")));
}

TEST_F(StoreFaultsTest, AnIntactLogReadsWholeWithItsChecksums) {
  PutMembers(Dir(), ServerLike(), 50);
  int batches = 0;
  int damaged = 0;
  WalVisitor visitor;
  visitor.on_batch = [&](absl::string_view) { ++batches; };
  visitor.on_damage = [&] { ++damaged; };
  ASSERT_THAT(ScanWal(FilesEndingWith(Dir(), ".log")[0].string(), visitor),
              IsOk());
  EXPECT_GE(batches, 50);
  EXPECT_EQ(damaged, 0);
}

TEST_F(StoreFaultsTest, RecoverRefusesAStoreThatIsNotDamaged) {
  PutMembers(Dir(), ServerLike(), 3);
  EXPECT_THAT(RecoverStore(Dir(), dir_.Sub("saved")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("nothing to recover")));
  EXPECT_FALSE(fs::exists(dir_.Sub("saved")));
}

TEST_F(StoreFaultsTest, DamagedTableFileNeverServesWrongData) {
  PutMembers(Dir(), ServerLike(), 200);
  // Reopening writes the log into a table file.
  ASSERT_THAT(RecordStore::Open(Dir(), ServerLike()), IsOk());
  std::vector<fs::path> tables = FilesEndingWith(Dir(), ".sst");
  ASSERT_FALSE(tables.empty());
  FlipByte(tables[0], 0.3);  // inside the data blocks
  EXPECT_THAT(RecordStore::Open(Dir(), ServerLike()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(tables[0].filename().string())));
  // Without verification the opening succeeds, and reading the damaged
  // block fails rather than answering.
  StoreOptions unverified = ServerLike();
  unverified.verify_at_open = false;
  auto store = RecordStore::Open(Dir(), unverified);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->List("members", kVillage, 10000, ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("Corruption")));
}

TEST_F(StoreFaultsTest, ShortOfTheReserveRefusesRecordWritesAndWritesNothing) {
  StoreOptions options;
  options.min_free_bytes = uint64_t{1} << 62;  // more than any disk
  auto store = RecordStore::Open(Dir(), options);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->Put(NewMember(kVillage, "m1", "李建国")),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("disk full"), HasSubstr("MiB free"))));
  EXPECT_EQ(MemberCount(**store), 0u);
  EXPECT_EQ((*store)->dot_counter(), 0u);
}

TEST_F(StoreFaultsTest, DiagnosticLogsStayBoundedOverManyOpenings) {
  fs::create_directories(Dir());
  std::ofstream(Dir() + "/LOG.old.1796176286121601") << "left by 0.2";
  for (int i = 0; i < 60; ++i) PutMembers(Dir(), {}, 1);
  int logs = 0;
  uintmax_t log_bytes = 0;
  for (const auto& entry : fs::directory_iterator(Dir())) {
    std::string name = entry.path().filename().string();
    if (name.rfind("LOG", 0) == 0) {
      ++logs;
      log_bytes += entry.file_size();
    }
  }
  EXPECT_LE(logs, 2);
  EXPECT_LE(log_bytes, 2u << 20);
  EXPECT_LE(
      std::distance(fs::directory_iterator(Dir()), fs::directory_iterator()),
      20);
}

}  // namespace
}  // namespace villagesync
