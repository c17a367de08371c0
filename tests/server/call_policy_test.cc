// The call policy devices and peers share (proto/call_policy.h), measured
// through real servers: a server back after a restart is reached within
// about two seconds, whatever the device's backoff had grown to; a
// connection that goes silent mid-sync (no reset, nothing crosses) is
// noticed within about thirty seconds and the sync finishes on a new one.
#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/county.h"
#include "tests/testing/processes.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using testing::IsOk;
using testing::NewMember;
using testing::ServerProcess;
using testing::TcpProxy;
using testing::TestCounty;

constexpr char kVillage[] = "440101001001";

void AddMembers(SyncClient& device, int n) {
  for (int i = 0; i < n; ++i) {
    LocalEdit edit = NewMember(kVillage, "m" + std::to_string(i), "党员");
    edit.fields.push_back({"occupation", testing::Str(std::string(400, 'x'))});
    ASSERT_THAT(device.store().Put(edit), IsOk());
  }
}

TEST(CallPolicyTest, AServerBackAfterARestartIsReachedWithinTwoSeconds) {
  testing::TempDir dir;
  ServerProcess server(VILLAGESYNCD_PATH);
  auto child = testing::StartChildServer(server, dir, "phone");
  ASSERT_THAT(child, IsOk());
  AddMembers(*child->device, 10);
  server.Kill();

  // The device's own policy (no test shortcuts): by the time the server is
  // back, its backoff between attempts has grown past 6 s.
  SyncOptions options;
  std::atomic<bool> done{false};
  absl::Time synced_at;
  absl::Status synced;
  std::thread sync([&] {
    synced = child->device->Sync(options).status();
    synced_at = absl::Now();
    done = true;
  });
  absl::SleepFor(absl::Seconds(10));
  ASSERT_FALSE(done) << synced;
  ASSERT_THAT(server.Start(child->data_dir, child->address, dir.Sub("log2")),
              IsOk());
  absl::Time back_at = absl::Now();
  sync.join();
  ASSERT_THAT(synced, IsOk());
  EXPECT_LT(synced_at - back_at, absl::Seconds(2.5))
      << "the sync finished " << (synced_at - back_at)
      << " after the server was back";
}

TEST(CallPolicyTest, ASilentConnectionIsReplacedWithinThirtySeconds) {
  TestCounty county;
  ASSERT_THAT(county.status(), IsOk());
  auto proxy = TcpProxy::Start(county.address());
  ASSERT_THAT(proxy, IsOk());
  auto device =
      county.Device("phone", county.admin_token(), (*proxy)->address());
  ASSERT_THAT(device, IsOk());
  AddMembers(**device, 600);
  // A slow link, so that the sync is still pushing when the link dies.
  TcpProxy::Link slow;
  slow.bytes_per_second = 20'000;
  (*proxy)->SetLink(slow);

  SyncOptions options;
  options.push_batch = 50;
  std::atomic<int> acknowledged{0};
  options.progress = [&](absl::string_view stage, int n) {
    if (stage == "push") acknowledged = n;
  };
  absl::Status synced;
  absl::Time synced_at;
  std::atomic<bool> done{false};
  std::thread sync([&] {
    synced = (*device)->Sync(options).status();
    synced_at = absl::Now();
    done = true;
  });
  while (acknowledged == 0 && !done) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_FALSE(done);
  // The open connection dies without a word; a new one would work.
  (*proxy)->SilenceOpen();
  absl::Time silenced_at = absl::Now();
  (*proxy)->SetLink(TcpProxy::Link{});
  sync.join();
  ASSERT_THAT(synced, IsOk());
  EXPECT_GE((*proxy)->connections(), 2);
  EXPECT_LT(synced_at - silenced_at, absl::Seconds(40))
      << "the sync finished " << (synced_at - silenced_at)
      << " after the link went silent";
}

}  // namespace
}  // namespace villagesync
