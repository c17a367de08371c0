// Watching a county server (SPEC §11), as an operator's tools would: the
// operator HTTP endpoint's /metrics after a sync (checked by Prometheus's own
// promtool), /healthz and /readyz, the shipped alert rules and scrape
// config (promtool), gRPC health per service and server reflection listing
// both services, and the log lines for admin actions and refused tokens.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/county.h"
#include "tests/testing/processes.h"
#include "tests/testing/raw_stub.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::NewMember;
using testing::ProgramResult;
using testing::QuickSync;
using testing::RawStub;
using testing::RunProgram;
using testing::TestCounty;

constexpr char kVillage[] = "440101001001";

// Runs `promtool ARGS...`, with `input` on stdin if given.
ProgramResult Promtool(const std::string& args, const std::string& input = "") {
  testing::TempDir dir;
  std::string command = "promtool " + args;
  if (!input.empty()) {
    std::ofstream(dir.Sub("input")) << input;
    command += " < " + dir.Sub("input");
  }
  return RunProgram("/bin/sh", {"-c", command}, dir.path());
}

class OperatorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(county_.status(), IsOk()); }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", county_.server().http_port());
    return client.Get(path.c_str());
  }

  TestCounty county_;
};

TEST_F(OperatorTest, MetricsAfterASyncShowWhatWasPushedAndPassPromtool) {
  auto device = county_.Device("a", county_.admin_token());
  ASSERT_THAT(device, IsOk());
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT((*device)->store().Put(
                    NewMember(kVillage, absl::StrCat("m", i), "李建国")),
                IsOk());
  }
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  httplib::Result metrics = Get("/metrics");
  ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  EXPECT_THAT(
      text,
      HasSubstr("villagesync_changes_received_total{outcome=\"applied\"} 3"));
  EXPECT_THAT(text,
              HasSubstr("villagesync_bytes_received_total{method=\"Push\"} "));
  EXPECT_THAT(text,
              HasSubstr("villagesync_rpc_requests_total{service="
                        "\"SyncService\",method=\"Push\",code=\"OK\"} 1"));
  EXPECT_THAT(text, HasSubstr("villagesync_devices{stale=\"under_1d\"} 1"));
  EXPECT_THAT(text, HasSubstr("villagesync_wal_sync_seconds_count"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes"));
  ProgramResult check = Promtool("check metrics", text);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(OperatorTest, TheShippedAlertRulesAndScrapeConfigPassPromtool) {
  ProgramResult rules =
      Promtool("check rules " VILLAGESYNC_SOURCE_DIR "/docs/ops/alerts.yml");
  EXPECT_EQ(rules.exit_code, 0) << rules.out << rules.err;
  EXPECT_THAT(rules.out, HasSubstr("SUCCESS"));
  ProgramResult config = Promtool("check config " VILLAGESYNC_SOURCE_DIR
                                  "/docs/ops/prometheus.yml");
  EXPECT_EQ(config.exit_code, 0) << config.out << config.err;
}

TEST_F(OperatorTest, HealthAndReadinessAnswerOverHttpAndGrpc) {
  httplib::Result healthz = Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);
  httplib::Result readyz = Get("/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 200);
  // grpc.health.v1.Health/Check for each service: field 1 of the request is
  // the service name; status SERVING is 1.
  RawStub raw(county_.address());
  for (std::string service :
       {"", "villagesync.v1.SyncService", "villagesync.v1.AdminService"}) {
    std::string request;
    if (!service.empty()) {
      request = absl::StrCat(
          "\x0a", std::string(1, static_cast<char>(service.size())), service);
    }
    std::string reply;
    grpc::Status status =
        raw.CallRaw("/grpc.health.v1.Health/Check", "", request, &reply);
    ASSERT_TRUE(status.ok()) << service << ": " << status.error_message();
    EXPECT_EQ(reply, "\x08\x01") << service;
  }
}

// The service names a server lists through reflection
// (grpc.reflection.v1alpha: request field 7 list_services; response field 6
// list_services_response, whose repeated field 1 holds field 1, the name).
std::vector<std::string> ReflectedServices(const std::string& address) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
      stream(grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer,
                                                       grpc::ByteBuffer>::
                 Create(channel.get(),
                        grpc::internal::RpcMethod(
                            "/grpc.reflection.v1alpha.ServerReflection/"
                            "ServerReflectionInfo",
                            grpc::internal::RpcMethod::BIDI_STREAMING),
                        &context));
  std::string list = "\x3a\x01*";
  grpc::Slice slice(list);
  grpc::ByteBuffer request(&slice, 1), response;
  std::vector<std::string> names;
  if (!stream->Write(request) || !stream->Read(&response)) return names;
  stream->WritesDone();
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  google::protobuf::UnknownFieldSet top, listed;
  top.ParseFromString(bytes);
  for (int i = 0; i < top.field_count(); ++i) {
    if (top.field(i).number() != 6) continue;
    listed.ParseFromString(top.field(i).length_delimited());
    for (int j = 0; j < listed.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      service.ParseFromString(listed.field(j).length_delimited());
      if (service.field_count() > 0) {
        names.push_back(service.field(0).length_delimited());
      }
    }
  }
  return names;
}

TEST_F(OperatorTest, ReflectionListsBothServices) {
  EXPECT_THAT(ReflectedServices(county_.address()),
              ::testing::IsSupersetOf({"villagesync.v1.SyncService",
                                       "villagesync.v1.AdminService"}));
}

TEST_F(OperatorTest, AdminActionsAndRefusedTokensAreLogged) {
  auto admin = county_.Device("admin", county_.admin_token());
  ASSERT_THAT(admin, IsOk());
  ASSERT_THAT((*admin)->AddUser("zhou", "first_secretary", "440101001"),
              IsOk());
  RawStub raw(county_.address());
  for (int i = 0; i < 50; ++i) {
    v1::HelloRequest hello;
    hello.set_replica_id(1);
    v1::HelloResponse response;
    raw.sync->Hello(RawStub::Context("not-a-token").get(), hello, &response);
  }
  int admin_lines = 0, refused_lines = 0;
  for (const std::string& line : county_.log_lines()) {
    if (absl::StrContains(line, " INFO admin action=AddUser user=admin")) {
      ++admin_lines;
    }
    if (absl::StrContains(line, " WARN auth_refused ")) ++refused_lines;
  }
  EXPECT_EQ(admin_lines, 1);
  EXPECT_GE(refused_lines, 1);
  EXPECT_LT(refused_lines, 10) << "refusals must be rate-limited";
}

}  // namespace
}  // namespace villagesync
