// Tests for server/access.h: scopes, roles and field grants as pure rules.
#include "server/access.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using testing::IsOk;
using testing::StatusIs;

v1::UserInfo User(const std::string& role, const std::string& scope) {
  v1::UserInfo user;
  user.set_name("u");
  user.set_role(role);
  user.set_scope(scope);
  return user;
}

v1::Change ChangeOf(const std::string& collection, const std::string& field) {
  v1::Change change;
  *change.mutable_key() = testing::Key("440101001001", collection, "x");
  change.add_fields()->set_name(field);
  return change;
}

TEST(AccessTest, ScopesArePrefixesOfTheVillageCode) {
  EXPECT_TRUE(InScope(User("admin", ""), "440101001001"));
  EXPECT_TRUE(InScope(User("county", "440101"), "440101001001"));
  EXPECT_FALSE(InScope(User("county", "440102"), "440101001001"));
  EXPECT_THAT(CheckCanRead(User("county", "440101"), "4401"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST(AccessTest, TownshipsWriteOnlyTheApprovalFieldsGrantedToThem) {
  auto schemas = SchemaRegistry::Builtin();
  v1::UserInfo town = User("township", "440101");
  EXPECT_THAT(
      CheckCanWrite(town, ChangeOf("development", "approved_date"), *schemas),
      IsOk());
  EXPECT_THAT(CheckCanWrite(town, ChangeOf("development", "stage"), *schemas),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       ::testing::HasSubstr("stage")));
  EXPECT_THAT(CheckCanWrite(User("field_worker", "440101"),
                            ChangeOf("development", "approved_date"), *schemas),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST(AccessTest, PiiIsWithheldFromFieldWorkersAndTheChangeNoLongerCreates) {
  auto schemas = SchemaRegistry::Builtin();
  v1::Change change = ChangeOf("members", "phone");
  change.add_fields()->set_name("name");
  change.set_creates(true);
  EXPECT_FALSE(CanReadPii(User("field_worker", "")));
  EXPECT_TRUE(CanReadPii(User("first_secretary", "")));
  WithholdPii(&change, *schemas);
  ASSERT_EQ(change.fields_size(), 1);
  EXPECT_EQ(change.fields(0).name(), "name");
  EXPECT_FALSE(change.creates());
}

}  // namespace
}  // namespace villagesync
