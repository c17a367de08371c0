// Restores never reuse a dot (docs/DESIGN.md, "Restores"), tried with real
// processes: a villagesyncd child and the villagesync CLI on device dirs that
// are copied and copied back as a phone backup would be. After each restore
// every edit arrives and every replica shows the same values.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
using testing::ProgramResult;
using testing::RunProgram;
using testing::ServerProcess;

constexpr char kVillage[] = "440101001001";

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgramResult boot = RunProgram(
        VILLAGESYNCD_PATH, {"bootstrap", "--data_dir", DataDir()}, dir_.path());
    ASSERT_EQ(boot.exit_code, 0) << boot.err;
    admin_token_ = std::string(absl::StripAsciiWhitespace(boot.out));
    ASSERT_NO_FATAL_FAILURE(StartServer());
    Ok({"--store", Dir("admin"), "init", "--server", address_, "--token",
        admin_token_});
    zhou_ = Ok({"--store", Dir("admin"), "admin", "users", "add", "--name",
                "zhou", "--role", "first_secretary", "--scope", "440101001"});
    wang_ = Ok({"--store", Dir("admin"), "admin", "users", "add", "--name",
                "wang", "--role", "first_secretary", "--scope", "440101001"});
  }

  std::string DataDir() const { return dir_.Sub("server"); }
  std::string Dir(const std::string& device) const { return dir_.Sub(device); }

  void StartServer() {
    auto address =
        server_.Start(DataDir(), address_.empty() ? "127.0.0.1:0" : address_,
                      dir_.Sub("server.log"));
    ASSERT_THAT(address, IsOk());
    address_ = *address;
  }

  ProgramResult Cli(const std::vector<std::string>& args) {
    return RunProgram(VILLAGESYNC_CLI_PATH, args, dir_.path());
  }

  // Runs the CLI, expects exit 0, returns stdout without its last newline.
  std::string Ok(const std::vector<std::string>& args) {
    ProgramResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r.err;
    return std::string(absl::StripSuffix(r.out, "\n"));
  }

  // A device of `token` in its own dir.
  void Init(const std::string& device, const std::string& token) {
    Ok({"--store", Dir(device), "init", "--server", address_, "--token",
        token});
  }

  // `villagesync put members` of FIELD=VALUE arguments; a new record if
  // `id` is empty. Returns the record's id.
  std::string Put(const std::string& device, const std::string& id,
                  const std::vector<std::string>& fields) {
    std::vector<std::string> args = {"--store", Dir(device), "put",
                                     "members", "--village", kVillage};
    if (!id.empty()) {
      args.push_back("--id");
      args.push_back(id);
    }
    args.insert(args.end(), fields.begin(), fields.end());
    return Ok(args);
  }

  std::string NewMember(const std::string& device) {
    return Put(device, "",
               {"name=李建国", "join_date=1995-07-01", "status=正式党员"});
  }

  std::string Sync(const std::string& device) {
    return Ok({"--store", Dir(device), "sync"});
  }

  std::string GetJson(const std::string& device, const std::string& id) {
    return Ok({"--store", Dir(device), "get", "members", id, "--json"});
  }

  // The device dir copied aside, as a phone backup would.
  void Backup(const std::string& device) {
    std::filesystem::copy(Dir(device), Dir(device + "-backup"),
                          std::filesystem::copy_options::recursive);
  }
  void RestoreBackup(const std::string& from, const std::string& to) {
    std::filesystem::remove_all(to);
    std::filesystem::rename(from, to);
  }

  testing::TempDir dir_;
  ServerProcess server_{VILLAGESYNCD_PATH};
  std::string address_;
  std::string admin_token_, zhou_, wang_;
};

TEST_F(RestoreTest, APhoneRestoredFromAnOlderCopyLosesNoEditAndConverges) {
  Init("phone", zhou_);
  Init("laptop", wang_);
  std::string id = NewMember("phone");
  ASSERT_FALSE(id.empty());
  Put("phone", id, {"occupation=教师"});
  Sync("phone");
  Backup("phone");
  Put("phone", id, {"occupation=干部"});
  Sync("phone");
  // The phone comes back from the older copy; its next edit gets the dot
  // the server holds for 干部.
  RestoreBackup(Dir("phone-backup"), Dir("phone"));
  Put("phone", id, {"occupation=农民"});
  std::string synced = Sync("phone");
  EXPECT_THAT(synced, HasSubstr("new replica id"));
  EXPECT_THAT(synced, HasSubstr("pushed 1"));
  Sync("phone");
  Sync("laptop");
  // 农民 arrived; the restored phone never saw 干部, so the two stand side
  // by side for review, the same on every replica.
  std::string on_laptop = GetJson("laptop", id);
  EXPECT_THAT(on_laptop, HasSubstr("\"conflicts\":[\"occupation\"]"));
  EXPECT_EQ(GetJson("phone", id), on_laptop);
  Sync("admin");
  EXPECT_EQ(GetJson("admin", id), on_laptop);
  std::string conflict =
      Ok({"--store", Dir("admin"), "conflicts", "show",
          absl::StrCat("members/", kVillage, "/", id, "/occupation")});
  EXPECT_THAT(conflict, HasSubstr("干部"));
  EXPECT_THAT(conflict, HasSubstr("农民"));
}

TEST_F(RestoreTest, AServerRestoredFromABackupNeverReusesADotAndConverges) {
  Init("phone", zhou_);
  Init("laptop", wang_);
  std::string id = NewMember("phone");
  Sync("phone");
  Sync("laptop");
  Put("phone", id, {"phone=13800000001"});
  Put("laptop", id, {"phone=13900000002"});
  Sync("phone");
  Sync("laptop");
  Sync("phone");
  std::string conflict_id =
      absl::StrCat("members/", kVillage, "/", id, "/phone");
  // The server is backed up (stopped, its dir copied), then resolves.
  server_.Kill();
  std::filesystem::copy(DataDir(), DataDir() + "-backup",
                        std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Ok({"--store", Dir("admin"), "conflicts", "resolve", conflict_id, "--pick",
      "1", "--reason", "核对了花名册"});
  Sync("phone");
  Sync("laptop");
  // Disaster: the server comes back from the backup and the conflict is
  // resolved again, the other way.
  server_.Kill();
  RestoreBackup(DataDir() + "-backup", DataDir());
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Ok({"--store", Dir("admin"), "conflicts", "resolve", conflict_id, "--pick",
      "2", "--reason", "再次核对"});
  // The devices hand the lost resolution back; both decisions stand on
  // every replica until an administrator settles them once more.
  std::string synced = Sync("phone");
  EXPECT_THAT(synced, HasSubstr("handed back"));
  Sync("laptop");
  Sync("phone");
  Sync("admin");
  std::string on_phone = GetJson("phone", id);
  EXPECT_THAT(on_phone, HasSubstr("\"conflicts\":[\"phone\"]"));
  EXPECT_EQ(GetJson("laptop", id), on_phone);
  EXPECT_EQ(GetJson("admin", id), on_phone);
  Ok({"--store", Dir("admin"), "conflicts", "resolve", conflict_id, "--pick",
      "1", "--reason", "定了"});
  for (const char* device : {"phone", "laptop", "admin"}) Sync(device);
  on_phone = GetJson("phone", id);
  EXPECT_THAT(on_phone, HasSubstr("\"conflicts\":[]"));
  EXPECT_EQ(GetJson("laptop", id), on_phone);
  EXPECT_EQ(GetJson("admin", id), on_phone);
}

}  // namespace
}  // namespace villagesync
