#include "server/sync_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "proto/grpc_status.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "server/position_map.h"
#include "server/server_metrics.h"
#include "storage/device_writes.h"
#include "storage/validation.h"

namespace villagesync {

SyncServiceImpl::SyncServiceImpl(RecordStore* store, const UserStore* users,
                                 DeviceRegistry* devices, SessionLog* log,
                                 Logger* logger, Metrics* metrics,
                                 std::string standby_of)
    : RpcEdge("villagesync.v1.SyncService", users, logger, metrics),
      store_(store),
      devices_(devices),
      log_(log),
      metrics_(metrics),
      standby_of_(std::move(standby_of)) {
  Handle<v1::HelloRequest, v1::HelloResponse>(
      "Hello",
      [this](const v1::UserInfo& caller, const auto& request, auto* response) {
        return DoHello(caller, request, response);
      });
  Handle<v1::PushRequest, v1::PushResponse>(
      "Push",
      [this](const v1::UserInfo& caller, const auto& request, auto* response) {
        return DoPush(caller, request, response);
      });
  Handle<v1::PullRequest, v1::PullResponse>(
      "Pull",
      [this](const v1::UserInfo& caller, const auto& request, auto* response) {
        return DoPull(caller, request, response);
      });
}

v1::Limits SyncServiceImpl::Limits() {
  v1::Limits limits;
  limits.set_max_push_changes(kMaxPushChanges);
  limits.set_max_request_bytes(kMaxRequestBytes);
  limits.set_max_page_changes(kMaxPageChanges);
  limits.set_max_dot_gap(kMaxDotGap);
  return limits;
}

absl::Status SyncServiceImpl::DoHello(const v1::UserInfo& user,
                                      const v1::HelloRequest& request,
                                      v1::HelloResponse* response) {
  if (request.replica_id() == 0) {
    return absl::InvalidArgumentError("replica_id: must be set (nonzero)");
  }
  VS_ASSIGN_OR_RETURN(v1::Device device,
                      devices_->Hello(user, request, absl::Now()));
  VS_ASSIGN_OR_RETURN(uint64_t received,
                      store_->Watermark(request.replica_id()));
  VS_ASSIGN_OR_RETURN(uint64_t highest,
                      store_->KnownCounter(request.replica_id()));
  response->set_server_replica_id(store_->replica_id());
  response->set_user(user.name());
  response->set_role(user.role());
  response->set_scope(user.scope());
  response->set_received_seq(received);
  response->set_schema_version(store_->schemas().version());
  *response->mutable_limits() = Limits();
  response->mutable_limits()->set_max_devices_per_user(
      devices_->max_devices_per_user());
  response->set_highest_counter(highest);
  response->set_lineage(device.lineage());
  log_->Hello(request.replica_id(), user.name(), user.role());
  return absl::OkStatus();
}

absl::Status SyncServiceImpl::DoPush(const v1::UserInfo& user,
                                     const v1::PushRequest& request,
                                     v1::PushResponse* response) {
  if (request.replica_id() == 0) {
    return absl::InvalidArgumentError("replica_id: must be set (nonzero)");
  }
  if (request.changes_size() > static_cast<int>(kMaxPushChanges)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "changes: ", request.changes_size(), " changes exceed the limit of ",
        kMaxPushChanges, " per push"));
  }
  // Authorization is all or nothing: a push reaching outside the caller's
  // scope or role changes nothing.
  for (const v1::Change& change : request.changes()) {
    if (store_->HandsBackSealedWrites(change) &&
        InScope(user, change.key().village())) {
      continue;  // what this server wrote itself, handed back: no one's role
    }
    VS_RETURN_IF_ERROR(CheckCanWrite(user, change, store_->schemas()));
  }
  if (request.forwarded_watermarks_size() > 0 && user.role() != "replica") {
    return absl::PermissionDeniedError(
        "forwarded_watermarks: only replication peers forward watermarks");
  }
  VS_ASSIGN_OR_RETURN(v1::Device device,
                      devices_->Owned(user, request.replica_id()));
  std::vector<v1::ApplyResult> results;
  if (user.role() == "replica") {
    VS_ASSIGN_OR_RETURN(results, ApplyFromPeer(user, request));
  } else {
    // A device speaks only for itself: its own dots, its own lineage.
    VS_RETURN_IF_ERROR(
        devices_->Push(device, request.lineage(), request.next_lineage(), [&] {
          DevicePush push{request.replica_id(), user.name()};
          VS_ASSIGN_OR_RETURN(results,
                              store_->ApplyFromDevice(request.changes(), push));
          return absl::OkStatus();
        }));
  }
  response->set_server_checkpoint(store_->CurrentCheckpoint());
  CountPushed(results, request.ByteSizeLong());
  for (v1::ApplyResult& r : results) *response->add_results() = std::move(r);
  VS_ASSIGN_OR_RETURN(uint64_t received,
                      store_->Watermark(request.replica_id()));
  response->set_received_seq(received);
  log_->Pushed(request.replica_id(), request.changes_size(),
               request.ByteSizeLong());
  return absl::OkStatus();
}

void SyncServiceImpl::CountPushed(const std::vector<v1::ApplyResult>& results,
                                  size_t bytes) {
  std::map<std::string, int> outcomes;
  for (const v1::ApplyResult& r : results) {
    ++outcomes[absl::AsciiStrToLower(absl::StripPrefix(
        v1::ApplyOutcome_Name(r.outcome()), "APPLY_OUTCOME_"))];
  }
  for (const auto& [outcome, n] : outcomes) {
    metrics_->Add(kChangesReceived, {{"outcome", outcome}}, n);
  }
  auto conflicts = outcomes.find("conflict");
  if (conflicts != outcomes.end()) {
    metrics_->Add(kConflictsOpened, {}, conflicts->second);
  }
  metrics_->Add(kBytesReceived, {{"method", "Push"}},
                static_cast<double>(bytes));
}

absl::StatusOr<std::vector<v1::ApplyResult>> SyncServiceImpl::ApplyFromPeer(
    const v1::UserInfo& peer, const v1::PushRequest& request) {
  // All or nothing: a watermark the peer may not forward fails the push
  // before anything of it is applied.
  for (const v1::Watermark& w : request.forwarded_watermarks()) {
    VS_RETURN_IF_ERROR(devices_->CheckForwardable(peer, w));
  }
  VS_ASSIGN_OR_RETURN(std::vector<v1::ApplyResult> results,
                      store_->Apply(request.changes(), request.replica_id()));
  std::vector<std::pair<uint64_t, uint64_t>> forwarded;
  for (const v1::Watermark& w : request.forwarded_watermarks()) {
    VS_ASSIGN_OR_RETURN(bool adopted, devices_->Adopt(w));
    if (adopted) forwarded.emplace_back(w.replica(), w.seq());
  }
  VS_RETURN_IF_ERROR(store_->RaiseWatermarks(forwarded));
  return results;
}

absl::Status SyncServiceImpl::DoPull(const v1::UserInfo& user,
                                     const v1::PullRequest& request,
                                     v1::PullResponse* response) {
  std::string prefix = request.village_prefix().empty()
                           ? user.scope()
                           : request.village_prefix();
  if (!IsVillagePrefix(prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "village_prefix: ", Quoted(prefix), " is not a prefix of 0-12 digits"));
  }
  VS_RETURN_IF_ERROR(CheckCanRead(user, prefix));
  ChangeQuery query;
  query.village_prefix = prefix;
  query.after = request.checkpoint();
  query.max_changes = request.max_changes() == 0
                          ? kMaxPageChanges
                          : std::min(request.max_changes(), kMaxPageChanges);
  query.max_bytes = kMaxPageBytes;
  query.skip_replica = request.replica_id();
  absl::StatusOr<ChangePage> read = store_->ReadChanges(query);
  if (absl::IsFailedPrecondition(read.status()) && !standby_of_.empty()) {
    // A device moving here from the peer this server stands by for: start
    // from the matching position if the replication maps know one.
    VS_ASSIGN_OR_RETURN(absl::optional<std::string> translated,
                        TranslateCheckpoint(*store_, standby_of_, query.after));
    if (translated) {
      query.after = *translated;
      read = store_->ReadChanges(query);
    }
  }
  VS_ASSIGN_OR_RETURN(ChangePage page, std::move(read));
  bool pii = CanReadPii(user);
  for (v1::Change& change : page.changes) {
    if (!pii) WithholdPii(&change, store_->schemas());
    *response->add_changes() = std::move(change);
  }
  response->set_checkpoint(page.checkpoint);
  response->set_more(page.more);
  response->set_server_replica_id(store_->replica_id());
  metrics_->Add(kChangesSent, {}, response->changes_size());
  metrics_->Add(kBytesSent, {{"method", "Pull"}},
                static_cast<double>(response->ByteSizeLong()));
  log_->Pulled(request.replica_id(), response->changes_size(),
               response->ByteSizeLong(), !page.more);
  return absl::OkStatus();
}

}  // namespace villagesync
