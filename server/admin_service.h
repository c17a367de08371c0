// AdminServiceImpl serves AdminService (SPEC §5, §6, §7): users (add with a
// role and scope, revoke, list; audited by the user store) and the conflict
// inbox (list, show, resolve; resolutions audited by the record store).
#ifndef VILLAGESYNC_SERVER_ADMIN_SERVICE_H_
#define VILLAGESYNC_SERVER_ADMIN_SERVICE_H_

#include <functional>
#include <vector>

#include "proto/admin.pb.h"
#include "server/conflict_inbox.h"
#include "server/county_reports.h"
#include "server/rpc_edge.h"
#include "storage/record_store.h"
#include "storage/user_store.h"

namespace villagesync {

// Thread-safe.
class AdminServiceImpl final : public RpcEdge {
 public:
  // `store` and `users` must outlive the service; `peers` reports how
  // replication with each peer stands; reports name `time_zone`.
  AdminServiceImpl(RecordStore* store, UserStore* users,
                   DeviceRegistry* devices, Logger* logger, Metrics* metrics,
                   std::function<std::vector<v1::PeerStatus>()> peers,
                   std::string time_zone);

 private:
  absl::Status ListPeers(const v1::UserInfo& caller,
                         v1::ListPeersResponse* response) const;
  absl::Status ListUsers(const v1::UserInfo& actor,
                         v1::ListUsersResponse* response) const;
  absl::Status DoBackup(const v1::UserInfo& caller,
                        const v1::BackupRequest& request,
                        v1::BackupResponse* response);
  absl::Status DoAddUser(const v1::UserInfo& actor,
                         const v1::AddUserRequest& request,
                         v1::AddUserResponse* response);
  absl::Status DoRevokeUser(const v1::UserInfo& actor,
                            const v1::RevokeUserRequest& request,
                            v1::RevokeUserResponse* response);
  absl::Status ListDevices(const v1::UserInfo& caller,
                           const v1::ListDevicesRequest& request,
                           v1::ListDevicesResponse* response) const;
  absl::Status DoDecommission(const v1::UserInfo& caller,
                              const v1::DecommissionDeviceRequest& request,
                              v1::DecommissionDeviceResponse* response);
  absl::Status DoSetUser(const v1::UserInfo& actor,
                         const v1::SetUserRequest& request,
                         v1::SetUserResponse* response);
  absl::Status DoRotateToken(const v1::UserInfo& actor,
                             const v1::RotateTokenRequest& request,
                             v1::RotateTokenResponse* response);

  RecordStore* const store_;
  UserStore* const users_;
  DeviceRegistry* const devices_;
  ConflictInbox inbox_;
  CountyReports reports_;
  const std::function<std::vector<v1::PeerStatus>()> peers_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_ADMIN_SERVICE_H_
