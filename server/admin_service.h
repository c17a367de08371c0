// AdminServiceImpl serves the user part of AdminService (SPEC §5, §6):
// adding users with a role and scope, revoking them, listing them. Every
// change is audited by the user store.
#ifndef VILLAGESYNC_SERVER_ADMIN_SERVICE_H_
#define VILLAGESYNC_SERVER_ADMIN_SERVICE_H_

#include "proto/admin.grpc.pb.h"
#include "storage/user_store.h"

namespace villagesync {

// Thread-safe.
class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // `users` must outlive the service.
  explicit AdminServiceImpl(UserStore* users);

  grpc::Status AddUser(grpc::ServerContext* context,
                       const v1::AddUserRequest* request,
                       v1::AddUserResponse* response) override;
  grpc::Status RevokeUser(grpc::ServerContext* context,
                          const v1::RevokeUserRequest* request,
                          v1::RevokeUserResponse* response) override;
  grpc::Status ListUsers(grpc::ServerContext* context,
                         const v1::ListUsersRequest* request,
                         v1::ListUsersResponse* response) override;

 private:
  absl::Status DoAddUser(const v1::UserInfo& actor,
                         const v1::AddUserRequest& request,
                         v1::AddUserResponse* response);
  absl::Status DoRevokeUser(const v1::UserInfo& actor,
                            const v1::RevokeUserRequest& request,
                            v1::RevokeUserResponse* response);

  UserStore* const users_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_ADMIN_SERVICE_H_
