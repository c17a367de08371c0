// PeerWorker replicates with one peer server (SPEC §8), on its own thread,
// over the same SyncService protocol devices use, with a `replica` token:
// each round says Hello, pushes our change log since the last acknowledged
// position and pulls the peer's since ours, within the configured region
// and collections, withholding `pii` upward. Positions are persisted in the
// store after every acknowledged page, so restarts of either side resume
// where they stopped. Loop-safe by idempotence: a change arriving where it
// is already known creates no log entry, so it travels no further.
#ifndef VILLAGESYNC_SERVER_PEER_WORKER_H_
#define VILLAGESYNC_SERVER_PEER_WORKER_H_

#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/replication.pb.h"
#include "proto/sync.grpc.pb.h"
#include "server/device_registry.h"
#include "server/logger.h"
#include "storage/record_store.h"

namespace villagesync {

// Thread-safe. `store` must outlive the worker.
class PeerWorker {
 public:
  // `idle` is the pause between rounds once caught up. `devices` (the
  // registry whose registrations are forwarded to full-copy peers) and
  // `logger` (state changes and errors; may be null) must outlive the
  // worker.
  PeerWorker(RecordStore* store, const DeviceRegistry* devices, v1::Peer peer,
             absl::Duration idle, Logger* logger = nullptr);
  ~PeerWorker();  // Stops and joins.

  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  v1::PeerStatus Status() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();
  // One round; sets `*moved` if any change went either way.
  absl::Status Round(bool* moved);
  absl::Status PushAll(uint64_t peer_replica, uint64_t peer_received,
                       bool* moved);
  absl::Status PullAll(uint64_t peer_replica, bool* moved);
  // Applies a pulled page here; counts and flags what was new.
  absl::Status ApplyPulled(const std::vector<v1::Change>& changes,
                           uint64_t peer_replica, bool* moved);
  absl::StatusOr<std::string> PushStart(uint64_t peer_received);
  absl::StatusOr<ChangePage> ReadOutgoing(const std::string& after,
                                          uint64_t peer_replica);
  absl::StatusOr<std::vector<v1::Watermark>> Forwardable(uint64_t peer_replica);
  absl::Status PushPage(const std::vector<v1::Change>& changes,
                        const std::vector<v1::Watermark>& forward,
                        v1::PushResponse* response);
  absl::Status AfterPush(const std::string& checkpoint,
                         const v1::PushResponse& response);
  bool Wanted(const v1::Change& change) const;
  void Prepare(v1::Change* change) const;
  grpc::Status Call(
      const std::function<grpc::Status(grpc::ClientContext*)>& rpc);
  void Record(const absl::Status& round, bool moved) ABSL_LOCKS_EXCLUDED(mu_);
  // Notes the push position the peer acknowledged; `caught_up` if nothing
  // was left to send when it was read.
  void Acknowledged(const std::string& checkpoint, bool caught_up)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool WaitOrStop(absl::Duration pause) ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  RecordStore* const store_;
  const DeviceRegistry* const devices_;
  Logger* const logger_;
  const v1::Peer peer_;
  const absl::Duration idle_;
  const bool pushes_, pulls_, strip_pii_;
  std::unique_ptr<v1::SyncService::Stub> stub_;
  absl::Status setup_error_;  // credentials that could not be read

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  v1::PeerStatus status_ ABSL_GUARDED_BY(mu_);
  uint64_t acked_position_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time caught_up_at_ ABSL_GUARDED_BY(mu_) = absl::Now();
  // The worker thread's own: watermarks already forwarded to the peer.
  std::map<uint64_t, uint64_t> forwarded_;
  std::thread thread_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_PEER_WORKER_H_
