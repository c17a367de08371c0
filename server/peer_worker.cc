#include "server/peer_worker.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/admin.pb.h"
#include "proto/call_policy.h"
#include "proto/grpc_status.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "server/position_map.h"
#include "server/tls.h"

namespace villagesync {
namespace {

constexpr uint32_t kPageChanges = 500;
constexpr absl::Duration kRpcDeadline = absl::Seconds(60);
// A peer back after a restart is served again within this (the reconnect
// itself follows the call policy, proto/call_policy.h).
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

std::string MetaKey(const v1::Peer& peer, absl::string_view what) {
  return absl::StrCat("peers/", peer.name(), "/", what);
}

// The metadata under `key`, "" if none.
absl::StatusOr<std::string> ReadMeta(const RecordStore& store,
                                     const std::string& key) {
  VS_ASSIGN_OR_RETURN(absl::optional<std::string> value, store.GetMeta(key));
  return value.value_or("");
}

bool Pushes(const v1::Peer& peer) {
  return peer.direction() == v1::DIRECTION_PUSH ||
         peer.direction() == v1::DIRECTION_BOTH;
}

bool Pulls(const v1::Peer& peer) {
  return peer.direction() == v1::DIRECTION_PULL ||
         peer.direction() == v1::DIRECTION_BOTH;
}

}  // namespace

PeerWorker::PeerWorker(RecordStore* store, const DeviceRegistry* devices,
                       v1::Peer peer, absl::Duration idle, Logger* logger)
    : store_(store),
      devices_(devices),
      logger_(logger),
      peer_(std::move(peer)),
      idle_(idle),
      pushes_(Pushes(peer_)),
      pulls_(Pulls(peer_)),
      strip_pii_(peer_.has_strip_pii() ? peer_.strip_pii() : Pushes(peer_)) {
  grpc::ChannelArguments args = CallerChannelArguments(64 << 20);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      PeerCredentials(peer_, &args);
  if (!credentials.ok()) {
    // Checked at start (Server::Start): a file that became unreadable since
    // makes every round fail with this error.
    setup_error_ = credentials.status();
    credentials = grpc::InsecureChannelCredentials();
  }
  stub_ = v1::SyncService::NewStub(
      grpc::CreateCustomChannel(peer_.address(), *credentials, args));
  status_.set_name(peer_.name());
  status_.set_address(peer_.address());
  status_.set_state("syncing");
}

PeerWorker::~PeerWorker() { Stop(); }

void PeerWorker::Start() {
  // Lag counts from the persisted position until the peer acknowledges more.
  absl::StatusOr<std::string> pushed =
      ReadMeta(*store_, MetaKey(peer_, "push"));
  if (pushed.ok()) Acknowledged(*pushed, /*caught_up=*/false);
  thread_ = std::thread([this] { Loop(); });
}

void PeerWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

v1::PeerStatus PeerWorker::Status() const {
  absl::MutexLock lock(&mu_);
  v1::PeerStatus status = status_;
  // Live: changes committed here since the last acknowledged position, and
  // how long since the peer was last caught up.
  int64_t lag = pushes_ ? static_cast<int64_t>(store_->last_seq()) -
                              static_cast<int64_t>(acked_position_)
                        : 0;
  status.set_lag_changes(std::max<int64_t>(lag, 0));
  status.set_lag_seconds(
      lag > 0 ? absl::ToInt64Seconds(absl::Now() - caught_up_at_) : 0);
  return status;
}

bool PeerWorker::WaitOrStop(absl::Duration pause) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stop_), pause);
  return stop_;
}

void PeerWorker::Loop() {
  absl::Duration backoff = idle_;
  while (true) {
    bool moved = false;
    absl::Status round = Round(&moved);
    Record(round, moved);
    absl::Duration pause =
        round.ok() ? (moved ? absl::ZeroDuration() : idle_) : backoff;
    // Back off on errors, but not much beyond the idle pause: a peer that
    // was down for a moment is served again soon after it returns.
    backoff =
        round.ok() ? idle_ : std::min({backoff * 2, kMaxBackoff, idle_ * 20});
    if (WaitOrStop(pause)) return;
  }
}

void PeerWorker::Record(const absl::Status& round, bool moved) {
  std::string state = !round.ok() ? "error" : moved ? "syncing" : "idle";
  std::string error = round.ok() ? "" : std::string(round.message());
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    // An operator wants state changes and errors, not every idle round.
    changed = state != status_.state() || error != status_.last_error();
    status_.set_state(state);
    status_.set_last_error(error);
    if (round.ok()) {
      status_.set_last_success_micros(absl::ToUnixMicros(absl::Now()));
    } else {
      status_.set_errors(status_.errors() + 1);
    }
  }
  if (!changed || logger_ == nullptr) return;
  if (round.ok()) {
    logger_->Info("replication", {{"peer", peer_.name()}, {"state", state}});
  } else {
    logger_->Warn("replication",
                  {{"peer", peer_.name()}, {"state", state}, {"error", error}});
  }
}

void PeerWorker::Acknowledged(const std::string& checkpoint, bool caught_up) {
  absl::StatusOr<uint64_t> seq = RecordStore::CheckpointSeq(checkpoint);
  absl::MutexLock lock(&mu_);
  if (seq.ok()) acked_position_ = *seq;
  if (caught_up) caught_up_at_ = absl::Now();
}

grpc::Status PeerWorker::Call(
    const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", peer_.token()));
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcDeadline));
  return rpc(&context);
}

absl::Status PeerWorker::Round(bool* moved) {
  VS_RETURN_IF_ERROR(setup_error_);
  v1::HelloRequest hello;
  hello.set_replica_id(store_->replica_id());
  hello.set_schema_version(store_->schemas().version());
  hello.set_client_version("villagesyncd-replica/1");
  v1::HelloResponse who;
  VS_RETURN_IF_ERROR(FromGrpcStatus(Call(
      [&](grpc::ClientContext* c) { return stub_->Hello(c, hello, &who); })));
  if (pushes_)
    VS_RETURN_IF_ERROR(
        PushAll(who.server_replica_id(), who.received_seq(), moved));
  if (pulls_) VS_RETURN_IF_ERROR(PullAll(who.server_replica_id(), moved));
  return absl::OkStatus();
}

bool PeerWorker::Wanted(const v1::Change& change) const {
  if (peer_.collections().empty()) return true;
  return std::find(peer_.collections().begin(), peer_.collections().end(),
                   change.key().collection()) != peer_.collections().end();
}

void PeerWorker::Prepare(v1::Change* change) const {
  if (strip_pii_) WithholdPii(change, store_->schemas());
}

absl::StatusOr<std::string> PeerWorker::PushStart(uint64_t peer_received) {
  VS_ASSIGN_OR_RETURN(std::string checkpoint,
                      ReadMeta(*store_, MetaKey(peer_, "push")));
  VS_ASSIGN_OR_RETURN(std::string acked,
                      ReadMeta(*store_, MetaKey(peer_, "acked")));
  uint64_t acked_seq = 0;
  if (!acked.empty() && absl::SimpleAtoi(acked, &acked_seq) &&
      peer_received < acked_seq) {
    // The peer lost what it acknowledged (restored from a backup): resend.
    return store_->CheckpointAt(peer_received);
  }
  return checkpoint;
}

absl::StatusOr<ChangePage> PeerWorker::ReadOutgoing(const std::string& after,
                                                    uint64_t peer_replica) {
  ChangeQuery query;
  query.after = after;
  query.village_prefix = peer_.region_prefix();
  query.max_changes = kPageChanges;
  query.skip_replica = peer_replica;  // what the peer wrote, it has
  absl::StatusOr<ChangePage> page = store_->ReadChanges(query);
  if (absl::IsFailedPrecondition(page.status())) {
    query.after.clear();  // our own store was restored: start over
    page = store_->ReadChanges(query);
  }
  VS_RETURN_IF_ERROR(page.status());
  std::vector<v1::Change> outgoing;
  for (v1::Change& change : page->changes) {
    if (!Wanted(change)) continue;
    Prepare(&change);
    outgoing.push_back(std::move(change));
  }
  page->changes = std::move(outgoing);
  return page;
}

// Device watermarks and registrations the peer may take over: only for a
// full copy (every collection, personal data included) and devices inside
// its region.
absl::StatusOr<std::vector<v1::Watermark>> PeerWorker::Forwardable(
    uint64_t peer_replica) {
  std::vector<v1::Watermark> forward;
  if (!peer_.collections().empty() || strip_pii_) return forward;
  VS_ASSIGN_OR_RETURN(auto marks, store_->Watermarks());
  VS_ASSIGN_OR_RETURN(std::vector<v1::Device> devices, devices_->List());
  std::map<uint64_t, const v1::Device*> registered;
  for (const v1::Device& d : devices) {
    if (!d.server()) registered[d.replica_id()] = &d;
  }
  for (const auto& [replica, seq] : marks) {
    auto device = registered.find(replica);
    if (replica == peer_replica || device == registered.end() ||
        !absl::StartsWith(device->second->scope(), peer_.region_prefix())) {
      continue;
    }
    auto sent = forwarded_.find(replica);
    if (sent != forwarded_.end() && sent->second >= seq)
      continue;  // known there
    v1::Watermark& w = forward.emplace_back();
    w.set_replica(replica);
    w.set_seq(seq);
    w.set_owner(device->second->user());
    w.set_scope(device->second->scope());
    w.set_lineage(device->second->lineage());
  }
  return forward;
}

absl::Status PeerWorker::PushAll(uint64_t peer_replica, uint64_t peer_received,
                                 bool* moved) {
  // Read before the pages: every change they count is then in the pages.
  VS_ASSIGN_OR_RETURN(std::vector<v1::Watermark> forward,
                      Forwardable(peer_replica));
  VS_ASSIGN_OR_RETURN(std::string checkpoint, PushStart(peer_received));
  while (true) {
    VS_ASSIGN_OR_RETURN(ChangePage page,
                        ReadOutgoing(checkpoint, peer_replica));
    v1::PushResponse response;
    response.set_received_seq(peer_received);
    std::vector<v1::Watermark> sending =
        page.more ? std::vector<v1::Watermark>() : forward;
    VS_RETURN_IF_ERROR(PushPage(page.changes, sending, &response));
    *moved = *moved || !page.changes.empty();
    // An idle round sends nothing and stays where it was: nothing to save
    // (each save is a synced write).
    bool advanced = !page.changes.empty() || !sending.empty() ||
                    page.checkpoint != checkpoint;
    checkpoint = page.checkpoint;
    if (advanced) VS_RETURN_IF_ERROR(AfterPush(checkpoint, response));
    Acknowledged(checkpoint, !page.more);
    if (!page.more) {
      for (const v1::Watermark& w : forward) forwarded_[w.replica()] = w.seq();
      return absl::OkStatus();
    }
  }
}

absl::Status PeerWorker::AfterPush(const std::string& checkpoint,
                                   const v1::PushResponse& response) {
  VS_RETURN_IF_ERROR(store_->PutMeta(MetaKey(peer_, "push"), checkpoint));
  VS_RETURN_IF_ERROR(store_->PutMeta(MetaKey(peer_, "acked"),
                                     absl::StrCat(response.received_seq())));
  if (response.server_checkpoint().empty()) return absl::OkStatus();
  VS_ASSIGN_OR_RETURN(uint64_t ours, RecordStore::CheckpointSeq(checkpoint));
  return RecordPosition(*store_, peer_.name(), "pushmap",
                        response.server_checkpoint(), ours);
}

absl::Status PeerWorker::PushPage(const std::vector<v1::Change>& changes,
                                  const std::vector<v1::Watermark>& forward,
                                  v1::PushResponse* response) {
  if (changes.empty() && forward.empty()) return absl::OkStatus();
  v1::PushRequest request;
  request.set_replica_id(store_->replica_id());
  for (const v1::Change& c : changes) *request.add_changes() = c;
  for (const v1::Watermark& w : forward)
    *request.add_forwarded_watermarks() = w;
  VS_RETURN_IF_ERROR(FromGrpcStatus(Call([&](grpc::ClientContext* c) {
    return stub_->Push(c, request, response);
  })));
  absl::MutexLock lock(&mu_);
  status_.set_changes_pushed(status_.changes_pushed() + request.changes_size());
  return absl::OkStatus();
}

absl::Status PeerWorker::ApplyPulled(const std::vector<v1::Change>& changes,
                                     uint64_t peer_replica, bool* moved) {
  if (changes.empty()) return absl::OkStatus();
  VS_ASSIGN_OR_RETURN(std::vector<v1::ApplyResult> results,
                      store_->Apply(changes, peer_replica));
  int64_t applied = 0;
  for (const v1::ApplyResult& r : results) {
    if (r.outcome() == v1::APPLY_OUTCOME_APPLIED ||
        r.outcome() == v1::APPLY_OUTCOME_CONFLICT) {
      ++applied;
    }
  }
  *moved = *moved || applied > 0;
  absl::MutexLock lock(&mu_);
  status_.set_changes_pulled(status_.changes_pulled() + applied);
  return absl::OkStatus();
}

absl::Status PeerWorker::PullAll(uint64_t peer_replica, bool* moved) {
  VS_ASSIGN_OR_RETURN(std::string checkpoint,
                      ReadMeta(*store_, MetaKey(peer_, "pull")));
  while (true) {
    v1::PullRequest request;
    request.set_checkpoint(checkpoint);
    request.set_village_prefix(peer_.region_prefix());
    request.set_replica_id(store_->replica_id());
    v1::PullResponse response;
    absl::Status pulled = FromGrpcStatus(Call([&](grpc::ClientContext* c) {
      return stub_->Pull(c, request, &response);
    }));
    if (absl::IsFailedPrecondition(pulled) && !checkpoint.empty()) {
      checkpoint.clear();  // the peer's lineage changed: read it again
      continue;
    }
    VS_RETURN_IF_ERROR(pulled);
    std::vector<v1::Change> changes;
    for (v1::Change& change : *response.mutable_changes()) {
      if (!Wanted(change)) continue;
      Prepare(&change);
      changes.push_back(std::move(change));
    }
    if (changes.empty() && response.checkpoint() == checkpoint) {
      return absl::OkStatus();  // an idle round: nothing new, nothing to save
    }
    VS_RETURN_IF_ERROR(ApplyPulled(changes, peer_replica, moved));
    checkpoint = response.checkpoint();
    VS_RETURN_IF_ERROR(store_->PutMeta(MetaKey(peer_, "pull"), checkpoint));
    VS_RETURN_IF_ERROR(RecordPosition(*store_, peer_.name(), "pullmap",
                                      checkpoint, store_->last_seq()));
    if (!response.more()) return absl::OkStatus();
  }
}

}  // namespace villagesync
