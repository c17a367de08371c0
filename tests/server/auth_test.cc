// Authentication and authorization at the server edge (SPEC §6): missing or
// revoked tokens, scopes, roles, pii withheld from field workers, and who may
// administer users.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/county.h"
#include "tests/testing/raw_stub.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::NewMember;
using testing::QuickSync;
using testing::RawStub;
using testing::Str;
using testing::TestCounty;

constexpr char kVillageA[] = "440101001001";
constexpr char kVillageB[] = "440101002001";

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.status(), IsOk()); }

  // A push of one new member in `village`, made on a scratch device.
  v1::PushRequest PushOf(const std::string& village) {
    auto change = scratch_->store().Put(NewMember(village, "m1", "李建国"));
    EXPECT_THAT(change, IsOk());
    v1::PushRequest request;
    request.set_replica_id(scratch_->store().replica_id());
    if (change.ok()) *request.add_changes() = *change;
    return request;
  }

  TestCounty county_;
  RawStub raw_{county_.address()};
  std::unique_ptr<SyncClient> scratch_ =
      SyncClient::Open(county_.DeviceDir("scratch")).value();
};

TEST_F(AuthTest, ACallWithoutATokenIsUnauthenticated) {
  v1::HelloRequest hello;
  hello.set_replica_id(1);
  v1::HelloResponse response;
  grpc::Status status =
      raw_.sync->Hello(RawStub::Context("").get(), hello, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  status =
      raw_.sync->Hello(RawStub::Context("vs_wrong").get(), hello, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest,
       AVillageATokenWritingVillageBIsPermissionDeniedAndChangesNothing) {
  std::string token =
      county_.AddUser("a-secretary", "first_secretary", kVillageA);
  v1::PushResponse response;
  grpc::Status status = raw_.sync->Push(RawStub::Context(token).get(),
                                        PushOf(kVillageB), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr(kVillageB));
  EXPECT_EQ(county_.server().store().last_seq(), 0u);
}

TEST_F(AuthTest, AFieldWorkerPullsPiiFieldsWithheld) {
  std::string secretary = county_.AddUser("sec", "first_secretary", "440101");
  std::string worker = county_.AddUser("worker", "field_worker", "440101");
  auto a = county_.Device("a", secretary);
  ASSERT_THAT(a, IsOk());
  LocalEdit member = NewMember(kVillageA, "m1", "李建国");
  member.fields.push_back({"phone", Str("13800000001")});
  member.fields.push_back({"id_no", Str("440101196803120011")});
  ASSERT_THAT((*a)->store().Put(member), IsOk());
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  auto w = county_.Device("w", worker);
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT((*w)->Sync(QuickSync()), IsOk());
  v1::RecordKey key = testing::Key(kVillageA, "members", "m1");
  EXPECT_EQ(testing::Visible((*w)->store(), key, "name"), "李建国");
  EXPECT_EQ(testing::Visible((*w)->store(), key, "phone"), "<none>");
  EXPECT_EQ(testing::Visible((*w)->store(), key, "id_no"), "<none>");
  auto s = county_.Device("s", secretary);
  ASSERT_THAT(s, IsOk());
  ASSERT_THAT((*s)->Sync(QuickSync()), IsOk());
  EXPECT_EQ(testing::Visible((*s)->store(), key, "phone"), "13800000001");
}

TEST_F(AuthTest, ARevokedTokenFailsAtOnce) {
  std::string token = county_.AddUser("leaver", "field_worker", "440101");
  auto device = county_.Device("d", token);
  ASSERT_THAT(device, IsOk());
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  auto admin = county_.Device("admin", county_.admin_token());
  ASSERT_THAT(admin, IsOk());
  ASSERT_THAT((*admin)->RevokeUser("leaver"), IsOk());
  EXPECT_THAT(
      (*device)->Sync(QuickSync()),
      testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("")));
}

TEST_F(AuthTest, ATownshipUserWritesOnlyFieldsGrantedToTownships) {
  std::string token = county_.AddUser("town", "township", "440101");
  v1::PushResponse response;
  grpc::Status status = raw_.sync->Push(RawStub::Context(token).get(),
                                        PushOf(kVillageA), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("field"));
}

TEST_F(AuthTest, OnlyAdminsAndCountiesAddUsersAndOnlyInsideTheirScope) {
  std::string county = county_.AddUser("county", "county", "440101");
  std::string worker = county_.AddUser("worker", "field_worker", "440101");
  v1::AddUserRequest add;
  add.set_name("new");
  add.set_role("field_worker");
  add.set_scope("440102");  // another county
  v1::AddUserResponse response;
  EXPECT_EQ(raw_.admin->AddUser(RawStub::Context(county).get(), add, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  add.set_scope("440101001");
  EXPECT_EQ(raw_.admin->AddUser(RawStub::Context(worker).get(), add, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  add.set_role("admin");
  EXPECT_EQ(raw_.admin->AddUser(RawStub::Context(county).get(), add, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  add.set_role("field_worker");
  ASSERT_TRUE(
      raw_.admin->AddUser(RawStub::Context(county).get(), add, &response).ok());
  EXPECT_EQ(response.token().size(), 67u);  // "vs_" + 64 hex digits
}

}  // namespace
}  // namespace villagesync
