// Nothing is lost when things go wrong (SPEC §4, §5): a push cut midway
// resumes from the last acknowledgement and applies each change once; a
// server killed with SIGKILL during a sync restarts and devices finish; a
// server restored from an older copy of its data dir gets back what it lost
// from the devices that still have it.

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/conflict_inbox.h"
#include "storage/durable_file.h"
#include "tests/testing/county.h"
#include "tests/testing/processes.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tcp_proxy.h"

namespace villagesync {
namespace {

using testing::IsOk;
using testing::NewMember;
using testing::QuickSync;
using testing::ServerProcess;
using testing::Str;
using testing::TcpProxy;
using testing::TestCounty;
using testing::Visible;

constexpr char kVillage[] = "440101001001";

// Creates `n` members with ~300 bytes of text each on `device`.
void AddMembers(SyncClient& device, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    LocalEdit edit = NewMember(kVillage, prefix + std::to_string(i), "党员");
    edit.fields.push_back(
        {"occupation",
         Str(prefix + std::to_string(i) +
             std::string("：在村里种植水稻和蔬菜，农闲时外出务工，"
                         "热心参与村集体事务。每月参加主题党日。"))});
    ASSERT_THAT(device.store().Put(edit), IsOk());
  }
}

size_t CountMembers(const RecordStore& store) {
  auto records = store.List("members", "", 1000000);
  return records.ok() ? records->size() : 0;
}

// The number of changes the server log line says one session received.
int ChangesIn(const std::vector<std::string>& lines) {
  int in = -1;
  for (const std::string& line : lines) {
    size_t at = line.find(" in=");
    if (line.find("sync user=") == std::string::npos ||
        at == std::string::npos) {
      continue;
    }
    std::string digits = line.substr(at + 4, line.find(' ', at + 4) - at - 4);
    if (!absl::SimpleAtoi(digits, &in)) in = -1;
  }
  return in;
}

// A county and a device that reaches it through a TCP proxy, with `n`
// members waiting in the device's outbox.
class CutLinkTest : public ::testing::Test {
 protected:
  void Start(int n) {
    ASSERT_THAT(county_.status(), IsOk());
    auto proxy = TcpProxy::Start(county_.address());
    ASSERT_THAT(proxy, IsOk());
    proxy_ = std::move(proxy).value();
    auto device = county_.Device("a", county_.admin_token(), proxy_->address());
    ASSERT_THAT(device, IsOk());
    device_ = std::move(device).value();
    AddMembers(*device_, "m", n);
  }

  // The link is cut once `bytes` have gone up.
  void CutAfter(int64_t bytes) {
    TcpProxy::Link link;
    link.cut_after_upload_bytes = bytes;
    proxy_->SetLink(link);
  }

  TestCounty county_;
  std::unique_ptr<TcpProxy> proxy_;
  std::unique_ptr<SyncClient> device_;
};

TEST_F(
    CutLinkTest,
    APushCutMidwayResumesFromTheLastAcknowledgementAndAppliesEachChangeOnce) {
  ASSERT_NO_FATAL_FAILURE(Start(1000));
  CutAfter(60000);  // a few batches in: mid-push
  SyncOptions options = QuickSync();
  options.push_batch = 100;
  auto report = device_->Sync(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_GE(proxy_->connections(), 2) << "the link was never cut";
  EXPECT_EQ(report->pushed, 1000);
  EXPECT_EQ(CountMembers(county_.server().store()), 1000u);
  // Each change made the server's log advance once: none applied twice.
  EXPECT_EQ(county_.server().store().last_seq(), 1000u);
  // Resumed, not restarted: at most the batch in flight was sent again.
  int in = ChangesIn(county_.log_lines());
  EXPECT_GE(in, 1000);
  EXPECT_LE(in, 1100);
}

TEST_F(CutLinkTest,
       ASyncThatGivesUpKeepsItsAcknowledgedProgressAndFinishesLater) {
  ASSERT_NO_FATAL_FAILURE(Start(600));
  CutAfter(8000);  // gzip makes these records small
  SyncOptions once = QuickSync();
  once.push_batch = 100;
  once.max_attempts = 1;
  EXPECT_THAT(device_->Sync(once),
              testing::StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  auto status = device_->Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_GT(status->pending, 0);
  EXPECT_LT(status->pending, 600) << "acknowledged batches must not be pending";
  EXPECT_FALSE(status->last_error.empty());
  ASSERT_THAT(device_->Sync(QuickSync()), IsOk());
  EXPECT_EQ(CountMembers(county_.server().store()), 600u);
  EXPECT_EQ(county_.server().store().last_seq(), 600u);
}

TEST(RecoveryTest, AServerKilledWithSigkillDuringASyncLosesNothing) {
  testing::TempDir dir;
  ServerProcess server(VILLAGESYNCD_PATH);
  auto child = testing::StartChildServer(server, dir, "a");
  ASSERT_THAT(child, IsOk());
  SyncClient& a = *child->device;
  AddMembers(a, "m", 3000);
  SyncOptions options = QuickSync();
  options.push_batch = 50;
  // Keeps retrying while the server restarts: about 40 s, enough for a WAL
  // replay on a loaded 2-core machine.
  options.max_attempts = 200;
  std::atomic<int> acknowledged{0};
  std::atomic<bool> done{false};
  options.progress = [&](absl::string_view stage, int n) {
    if (stage == "push") acknowledged = n;
  };
  absl::Status synced;
  std::thread sync([&] {
    synced = a.Sync(options).status();
    done = true;
  });
  while (acknowledged < 500 && !done) absl::SleepFor(absl::Milliseconds(1));
  server.Kill();
  EXPECT_FALSE(done) << "the sync ended before the kill";
  EXPECT_LT(acknowledged, 3000);
  auto again = server.Start(child->data_dir, child->address, dir.Sub("log2"));
  sync.join();
  ASSERT_THAT(again, IsOk());
  ASSERT_THAT(synced, IsOk());
  // A fresh device sees everything the first one wrote.
  auto b = SyncClient::Open(dir.Sub("b"));
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*b)->Init(child->address, child->token), IsOk());
  ASSERT_THAT((*b)->Sync(QuickSync()), IsOk());
  EXPECT_EQ(CountMembers((*b)->store()), 3000u);
  auto report = a.Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->resent_lost_changes) << "an acknowledged push was lost";
}

TEST(RecoveryTest,
     AServerRestoredFromAnOlderCopyGetsTheLostChangesBackFromDevices) {
  TestCounty county;
  ASSERT_THAT(county.status(), IsOk());
  auto a = county.Device("a", county.admin_token());
  auto b = county.Device("b", county.admin_token());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  AddMembers(**a, "early", 10);
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  county.Stop();
  std::string backup = county.data_dir() + "-backup";
  std::filesystem::copy(county.data_dir(), backup,
                        std::filesystem::copy_options::recursive);
  ASSERT_THAT(county.Restart(), IsOk());
  AddMembers(**a, "late", 10);
  AddMembers(**b, "b", 5);
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*b)->Sync(QuickSync()), IsOk());
  ASSERT_EQ(CountMembers((*b)->store()), 25u);
  // Disaster: the server comes back from the older copy.
  county.Stop();
  std::filesystem::remove_all(county.data_dir());
  std::filesystem::rename(backup, county.data_dir());
  ASSERT_THAT(county.Restart(), IsOk());
  ASSERT_EQ(CountMembers(county.server().store()), 10u);
  auto from_a = (*a)->Sync(QuickSync());
  ASSERT_THAT(from_a, IsOk());
  EXPECT_TRUE(from_a->resent_lost_changes);
  auto from_b = (*b)->Sync(QuickSync());
  ASSERT_THAT(from_b, IsOk());
  EXPECT_TRUE(from_b->resent_lost_changes);
  EXPECT_TRUE(from_b->pull_restarted);
  EXPECT_EQ(CountMembers(county.server().store()), 25u);
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  EXPECT_EQ(CountMembers((*a)->store()), 25u);
}

std::set<std::string> MemberIds(const RecordStore& store) {
  std::set<std::string> ids;
  auto records = store.List("members", "", 1000000);
  if (records.ok()) {
    for (const Record& r : *records) ids.insert(r.key.id());
  }
  return ids;
}

TEST(RecoveryTest, ABackupTakenWhileDevicesPushKeepsEveryAcknowledgedChange) {
  TestCounty county;
  ASSERT_THAT(county.status(), IsOk());
  std::string team = county.AddUser("team", "first_secretary", "440101001");
  constexpr int kDevices = 10;
  std::vector<std::unique_ptr<SyncClient>> devices;
  for (int d = 0; d < kDevices; ++d) {
    auto device = county.Device(absl::StrCat("d", d), team);
    ASSERT_THAT(device, IsOk());
    devices.push_back(std::move(device).value());
  }
  auto admin = county.Device("admin", county.admin_token());
  ASSERT_THAT(admin, IsOk());
  // Every device adds `n` members and pushes them, each on its own thread,
  // reporting into `results`.
  auto push_all = [&](const std::string& round, int n,
                      std::vector<absl::Status>* results) {
    results->assign(kDevices, absl::OkStatus());
    std::vector<std::thread> threads;
    for (int d = 0; d < kDevices; ++d) {
      threads.emplace_back([&, round, n, d, results] {
        AddMembers(*devices[d], absl::StrCat(round, d, "-"), n);
        SyncOptions options = QuickSync();
        options.push_batch = 10;
        (*results)[d] = devices[d]->Sync(options).status();
      });
    }
    return threads;
  };
  auto join = [](std::vector<std::thread>& threads) {
    for (std::thread& t : threads) t.join();
  };
  std::vector<absl::Status> first, second, third;
  std::vector<std::thread> running = push_all("a", 50, &first);
  join(running);
  // The backup is taken while every device pushes again.
  running = push_all("b", 50, &second);
  std::set<std::string> acknowledged = MemberIds(county.server().store());
  std::string destination = county.data_dir() + "-backup";
  auto backup = (*admin)->Backup(destination);
  join(running);
  ASSERT_THAT(backup, IsOk());
  EXPECT_GT(backup->bytes(), 0u);
  // And once more after it: these the copy cannot have.
  running = push_all("c", 5, &third);
  join(running);
  for (const auto* results : {&first, &second, &third}) {
    for (const absl::Status& s : *results) ASSERT_THAT(s, IsOk());
  }
  // The copy, served from its own dir, has everything acknowledged before.
  ServerOptions options;
  options.data_dir = destination;
  options.listen = "127.0.0.1:0";
  options.log = [](absl::string_view) {};
  auto restored = Server::Start(options);
  ASSERT_THAT(restored, IsOk());
  std::set<std::string> in_copy = MemberIds((*restored)->store());
  for (const std::string& id : acknowledged) {
    ASSERT_TRUE(in_copy.count(id))
        << id << " was acknowledged before the backup";
  }
  EXPECT_LT(in_copy.size(), static_cast<size_t>(kDevices * 105));
  // Devices moved to it send again what it lacks.
  for (auto& device : devices) {
    ASSERT_THAT(device->Init((*restored)->address(), team), IsOk());
    auto report = device->Sync(QuickSync());
    ASSERT_THAT(report, IsOk());
    EXPECT_TRUE(report->resent_lost_changes);
  }
  EXPECT_EQ(MemberIds((*restored)->store()).size(),
            static_cast<size_t>(kDevices * 105));
}

// The values of the open conflict on `field` of `key` in `store`, sorted
// ("<none>" if there is none).
std::string ConflictValues(const RecordStore& store, const v1::RecordKey& key,
                           const std::string& field) {
  auto conflict = store.GetConflict(key, field);
  if (!conflict.ok() || conflict->status() != v1::CONFLICT_STATUS_OPEN) {
    return "<none>";
  }
  std::vector<std::string> values;
  for (const v1::Sibling& s : conflict->siblings()) {
    values.push_back(s.value().string_value());
  }
  std::sort(values.begin(), values.end());
  return absl::StrJoin(values, "|");
}

TEST(RecoveryTest, AServerRestoredFromAnOlderCopyGetsItsLostResolutionBack) {
  TestCounty county;
  ASSERT_THAT(county.status(), IsOk());
  std::string zhou = county.AddUser("zhou", "first_secretary", "440101001");
  std::string wang = county.AddUser("wang", "first_secretary", "440101001");
  auto a = county.Device("a", zhou);
  auto b = county.Device("b", wang);
  auto admin = county.Device("admin", county.admin_token());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(admin, IsOk());
  v1::RecordKey m1 = testing::Key(kVillage, "members", "m1");
  ASSERT_THAT((*a)->store().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*b)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*a)->store().Put(testing::Edit(m1, {{"phone", Str("138")}})),
              IsOk());
  ASSERT_THAT((*b)->store().Put(testing::Edit(m1, {{"phone", Str("139")}})),
              IsOk());
  for (SyncClient* d : {a->get(), b->get(), a->get()}) {
    ASSERT_THAT(d->Sync(QuickSync()), IsOk());
  }
  ASSERT_EQ(ConflictValues(county.server().store(), m1, "phone"), "138|139");
  county.Stop();
  std::string backup = county.data_dir() + "-backup";
  std::filesystem::copy(county.data_dir(), backup,
                        std::filesystem::copy_options::recursive);
  ASSERT_THAT(county.Restart(), IsOk());
  // Resolved, and both devices get the resolution.
  auto resolve = [&](int pick) {
    v1::ResolveConflictRequest request;
    request.set_id(ConflictId(m1, "phone"));
    request.set_pick(pick);
    request.set_reason("核对");
    return (*admin)->ResolveConflict(request).status();
  };
  ASSERT_THAT(resolve(1), IsOk());
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*b)->Sync(QuickSync()), IsOk());
  std::string first = Visible(county.server().store(), m1, "phone");
  ASSERT_EQ(Visible((*b)->store(), m1, "phone"), first);
  // Disaster: the server comes back from the copy made before it resolved,
  // and the conflict is resolved again, the other way.
  county.Stop();
  std::filesystem::remove_all(county.data_dir());
  std::filesystem::rename(backup, county.data_dir());
  ASSERT_THAT(county.Restart(), IsOk());
  ASSERT_THAT(resolve(2), IsOk());
  // The devices hand the lost resolution back: both decisions stand side by
  // side on every replica, for an administrator to settle; nothing is lost.
  auto from_a = (*a)->Sync(QuickSync());
  ASSERT_THAT(from_a, IsOk());
  EXPECT_EQ(from_a->returned, 1);
  ASSERT_THAT((*b)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  for (const RecordStore* store :
       {&county.server().store(), &(*a)->store(), &(*b)->store()}) {
    EXPECT_EQ(ConflictValues(*store, m1, "phone"), "138|139");
  }
  ASSERT_THAT(resolve(1), IsOk());
  ASSERT_THAT((*a)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*b)->Sync(QuickSync()), IsOk());
  for (const RecordStore* store :
       {&county.server().store(), &(*a)->store(), &(*b)->store()}) {
    EXPECT_EQ(ConflictValues(*store, m1, "phone"), "<none>");
    EXPECT_EQ(Visible(*store, m1, "phone"),
              Visible(county.server().store(), m1, "phone"));
  }
}

}  // namespace
}  // namespace villagesync
