// DeviceRegistry: which user each replica id belongs to (SPEC §6, the trust
// boundary). The first Hello with a replica id registers it to the caller's
// user; from then on only that user may speak for it, and nobody for a
// server's own ids. Each registration also keeps the device's push lineage
// (proto/sync.proto, PushRequest.lineage) and its last sync, which reports
// list. Registrations are rows of the record store, so backups and restores
// carry them; they are read on demand and cost no memory beyond the calls
// in flight.
#ifndef VILLAGESYNC_SERVER_DEVICE_REGISTRY_H_
#define VILLAGESYNC_SERVER_DEVICE_REGISTRY_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "proto/admin.pb.h"
#include "proto/sync.pb.h"
#include "storage/record_store.h"

namespace villagesync {

// The default for --max_devices_per_user.
inline constexpr int kDefaultMaxDevicesPerUser = 20;

// Thread-safe. `store` must outlive the registry.
class DeviceRegistry {
 public:
  DeviceRegistry(RecordStore* store, int max_devices_per_user);

  // Marks `replica` as one of this server's own ids, which no user may
  // claim. Idempotent.
  absl::Status RegisterServer(uint64_t replica) ABSL_LOCKS_EXCLUDED(mu_);

  // A Hello from `caller` for `replica`, at `now`. Registers the id to the
  // caller if it is new, and notes the sync with what the Hello said (its
  // client_version, bounded, and pending_edits). PERMISSION_DENIED if the
  // id is registered to another user, is a server's or was decommissioned,
  // or if this server already holds writes of it (it belongs to a replica
  // registered elsewhere); RESOURCE_EXHAUSTED if the caller already has
  // max_devices_per_user registered ids. Returns the registration.
  absl::StatusOr<v1::Device> Hello(const v1::UserInfo& caller,
                                   const v1::HelloRequest& hello,
                                   absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // Retires `replica` for good: it may not say Hello or push again.
  // NOT_FOUND if no device has the id (a server's ids are not devices);
  // FAILED_PRECONDITION if it already was. `audit` is written with it.
  absl::StatusOr<v1::Device> Decommission(uint64_t replica,
                                          absl::string_view actor,
                                          absl::Time now, v1::AuditEntry audit);

  // The registration of `replica`, which must be the caller's:
  // PERMISSION_DENIED if it is another user's, a server's or decommissioned,
  // FAILED_PRECONDITION if it is not registered (say Hello first).
  absl::StatusOr<v1::Device> Owned(const v1::UserInfo& caller,
                                   uint64_t replica) const;

  // Runs `apply` for a push of `device` that continues its lineage (see
  // PushRequest.lineage), and records `next` as the lineage once `apply`
  // succeeds. FAILED_PRECONDITION, without running `apply`, for a push from
  // a copy of the device's store that forked from the one this server
  // knows. Pushes of one device run one at a time.
  absl::Status Push(const v1::Device& device, const std::string& lineage,
                    const std::string& next,
                    const std::function<absl::Status()>& apply)
      ABSL_LOCKS_EXCLUDED(mu_);

  // OK if replication peer `peer` (its `replica` user) may forward
  // `forwarded`: a device inside its region, by the registration here if
  // there is one, else by the scope forwarded. PERMISSION_DENIED otherwise.
  absl::Status CheckForwardable(const v1::UserInfo& peer,
                                const v1::Watermark& forwarded) const;

  // Takes over a registration a replication peer forwarded: registers the
  // device to its owner if new, and adopts the peer's lineage if it counts
  // more pushes. False (nothing changed) if the id is a server's or
  // registered here to another user: that device's watermark must not move.
  absl::StatusOr<bool> Adopt(const v1::Watermark& forwarded)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The registration of `replica`, if any.
  absl::StatusOr<absl::optional<v1::Device>> Find(uint64_t replica) const;

  // Every registration, by replica id.
  absl::StatusOr<std::vector<v1::Device>> List() const;

  int max_devices_per_user() const { return max_devices_per_user_; }

 private:
  absl::Status Save(const v1::Device& device);
  absl::StatusOr<int> CountOwnedBy(const std::string& user) const;
  absl::Mutex& LockOf(uint64_t replica) const;

  // Immutable after construction.
  RecordStore* const store_;
  const int max_devices_per_user_;

  // Serializes registrations (count, then register).
  absl::Mutex mu_;
  // Serialize the pushes of one device (striped by replica id).
  mutable std::array<absl::Mutex, 64> push_locks_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_DEVICE_REGISTRY_H_
