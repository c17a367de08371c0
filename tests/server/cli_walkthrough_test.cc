// The README's walkthrough as a new user follows it, through real processes:
// a conflict is listed while open and, once resolved, only with --status
// all or resolved; the county office gets its own user and store and reads
// a report of the month in which the walkthrough ran.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_county.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

constexpr char kVillage[] = "440101001001";

class CliWalkthroughTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.SetUp(), IsOk()); }

  std::string Admin(std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", county_.Dir("admin")});
    return county_.Ok(args);
  }

  testing::TempDir dir_;
  testing::CliCounty county_{VILLAGESYNCD_PATH, VILLAGESYNC_CLI_PATH,
                             dir_.path()};
};

TEST_F(CliWalkthroughTest, ConflictsListShowsOpenOnesUnlessAskedForAll) {
  county_.Init("phone", county_.zhou());
  county_.Init("laptop", county_.wang());
  std::string id = county_.NewMember("phone");
  county_.Sync("phone");
  county_.Sync("laptop");
  county_.Put("phone", id, {"phone=13800000001"});
  county_.Put("laptop", id, {"phone=13900000002"});
  county_.Sync("phone");
  county_.Sync("laptop");
  std::string conflict = absl::StrCat("members/", kVillage, "/", id, "/phone");
  EXPECT_THAT(Admin({"conflicts", "list"}), HasSubstr(conflict + "  open"));

  Admin({"conflicts", "resolve", conflict, "--pick", "1", "--reason", "核对"});
  EXPECT_THAT(Admin({"conflicts", "list"}), Not(HasSubstr(conflict)));
  EXPECT_THAT(Admin({"conflicts", "list", "--status", "all"}),
              HasSubstr(conflict + "  resolved"));
  EXPECT_THAT(Admin({"conflicts", "list", "--status", "resolved"}),
              HasSubstr(conflict));
  testing::ProgramResult unknown =
      county_.Cli({"--store", county_.Dir("admin"), "conflicts", "list",
                   "--collection", "nosuch"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("collection: unknown collection"));
}

TEST_F(CliWalkthroughTest, TheCountyOfficeReadsThisMonthsReport) {
  county_.Init("phone", county_.zhou());
  county_.NewMember("phone");
  county_.Sync("phone");
  std::string office =
      Admin({"admin", "users", "add", "--name", "county-office", "--role",
             "county", "--scope", "440101"});
  county_.Init("office", office);
  std::string month =
      absl::FormatTime("%Y-%m", absl::Now(), absl::UTCTimeZone());
  std::string report = county_.Ok({"--store", county_.Dir("office"), "report",
                                   "--region", "440101", "--period", month});
  EXPECT_THAT(report, HasSubstr("1 village,"));
  EXPECT_THAT(report, HasSubstr("village 440101001001"));
  EXPECT_THAT(report, Not(HasSubstr("1 villages")));
}

}  // namespace
}  // namespace villagesync
