#include "tests/testing/county.h"

#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"

namespace villagesync::testing {

TestCounty::TestCounty(TempDir::Medium medium) : dir_(medium) {
  absl::StatusOr<std::string> token = Bootstrap(data_dir());
  if (!token.ok()) {
    status_ = token.status();
    return;
  }
  admin_token_ = *token;
  address_ = "127.0.0.1:0";
  status_ = Restart();
}

TestCounty::~TestCounty() { Stop(); }

void TestCounty::Stop() {
  if (server_ != nullptr) server_->Shutdown(1);
  server_.reset();
}

absl::Status TestCounty::Restart() {
  Stop();
  ServerOptions options;
  options.data_dir = data_dir();
  options.listen = address_;
  options.replication = replication_;
  options.http_listen = "127.0.0.1:0";
  options.tls = tls_;
  options.replication_idle = absl::Milliseconds(50);
  options.log = [this](absl::string_view line) {
    absl::MutexLock lock(&mu_);
    log_.emplace_back(line);
  };
  VS_ASSIGN_OR_RETURN(server_, Server::Start(options));
  address_ = server_->address();
  return absl::OkStatus();
}

void TestCounty::SetPeers(std::vector<v1::Peer> peers) {
  replication_.clear_peers();
  for (v1::Peer& peer : peers) *replication_.add_peers() = std::move(peer);
}

std::string TestCounty::AddUser(const std::string& name,
                                const std::string& role,
                                const std::string& scope) {
  absl::StatusOr<std::string> token =
      server_->users().Add(name, role, scope, "test");
  return token.ok() ? *token : "";
}

absl::StatusOr<std::unique_ptr<SyncClient>> TestCounty::Device(
    const std::string& name, const std::string& token,
    const std::string& server_address) {
  VS_ASSIGN_OR_RETURN(std::unique_ptr<SyncClient> device,
                      SyncClient::Open(DeviceDir(name)));
  VS_RETURN_IF_ERROR(
      device->Init(server_address.empty() ? address_ : server_address, token));
  return device;
}

std::vector<std::string> TestCounty::log_lines() const {
  absl::MutexLock lock(&mu_);
  return log_;
}

SyncOptions QuickSync() {
  SyncOptions options;
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  options.rpc_deadline = absl::Seconds(20);
  options.max_attempts = 20;
  return options;
}

absl::StatusOr<ChildServer> StartChildServer(ServerProcess& process,
                                             const TempDir& dir,
                                             const std::string& device) {
  ChildServer child;
  child.data_dir = dir.Sub("server");
  VS_ASSIGN_OR_RETURN(child.token, Bootstrap(child.data_dir));
  VS_ASSIGN_OR_RETURN(
      child.address,
      process.Start(child.data_dir, "127.0.0.1:0", dir.Sub("log1")));
  VS_ASSIGN_OR_RETURN(child.device, SyncClient::Open(dir.Sub(device)));
  VS_RETURN_IF_ERROR(child.device->Init(child.address, child.token));
  return child;
}

}  // namespace villagesync::testing
