// TLS (SPEC §6, §11), with certificates scripts/dev-certs makes: a device
// syncs over TLS; a plaintext client or one trusting another CA fails at once
// with a clear message; two counties replicate over mutual TLS and a peer
// without a client certificate is refused; plaintext off loopback needs
// --allow_plaintext.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/durable_file.h"
#include "tests/testing/county.h"
#include "tests/testing/processes.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::NewMember;
using testing::ProgramResult;
using testing::QuickSync;
using testing::RunProgram;
using testing::StatusIs;
using testing::TestCounty;

constexpr char kVillage[] = "440101001001";

// A CA and its server and peer certificates, in a temporary dir.
class Certs {
 public:
  Certs() {
    ProgramResult made = RunProgram(
        "/bin/bash", {VILLAGESYNC_SOURCE_DIR "/scripts/dev-certs", dir_.path()},
        dir_.path());
    status_ = made.exit_code == 0
                  ? absl::OkStatus()
                  : absl::InternalError("dev-certs failed: " + made.err);
  }
  const absl::Status& status() const { return status_; }
  std::string File(const std::string& name) const { return dir_.Sub(name); }
  std::string Pem(const std::string& name) const {
    return ReadWholeFile(File(name)).value_or("");
  }
  TlsOptions Server(bool client_ca) const {
    TlsOptions tls;
    tls.cert_file = File("server.pem");
    tls.key_file = File("server.key");
    if (client_ca) tls.client_ca_file = File("ca.pem");
    return tls;
  }

 private:
  testing::TempDir dir_;
  absl::Status status_;
};

Connection Tls(const TestCounty& county, const std::string& token,
               const std::string& ca_pem) {
  Connection connection;
  connection.server = county.address();
  connection.token = token;
  connection.ca_pem = ca_pem;
  return connection;
}

TEST(TlsTest, ADeviceSyncsOverTls) {
  Certs certs;
  ASSERT_THAT(certs.status(), IsOk());
  TestCounty county;
  ASSERT_THAT(county.status(), IsOk());
  county.SetTls(certs.Server(false));
  ASSERT_THAT(county.Restart(), IsOk());
  auto device = SyncClient::Open(county.DeviceDir("a"));
  ASSERT_THAT(device, IsOk());
  ASSERT_THAT(
      (*device)->Init(Tls(county, county.admin_token(), certs.Pem("ca.pem"))),
      IsOk());
  ASSERT_THAT((*device)->store().Put(NewMember(kVillage, "m1", "李建国")),
              IsOk());
  auto report = (*device)->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->pushed, 1);
}

TEST(TlsTest, APlaintextClientOrAnotherCaFailsAtOnceSayingWhy) {
  Certs certs, other;
  ASSERT_THAT(certs.status(), IsOk());
  ASSERT_THAT(other.status(), IsOk());
  TestCounty county;
  ASSERT_THAT(county.status(), IsOk());
  county.SetTls(certs.Server(false));
  ASSERT_THAT(county.Restart(), IsOk());
  auto plain = SyncClient::Open(county.DeviceDir("plain"));
  ASSERT_THAT(plain, IsOk());
  EXPECT_THAT((*plain)->Init(county.address(), county.admin_token()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("TLS")));
  auto wrong = SyncClient::Open(county.DeviceDir("wrong"));
  ASSERT_THAT(wrong, IsOk());
  EXPECT_THAT(
      (*wrong)->Init(Tls(county, county.admin_token(), other.Pem("ca.pem"))),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("TLS with " + county.address() + " failed")));
  // The command line says so too, with exit 3, in well under a second.
  absl::Time start = absl::Now();
  testing::TempDir scratch;
  ProgramResult cli = RunProgram(
      VILLAGESYNC_CLI_PATH,
      {"--store", county.DeviceDir("cli"), "init", "--server", county.address(),
       "--token", county.admin_token(), "--ca", other.File("ca.pem")},
      scratch.path());
  EXPECT_EQ(cli.exit_code, 3);
  EXPECT_THAT(cli.err, HasSubstr("certificate verify failed"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

v1::Peer PeerOf(const std::string& name, const TestCounty& peer,
                const std::string& token, const Certs& certs,
                bool client_cert) {
  v1::Peer p;
  p.set_name(name);
  p.set_address(peer.address());
  p.set_token(token);
  p.set_direction(v1::DIRECTION_BOTH);
  p.set_region_prefix("440101");
  p.set_strip_pii(false);
  p.set_ca_file(certs.File("ca.pem"));
  if (client_cert) {
    p.set_cert_file(certs.File("peer.pem"));
    p.set_key_file(certs.File("peer.key"));
  }
  return p;
}

TEST(TlsTest, TwoCountiesReplicateOverMutualTlsAndAPeerWithoutACertIsRefused) {
  Certs certs;
  ASSERT_THAT(certs.status(), IsOk());
  TestCounty a, b;
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  a.SetTls(certs.Server(true));
  b.SetTls(certs.Server(true));
  ASSERT_THAT(a.Restart(), IsOk());
  ASSERT_THAT(b.Restart(), IsOk());
  std::string to_a = a.AddUser("replica-b", "replica", "440101");
  std::string to_b = b.AddUser("replica-a", "replica", "440101");
  a.SetPeers({PeerOf("b", b, to_b, certs, true)});
  b.SetPeers({PeerOf("a", a, to_a, certs, true)});
  ASSERT_THAT(a.Restart(), IsOk());
  ASSERT_THAT(b.Restart(), IsOk());
  auto device = SyncClient::Open(a.DeviceDir("d"));
  ASSERT_THAT(device, IsOk());
  ASSERT_THAT((*device)->Init(Tls(a, a.admin_token(), certs.Pem("ca.pem"))),
              IsOk());
  ASSERT_THAT((*device)->store().Put(NewMember(kVillage, "m1", "李建国")),
              IsOk());
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (
      !b.server().store().Get(testing::Key(kVillage, "members", "m1")).ok() &&
      absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(b.server().store().Get(testing::Key(kVillage, "members", "m1")),
              IsOk());
  // A peer that presents no client certificate is refused, with a reason.
  a.SetPeers({PeerOf("b", b, to_b, certs, false)});
  ASSERT_THAT(a.Restart(), IsOk());
  std::string error;
  deadline = absl::Now() + absl::Seconds(30);
  while (error.empty() && absl::Now() < deadline) {
    for (const v1::PeerStatus& p : a.server().PeerStatuses()) {
      error = p.last_error();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(error, HasSubstr("client certificate"));
}

TEST(TlsTest, PlaintextOffLoopbackNeedsAllowPlaintext) {
  testing::TempDir dir;
  ProgramResult boot = RunProgram(
      VILLAGESYNCD_PATH, {"bootstrap", "--data_dir", dir.Sub("d")}, dir.path());
  ASSERT_EQ(boot.exit_code, 0);
  ProgramResult refused =
      RunProgram(VILLAGESYNCD_PATH,
                 {"--data_dir", dir.Sub("d"), "--listen", "0.0.0.0:0",
                  "--http_listen", "127.0.0.1:0"},
                 dir.path());
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("without TLS"));
  EXPECT_THAT(refused.err, HasSubstr("--allow_plaintext"));
}

}  // namespace
}  // namespace villagesync
