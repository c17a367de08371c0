// `villagesync admin devices` through real processes (issue 13, item 6):
// the devices of a region with user, last sync, app and the pending edits
// their last Hello reported; decommissioning retires a device for good
// (no more syncs, no longer stale in reports), audited, and only inside the
// caller's region.
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/cli_county.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

class AdminDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.SetUp(), IsOk()); }

  std::vector<std::string> Admin(std::vector<std::string> words,
                                 const std::string& device = "admin") {
    return county_.Admin(std::move(words), device);
  }

  std::string ReplicaOf(const std::string& device) {
    auto status = nlohmann::json::parse(
        county_.Ok({"--store", county_.Dir(device), "status", "--json"}));
    return status["replica_id"].get<std::string>();
  }

  testing::TempDir dir_;
  testing::CliCounty county_{VILLAGESYNCD_PATH, VILLAGESYNC_CLI_PATH,
                             dir_.path()};
};

TEST_F(AdminDevicesTest, AListShowsEachDevicesUserLastSyncAppAndPendingEdits) {
  county_.Init("phone", county_.zhou());
  county_.NewMember("phone");
  county_.NewMember("phone");
  county_.Sync("phone");  // its Hello says 2 edits wait
  std::string phone = ReplicaOf("phone");
  std::string listed = county_.Ok(Admin({"devices", "list"}));
  EXPECT_THAT(listed, HasSubstr(phone + "  zhou  440101001  last sync "));
  EXPECT_THAT(listed, HasSubstr("(0 days)  pending 2  villagesync 0."));
  county_.Sync("phone");
  auto json =
      nlohmann::json::parse(county_.Ok(Admin({"devices", "list", "--json"})));
  bool found = false;
  for (const auto& device : json) {
    if (device["replica"] != phone) continue;
    found = true;
    EXPECT_EQ(device["user"], "zhou");
    EXPECT_EQ(device["pending_edits"], 0);
    EXPECT_EQ(device["days_stale"], 0);
    EXPECT_TRUE(device["decommissioned"].is_null());
    EXPECT_THAT(device["app_version"].get<std::string>(),
                ::testing::StartsWith("villagesync "));
  }
  EXPECT_TRUE(found) << json;
  // The admin's own device and the phone; no server's own replica ids.
  EXPECT_EQ(json.size(), 2u) << json;
  for (const auto& device : json) EXPECT_NE(device["user"], "") << json;
}

TEST_F(AdminDevicesTest, ADecommissionedDeviceSyncsNoMoreAndLeavesTheReport) {
  county_.Init("phone", county_.zhou());
  county_.NewMember("phone");
  county_.Sync("phone");
  std::string phone = ReplicaOf("phone");
  std::string month =
      absl::FormatTime("%Y-%m", absl::Now(), absl::UTCTimeZone());
  std::vector<std::string> report = {
      "--store", county_.Dir("admin"), "report", "--region",
      "440101",  "--period",           month};
  EXPECT_THAT(county_.Ok(report), HasSubstr("device " + phone));

  EXPECT_THAT(county_.Ok(Admin({"devices", "decommission", phone})),
              HasSubstr("decommissioned by admin at "));
  testing::ProgramResult synced =
      county_.Cli({"--store", county_.Dir("phone"), "sync"});
  EXPECT_EQ(synced.exit_code, 4) << synced.err;
  EXPECT_THAT(synced.err, HasSubstr("was decommissioned by \"admin\""));
  EXPECT_THAT(county_.Ok(Admin({"devices", "list"})),
              HasSubstr("decommissioned by admin"));
  EXPECT_THAT(county_.Ok(report), Not(HasSubstr("device " + phone)));
  EXPECT_THAT(
      county_.Ok(Admin({"audit"})),
      HasSubstr("admin  device.decommission  " + phone + "  user=zhou"));
  testing::ProgramResult again =
      county_.Cli(Admin({"devices", "decommission", phone}));
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_THAT(again.err, HasSubstr("already decommissioned"));
}

TEST_F(AdminDevicesTest, ACountyUserListsAndRetiresOnlyDevicesOfItsRegion) {
  county_.Init("phone", county_.zhou());  // scope 440101001
  county_.Sync("phone");
  std::string phone = ReplicaOf("phone");
  std::string li = county_.Ok(Admin({"users", "add", "--name", "li", "--role",
                                     "county", "--scope", "440102"}));
  county_.Init("li", li);
  EXPECT_THAT(county_.Ok(Admin({"devices", "list"}, "li")),
              Not(HasSubstr(phone)));
  // Outside its region a device does not exist for it (as in list).
  testing::ProgramResult retire =
      county_.Cli(Admin({"devices", "decommission", phone}, "li"));
  EXPECT_EQ(retire.exit_code, 1) << retire.err;
  EXPECT_THAT(retire.err, HasSubstr("no device " + phone));
  // Inside it, only devices of users it may manage: not another county's.
  county_.Init("wu", county_.Ok(Admin({"users", "add", "--name", "wu", "--role",
                                       "county", "--scope", "440102001"})));
  std::string wu = ReplicaOf("wu");
  testing::ProgramResult county =
      county_.Cli(Admin({"devices", "decommission", wu}, "li"));
  EXPECT_EQ(county.exit_code, 4) << county.err;
  EXPECT_THAT(county.err, HasSubstr("manage users with the role county"));
  testing::ProgramResult wider =
      county_.Cli(Admin({"devices", "list", "--region", "4401"}, "li"));
  EXPECT_EQ(wider.exit_code, 4) << wider.err;
  county_.Sync("phone");  // still in service

  county_.Init("zhou-phone", county_.zhou());
  testing::ProgramResult refused =
      county_.Cli(Admin({"devices", "list"}, "zhou-phone"));
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
}

TEST_F(AdminDevicesTest, AnIdThatIsNotSixteenHexDigitsOrUnknownIsRefused) {
  for (const char* id : {"12", "zzzzzzzzzzzzzzzz", "0123456789abcdef0"}) {
    testing::ProgramResult bad =
        county_.Cli(Admin({"devices", "decommission", id}));
    EXPECT_EQ(bad.exit_code, 2) << id << bad.err;
  }
  testing::ProgramResult unknown =
      county_.Cli(Admin({"devices", "decommission", "00000000000000ff"}));
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("no device 00000000000000ff"));
  testing::ProgramResult region =
      county_.Cli(Admin({"devices", "list", "--region", "44x"}));
  EXPECT_EQ(region.exit_code, 2) << region.err;
}

}  // namespace
}  // namespace villagesync
