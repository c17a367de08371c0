// SyncServiceImpl serves SyncService (SPEC §5): Hello, Push and Pull for
// devices and peers, after authenticating the bearer token and checking the
// caller's scope and role (SPEC §6).
#ifndef VILLAGESYNC_SERVER_SYNC_SERVICE_H_
#define VILLAGESYNC_SERVER_SYNC_SERVICE_H_

#include <functional>

#include "proto/sync.pb.h"
#include "server/device_registry.h"
#include "server/rpc_edge.h"
#include "server/session_log.h"
#include "storage/record_store.h"
#include "storage/user_store.h"

namespace villagesync {

// The limits a server enforces (documented in README.md).
inline constexpr uint32_t kMaxPushChanges = 1000;
inline constexpr uint32_t kMaxPageChanges = 1000;
inline constexpr uint64_t kMaxRequestBytes = 16 << 20;
inline constexpr size_t kMaxPageBytes = 4 << 20;

// Thread-safe. Uses gRPC's synchronous API on purpose: Push blocks on a WAL
// sync, which must not run on callback-API event threads.
class SyncServiceImpl final : public RpcEdge {
 public:
  // All pointers must outlive the service. If `standby_of` is not empty,
  // this server is a full copy of that single peer, and a device moving
  // here from it catches up from its old position (see position_map.h).
  SyncServiceImpl(RecordStore* store, const UserStore* users,
                  DeviceRegistry* devices, SessionLog* log, Logger* logger,
                  Metrics* metrics, std::string standby_of = "");

  // The limits this service enforces.
  static v1::Limits Limits();

 private:
  absl::Status DoHello(const v1::UserInfo& user,
                       const v1::HelloRequest& request,
                       v1::HelloResponse* response);
  absl::Status DoPush(const v1::UserInfo& user, const v1::PushRequest& request,
                      v1::PushResponse* response);
  absl::Status DoPull(const v1::UserInfo& user, const v1::PullRequest& request,
                      v1::PullResponse* response);
  // A replication peer's push: trusted for others' dots and authors inside
  // its region, and for the registrations and watermarks it forwards.
  absl::StatusOr<std::vector<v1::ApplyResult>> ApplyFromPeer(
      const v1::UserInfo& peer, const v1::PushRequest& request);
  // Counts a push's outcomes and bytes (metrics).
  void CountPushed(const std::vector<v1::ApplyResult>& results, size_t bytes);

  RecordStore* const store_;
  DeviceRegistry* const devices_;
  SessionLog* const log_;
  Metrics* const metrics_;
  const std::string standby_of_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_SYNC_SERVICE_H_
