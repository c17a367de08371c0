#include "server/admin_service.h"

#include "absl/strings/str_cat.h"
#include "proto/grpc_status.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "server/sync_service.h"

namespace villagesync {

AdminServiceImpl::AdminServiceImpl(
    RecordStore* store, UserStore* users,
    std::function<std::vector<v1::PeerStatus>()> peers)
    : users_(users),
      inbox_(store, users),
      reports_(store),
      peers_(std::move(peers)) {}

grpc::Status AdminServiceImpl::ListPeers(
    grpc::ServerContext* context, const v1::ListPeersRequest* /*request*/,
    v1::ListPeersResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "see replication peers"));
    for (v1::PeerStatus& peer : peers_())
      *response->add_peers() = std::move(peer);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListRules(
    grpc::ServerContext* context, const v1::ListRulesRequest* /*request*/,
    v1::ListRulesResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return reports_.ListRules(caller, response);
  });
}

grpc::Status AdminServiceImpl::SetRule(grpc::ServerContext* context,
                                       const v1::SetRuleRequest* request,
                                       v1::SetRuleResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return reports_.SetRule(caller, *request, response);
  });
}

grpc::Status AdminServiceImpl::Report(grpc::ServerContext* context,
                                      const v1::ReportRequest* request,
                                      v1::ReportResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return reports_.Report(caller, *request, response);
  });
}

grpc::Status AdminServiceImpl::ListConflicts(
    grpc::ServerContext* context, const v1::ListConflictsRequest* request,
    v1::ListConflictsResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return inbox_.List(caller, *request, response);
  });
}

grpc::Status AdminServiceImpl::ShowConflict(
    grpc::ServerContext* context, const v1::ShowConflictRequest* request,
    v1::ConflictInfo* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return inbox_.Show(caller, *request, response);
  });
}

grpc::Status AdminServiceImpl::ResolveConflict(
    grpc::ServerContext* context, const v1::ResolveConflictRequest* request,
    v1::ResolveConflictResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return inbox_.Resolve(caller, *request, response);
  });
}

grpc::Status AdminServiceImpl::ListAudit(grpc::ServerContext* context,
                                         const v1::ListAuditRequest* request,
                                         v1::ListAuditResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& caller) {
    return inbox_.Audit(caller, *request, response);
  });
}

grpc::Status AdminServiceImpl::AddUser(grpc::ServerContext* context,
                                       const v1::AddUserRequest* request,
                                       v1::AddUserResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& actor) {
    return DoAddUser(actor, *request, response);
  });
}

grpc::Status AdminServiceImpl::RevokeUser(grpc::ServerContext* context,
                                          const v1::RevokeUserRequest* request,
                                          v1::RevokeUserResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& actor) {
    return DoRevokeUser(actor, *request, response);
  });
}

grpc::Status AdminServiceImpl::ListUsers(
    grpc::ServerContext* context, const v1::ListUsersRequest* /*request*/,
    v1::ListUsersResponse* response) {
  return ServeAuthenticated(*context, *users_, [&](const v1::UserInfo& actor) {
    if (actor.role() != "admin" && actor.role() != "county") {
      return absl::PermissionDeniedError(
          absl::StrCat("user \"", actor.name(), "\" may not list users"));
    }
    for (v1::UserInfo& user : users_->List()) {
      if (InScope(actor, user.scope()))
        *response->add_users() = std::move(user);
    }
    return absl::OkStatus();
  });
}

absl::Status AdminServiceImpl::DoAddUser(const v1::UserInfo& actor,
                                         const v1::AddUserRequest& request,
                                         v1::AddUserResponse* response) {
  if (!IsRole(request.role())) {
    // Validation before authorization: a typo should read as a typo.
    return users_
        ->Add(request.name(), request.role(), request.scope(), actor.name())
        .status();
  }
  VS_RETURN_IF_ERROR(
      CheckCanAdminister(actor, request.role(), request.scope()));
  VS_ASSIGN_OR_RETURN(std::string token,
                      users_->Add(request.name(), request.role(),
                                  request.scope(), actor.name()));
  VS_ASSIGN_OR_RETURN(v1::UserInfo user, users_->Authenticate(token));
  response->set_token(std::move(token));
  *response->mutable_user() = std::move(user);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoRevokeUser(
    const v1::UserInfo& actor, const v1::RevokeUserRequest& request,
    v1::RevokeUserResponse* response) {
  for (const v1::UserInfo& user : users_->List()) {
    if (user.name() != request.name() || user.revoked()) continue;
    VS_RETURN_IF_ERROR(CheckCanAdminister(actor, user.role(), user.scope()));
    VS_ASSIGN_OR_RETURN(*response->mutable_user(),
                        users_->Revoke(request.name(), actor.name()));
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("name: no active user \"", request.name(), "\""));
}

}  // namespace villagesync
