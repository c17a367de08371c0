#include "tests/testing/cli_county.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace villagesync::testing {
namespace {

constexpr char kVillage[] = "440101001001";

}  // namespace

CliCounty::CliCounty(std::string villagesyncd, std::string cli,
                     std::string root)
    : villagesyncd_(std::move(villagesyncd)),
      cli_(std::move(cli)),
      root_(std::move(root)),
      server_(villagesyncd_) {}

absl::Status CliCounty::SetUp(std::vector<std::string> server_flags) {
  server_flags_ = std::move(server_flags);
  ProgramResult boot = Daemon({"bootstrap", "--data_dir", DataDir()});
  if (boot.exit_code != 0) {
    return absl::InternalError(absl::StrCat("bootstrap: ", boot.err));
  }
  admin_token_ = std::string(absl::StripAsciiWhitespace(boot.out));
  absl::Status started = StartServer();
  if (!started.ok()) return started;
  Init("admin", admin_token_);
  zhou_ = Ok({"--store", Dir("admin"), "admin", "users", "add", "--name",
              "zhou", "--role", "first_secretary", "--scope", "440101001"});
  wang_ = Ok({"--store", Dir("admin"), "admin", "users", "add", "--name",
              "wang", "--role", "first_secretary", "--scope", "440101001"});
  return absl::OkStatus();
}

absl::Status CliCounty::StartServer() {
  absl::StatusOr<std::string> address =
      server_.Start(DataDir(), address_.empty() ? "127.0.0.1:0" : address_,
                    root_ + "/server.log", server_flags_);
  if (!address.ok()) return address.status();
  address_ = *address;
  return absl::OkStatus();
}

ProgramResult CliCounty::Cli(const std::vector<std::string>& args) const {
  return RunProgram(cli_, args, root_);
}

ProgramResult CliCounty::Daemon(const std::vector<std::string>& args) const {
  return RunProgram(villagesyncd_, args, root_);
}

std::string CliCounty::Ok(const std::vector<std::string>& args) const {
  ProgramResult r = Cli(args);
  EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r.err;
  return std::string(absl::StripSuffix(r.out, "\n"));
}

void CliCounty::Init(const std::string& device,
                     const std::string& token) const {
  Ok({"--store", Dir(device), "init", "--server", address_, "--token", token});
}

std::string CliCounty::Put(const std::string& device, const std::string& id,
                           const std::vector<std::string>& fields) const {
  std::vector<std::string> args = {"--store", Dir(device), "put",
                                   "members", "--village", kVillage};
  if (!id.empty()) {
    args.push_back("--id");
    args.push_back(id);
  }
  args.insert(args.end(), fields.begin(), fields.end());
  return Ok(args);
}

std::string CliCounty::NewMember(const std::string& device) const {
  return Put(device, "",
             {"name=李建国", "join_date=1995-07-01", "status=正式党员"});
}

std::string CliCounty::Sync(const std::string& device) const {
  return Ok({"--store", Dir(device), "sync"});
}

std::string CliCounty::GetJson(const std::string& device,
                               const std::string& id) const {
  return Ok({"--store", Dir(device), "get", "members", id, "--json"});
}

std::vector<std::string> CliCounty::Admin(std::vector<std::string> words,
                                          const std::string& device) const {
  words.insert(words.begin(), {"--store", Dir(device), "admin"});
  return words;
}

std::string CliCounty::PhoneConflict() const {
  Init("phone", zhou_);
  Init("laptop", wang_);
  std::string id = NewMember("phone");
  Sync("phone");
  Sync("laptop");
  Put("phone", id, {"phone=13800000001"});
  Put("laptop", id, {"phone=13900000002"});
  Sync("phone");
  Sync("laptop");
  return id;
}

}  // namespace villagesync::testing
