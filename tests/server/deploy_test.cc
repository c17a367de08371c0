// Deploying a county server, tried as an operator would with the real
// programs: clear start-up errors (a dir never bootstrapped, a dir or a port
// another server holds), --version on both programs.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/processes.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using testing::ProgramResult;
using testing::RunProgram;
using testing::ServerProcess;

class DeployTest : public ::testing::Test {
 protected:
  ProgramResult Server(std::vector<std::string> args) {
    if (args.size() > 1) {
      args.push_back("--http_listen");
      args.push_back("127.0.0.1:0");
    }
    return RunProgram(VILLAGESYNCD_PATH, args, dir_.path());
  }

  // Bootstraps `name` under the test dir; returns the admin token.
  std::string Bootstrap(const std::string& name) {
    ProgramResult boot = Server({"bootstrap", "--data_dir", dir_.Sub(name)});
    EXPECT_EQ(boot.exit_code, 0) << boot.err;
    return std::string(absl::StripAsciiWhitespace(boot.out));
  }

  testing::TempDir dir_;
};

TEST_F(DeployTest, ADirNeverBootstrappedSaysHowToBootstrapIt) {
  ProgramResult r =
      Server({"--data_dir", dir_.Sub("nothing"), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("villagesyncd bootstrap --data_dir"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("users.pb.tmp")));
}

TEST_F(DeployTest, ASecondServerOnTheSameDirNamesTheProcessHoldingIt) {
  Bootstrap("county");
  ServerProcess first(VILLAGESYNCD_PATH);
  ASSERT_THAT(first.Start(dir_.Sub("county"), "127.0.0.1:0", dir_.Sub("log")),
              IsOk());
  ProgramResult second =
      Server({"--data_dir", dir_.Sub("county"), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("held by process"));
  EXPECT_THAT(second.err, ::testing::Not(HasSubstr("LOCK")));
}

TEST_F(DeployTest, ASecondServerOnAUsedPortFailsAtStart) {
  Bootstrap("a");
  Bootstrap("b");
  ServerProcess first(VILLAGESYNCD_PATH);
  auto address = first.Start(dir_.Sub("a"), "127.0.0.1:0", dir_.Sub("log"));
  ASSERT_THAT(address, IsOk());
  ProgramResult second =
      Server({"--data_dir", dir_.Sub("b"), "--listen", *address});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.err,
              HasSubstr(absl::StrCat(*address, " is already in use")));
  EXPECT_THAT(second.err, ::testing::Not(HasSubstr("serving")));
}

TEST_F(DeployTest, AnOfflineBackupCopiesAStoppedDirAndPointsToTheOnlineOne) {
  Bootstrap("county");
  ProgramResult copied = Server(
      {"backup", "--data_dir", dir_.Sub("county"), "--to", dir_.Sub("copy")});
  EXPECT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("copy/users.pb")));
  // The copy serves.
  ServerProcess copy(VILLAGESYNCD_PATH);
  ASSERT_THAT(copy.Start(dir_.Sub("copy"), "127.0.0.1:0", dir_.Sub("log1")),
              IsOk());
  // While a server holds a dir, the offline backup says what to do.
  ServerProcess running(VILLAGESYNCD_PATH);
  ASSERT_THAT(
      running.Start(dir_.Sub("county"), "127.0.0.1:0", dir_.Sub("log2")),
      IsOk());
  ProgramResult held = Server(
      {"backup", "--data_dir", dir_.Sub("county"), "--to", dir_.Sub("copy2")});
  EXPECT_EQ(held.exit_code, 1);
  EXPECT_THAT(held.err, HasSubstr("villagesync admin backup"));
}

TEST_F(DeployTest, ADamagedUsersFileStopsTheServerNamingIt) {
  ASSERT_EQ(Server({"bootstrap", "--data_dir", dir_.Sub("county")}).exit_code,
            0);
  std::string users = dir_.Sub("county/users.pb");
  std::string bytes;
  {
    std::ifstream in(users, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 40u);
  bytes[40] = static_cast<char>(bytes[40] ^ 4);
  std::ofstream(users, std::ios::binary | std::ios::trunc) << bytes;
  ProgramResult r = Server({"--data_dir", dir_.Sub("county"), "--listen",
                            "127.0.0.1:0", "--http_listen", ""});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("users.pb: user file: checksum mismatch"));
}

TEST_F(DeployTest, TheServersHelpListsItsFlagsAndExitsZero) {
  ProgramResult help = Server({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, ::testing::StartsWith("villagesyncd: the villagesync"));
  EXPECT_THAT(help.out,
              HasSubstr("  --data_dir (default \"villagesync-data\")"));
  EXPECT_THAT(help.out, HasSubstr("  --min_free_disk_mb (default \"128\")"));
  EXPECT_THAT(help.out, HasSubstr("2 bad usage"));
  EXPECT_THAT(help.out, Not(HasSubstr(".cc")));  // no source paths
}

// Its --help promises exit 2 for bad usage, before anything is opened.
TEST_F(DeployTest, ABadFlagOrArgumentOfTheServerExitsTwoNamingIt) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--data_dirr", dir_.Sub("x")}, "unknown flag --data_dirr"},
      {{"--min_free_disk_mb=lots"}, "--min_free_disk_mb"},
      {{"--max_devices_per_user", "many"}, "--max_devices_per_user"},
      {{"--allow_plaintext=maybe"}, "--allow_plaintext"},
      {{"serve"}, "unexpected argument \"serve\""},
      {{"--time_zone", "Mars/Olympus_Mons"}, "--time_zone"},
      {{"--listen"}, "--listen needs a value"},
      {{"--listen", "notanaddr"}, "--listen"},
      {{"--listen", "127.0.0.1:99999"}, "--listen"},
      {{"bootstrap", "extra", "--data_dir", dir_.Sub("y")},
       "unexpected argument \"extra\""},
  };
  for (const Case& c : cases) {
    ProgramResult result = Server(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args[0] << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.says));
    EXPECT_THAT(result.err, HasSubstr("villagesyncd --help"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("x")));
}

TEST_F(DeployTest, BothProgramsSayTheirVersion) {
  ProgramResult server = Server({"--version"});
  EXPECT_EQ(server.exit_code, 0);
  EXPECT_THAT(server.out, ::testing::StartsWith("villagesyncd 0."));
  ProgramResult cli =
      RunProgram(VILLAGESYNC_CLI_PATH, {"--version"}, dir_.path());
  EXPECT_EQ(cli.exit_code, 0);
  EXPECT_THAT(cli.out, ::testing::StartsWith("villagesync 0."));
}

}  // namespace
}  // namespace villagesync
