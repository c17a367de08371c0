#include "server/server.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "proto/call_policy.h"
#include "proto/status_macros.h"
#include "server/admin_service.h"
#include "server/data_dir.h"
#include "server/listen.h"
#include "server/peer_worker.h"
#include "server/replication_config.h"
#include "server/report_aggregator.h"
#include "server/rule_table.h"
#include "server/server_metrics.h"
#include "server/sync_service.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

// Handler threads: each Push may wait on a WAL sync, so keep enough threads
// for the devices of a county syncing at once (their syncs group-commit),
// but bound them so a flood cannot exhaust memory. Beyond the bound gRPC
// answers RESOURCE_EXHAUSTED "Server Threadpool Exhausted", which clients
// retry with backoff.
constexpr int kMaxHandlerThreads = 512;

// The peer this server is a full copy of, if it has exactly one peer,
// replicated both ways with everything and personal data included.
std::string StandbyOf(const v1::ReplicationConfig& config) {
  if (config.peers_size() != 1) return "";
  const v1::Peer& peer = config.peers(0);
  bool full = peer.direction() == v1::DIRECTION_BOTH &&
              peer.collections().empty() && peer.has_strip_pii() &&
              !peer.strip_pii();
  return full ? peer.name() : "";
}

// Off loopback, bearer tokens need TLS.
absl::Status CheckPlaintext(const ServerOptions& options) {
  if (options.tls.enabled() || options.allow_plaintext) return absl::OkStatus();
  VS_ASSIGN_OR_RETURN(HostPort hp, ParseListen(options.listen, "--listen"));
  if (IsLoopback(hp.host)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to serve ", options.listen,
      " without TLS: devices' bearer tokens would cross the network in clear "
      "text. Give --tls_cert and --tls_key (scripts/dev-certs makes test "
      "ones), or --allow_plaintext if a TLS proxy in front of this server "
      "terminates TLS."));
}

// Every peer's TLS files are readable.
absl::Status CheckPeers(const v1::ReplicationConfig& config) {
  VS_RETURN_IF_ERROR(ValidateReplicationConfig(config));
  for (const v1::Peer& peer : config.peers()) {
    grpc::ChannelArguments args;
    absl::Status readable = PeerCredentials(peer, &args).status();
    if (!readable.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer ", peer.name(), ": ", readable.message()));
    }
  }
  return absl::OkStatus();
}

// The health service answers for the whole server and each service.
void SetServing(grpc::Server* server, bool serving) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  for (const char* service :
       {"", "villagesync.v1.SyncService", "villagesync.v1.AdminService"}) {
    health->SetServingStatus(service, serving);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  VS_RETURN_IF_ERROR(CheckPlaintext(options));
  VS_ASSIGN_OR_RETURN(TlsMaterial tls, LoadTls(options.tls));
  VS_RETURN_IF_ERROR(CheckPeers(options.replication));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(options.time_zone, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: cannot load ", Quoted(options.time_zone),
                     " (an IANA name such as Asia/Shanghai; is tzdata "
                     "installed?)"));
  }
  std::unique_ptr<Server> server(new Server());
  if (!std::filesystem::exists(UsersFile(options.data_dir))) {
    return NotSetUp(options.data_dir);
  }
  server->logger_ = std::make_unique<Logger>(options.log, options.log_format);
  server->metrics_ = std::make_unique<Metrics>();
  DefineServerMetrics(*server->metrics_, VILLAGESYNC_VERSION_STRING);
  StoreOptions store_options = ServerStoreOptions(options.min_free_disk_bytes);
  store_options.on_commit = [metrics =
                                 server->metrics_.get()](absl::Duration took) {
    metrics->Observe(kCommitSeconds, {}, absl::ToDoubleSeconds(took));
  };
  store_options.aggregator = std::make_shared<ReportAggregator>();
  store_options.new_writer_each_open = true;
  store_options.seal_own_writes = true;
  VS_ASSIGN_OR_RETURN(server->store_,
                      OpenServerStore(options.data_dir, store_options));
  VS_ASSIGN_OR_RETURN(server->users_, OpenUsers(options.data_dir));
  if (server->users_->empty()) return NotSetUp(options.data_dir);
  VS_RETURN_IF_ERROR(RuleTable(server->store_.get()).InstallDefaults());
  server->devices_ = std::make_unique<DeviceRegistry>(
      server->store_.get(), options.max_devices_per_user);
  VS_RETURN_IF_ERROR(
      server->devices_->RegisterServer(server->store_->replica_id()));
  VS_RETURN_IF_ERROR(
      server->devices_->RegisterServer(server->store_->writer_id()));
  server->log_ = std::make_unique<SessionLog>(server->logger_.get());
  server->sync_ = std::make_unique<SyncServiceImpl>(
      server->store_.get(), server->users_.get(), server->devices_.get(),
      server->log_.get(), server->logger_.get(), server->metrics_.get(),
      StandbyOf(options.replication));
  Server* raw = server.get();
  server->admin_ = std::make_unique<AdminServiceImpl>(
      server->store_.get(), server->users_.get(), server->devices_.get(),
      server->logger_.get(), server->metrics_.get(),
      [raw] { return raw->PeerStatuses(); }, options.time_zone);
  AddServerCollectors(
      *server->metrics_, server->store_.get(), server->devices_.get(),
      [raw] { return raw->PeerStatuses(); }, options.data_dir);

  for (const RpcEdge* edge :
       {static_cast<const RpcEdge*>(server->sync_.get()),
        static_cast<const RpcEdge*>(server->admin_.get())}) {
    std::vector<std::string> unhandled = edge->Unhandled();
    if (!unhandled.empty()) {
      return absl::InternalError(absl::StrCat(edge->service_name(),
                                              " has no handler for ",
                                              absl::StrJoin(unhandled, ", ")));
    }
  }
  grpc::EnableDefaultHealthCheckService(true);
  // Reflection: `grpcurl HOST:PORT list` and the like work.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      options.listen, ServerCredentialsFor(options.tls, tls), &server->port_);
  if (!tls.client_ca.empty()) server->sync_->RequirePeerCertificates();
  builder.RegisterService(server->sync_.get());
  builder.RegisterService(server->admin_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxRequestBytes));
  AcceptCallerKeepalive(&builder);
  builder.SetDefaultCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  grpc::ResourceQuota quota("villagesyncd");
  quota.SetMaxThreads(kMaxHandlerThreads);
  builder.SetResourceQuota(quota);
  // gRPC shares ports (SO_REUSEPORT) by default: a second server on the
  // same port would take some of the devices' connections at random.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server->grpc_ = builder.BuildAndStart();
  if (server->grpc_ == nullptr || server->port_ == 0) {
    return ListenProblem(options.listen);
  }
  server->host_ = options.listen.substr(0, options.listen.rfind(':'));
  SetServing(server->grpc_.get(), true);
  if (!options.http_listen.empty()) {
    server->http_ = std::make_unique<OperatorHttp>(options.tls);
    server->AddOperatorRoutes();
    VS_RETURN_IF_ERROR(server->http_->Start(options.http_listen));
  }
  for (const v1::Peer& peer : options.replication.peers()) {
    server->peers_.push_back(std::make_unique<PeerWorker>(
        server->store_.get(), server->devices_.get(), peer,
        options.replication_idle, server->logger_.get()));
    server->peers_.back()->Start();
  }
  server->logger_->Info(
      "serving",
      {{"address", server->address()},
       {"tls", options.tls.enabled() ? "on" : "off"},
       {"http", server->http_
                    ? absl::StrCat(options.http_listen.substr(
                                       0, options.http_listen.rfind(':')),
                                   ":", server->http_->port())
                    : "off"},
       {"data_dir", options.data_dir},
       {"replica", absl::StrFormat("%016x", server->store_->replica_id())},
       {"version", VILLAGESYNC_VERSION_STRING}});
  return server;
}

Server::~Server() { Shutdown(); }

std::string Server::address() const { return absl::StrCat(host_, ":", port_); }

std::vector<v1::PeerStatus> Server::PeerStatuses() const {
  std::vector<v1::PeerStatus> statuses;
  for (const auto& peer : peers_) statuses.push_back(peer->Status());
  return statuses;
}

void Server::AddOperatorRoutes() {
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& r) {
    r.set_content(metrics_->Render(), "text/plain; version=0.0.4");
  });
  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
    r.set_content("ok\n", "text/plain");
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& r) {
    bool ready = !draining_ && store_ != nullptr;
    r.status = ready ? 200 : 503;
    r.set_content(ready ? "ready\n" : "draining\n", "text/plain");
  });
}

void Server::Shutdown(int grace_seconds) {
  if (grpc_ == nullptr) return;
  draining_ = true;
  SetServing(grpc_.get(), false);
  peers_.clear();  // stops and joins the replication workers first
  grpc_->Shutdown(std::chrono::system_clock::now() +
                  std::chrono::seconds(grace_seconds));
  grpc_->Wait();
  grpc_.reset();
  if (http_) http_->Stop();
  if (logger_) logger_->Info("stopped", {{"address", address()}});
  store_.reset();
}

absl::StatusOr<std::string> Bootstrap(absl::string_view data_dir) {
  // Opening the record store takes its lock: a running server refuses us.
  VS_ASSIGN_OR_RETURN(std::unique_ptr<RecordStore> store,
                      OpenServerStore(data_dir, ServerStoreOptions()));
  VS_ASSIGN_OR_RETURN(std::unique_ptr<UserStore> users, OpenUsers(data_dir));
  if (!users->empty()) {
    return absl::FailedPreconditionError(
        "data dir already has users: bootstrap runs once");
  }
  return users->Add("admin", "admin", "", "bootstrap");
}

}  // namespace villagesync
