// TestCounty: a real villagesyncd Server on 127.0.0.1:0 over a fresh data
// dir, with helpers to create users and devices (SyncClient in their own
// dirs) for integration tests.
#ifndef VILLAGESYNC_TESTS_TESTING_COUNTY_H_
#define VILLAGESYNC_TESTS_TESTING_COUNTY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/sync_client.h"
#include "server/server.h"
#include "tests/testing/processes.h"
#include "tests/testing/temp_dir.h"

namespace villagesync::testing {

// Not thread-safe, except log_lines().
class TestCounty {
 public:
  // Bootstraps a data dir and starts a server on it. `medium` chooses disk
  // or memory for every directory of the county.
  explicit TestCounty(TempDir::Medium medium = TempDir::kDisk);
  ~TestCounty();

  // OK once the constructor's server runs (assert it in tests).
  const absl::Status& status() const { return status_; }
  Server& server() { return *server_; }
  const std::string& admin_token() const { return admin_token_; }
  std::string data_dir() const { return dir_.Sub("server"); }
  std::string address() const { return address_; }

  // Stops the server (the data dir stays) / starts it again on the same port.
  void Stop();
  absl::Status Restart();
  // Replicates with `peers` from the next Restart on (quick rounds).
  void SetPeers(std::vector<v1::Peer> peers);
  // Serves with TLS from the next Restart on.
  void SetTls(TlsOptions tls) { tls_ = std::move(tls); }

  // Creates a user directly in the user store; returns its token.
  std::string AddUser(const std::string& name, const std::string& role,
                      const std::string& scope);

  // Opens device `name` (its own dir) and points it at `server_address`
  // ("" = this county's address) with `token`.
  absl::StatusOr<std::unique_ptr<SyncClient>> Device(
      const std::string& name, const std::string& token,
      const std::string& server_address = "");
  std::string DeviceDir(const std::string& name) const {
    return dir_.Sub("device-" + name);
  }

  // Every log line the server wrote.
  std::vector<std::string> log_lines() const;

 private:
  TempDir dir_;
  absl::Status status_;
  std::string admin_token_;
  std::string address_;
  std::unique_ptr<Server> server_;
  v1::ReplicationConfig replication_;
  TlsOptions tls_;
  mutable absl::Mutex mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
};

// Fast sync options for tests on loopback: short backoff, short deadline.
SyncOptions QuickSync();

// A bootstrapped villagesyncd child process (see processes.h) and one device
// initialized with its admin token: the start of tests that kill and
// restart a real server.
struct ChildServer {
  std::string data_dir;  // `dir`/server
  std::string token;     // the admin's
  std::string address;   // where it listens
  std::unique_ptr<SyncClient> device;
};

// Bootstraps `dir`/server, starts `process` on it (its log in `dir`/log1)
// and opens the device store `dir`/`device`.
absl::StatusOr<ChildServer> StartChildServer(ServerProcess& process,
                                             const TempDir& dir,
                                             const std::string& device);

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_COUNTY_H_
