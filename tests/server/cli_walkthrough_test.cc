// The README's walkthrough as a new user follows it, through real processes:
// a conflict is listed while open and, once resolved, only with --status
// all or resolved; the county office gets its own user and store and reads
// a report of the month in which the walkthrough ran, with village names,
// local times and a CSV whose columns never move and whose village codes
// LibreOffice keeps as text.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_county.h"
#include "tests/testing/processes.h"
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
  std::string id = county_.PhoneConflict();
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

// An edit the server would never take is refused when it is made, not
// kept forever as "not sent".
TEST_F(CliWalkthroughTest, AnEditOutsideTheUsersScopeIsRefusedWhenMade) {
  county_.Init("phone", county_.zhou());  // scope 440101001
  testing::ProgramResult put =
      county_.Cli({"--store", county_.Dir("phone"), "put", "members",
                   "--village", "440102001001", "name=李建国",
                   "join_date=1995-07-01", "status=正式党员"});
  EXPECT_EQ(put.exit_code, 1) << put.err;
  EXPECT_THAT(put.err, HasSubstr("outside the scope \"440101001\""));
  EXPECT_THAT(county_.Ok({"--store", county_.Dir("phone"), "status"}),
              HasSubstr("pending:    0"));
}

// Hostile or mistyped arguments get short messages naming the field, and
// never protobuf's own log lines.
TEST_F(CliWalkthroughTest, LongOrNonUtf8ArgumentsGetShortMessages) {
  county_.Init("phone", county_.zhou());
  std::string huge(100 * 1024, 'a');
  const std::vector<std::vector<std::string>> commands = {
      {"get", "members", huge},
      {"put", "members", "--village", kVillage, huge + "=x"},
      {"put", "members", "--village", kVillage, "join_date=" + huge},
      {"get", "members", "\xff"},
  };
  for (std::vector<std::string> args : commands) {
    args.insert(args.begin(), {"--store", county_.Dir("phone")});
    testing::ProgramResult result = county_.Cli(args);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_LT(result.err.size(), 300u) << args[2] << ": " << result.err;
  }
  testing::ProgramResult bad =
      county_.Cli(county_.Admin({"users", "add", "--name", "\xff\xfe", "--role",
                                 "county", "--scope", "4401"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("name: text is not valid UTF-8"));
  EXPECT_THAT(bad.err, Not(HasSubstr("libprotobuf")));
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

// The cell `ref` (e.g. "A2") of the first sheet of an xlsx file, as XML.
std::string XlsxCell(const std::string& xlsx, const std::string& ref,
                     const std::string& scratch) {
  testing::ProgramResult sheet = testing::RunProgram(
      "/usr/bin/unzip", {"-p", xlsx, "xl/worksheets/sheet1.xml"}, scratch);
  size_t at = sheet.out.find(absl::StrCat("<c r=\"", ref, "\""));
  if (at == std::string::npos) return "";
  return sheet.out.substr(at, sheet.out.find("</c>", at) - at);
}

TEST_F(CliWalkthroughTest, TheCsvKeepsItsColumnsAndASpreadsheetKeepsTheCode) {
  county_.Init("phone", county_.zhou());
  county_.NewMember("phone");
  for (const char* unit :
       {"kind=党支部 name=杨家坪村党支部", "kind=党委 name=杨家坪村党委"}) {
    std::vector<std::string> put = {"--store",   county_.Dir("phone"),
                                    "put",       "org_units",
                                    "--village", kVillage};
    for (absl::string_view field : absl::StrSplit(unit, ' ')) {
      put.emplace_back(field);
    }
    county_.Ok(put);
  }
  county_.Sync("phone");
  std::string month =
      absl::FormatTime("%Y-%m", absl::Now(), absl::UTCTimeZone());
  auto csv_of = [&](const std::string& period) {
    return Admin({"report", "--region", "440101", "--period", period,
                  "--format", "csv"});
  };
  std::string now_csv = csv_of(month);
  std::string old_csv = csv_of("2024-05");
  // The same columns for a month with records and one without.
  EXPECT_EQ(now_csv.substr(0, now_csv.find("\r\n")),
            old_csv.substr(0, old_csv.find("\r\n")));
  // The highest organization names the village; times are Beijing time.
  EXPECT_THAT(now_csv, HasSubstr("\"=\"\"440101001001\"\"\",杨家坪村党委,1,"));
  EXPECT_THAT(now_csv, HasSubstr("+08:00,0,"));

  std::string file = dir_.Sub("report.csv");
  std::ofstream(file, std::ios::binary) << now_csv;
  testing::ProgramResult converted = testing::RunProgram(
      "/usr/bin/soffice",
      {absl::StrCat("-env:UserInstallation=file://", dir_.Sub("lo-profile")),
       "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx",
       "--outdir", dir_.path(), file},
      dir_.path());
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  std::string code = XlsxCell(dir_.Sub("report.xlsx"), "A2", dir_.path());
  // Text (a string, or a formula whose result is a string), never a number
  // that a spreadsheet shows as 4.40101E+11.
  EXPECT_THAT(code, HasSubstr(">440101001001</v>")) << code;
  EXPECT_THAT(code, Not(HasSubstr("t=\"n\""))) << code;
}

}  // namespace
}  // namespace villagesync
