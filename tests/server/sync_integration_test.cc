// Devices and a real villagesyncd on 127.0.0.1:0, talking gRPC: offline edits
// merge field by field, the same field edited differently becomes a conflict
// on both devices and the server, and many devices at once converge.
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/county.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using testing::ConflictFields;
using testing::Edit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::IsOk;
using testing::Key;
using testing::NewMember;
using testing::QuickSync;
using ::testing::SizeIs;
using testing::Str;
using testing::TestCounty;
using testing::Visible;

constexpr char kVillage[] = "440101001001";

class SyncIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.status(), IsOk()); }

  std::unique_ptr<SyncClient> Device(const std::string& name,
                                     const std::string& token) {
    auto device = county_.Device(name, token);
    EXPECT_THAT(device, IsOk());
    return device.ok() ? std::move(device).value() : nullptr;
  }

  TestCounty county_;
};

TEST_F(SyncIntegrationTest,
       TwoDevicesMergeDifferentFieldsAndConflictOnTheSameField) {
  std::string token = county_.AddUser("zhou", "first_secretary", "440101001");
  auto a = Device("a", token);
  auto b = Device("b", token);
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  ASSERT_THAT(a->store().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  ASSERT_THAT(b->Sync(QuickSync()), IsOk());
  // Offline on both: different fields, and the same field differently.
  ASSERT_THAT(a->store().Put(Edit(m1, {{"occupation", Str("农民")},
                                       {"phone", Str("13800000001")}})),
              IsOk());
  ASSERT_THAT(b->store().Put(Edit(m1, {{"party_group", Str("第一党小组")},
                                       {"phone", Str("13900000002")}})),
              IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  auto report = b->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_GE(report->conflicts, 1);
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  for (RecordStore* s : {&a->store(), &b->store(), &county_.server().store()}) {
    EXPECT_EQ(Visible(*s, m1, "occupation"), "农民");
    EXPECT_EQ(Visible(*s, m1, "party_group"), "第一党小组");
    EXPECT_THAT(ConflictFields(*s, m1), ElementsAre("phone"));
  }
  EXPECT_EQ(Visible(a->store(), m1, "phone"), Visible(b->store(), m1, "phone"));
  for (SyncClient* device : {a.get(), b.get()}) {
    auto status = device->Status();
    ASSERT_THAT(status, IsOk());
    EXPECT_EQ(status->pending, 0) << "a merged conflict is not a new edit";
  }
  ConflictQuery open;
  open.status = v1::CONFLICT_STATUS_OPEN;
  auto on_server = county_.server().store().ListConflicts(open);
  ASSERT_THAT(on_server, IsOk());
  ASSERT_THAT(*on_server, SizeIs(1));
  EXPECT_THAT(on_server->front().siblings(), SizeIs(2));
}

// Found by the deterministic simulation (tests/sim): edits held outside a
// user's scope were skipped for good, and a wider scope never brought the
// older records of its new villages.
TEST_F(SyncIntegrationTest, AWiderScopeSendsHeldEditsAndReadsTheNewVillages) {
  constexpr char kOtherVillage[] = "440101002001";
  auto li = Device("li", county_.AddUser("li", "first_secretary", "440101002"));
  ASSERT_THAT(li->store().Put(NewMember(kOtherVillage, "li1", "李四")), IsOk());
  ASSERT_THAT(li->Sync(QuickSync()), IsOk());

  auto zhou =
      Device("zhou", county_.AddUser("zhou", "first_secretary", "440101001"));
  ASSERT_THAT(zhou->store().Put(NewMember(kVillage, "z1", "周一")), IsOk());
  ASSERT_THAT(zhou->store().Put(NewMember(kOtherVillage, "z2", "周二")),
              IsOk());
  auto held = zhou->Sync(QuickSync());
  ASSERT_THAT(held, IsOk());
  EXPECT_EQ(held->held_outside_scope, 1);
  RecordStore& server = county_.server().store();
  EXPECT_FALSE(server.Get(Key(kOtherVillage, "members", "z2")).ok());

  // zhou's region grows to the township: a new token, the same user.
  ASSERT_THAT(county_.server().users().Revoke("zhou", "test"), IsOk());
  std::string wider = county_.AddUser("zhou", "first_secretary", "440101");
  ASSERT_THAT(zhou->Init(county_.address(), wider), IsOk());
  ASSERT_THAT(zhou->Sync(QuickSync()), IsOk());
  EXPECT_THAT(server.Get(Key(kOtherVillage, "members", "z2")), IsOk());
  EXPECT_THAT(zhou->store().Get(Key(kOtherVillage, "members", "li1")), IsOk());
}

TEST_F(SyncIntegrationTest, ASyncSessionIsLoggedOnOneLine) {
  std::string token = county_.AddUser("zhou", "first_secretary", "440101");
  auto a = Device("a", token);
  ASSERT_THAT(a->store().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  int lines = 0;
  for (const std::string& line : county_.log_lines()) {
    if (line.find("sync user=zhou") == std::string::npos) continue;
    ++lines;
    EXPECT_THAT(line, HasSubstr("in=1"));
    EXPECT_THAT(line, HasSubstr("bytes_in="));
    EXPECT_THAT(line, HasSubstr("duration_ms="));
  }
  EXPECT_EQ(lines, 1);
}

TEST_F(SyncIntegrationTest, ADeviceDoesNotDownloadItsOwnEditsBack) {
  std::string token = county_.AddUser("zhou", "first_secretary", "440101");
  auto a = Device("a", token);
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(
        a->store().Put(NewMember(kVillage, "m" + std::to_string(i), "党员")),
        IsOk());
  }
  auto report = a->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->pushed, 20);
  EXPECT_EQ(report->pulled, 0);
  auto status = a->Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->pending, 0);
  EXPECT_GT(status->last_sync_micros, 0);
}

TEST_F(SyncIntegrationTest, OnRpcCountsEveryRequestOfASync) {
  std::string token = county_.AddUser("zhou", "first_secretary", "440101");
  auto a = Device("a", token);
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(
        a->store().Put(NewMember(kVillage, "m" + std::to_string(i), "党员")),
        IsOk());
  }
  SyncOptions options = QuickSync();
  options.push_batch = 2;  // three pushes
  int rpcs = 0;
  options.on_rpc = [&rpcs] { ++rpcs; };
  ASSERT_THAT(a->Sync(options), IsOk());
  EXPECT_EQ(rpcs, 1 + 3 + 1) << "hello, three pushes, one pull";
}

TEST_F(SyncIntegrationTest, ARecordEditedAgainAfterManyOthersArrivesWhole) {
  std::string token = county_.AddUser("zhou", "first_secretary", "440101001");
  auto a = Device("a", token);
  auto b = Device("b", token);
  // m0 first, then others, then m0 again: its one log row moves past the
  // first pages of both the push and the pull.
  ASSERT_THAT(a->store().Put(NewMember(kVillage, "m0", "李建国")), IsOk());
  for (int i = 1; i <= 6; ++i) {
    ASSERT_THAT(
        a->store().Put(NewMember(kVillage, "m" + std::to_string(i), "党员")),
        IsOk());
  }
  v1::RecordKey m0 = Key(kVillage, "members", "m0");
  ASSERT_THAT(a->store().Put(Edit(m0, {{"phone", Str("13800000001")}})),
              IsOk());
  SyncOptions small = QuickSync();
  small.push_batch = 2;
  small.pull_page = 2;
  ASSERT_THAT(a->Sync(small), IsOk());
  ASSERT_THAT(b->Sync(small), IsOk());
  for (const RecordStore* store : {&county_.server().store(), &b->store()}) {
    EXPECT_EQ(Visible(*store, m0, "name"), "李建国");
    EXPECT_EQ(Visible(*store, m0, "phone"), "13800000001");
  }
}

TEST_F(SyncIntegrationTest, ABoundBrokenOnlyByConcurrentEditsLosesNoEdit) {
  std::string token = county_.AddUser("zhou", "first_secretary", "440101001");
  auto a = Device("a", token);
  auto b = Device("b", token);
  v1::RecordKey d1 = Key(kVillage, "development", "d1");
  ASSERT_THAT(a->store().Put(Edit(d1, {{"person", Str("赵")},
                                       {"stage", testing::Enum("发展对象")},
                                       {"vote_due", testing::Int(40)}})),
              IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  ASSERT_THAT(b->Sync(QuickSync()), IsOk());
  // a counts 30 present of 40 due; b, concurrently, corrects due to 25.
  ASSERT_THAT(a->store().Put(Edit(d1, {{"vote_present", testing::Int(30)}})),
              IsOk());
  ASSERT_THAT(b->store().Put(Edit(d1, {{"vote_due", testing::Int(25)}})),
              IsOk());
  ASSERT_THAT(b->Sync(QuickSync()), IsOk());
  auto report = a->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->rejected, ::testing::IsEmpty());
  ASSERT_THAT(b->Sync(QuickSync()), IsOk());
  for (const RecordStore* store :
       {&county_.server().store(), &a->store(), &b->store()}) {
    EXPECT_EQ(Visible(*store, d1, "vote_present"), "30");
    EXPECT_EQ(Visible(*store, d1, "vote_due"), "25");
  }
}

TEST_F(SyncIntegrationTest, TwoHundredConcurrentDevicesConverge) {
  constexpr int kDevices = 200;
  constexpr int kRecordsEach = 5;
  // Ten devices per user, within the server's device limit per user.
  std::vector<std::string> tokens;
  for (int u = 0; u < kDevices / 10; ++u) {
    tokens.push_back(
        county_.AddUser("team" + std::to_string(u), "field_worker", "440101"));
  }
  std::vector<std::unique_ptr<SyncClient>> devices;
  for (int d = 0; d < kDevices; ++d) {
    devices.push_back(Device("d" + std::to_string(d), tokens[d / 10]));
    ASSERT_NE(devices.back(), nullptr);
    for (int r = 0; r < kRecordsEach; ++r) {
      std::string id = "d" + std::to_string(d) + "-r" + std::to_string(r);
      ASSERT_THAT(
          devices.back()->store().Put(NewMember(kVillage, id, "党员" + id)),
          IsOk());
    }
  }
  // Twice: the second round pulls what others pushed during the first.
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    std::vector<absl::Status> results(kDevices);
    for (int d = 0; d < kDevices; ++d) {
      threads.emplace_back(
          [&, d] { results[d] = devices[d]->Sync(QuickSync()).status(); });
    }
    for (std::thread& t : threads) t.join();
    for (int d = 0; d < kDevices; ++d) ASSERT_THAT(results[d], IsOk()) << d;
  }
  for (int d = 0; d < kDevices; ++d) {
    auto records = devices[d]->store().List("members", kVillage, 100000);
    ASSERT_THAT(records, IsOk());
    ASSERT_EQ(records->size(), static_cast<size_t>(kDevices * kRecordsEach))
        << d;
  }
  EXPECT_EQ(county_.server().store().last_seq(),
            static_cast<uint64_t>(kDevices * kRecordsEach));
}

}  // namespace
}  // namespace villagesync
