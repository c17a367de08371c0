// Restores never reuse a dot (docs/DESIGN.md, "Restores"), tried with real
// processes: a villagesyncd child and the villagesync CLI on device dirs that
// are copied and copied back as a phone backup would be. After each restore
// every edit arrives and every replica shows the same values.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_county.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;

constexpr char kVillage[] = "440101001001";

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.SetUp(), IsOk()); }

  // The device dir copied aside, as a phone backup would.
  void Backup(const std::string& device) {
    std::filesystem::copy(county_.Dir(device), county_.Dir(device + "-backup"),
                          std::filesystem::copy_options::recursive);
  }
  void RestoreBackup(const std::string& from, const std::string& to) {
    std::filesystem::remove_all(to);
    std::filesystem::rename(from, to);
  }

  // The server stopped, its data dir copied aside, and started again.
  void BackUpServer() {
    county_.KillServer();
    std::filesystem::copy(county_.DataDir(), county_.DataDir() + "-backup",
                          std::filesystem::copy_options::recursive);
    ASSERT_THAT(county_.StartServer(), IsOk());
  }
  // The server stopped and brought back from that copy.
  void RestoreServer() {
    county_.KillServer();
    RestoreBackup(county_.DataDir() + "-backup", county_.DataDir());
    ASSERT_THAT(county_.StartServer(), IsOk());
  }

  // A member the phone made, on the laptop too, and then a server backup.
  std::string MemberOnBothDevicesThenABackup() {
    county_.Init("phone", county_.zhou());
    county_.Init("laptop", county_.wang());
    std::string id = county_.NewMember("phone");
    county_.Sync("phone");
    county_.Sync("laptop");
    BackUpServer();
    return id;
  }

  // The phone writes 教师; the laptop, having seen it, 干部; the phone
  // sees that.
  void LaptopOverwritesThePhone(const std::string& id) {
    county_.Put("phone", id, {"occupation=教师"});
    county_.Sync("phone");
    county_.Sync("laptop");
    county_.Put("laptop", id, {"occupation=干部"});
    county_.Sync("laptop");
    county_.Sync("phone");
  }

  // After `rounds` syncs of both devices (deferrals allowed), every device
  // syncs with nothing deferred and shows `id`'s occupation as `value`,
  // with no conflict, the same everywhere.
  void ExpectSettled(const std::string& id, const std::string& value,
                     int rounds) {
    for (int round = 0; round < rounds; ++round) {
      for (const char* device : {"phone", "laptop"}) {
        county_.Cli({"--store", county_.Dir(device), "sync"});
      }
    }
    for (const char* device : {"phone", "laptop", "admin"}) {
      std::string synced = county_.Sync(device);
      EXPECT_THAT(synced, ::testing::Not(HasSubstr("deferred"))) << device;
    }
    std::string on_phone = county_.GetJson("phone", id);
    EXPECT_THAT(on_phone, HasSubstr("\"occupation\":\"" + value + "\""));
    EXPECT_THAT(on_phone, HasSubstr("\"conflicts\":[]"));
    EXPECT_EQ(county_.GetJson("laptop", id), on_phone);
    EXPECT_EQ(county_.GetJson("admin", id), on_phone);
  }

  testing::TempDir dir_;
  testing::CliCounty county_{VILLAGESYNCD_PATH, VILLAGESYNC_CLI_PATH,
                             dir_.path()};
};

TEST_F(RestoreTest, APhoneRestoredFromAnOlderCopyLosesNoEditAndConverges) {
  county_.Init("phone", county_.zhou());
  county_.Init("laptop", county_.wang());
  std::string id = county_.NewMember("phone");
  ASSERT_FALSE(id.empty());
  county_.Put("phone", id, {"occupation=教师"});
  county_.Sync("phone");
  Backup("phone");
  county_.Put("phone", id, {"occupation=干部"});
  county_.Sync("phone");
  // The phone comes back from the older copy; its next edit gets the dot
  // the server holds for 干部.
  RestoreBackup(county_.Dir("phone-backup"), county_.Dir("phone"));
  county_.Put("phone", id, {"occupation=农民"});
  std::string synced = county_.Sync("phone");
  EXPECT_THAT(synced, HasSubstr("new replica id"));
  EXPECT_THAT(synced, HasSubstr("pushed 1"));
  county_.Sync("phone");
  county_.Sync("laptop");
  // 农民 arrived; the restored phone never saw 干部, so the two stand side
  // by side for review, the same on every replica.
  std::string on_laptop = county_.GetJson("laptop", id);
  EXPECT_THAT(on_laptop, HasSubstr("\"conflicts\":[\"occupation\"]"));
  EXPECT_EQ(county_.GetJson("phone", id), on_laptop);
  county_.Sync("admin");
  EXPECT_EQ(county_.GetJson("admin", id), on_laptop);
  std::string conflict =
      county_.Ok({"--store", county_.Dir("admin"), "conflicts", "show",
                  absl::StrCat("members/", kVillage, "/", id, "/occupation")});
  EXPECT_THAT(conflict, HasSubstr("干部"));
  EXPECT_THAT(conflict, HasSubstr("农民"));
}

TEST_F(RestoreTest, AServerRestoredFromABackupNeverReusesADotAndConverges) {
  std::string id = county_.PhoneConflict();
  county_.Sync("phone");
  std::string conflict_id =
      absl::StrCat("members/", kVillage, "/", id, "/phone");
  // The server is backed up (stopped, its dir copied), then resolves.
  ASSERT_NO_FATAL_FAILURE(BackUpServer());
  county_.Ok({"--store", county_.Dir("admin"), "conflicts", "resolve",
              conflict_id, "--pick", "1", "--reason", "核对了花名册"});
  county_.Sync("phone");
  county_.Sync("laptop");
  // Disaster: the server comes back from the backup and the conflict is
  // resolved again, the other way.
  ASSERT_NO_FATAL_FAILURE(RestoreServer());
  county_.Ok({"--store", county_.Dir("admin"), "conflicts", "resolve",
              conflict_id, "--pick", "2", "--reason", "再次核对"});
  // The devices hand the lost resolution back; both decisions stand on
  // every replica until an administrator settles them once more.
  std::string synced = county_.Sync("phone");
  EXPECT_THAT(synced, HasSubstr("handed back"));
  county_.Sync("laptop");
  county_.Sync("phone");
  county_.Sync("admin");
  std::string on_phone = county_.GetJson("phone", id);
  EXPECT_THAT(on_phone, HasSubstr("\"conflicts\":[\"phone\"]"));
  EXPECT_EQ(county_.GetJson("laptop", id), on_phone);
  EXPECT_EQ(county_.GetJson("admin", id), on_phone);
  county_.Ok({"--store", county_.Dir("admin"), "conflicts", "resolve",
              conflict_id, "--pick", "1", "--reason", "定了"});
  for (const char* device : {"phone", "laptop", "admin"}) county_.Sync(device);
  on_phone = county_.GetJson("phone", id);
  EXPECT_THAT(on_phone, HasSubstr("\"conflicts\":[]"));
  EXPECT_EQ(county_.GetJson("laptop", id), on_phone);
  EXPECT_EQ(county_.GetJson("admin", id), on_phone);
}

// Found by the deterministic simulation (tests/sim): after a restore, each
// phone's next edit claims the other's lost write. Neither may wait on the
// other: both are kept at once, and the later edit wins once its claim
// holds.
TEST_F(RestoreTest, EditsClaimingEachOthersLostWritesBothArriveAndConverge) {
  std::string id = MemberOnBothDevicesThenABackup();
  // 教师 < 干部, and then the phone overwrites having seen it: 农民.
  LaptopOverwritesThePhone(id);
  county_.Put("phone", id, {"occupation=农民"});
  // The server comes back from before all three: the laptop's 干部 claims
  // 教师, the phone's 农民 claims 干部, and the server has neither.
  ASSERT_NO_FATAL_FAILURE(RestoreServer());
  ExpectSettled(id, "农民", 2);
}

// Found by the deterministic simulation (tests/sim): the laptop's edit
// claims the phone's earlier one, which the phone no longer holds (the
// laptop's superseded it) and a restored server never received. The phone
// retracts it ("mine up to here were superseded"), so the laptop's claim
// holds and its edit is no longer deferred.
TEST_F(RestoreTest, AWriteSupersededBeforeARestoreIsRetractedByItsWriter) {
  std::string id = MemberOnBothDevicesThenABackup();
  LaptopOverwritesThePhone(id);
  ASSERT_NO_FATAL_FAILURE(RestoreServer());
  ExpectSettled(id, "干部", 1);
}

}  // namespace
}  // namespace villagesync
