// The call policy devices and peers share (proto/call_policy.h), measured
// through real servers: a server back after a restart is reached within
// about two seconds, whatever the device's backoff had grown to; a
// connection that goes silent mid-sync (no reset, nothing crosses) is
// noticed within about thirty seconds and the sync finishes on a new one;
// gRPC never retries on its own (its retries resend gzip requests broken).
#include "proto/call_policy.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "proto/sync.grpc.pb.h"
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

// Answers the first Hello UNAVAILABLE and every later one OK, keeping what
// each attempt carried.
class UnavailableOnce final : public v1::SyncService::Service {
 public:
  grpc::Status Hello(grpc::ServerContext*, const v1::HelloRequest* request,
                     v1::HelloResponse*) override {
    versions_.push_back(request->client_version());
    if (versions_.size() == 1) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "try again");
    }
    return grpc::Status::OK;
  }
  // Only read after the server has shut down.
  const std::vector<std::string>& versions() const { return versions_; }

 private:
  std::vector<std::string> versions_;
};

// gRPC 1.51 resends a gzip request garbled when it retries by itself
// (grpc/grpc#37742): a transparent retry after a dead connection sent the
// server a Push it could not parse, and the sync failed for good. A retry
// policy in the service config makes the same retry happen every time.
TEST(CallPolicyTest, GrpcNeverRetriesACallOnItsOwn) {
  UnavailableOnce service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  grpc::ChannelArguments args = CallerChannelArguments(1 << 20);
  args.SetServiceConfigJSON(R"({"methodConfig": [{
      "name": [{"service": "villagesync.v1.SyncService"}],
      "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.01s",
                      "maxBackoff": "0.01s", "backoffMultiplier": 1,
                      "retryableStatusCodes": ["UNAVAILABLE"]}}]})");
  auto stub = v1::SyncService::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                grpc::InsecureChannelCredentials(), args));
  v1::HelloRequest request;
  request.set_client_version(std::string(64 * 1024, 'v'));  // gzip shrinks it
  v1::HelloResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status status = stub->Hello(&context, request, &response);
  server->Shutdown();

  // The caller sees the failure and retries by its own policy.
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  ASSERT_EQ(service.versions().size(), 1u);
  EXPECT_EQ(service.versions()[0], request.client_version());
}

}  // namespace
}  // namespace villagesync
