// AdminServiceImpl serves AdminService (SPEC §5, §6, §7): users (add with a
// role and scope, revoke, list; audited by the user store) and the conflict
// inbox (list, show, resolve; resolutions audited by the record store).
#ifndef VILLAGESYNC_SERVER_ADMIN_SERVICE_H_
#define VILLAGESYNC_SERVER_ADMIN_SERVICE_H_

#include <functional>
#include <vector>

#include "proto/admin.grpc.pb.h"
#include "server/conflict_inbox.h"
#include "server/county_reports.h"
#include "storage/record_store.h"
#include "storage/user_store.h"

namespace villagesync {

// Thread-safe.
class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // `store` and `users` must outlive the service; `peers` reports how
  // replication with each peer stands.
  AdminServiceImpl(RecordStore* store, UserStore* users,
                   std::function<std::vector<v1::PeerStatus>()> peers);

  grpc::Status AddUser(grpc::ServerContext* context,
                       const v1::AddUserRequest* request,
                       v1::AddUserResponse* response) override;
  grpc::Status RevokeUser(grpc::ServerContext* context,
                          const v1::RevokeUserRequest* request,
                          v1::RevokeUserResponse* response) override;
  grpc::Status ListUsers(grpc::ServerContext* context,
                         const v1::ListUsersRequest* request,
                         v1::ListUsersResponse* response) override;
  grpc::Status ListConflicts(grpc::ServerContext* context,
                             const v1::ListConflictsRequest* request,
                             v1::ListConflictsResponse* response) override;
  grpc::Status ShowConflict(grpc::ServerContext* context,
                            const v1::ShowConflictRequest* request,
                            v1::ConflictInfo* response) override;
  grpc::Status ResolveConflict(grpc::ServerContext* context,
                               const v1::ResolveConflictRequest* request,
                               v1::ResolveConflictResponse* response) override;
  grpc::Status ListAudit(grpc::ServerContext* context,
                         const v1::ListAuditRequest* request,
                         v1::ListAuditResponse* response) override;
  grpc::Status ListRules(grpc::ServerContext* context,
                         const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;
  grpc::Status SetRule(grpc::ServerContext* context,
                       const v1::SetRuleRequest* request,
                       v1::SetRuleResponse* response) override;
  grpc::Status Report(grpc::ServerContext* context,
                      const v1::ReportRequest* request,
                      v1::ReportResponse* response) override;
  grpc::Status ListPeers(grpc::ServerContext* context,
                         const v1::ListPeersRequest* request,
                         v1::ListPeersResponse* response) override;

 private:
  absl::Status DoAddUser(const v1::UserInfo& actor,
                         const v1::AddUserRequest& request,
                         v1::AddUserResponse* response);
  absl::Status DoRevokeUser(const v1::UserInfo& actor,
                            const v1::RevokeUserRequest& request,
                            v1::RevokeUserResponse* response);

  UserStore* const users_;
  ConflictInbox inbox_;
  CountyReports reports_;
  const std::function<std::vector<v1::PeerStatus>()> peers_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_ADMIN_SERVICE_H_
