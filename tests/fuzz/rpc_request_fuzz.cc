// Fuzzes the whole RPC edge of a real in-process server (parse, auth,
// validation, the device trust boundary, the write planner, the store):
// any bytes as the body of any method, from a device user or the admin.
// Checks that no answer is INTERNAL or UNKNOWN (bad input is the caller's
// error, named) and that every message stays bounded.
//
// Input: byte 0 picks the method, byte 1 the caller (bit 0: admin) and, for
// Push, whether the body is made a push the device could send (bit 1: the
// replica id is one of four registered devices and the lineage follows the
// server's record, so validation and the write planner are reached); the
// rest is the body. The server keeps its state across inputs.
// VILLAGESYNC_FUZZ_VERBOSE=1 prints each call's method and answer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/grpc_status.h"
#include "proto/sync.pb.h"
#include "storage/device_writes.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/rpc_methods.h"
#include "tests/testing/county.h"
#include "tests/testing/raw_stub.h"

namespace villagesync::fuzz {
namespace {

struct Fixture {
  Fixture() {
    Check(county.status().ok(), county.status().ToString());
    user = county.AddUser("zhou", "first_secretary", "440101001");
  }

  testing::TestCounty county{testing::TempDir::kInMemory};
  testing::RawStub stub{county.address()};
  std::string user;
  std::vector<std::string> methods = RpcMethods();
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

// `body` as a push the device could send: a registered replica id, and the
// lineage the server holds for it (from Hello) followed by these changes.
std::string AsDevicePush(const std::string& body) {
  v1::PushRequest push;
  if (!push.ParseFromString(body)) return body;
  push.set_replica_id(kDeviceBase + (push.replica_id() & 3));
  v1::HelloRequest hello;
  hello.set_replica_id(push.replica_id());
  hello.set_client_version("fuzz/1");
  std::string reply;
  Fixture& f = TheFixture();
  grpc::Status said = f.stub.CallRaw("/villagesync.v1.SyncService/Hello",
                                     f.user, hello.SerializeAsString(), &reply);
  v1::HelloResponse who;
  if (said.ok() && who.ParseFromString(reply)) {
    push.set_lineage(who.lineage());
    push.set_next_lineage(NextLineage(who.lineage(), push.changes()));
  }
  return push.SerializeAsString();
}

}  // namespace
}  // namespace villagesync::fuzz

// The server runs until the process exits (libFuzzer never returns): its
// gRPC threads and their buffers are still held then, which is no leak.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libgrpc\nleak:libgpr\n";
}

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  villagesync::fuzz::QuietProtobuf();
  villagesync::fuzz::TheFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace villagesync::fuzz;
  if (size < 2) return 0;
  Fixture& f = TheFixture();
  const std::string& method = f.methods[data[0] % f.methods.size()];
  bool admin = data[1] & 1;
  std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  if ((data[1] & 2) && absl::EndsWith(method, "/Push")) {
    body = AsDevicePush(body);
  }
  grpc::Status status =
      f.stub.CallRaw(method, admin ? f.county.admin_token() : f.user, body);
  if (std::getenv("VILLAGESYNC_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "%s: %d %s\n", method.c_str(), status.error_code(),
                 status.error_message().c_str());
  }
  Check(status.error_code() != grpc::StatusCode::INTERNAL &&
            status.error_code() != grpc::StatusCode::UNKNOWN,
        absl::StrCat(method, " answered ", status.error_code(), ": ",
                     status.error_message()));
  Check(status.error_message().size() <= villagesync::kMaxStatusMessageBytes,
        absl::StrCat(method, " answered a message of ",
                     status.error_message().size(), " bytes"));
  return 0;
}
