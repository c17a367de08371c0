// `villagesync admin users` through real processes (issue 13): list and
// show the users inside the caller's scope (revoked ones marked, nothing
// for a user who may not manage users); set a user's role and scope with
// its token kept; rotate a token so the old one dies; every change audited,
// and no one lifts a user above themselves or out of their region.
#include <string>
#include <utility>
#include <vector>

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

class AdminUsersTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.SetUp(), IsOk()); }

  std::vector<std::string> Admin(std::vector<std::string> words,
                                 const std::string& device = "admin") {
    return county_.Admin(std::move(words), device);
  }

  std::string List(const std::string& device, bool json = false) {
    std::vector<std::string> args = {"--store", county_.Dir(device), "admin",
                                     "users", "list"};
    if (json) args.push_back("--json");
    return county_.Ok(args);
  }

  testing::TempDir dir_;
  testing::CliCounty county_{VILLAGESYNCD_PATH, VILLAGESYNC_CLI_PATH,
                             dir_.path()};
};

TEST_F(AdminUsersTest, AnAdminListsEveryUserWithRoleScopeAndState) {
  county_.Ok(
      {"--store", county_.Dir("admin"), "admin", "users", "revoke", "wang"});
  std::string listed = List("admin");
  EXPECT_THAT(listed, HasSubstr("admin  admin  everywhere  active  since "));
  EXPECT_THAT(listed,
              HasSubstr("zhou  first_secretary  440101001  active  since "));
  EXPECT_THAT(listed,
              HasSubstr("wang  first_secretary  440101001  revoked  since "));
  auto json = nlohmann::json::parse(List("admin", true));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 3u);
  for (const auto& user : json) {
    EXPECT_EQ(user["revoked"].get<bool>(), user["name"] == "wang") << user;
    EXPECT_EQ(user["revoked_at"].is_null(), user["name"] != "wang") << user;
    EXPECT_FALSE(user["created"].get<std::string>().empty()) << user;
  }
}

TEST_F(AdminUsersTest, ACountyUserSeesOnlyTheUsersOfItsScope) {
  std::string token =
      county_.Ok({"--store", county_.Dir("admin"), "admin", "users", "add",
                  "--name", "li", "--role", "county", "--scope", "440102"});
  county_.Ok({"--store", county_.Dir("admin"), "admin", "users", "add",
              "--name", "chen", "--role", "field_worker", "--scope",
              "440102003"});
  county_.Init("li", token);
  std::string listed = List("li");
  EXPECT_THAT(listed, HasSubstr("li  county  440102  active"));
  EXPECT_THAT(listed, HasSubstr("chen  field_worker  440102003  active"));
  EXPECT_THAT(listed, Not(HasSubstr("zhou")));
  EXPECT_THAT(listed, Not(HasSubstr("admin  admin")));
}

TEST_F(AdminUsersTest, AFirstSecretaryMayNotListUsers) {
  county_.Init("phone", county_.zhou());
  testing::ProgramResult listed =
      county_.Cli({"--store", county_.Dir("phone"), "admin", "users", "list"});
  EXPECT_EQ(listed.exit_code, 4) << listed.err;
  EXPECT_THAT(listed.err, HasSubstr("list users"));
  EXPECT_TRUE(listed.out.empty()) << listed.out;
}

TEST_F(AdminUsersTest, ShowPrintsOneActiveUserAndFailsForAnUnknownName) {
  EXPECT_THAT(county_.Ok(Admin({"users", "show", "zhou"})),
              HasSubstr("zhou  first_secretary  440101001  active  since "));
  auto json = nlohmann::json::parse(
      county_.Ok(Admin({"users", "show", "zhou", "--json"})));
  EXPECT_EQ(json["scope"], "440101001");
  testing::ProgramResult unknown = county_.Cli(Admin({"users", "show", "li"}));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no active user \"li\""));
}

TEST_F(AdminUsersTest,
       AUserSetToAnotherScopeKeepsItsTokenAndTheChangeIsAudited) {
  county_.Init("phone", county_.zhou());
  EXPECT_THAT(county_.Ok(Admin({"users", "set", "--name", "zhou", "--scope",
                                "440101002", "--role", "village_secretary"})),
              HasSubstr("zhou  village_secretary  440101002  active"));
  EXPECT_THAT(county_.Ok(Admin({"users", "show", "zhou"})),
              HasSubstr("zhou  village_secretary  440101002  active"));
  // The device's token still works, now with the new scope.
  county_.Sync("phone");
  EXPECT_THAT(county_.Ok(Admin({"audit"})),
              HasSubstr("admin  user.set  zhou  role=first_secretary "
                        "scope=440101001 -> role=village_secretary "
                        "scope=440101002"));
}

TEST_F(AdminUsersTest, ARotatedTokenReplacesTheOldOneAtOnce) {
  county_.Init("phone", county_.zhou());
  county_.Sync("phone");
  std::string token = county_.Ok(Admin({"users", "rotate", "zhou"}));
  EXPECT_THAT(token, ::testing::StartsWith("vs_"));
  EXPECT_NE(token, county_.zhou());
  testing::ProgramResult old =
      county_.Cli({"--store", county_.Dir("phone"), "sync"});
  EXPECT_EQ(old.exit_code, 4) << old.err;
  EXPECT_THAT(old.err, HasSubstr("unknown or revoked token"));
  county_.Init("phone2", token);
  county_.Sync("phone2");
  EXPECT_THAT(county_.Ok(Admin({"audit"})), HasSubstr("user.rotate  zhou"));
}

TEST_F(AdminUsersTest, ACountyUserCannotLiftAUserAboveItselfOrOutOfItsRegion) {
  std::string li = county_.Ok(Admin({"users", "add", "--name", "li", "--role",
                                     "county", "--scope", "440101"}));
  county_.Ok(Admin({"users", "add", "--name", "chen", "--role", "field_worker",
                    "--scope", "440101003"}));
  county_.Init("li", li);
  const std::vector<std::vector<std::string>> refused = {
      {"users", "set", "--name", "chen", "--role", "admin"},
      {"users", "set", "--name", "chen", "--role", "county"},
      {"users", "set", "--name", "chen", "--scope", "440102"},
      {"users", "set", "--name", "chen", "--scope", ""},
      {"users", "set", "--name", "li", "--scope", ""},
  };
  for (const auto& words : refused) {
    testing::ProgramResult result = county_.Cli(Admin(words, "li"));
    EXPECT_EQ(result.exit_code, 4) << words[2] << words.back() << result.err;
  }
  // Users outside its region do not exist for it (as in list).
  testing::ProgramResult admin =
      county_.Cli(Admin({"users", "rotate", "admin"}, "li"));
  EXPECT_EQ(admin.exit_code, 1) << admin.err;
  EXPECT_THAT(admin.err, HasSubstr("no active user \"admin\""));
  // What a county may do: move a user inside its region, to a role below.
  EXPECT_THAT(county_.Ok(Admin({"users", "set", "--name", "chen", "--role",
                                "first_secretary", "--scope", "440101004"},
                               "li")),
              HasSubstr("chen  first_secretary  440101004"));
  EXPECT_THAT(county_.Ok(Admin({"users", "show", "li"})),
              HasSubstr("li  county  440101  active"));
}

TEST_F(AdminUsersTest, ASetThatChangesNothingOrNamesNoOneIsRefused) {
  testing::ProgramResult nothing =
      county_.Cli(Admin({"users", "set", "--name", "zhou"}));
  EXPECT_EQ(nothing.exit_code, 2) << nothing.err;
  testing::ProgramResult same = county_.Cli(
      Admin({"users", "set", "--name", "zhou", "--scope", "440101001"}));
  EXPECT_EQ(same.exit_code, 1) << same.err;
  EXPECT_THAT(same.err, HasSubstr("already has"));
  testing::ProgramResult bad_role =
      county_.Cli(Admin({"users", "set", "--name", "zhou", "--role", "mayor"}));
  EXPECT_EQ(bad_role.exit_code, 1) << bad_role.err;
  EXPECT_THAT(bad_role.err, HasSubstr("role: must be one of"));
  testing::ProgramResult bad_scope =
      county_.Cli(Admin({"users", "set", "--name", "zhou", "--scope", "44x"}));
  EXPECT_THAT(bad_scope.err, HasSubstr("scope: must be 0-12 digits"));
  testing::ProgramResult nobody = county_.Cli(
      Admin({"users", "set", "--name", "nobody", "--role", "township"}));
  EXPECT_EQ(nobody.exit_code, 1) << nobody.err;
  EXPECT_THAT(nobody.err, HasSubstr("no active user \"nobody\""));
}

}  // namespace
}  // namespace villagesync
