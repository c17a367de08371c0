// Disk faults with real processes (SPEC §4: nothing acknowledged is lost):
// a damaged write-ahead log stops the server until `villagesyncd recover`
// says what was lost, and the devices send it again; a damaged table file
// stops the server with the file named; a full disk on the server refuses
// pushes with a retryable error, keeps serving pulls, and takes writes again
// once space is freed, with or without the reserve; a full disk on a device
// refuses edits, still shows what is there, and loses nothing.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/internal/disk_space.h"
#include "tests/testing/cli_county.h"
#include "tests/testing/damage.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using testing::FlipByte;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::ProgramResult;
using testing::StatusIs;

// The largest file of `dir` whose name ends with `extension`.
fs::path LargestFile(const std::string& dir, const std::string& extension) {
  fs::path largest;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != extension) continue;
    if (largest.empty() || entry.file_size() > fs::file_size(largest)) {
      largest = entry.path();
    }
  }
  return largest;
}

// A small tmpfs mounted at a dir (root only), filled on demand to leave
// little room.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, int megabytes) : dir_(dir) {
    fs::create_directories(dir);
    std::string size = absl::StrCat("size=", megabytes, "m");
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, size.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

  // Takes all but `leave` bytes of what is free with a filler file.
  void Fill(uint64_t leave) {
    Free();
    uint64_t free = FreeBytes(dir_).value_or(0);
    if (free <= leave) return;
    int fd = open(Filler().c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(posix_fallocate(fd, 0, static_cast<off_t>(free - leave)), 0);
    close(fd);
  }
  void Free() { fs::remove(Filler()); }

 private:
  std::string Filler() const { return dir_ + "/filler"; }
  const std::string dir_;
  bool mounted_ = false;
};

constexpr uint64_t kMiB = 1 << 20;

class DiskFaultsTest : public ::testing::Test {
 protected:
  std::string RecordsDir() const { return county_.DataDir() + "/records"; }

  // `n` members with ~3 KB of text each, put on `device` one by one;
  // returns how many were put before one failed.
  int PutBig(const std::string& device, int n, ProgramResult* failed) {
    std::string text(3000, 'x');
    for (int i = 0; i < n; ++i) {
      ProgramResult r = county_.Cli({"--store", county_.Dir(device), "put",
                                     "members", "--village", "440101001001",
                                     absl::StrCat("name=党员", device, i),
                                     "join_date=1995-07-01", "status=正式党员",
                                     absl::StrCat("occupation=", i, text)});
      if (r.exit_code != 0) {
        *failed = r;
        return i;
      }
    }
    return n;
  }

  // Members `device` holds.
  size_t Members(const std::string& device) {
    std::string list =
        county_.Ok({"--store", county_.Dir(device), "list", "members"});
    return list.empty() ? 0 : std::count(list.begin(), list.end(), '\n') + 1;
  }

  void FillTheServerDisk(int megabytes, uint64_t leave,
                         const std::string& reserve_mb);

  testing::TempDir dir_;
  testing::CliCounty county_{VILLAGESYNCD_PATH, VILLAGESYNC_CLI_PATH,
                             dir_.path()};
};

TEST_F(DiskFaultsTest, ADamagedLogStopsTheServerUntilRecoverSaysWhoResends) {
  ASSERT_THAT(county_.SetUp(), IsOk());
  county_.Init("phone", county_.zhou());
  for (int round = 0; round < 10; ++round) {
    county_.NewMember("phone");
    county_.NewMember("phone");
    county_.Sync("phone");
  }
  county_.KillServer();  // everything is still in the log
  fs::path log = LargestFile(RecordsDir(), ".log");
  FlipByte(log, 0.5);
  EXPECT_THAT(county_.StartServer(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(log.filename().string()),
                             HasSubstr("villagesyncd recover"))));

  ProgramResult recover =
      county_.Daemon({"recover", "--data_dir", county_.DataDir()});
  ASSERT_EQ(recover.exit_code, 0) << recover.err;
  EXPECT_THAT(recover.out, ContainsRegex("lost: [1-9][0-9]* records"));
  EXPECT_THAT(recover.out, HasSubstr("(device of user zhou)"));
  EXPECT_THAT(recover.out, HasSubstr(county_.DataDir() + "/damaged-log-"));

  // The phone sends again what the server lost: every member is back.
  ASSERT_THAT(county_.StartServer(), IsOk());
  county_.Sync("phone");
  county_.Init("laptop", county_.wang());
  county_.Sync("laptop");
  EXPECT_EQ(Members("laptop"), 20u);
}

TEST_F(DiskFaultsTest, ADamagedTableFileStopsTheServerNamingIt) {
  ASSERT_THAT(county_.SetUp(), IsOk());
  county_.Init("phone", county_.zhou());
  for (int i = 0; i < 20; ++i) county_.NewMember("phone");
  county_.Sync("phone");
  county_.KillServer();
  ASSERT_THAT(county_.StartServer(), IsOk());  // the log becomes a table
  county_.KillServer();
  fs::path table = LargestFile(RecordsDir(), ".sst");
  ASSERT_FALSE(table.empty());
  FlipByte(table, 0.3);
  EXPECT_THAT(county_.StartServer(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(table.filename().string()),
                             HasSubstr("restore the data dir from a backup"))));
}

// Fills the server's disk (a tmpfs of `megabytes`) to leave `leave` bytes,
// pushes from a phone until a push is refused, then frees the disk: nothing
// acknowledged is lost, the server never stops, and writes resume.
void DiskFaultsTest::FillTheServerDisk(int megabytes, uint64_t leave,
                                       const std::string& reserve_mb) {
  SmallDisk disk(county_.DataDir(), megabytes);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root";
  ASSERT_THAT(county_.SetUp({"--min_free_disk_mb", reserve_mb}), IsOk());
  county_.Init("phone", county_.zhou());
  county_.Init("laptop", county_.wang());
  disk.Fill(leave);
  int put = 0;
  ProgramResult refused;
  for (int round = 0; round < 100 && refused.exit_code <= 0; ++round) {
    ProgramResult failed;
    put += PutBig("phone", 20, &failed);
    ASSERT_EQ(failed.exit_code, -1) << failed.err;
    ProgramResult sync = county_.Cli({"--store", county_.Dir("phone"), "sync"});
    if (sync.exit_code != 0) refused = sync;
  }
  // Refused as a full disk: the edits stay on the phone for later.
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("disk full"));
  disk.Free();
  county_.Sync("phone");
  county_.Sync("laptop");
  EXPECT_EQ(Members("laptop"), static_cast<size_t>(put));
}

TEST_F(DiskFaultsTest, AFullServerDiskRefusesPushesAndServesPulls) {
  // With the reserve, RocksDB never meets the full disk.
  FillTheServerDisk(64, 6 * kMiB, "4");
}

TEST_F(DiskFaultsTest, WithoutTheReserveRocksDbMeetsTheFullDiskAndNoneDies) {
  // A disk smaller than the 70 MiB RocksDB preallocates for its log, so
  // that the log grows into the last free bytes.
  FillTheServerDisk(48, 2 * kMiB, "0");
}

TEST_F(DiskFaultsTest, AFullDeviceDiskRefusesEditsAndStillShowsWhatIsThere) {
  ASSERT_THAT(county_.SetUp(), IsOk());
  SmallDisk disk(county_.Dir("phone"), 32);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root";
  county_.Init("phone", county_.zhou());
  ProgramResult failed;
  EXPECT_EQ(PutBig("phone", 10, &failed), 10) << failed.err;
  disk.Fill(6 * kMiB);  // below the device's 8 MiB reserve
  EXPECT_EQ(PutBig("phone", 1, &failed), 0);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.err, HasSubstr("disk full"));
  disk.Fill(0);  // not a byte left: the store opens read-only
  EXPECT_THAT(county_.Ok({"--store", county_.Dir("phone"), "status"}),
              HasSubstr("pending:    10 local edits"));
  EXPECT_EQ(Members("phone"), 10u);
  EXPECT_EQ(PutBig("phone", 1, &failed), 0);
  EXPECT_THAT(failed.err, ContainsRegex("disk (is )?full"));
  ProgramResult sync = county_.Cli({"--store", county_.Dir("phone"), "sync"});
  EXPECT_EQ(sync.exit_code, 1);
  EXPECT_THAT(sync.err, HasSubstr("disk"));
  disk.Free();
  county_.Sync("phone");
  county_.Init("laptop", county_.wang());
  county_.Sync("laptop");
  EXPECT_EQ(Members("laptop"), 10u);
}

}  // namespace
}  // namespace villagesync
