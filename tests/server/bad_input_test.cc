// Bad input at the server edge (SPEC §5): malformed values, unknown
// collections and fields, bad village codes, oversize batches and messages,
// malformed checkpoints and prefixes. Each gets the right code and a message
// naming the field or limit, and the server's store stays unchanged.
#include <random>
#include <string>

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
using testing::RawStub;
using testing::TestCounty;

constexpr char kVillage[] = "440101001001";

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(county_.status(), IsOk());
    // The scratch device's id is registered to the admin, who pushes.
    v1::HelloRequest hello;
    hello.set_replica_id(scratch_->store().replica_id());
    v1::HelloResponse response;
    ASSERT_TRUE(raw_.sync
                    ->Hello(RawStub::Context(county_.admin_token()).get(),
                            hello, &response)
                    .ok());
  }

  v1::Change GoodChange(const std::string& id) {
    auto change = scratch_->store().Put(NewMember(kVillage, id, "李建国"));
    EXPECT_THAT(change, IsOk());
    return change.ok() ? *change : v1::Change();
  }

  // Pushes `changes` as admin; expects the call to succeed with one result
  // rejected with INVALID_ARGUMENT naming `field`, and nothing stored.
  void ExpectRejected(const v1::Change& change, const std::string& field) {
    v1::PushRequest request;
    request.set_replica_id(scratch_->store().replica_id());
    *request.add_changes() = change;
    v1::PushResponse response;
    grpc::Status status = raw_.sync->Push(
        RawStub::Context(county_.admin_token()).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.results_size(), 1);
    EXPECT_EQ(response.results(0).outcome(), v1::APPLY_OUTCOME_REJECTED);
    EXPECT_EQ(response.results(0).code(),
              static_cast<int>(grpc::INVALID_ARGUMENT));
    EXPECT_THAT(response.results(0).reason(), HasSubstr(field));
    EXPECT_EQ(county_.server().store().last_seq(), 0u);
  }

  grpc::Status Push(const v1::PushRequest& request) {
    v1::PushResponse response;
    return raw_.sync->Push(RawStub::Context(county_.admin_token()).get(),
                           request, &response);
  }

  TestCounty county_;
  RawStub raw_{county_.address()};
  std::unique_ptr<SyncClient> scratch_ =
      SyncClient::Open(county_.DeviceDir("scratch")).value();
};

TEST_F(BadInputTest, AValueOfTheWrongTypeIsRejectedNamingTheField) {
  v1::Change change = GoodChange("m1");
  for (v1::FieldState& f : *change.mutable_fields()) {
    if (f.name() == "join_date") {
      f.mutable_siblings(0)->mutable_value()->set_string_value("1995-07-01");
    }
  }
  ExpectRejected(change, "join_date");
}

TEST_F(BadInputTest, AnUnknownCollectionIsRejected) {
  v1::Change change = GoodChange("m1");
  change.mutable_key()->set_collection("photos");
  ExpectRejected(change, "collection");
}

TEST_F(BadInputTest, AnUnknownFieldIsRejected) {
  v1::Change change = GoodChange("m1");
  change.mutable_fields(0)->set_name("selfie");
  ExpectRejected(change, "selfie");
}

TEST_F(BadInputTest, ABadVillageCodeIsRejected) {
  v1::Change change = GoodChange("m1");
  change.mutable_key()->set_village("4401");
  ExpectRejected(change, "village");
}

TEST_F(BadInputTest, TooManyChangesInOnePushFailNamingTheLimit) {
  v1::PushRequest request;
  request.set_replica_id(scratch_->store().replica_id());
  v1::Change change = GoodChange("m1");
  for (int i = 0; i < 1001; ++i) *request.add_changes() = change;
  grpc::Status status = Push(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("1000"));
  EXPECT_EQ(county_.server().store().last_seq(), 0u);
}

TEST_F(BadInputTest, AnOversizeRequestIsResourceExhausted) {
  v1::PushRequest request;
  request.set_replica_id(scratch_->store().replica_id());
  v1::Change change = GoodChange("m1");
  change.mutable_fields(0)
      ->mutable_siblings(0)
      ->mutable_value()
      ->set_string_value(std::string(17 << 20, 'x'));
  *request.add_changes() = change;
  grpc::Status status = Push(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(county_.server().store().last_seq(), 0u);
}

TEST_F(BadInputTest, AMalformedCheckpointOrPrefixIsInvalidArgument) {
  v1::PullRequest pull;
  pull.set_checkpoint("not a checkpoint");
  v1::PullResponse response;
  grpc::Status status = raw_.sync->Pull(
      RawStub::Context(county_.admin_token()).get(), pull, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("checkpoint"));
  pull.clear_checkpoint();
  pull.set_village_prefix("44ab");
  status = raw_.sync->Pull(RawStub::Context(county_.admin_token()).get(), pull,
                           &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("village_prefix"));
}

TEST_F(BadInputTest, AHelloWithoutAReplicaIdIsInvalidArgument) {
  v1::HelloRequest hello;
  v1::HelloResponse response;
  grpc::Status status = raw_.sync->Hello(
      RawStub::Context(county_.admin_token()).get(), hello, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("replica_id"));
}

TEST_F(BadInputTest, TextThatIsNotUtf8InAKeyIsInvalidArgumentNamingTheField) {
  v1::PushRequest request;
  request.set_replica_id(scratch_->store().replica_id());
  *request.add_changes() = GoodChange("m1");
  *request.add_changes() = GoodChange("m2");
  request.mutable_changes(1)->mutable_key()->set_village("ZZZZZZZZZZZZ");
  std::string bytes = request.SerializeAsString();
  bytes.replace(bytes.find("ZZZZZZZZZZZZ"), 12,
                "4401\xff\xfe"
                "010010");
  grpc::Status status = raw_.CallRaw("/villagesync.v1.SyncService/Push",
                                     county_.admin_token(), bytes);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("changes[1].key.village"));
  EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
  EXPECT_EQ(county_.server().store().last_seq(), 0u);
}

TEST_F(BadInputTest, RandomBytesAsARequestAreNeverAnInternalError) {
  uint32_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  const char* methods[] = {"/villagesync.v1.SyncService/Hello",
                           "/villagesync.v1.SyncService/Push",
                           "/villagesync.v1.SyncService/Pull",
                           "/villagesync.v1.AdminService/ListConflicts",
                           "/villagesync.v1.AdminService/AddUser"};
  for (int i = 0; i < 300; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    grpc::Status status =
        raw_.CallRaw(methods[i % 5], county_.admin_token(), bytes);
    ASSERT_NE(status.error_code(), grpc::StatusCode::INTERNAL)
        << methods[i % 5] << ": " << status.error_message();
    ASSERT_NE(status.error_code(), grpc::StatusCode::UNKNOWN);
    if (!status.ok()) {
      ASSERT_FALSE(status.error_message().empty());
    }
  }
  EXPECT_EQ(county_.server().store().last_seq(), 0u);
}

TEST_F(BadInputTest, AnUnauthenticatedCallIsRefusedBeforeItsBodyIsRead) {
  grpc::Status status = raw_.CallRaw("/villagesync.v1.SyncService/Push",
                                     "not-a-token", "\xff\xff\xff");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(BadInputTest, AHugeIdOrPrefixIsNotEchoedBackInFull) {
  v1::Change change = GoodChange("m1");
  change.mutable_key()->set_id(std::string(100 * 1024, 'x'));
  v1::PushRequest request;
  request.set_replica_id(scratch_->store().replica_id());
  *request.add_changes() = change;
  v1::PushResponse response;
  ASSERT_TRUE(raw_.sync
                  ->Push(RawStub::Context(county_.admin_token()).get(), request,
                         &response)
                  .ok());
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_THAT(response.results(0).reason(), HasSubstr("id: "));
  EXPECT_LT(response.results(0).reason().size(), 200u);

  v1::PullRequest pull;
  pull.set_village_prefix(std::string(100 * 1024, '9'));
  v1::PullResponse pulled;
  grpc::Status status = raw_.sync->Pull(
      RawStub::Context(county_.admin_token()).get(), pull, &pulled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(status.error_message().size(), 200u);
}

TEST_F(BadInputTest, AddingAUserWithAnUnknownRoleNamesTheField) {
  v1::AddUserRequest add;
  add.set_name("x");
  add.set_role("boss");
  add.set_scope("4401");
  v1::AddUserResponse response;
  grpc::Status status = raw_.admin->AddUser(
      RawStub::Context(county_.admin_token()).get(), add, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("role"));
}

TEST_F(BadInputTest, ListingConflictsOfAnUnknownCollectionNamesTheField) {
  v1::ListConflictsRequest request;
  request.set_collection(std::string(100 * 1024, 'q'));
  v1::ListConflictsResponse response;
  grpc::Status status = raw_.admin->ListConflicts(
      RawStub::Context(county_.admin_token()).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("collection: unknown"));
  EXPECT_LT(status.error_message().size(), 200u);
}

TEST_F(BadInputTest, SettingAUserToNothingOrToABadValueNamesTheField) {
  auto set = [&](const v1::SetUserRequest& request) {
    v1::SetUserResponse response;
    return raw_.admin->SetUser(RawStub::Context(county_.admin_token()).get(),
                               request, &response);
  };
  v1::SetUserRequest nothing;
  nothing.set_name("admin");
  grpc::Status status = set(nothing);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("role: "));

  v1::SetUserRequest bad_scope;
  bad_scope.set_name("admin");
  bad_scope.set_scope(std::string(100 * 1024, '4') + "x");
  status = set(bad_scope);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("scope: "));
  EXPECT_LT(status.error_message().size(), 200u);

  v1::SetUserRequest nobody;
  nobody.set_name(std::string(100 * 1024, 'n'));
  nobody.set_role("county");
  status = set(nobody);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(status.error_message().size(), 200u);
}

TEST_F(BadInputTest, DeviceCallsNameTheFieldAndKeepAnAppVersionBounded) {
  v1::HelloRequest hello;
  hello.set_replica_id(scratch_->store().replica_id());
  hello.set_client_version(std::string(100 * 1024, 'v'));
  hello.set_pending_edits(7);
  v1::HelloResponse said;
  ASSERT_TRUE(
      raw_.sync
          ->Hello(RawStub::Context(county_.admin_token()).get(), hello, &said)
          .ok());
  v1::ListDevicesRequest list;
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(raw_.admin
                  ->ListDevices(RawStub::Context(county_.admin_token()).get(),
                                list, &devices)
                  .ok());
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_LT(devices.devices(0).app_version().size(), 80u);
  EXPECT_EQ(devices.devices(0).pending_edits(), 7u);

  list.set_region_prefix("44x");
  grpc::Status status = raw_.admin->ListDevices(
      RawStub::Context(county_.admin_token()).get(), list, &devices);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("region_prefix"));

  v1::DecommissionDeviceRequest retire;  // replica_id 0: no device
  v1::DecommissionDeviceResponse retired;
  status = raw_.admin->DecommissionDevice(
      RawStub::Context(county_.admin_token()).get(), retire, &retired);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("replica_id"));
}

}  // namespace
}  // namespace villagesync
