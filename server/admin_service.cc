#include "server/admin_service.h"

#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/grpc_status.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "server/data_dir.h"
#include "server/server_metrics.h"
#include "server/sync_service.h"
#include "storage/validation.h"

namespace villagesync {

AdminServiceImpl::AdminServiceImpl(
    RecordStore* store, UserStore* users, DeviceRegistry* devices,
    Logger* logger, Metrics* metrics,
    std::function<std::vector<v1::PeerStatus>()> peers, std::string time_zone)
    : RpcEdge("villagesync.v1.AdminService", users, logger, metrics),
      store_(store),
      users_(users),
      devices_(devices),
      inbox_(store, users),
      reports_(store, devices, std::move(time_zone)),
      peers_(std::move(peers)) {
  using v1::UserInfo;
  Handle<v1::AddUserRequest, v1::AddUserResponse>(
      "AddUser",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return DoAddUser(c, r, o);
      },
      Logged::kYes);
  Handle<v1::RevokeUserRequest, v1::RevokeUserResponse>(
      "RevokeUser",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return DoRevokeUser(c, r, o);
      },
      Logged::kYes);
  Handle<v1::SetUserRequest, v1::SetUserResponse>(
      "SetUser",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return DoSetUser(c, r, o);
      },
      Logged::kYes);
  Handle<v1::RotateTokenRequest, v1::RotateTokenResponse>(
      "RotateToken",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return DoRotateToken(c, r, o);
      },
      Logged::kYes);
  Handle<v1::ListDevicesRequest, v1::ListDevicesResponse>(
      "ListDevices", [this](const UserInfo& c, const auto& r, auto* o) {
        return ListDevices(c, r, o);
      });
  Handle<v1::DecommissionDeviceRequest, v1::DecommissionDeviceResponse>(
      "DecommissionDevice",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return DoDecommission(c, r, o);
      },
      Logged::kYes);
  Handle<v1::ListUsersRequest, v1::ListUsersResponse>(
      "ListUsers", [this](const UserInfo& c, const auto&, auto* o) {
        return ListUsers(c, o);
      });
  Handle<v1::ListConflictsRequest, v1::ListConflictsResponse>(
      "ListConflicts", [this](const UserInfo& c, const auto& r, auto* o) {
        return inbox_.List(c, r, o);
      });
  Handle<v1::ShowConflictRequest, v1::ConflictInfo>(
      "ShowConflict", [this](const UserInfo& c, const auto& r, auto* o) {
        return inbox_.Show(c, r, o);
      });
  Handle<v1::ResolveConflictRequest, v1::ResolveConflictResponse>(
      "ResolveConflict",
      [this, metrics](const UserInfo& c, const auto& r, auto* o) {
        VS_RETURN_IF_ERROR(inbox_.Resolve(c, r, o));
        metrics->Add(kConflictsResolved, {}, 1);
        return absl::OkStatus();
      },
      Logged::kYes);
  Handle<v1::ListAuditRequest, v1::ListAuditResponse>(
      "ListAudit", [this](const UserInfo& c, const auto& r, auto* o) {
        return inbox_.Audit(c, r, o);
      });
  Handle<v1::ListRulesRequest, v1::ListRulesResponse>(
      "ListRules", [this](const UserInfo& c, const auto&, auto* o) {
        return reports_.ListRules(c, o);
      });
  Handle<v1::SetRuleRequest, v1::SetRuleResponse>(
      "SetRule",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return reports_.SetRule(c, r, o);
      },
      Logged::kYes);
  Handle<v1::ReportRequest, v1::ReportResponse>(
      "Report", [this](const UserInfo& c, const auto& r, auto* o) {
        return reports_.Report(c, r, o);
      });
  Handle<v1::BackupRequest, v1::BackupResponse>(
      "Backup",
      [this](const UserInfo& c, const auto& r, auto* o) {
        return DoBackup(c, r, o);
      },
      Logged::kYes);
  Handle<v1::ListPeersRequest, v1::ListPeersResponse>(
      "ListPeers", [this](const UserInfo& c, const auto&, auto* o) {
        return ListPeers(c, o);
      });
}

absl::Status AdminServiceImpl::ListPeers(
    const v1::UserInfo& caller, v1::ListPeersResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "see replication peers"));
  for (v1::PeerStatus& peer : peers_())
    *response->add_peers() = std::move(peer);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::ListUsers(
    const v1::UserInfo& actor, v1::ListUsersResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(actor, "list users"));
  for (v1::UserInfo& user : users_->List()) {
    if (InScope(actor, user.scope())) *response->add_users() = std::move(user);
  }
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::ListDevices(
    const v1::UserInfo& caller, const v1::ListDevicesRequest& request,
    v1::ListDevicesResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "list devices"));
  VS_ASSIGN_OR_RETURN(std::string region,
                      RegionFor(caller, request.region_prefix()));
  VS_ASSIGN_OR_RETURN(std::vector<v1::Device> devices, devices_->List());
  for (v1::Device& device : devices) {
    // A device acts in its user's scope: listed where the two overlap.
    bool overlaps = absl::StartsWith(device.scope(), region) ||
                    absl::StartsWith(region, device.scope());
    if (device.server() || !overlaps || !InScope(caller, device.scope())) {
      continue;
    }
    *response->add_devices() = std::move(device);
  }
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoDecommission(
    const v1::UserInfo& caller, const v1::DecommissionDeviceRequest& request,
    v1::DecommissionDeviceResponse* response) {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "decommission devices"));
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> device,
                      devices_->Find(request.replica_id()));
  std::string id = absl::StrFormat("%016x", request.replica_id());
  // A device outside the caller's region reads as missing (as ListDevices
  // hides it); inside, the caller must manage its user's role.
  if (!device || device->server() || !InScope(caller, device->scope())) {
    return absl::NotFoundError(
        absl::StrCat("replica_id: no device ", id, " is registered"));
  }
  VS_RETURN_IF_ERROR(
      CheckCanAdminister(caller, device->role(), device->scope()));
  absl::Time now = absl::Now();
  v1::AuditEntry audit;
  audit.set_micros(absl::ToUnixMicros(now));
  audit.set_actor(caller.name());
  audit.set_action("device.decommission");
  audit.set_target(id);
  audit.set_detail(absl::StrCat("user=", device->user()));
  audit.set_region(device->scope());
  VS_ASSIGN_OR_RETURN(
      *response->mutable_device(),
      devices_->Decommission(request.replica_id(), caller.name(), now, audit));
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoBackup(const v1::UserInfo& caller,
                                        const v1::BackupRequest& request,
                                        v1::BackupResponse* response) {
  if (caller.role() != "admin" || !caller.scope().empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "user \"", caller.name(),
        "\" may not back up the server: admins of every region only"));
  }
  const std::string& destination = request.destination();
  std::filesystem::path path(destination);
  if (destination.empty() || !path.is_absolute() ||
      !std::filesystem::is_directory(path.parent_path())) {
    return InvalidField(
        "destination", absl::StrCat(Quoted(destination),
                                    " must be an absolute path on the server's "
                                    "machine whose parent directory exists"));
  }
  absl::Time start = absl::Now();
  VS_ASSIGN_OR_RETURN(uint64_t bytes,
                      BackupDataDir(*store_, *users_, destination));
  response->set_destination(destination);
  response->set_bytes(bytes);
  response->set_duration_micros(absl::ToInt64Microseconds(absl::Now() - start));
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoAddUser(const v1::UserInfo& actor,
                                         const v1::AddUserRequest& request,
                                         v1::AddUserResponse* response) {
  // Validation before authorization: a typo should read as a typo.
  VS_RETURN_IF_ERROR(
      ValidateUser(request.name(), request.role(), request.scope()));
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

namespace {

// Authorizes `actor` to change a user, under the user store's lock. A user
// outside the actor's region reads as missing (as ListUsers hides it);
// inside, the actor must manage it both as it is and as it would become.
UserStore::Authorize ManagedBy(const v1::UserInfo& actor) {
  return [&actor](const v1::UserInfo& before,
                  const v1::UserInfo& after) -> absl::Status {
    if (!InScope(actor, before.scope())) {
      return absl::NotFoundError(
          absl::StrCat("name: no active user ", Quoted(before.name())));
    }
    VS_RETURN_IF_ERROR(
        CheckCanAdminister(actor, before.role(), before.scope()));
    return CheckCanAdminister(actor, after.role(), after.scope());
  };
}

}  // namespace

absl::Status AdminServiceImpl::DoRevokeUser(
    const v1::UserInfo& actor, const v1::RevokeUserRequest& request,
    v1::RevokeUserResponse* response) {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(actor, "manage users"));
  VS_ASSIGN_OR_RETURN(
      *response->mutable_user(),
      users_->Revoke(request.name(), actor.name(), ManagedBy(actor)));
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoSetUser(const v1::UserInfo& actor,
                                         const v1::SetUserRequest& request,
                                         v1::SetUserResponse* response) {
  // Who may manage users at all, before a lookup says who exists.
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(actor, "manage users"));
  if (!request.has_role() && !request.has_scope()) {
    return InvalidField("role", "give a new role, a new scope or both");
  }
  std::optional<std::string> role, scope;
  if (request.has_role()) role = request.role();
  if (request.has_scope()) scope = request.scope();
  VS_ASSIGN_OR_RETURN(
      *response->mutable_user(),
      users_->Set(request.name(), role, scope, actor.name(), ManagedBy(actor)));
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoRotateToken(
    const v1::UserInfo& actor, const v1::RotateTokenRequest& request,
    v1::RotateTokenResponse* response) {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(actor, "manage users"));
  VS_ASSIGN_OR_RETURN(
      std::string token,
      users_->Rotate(request.name(), actor.name(), ManagedBy(actor)));
  VS_ASSIGN_OR_RETURN(*response->mutable_user(), users_->Authenticate(token));
  response->set_token(std::move(token));
  return absl::OkStatus();
}

}  // namespace villagesync
