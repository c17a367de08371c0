// Server is a running villagesyncd: the record store and user store of a
// data dir, served over gRPC (SyncService, AdminService, health) with gzip
// on by default. main() and the integration tests both start it.
#ifndef VILLAGESYNC_SERVER_SERVER_H_
#define VILLAGESYNC_SERVER_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/replication.pb.h"
#include "server/device_registry.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "server/operator_http.h"
#include "server/session_log.h"
#include "server/tls.h"
#include "storage/record_store.h"
#include "storage/user_store.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace villagesync {

class AdminServiceImpl;
class PeerWorker;
class SyncServiceImpl;

// The default reserve of free disk space below which pushes are refused.
inline constexpr uint64_t kDefaultMinFreeDiskBytes = uint64_t{128} << 20;

struct ServerOptions {
  // Holds records/ (the record store) and users.pb.
  std::string data_dir;
  // host:port to listen on; port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:7443";
  // TLS (see server/tls.h). Off loopback the server refuses to start
  // without it unless `allow_plaintext`.
  TlsOptions tls;
  bool allow_plaintext = false;
  // Receives log lines (see server/logger.h); null means standard error.
  Logger::Sink log;
  LogFormat log_format = LogFormat::kText;
  // host:port of the operator HTTP endpoint (/metrics, /healthz, /readyz;
  // TLS when `tls` is); "" for none. Port 0 picks a free port.
  std::string http_listen;
  // Peers to replicate with (see proto/replication.proto), and the pause
  // between rounds once a peer is caught up.
  v1::ReplicationConfig replication;
  absl::Duration replication_idle = absl::Seconds(1);
  // Most replica ids (devices) one user may register (SPEC §6).
  int max_devices_per_user = kDefaultMaxDevicesPerUser;
  // Pushes are refused (RESOURCE_EXHAUSTED, retried later by devices and
  // peers) while less than this is free on the data dir's disk.
  uint64_t min_free_disk_bytes = kDefaultMinFreeDiskBytes;
  // The IANA time zone reports name for their times (SPEC §9: county
  // offices read local time). Start refuses a name it cannot load.
  std::string time_zone = "Asia/Shanghai";
};

// Thread-safe.
class Server {
 public:
  // Opens the data dir and starts serving. UNAVAILABLE if the dir is in use
  // by another server or the address cannot be bound; FAILED_PRECONDITION if
  // the data dir has no users (run bootstrap first).
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();  // Shuts down if still running.

  // The port actually bound.
  int port() const { return port_; }
  // The operator HTTP endpoint's port (0 if none).
  int http_port() const { return http_ ? http_->port() : 0; }
  // "127.0.0.1:<port>" style address clients can dial.
  std::string address() const;

  RecordStore& store() { return *store_; }
  UserStore& users() { return *users_; }
  DeviceRegistry& devices() { return *devices_; }
  // How replication with each peer stands.
  std::vector<v1::PeerStatus> PeerStatuses() const;
  Metrics& metrics() { return *metrics_; }
  Logger& logger() { return *logger_; }

  // Stops accepting calls, lets calls in flight finish (up to `grace`
  // seconds), then closes the stores. Idempotent; call from one thread.
  void Shutdown(int grace_seconds = 5);

 private:
  Server() = default;

  // Serves the operator endpoint's routes.
  void AddOperatorRoutes();

  std::string host_;
  int port_ = 0;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<OperatorHttp> http_;
  std::atomic<bool> draining_{false};
  std::unique_ptr<RecordStore> store_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<DeviceRegistry> devices_;
  std::unique_ptr<SessionLog> log_;
  std::unique_ptr<SyncServiceImpl> sync_;
  std::unique_ptr<AdminServiceImpl> admin_;
  std::unique_ptr<grpc::Server> grpc_;
  std::vector<std::unique_ptr<PeerWorker>> peers_;
};

// Creates the data dir and its first admin user (scope: everything) and
// returns the admin's token. FAILED_PRECONDITION if the dir already has
// users; UNAVAILABLE if a running server holds the dir.
absl::StatusOr<std::string> Bootstrap(absl::string_view data_dir);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_SERVER_H_
