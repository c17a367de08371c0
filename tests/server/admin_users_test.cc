// `villagesync admin users list` through real processes (issue 13): the
// users inside the caller's scope, as lines or JSON, revoked ones marked,
// and nothing for a user who may not manage users.
#include <string>
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

}  // namespace
}  // namespace villagesync
