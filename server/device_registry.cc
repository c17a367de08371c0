#include "server/device_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "storage/device_writes.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

// Rows (the store's metadata area):
//   devices/<replica:%016x>              v1::Device
//   device-owners/<user>/<replica:%016x>  "" (counts a user's devices)
constexpr absl::string_view kDevicePrefix = "devices/";
constexpr absl::string_view kOwnerPrefix = "device-owners/";

std::string DeviceKey(uint64_t replica) {
  return absl::StrFormat("%s%016x", kDevicePrefix, replica);
}

std::string OwnerKey(const std::string& user, uint64_t replica) {
  return absl::StrFormat("%s%s/%016x", kOwnerPrefix, user, replica);
}

std::string Hex(uint64_t replica) { return absl::StrFormat("%016x", replica); }

// Rows written before the registry existed hold a v1::DeviceSync, whose
// fields 3 and 5 have other wire types: they parse as a Device with no
// registration time.
absl::StatusOr<v1::Device> ParseDevice(const std::string& key,
                                       const std::string& bytes) {
  v1::Device device;
  if (!device.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("corrupt registration ", key));
  }
  if (device.registered_micros() != 0 || device.server()) return device;
  v1::DeviceSync old;
  if (!old.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("corrupt registration ", key));
  }
  device.Clear();
  device.set_replica_id(old.replica_id());
  device.set_user(old.user());
  device.set_role(old.role());
  device.set_scope(old.scope());
  device.set_last_sync_micros(old.last_sync_micros());
  device.set_registered_micros(old.last_sync_micros());
  return device;
}

absl::Status Decommissioned(const v1::Device& device) {
  return absl::PermissionDeniedError(absl::StrCat(
      "replica_id: ", Hex(device.replica_id()), " was decommissioned by ",
      Quoted(device.decommissioned_by()),
      "; this device may not sync again (its unsent edits stay in its store; "
      "ask an administrator, and set up a new store to sync)"));
}

absl::Status NotYours(const v1::UserInfo& caller, const v1::Device& device) {
  return absl::PermissionDeniedError(absl::StrCat(
      "replica_id: ", Hex(device.replica_id()), " is ",
      device.server() ? "a server's replica id" : "registered to another user",
      "; user \"", caller.name(),
      "\" may speak only for its own devices (a new device picks a new "
      "random id)"));
}

}  // namespace

DeviceRegistry::DeviceRegistry(RecordStore* store, int max_devices_per_user)
    : store_(store), max_devices_per_user_(max_devices_per_user) {}

absl::Mutex& DeviceRegistry::LockOf(uint64_t replica) const {
  return push_locks_[replica % push_locks_.size()];
}

absl::StatusOr<absl::optional<v1::Device>> DeviceRegistry::Find(
    uint64_t replica) const {
  std::string key = DeviceKey(replica);
  VS_ASSIGN_OR_RETURN(absl::optional<std::string> row, store_->GetMeta(key));
  if (!row) return absl::optional<v1::Device>();
  VS_ASSIGN_OR_RETURN(v1::Device device, ParseDevice(key, *row));
  return absl::optional<v1::Device>(std::move(device));
}

absl::StatusOr<std::vector<v1::Device>> DeviceRegistry::List() const {
  VS_ASSIGN_OR_RETURN(auto rows, store_->ScanMeta(kDevicePrefix));
  std::vector<v1::Device> devices;
  devices.reserve(rows.size());
  for (const auto& [key, bytes] : rows) {
    VS_ASSIGN_OR_RETURN(v1::Device device, ParseDevice(key, bytes));
    devices.push_back(std::move(device));
  }
  return devices;
}

absl::Status DeviceRegistry::Save(const v1::Device& device) {
  return store_->PutMeta(DeviceKey(device.replica_id()),
                         device.SerializeAsString());
}

absl::StatusOr<int> DeviceRegistry::CountOwnedBy(
    const std::string& user) const {
  VS_ASSIGN_OR_RETURN(auto rows,
                      store_->ScanMeta(absl::StrCat(kOwnerPrefix, user, "/")));
  return static_cast<int>(rows.size());
}

absl::Status DeviceRegistry::RegisterServer(uint64_t replica) {
  absl::MutexLock lock(&LockOf(replica));
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> existing, Find(replica));
  if (existing && existing->server()) return absl::OkStatus();
  v1::Device device;
  device.set_replica_id(replica);
  device.set_server(true);
  device.set_registered_micros(absl::ToUnixMicros(absl::Now()));
  return Save(device);
}

absl::StatusOr<v1::Device> DeviceRegistry::Hello(const v1::UserInfo& caller,
                                                 const v1::HelloRequest& hello,
                                                 absl::Time now) {
  const uint64_t replica = hello.replica_id();
  absl::MutexLock lock(&LockOf(replica));
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> existing, Find(replica));
  v1::Device device;
  if (existing) {
    if (existing->server() || existing->user() != caller.name()) {
      return NotYours(caller, *existing);
    }
    if (existing->decommissioned_micros() != 0) {
      return Decommissioned(*existing);
    }
    device = std::move(*existing);
  } else {
    // A new device's id has written nothing yet; an id this server holds
    // writes of belongs to a replica registered elsewhere (a server, or a
    // device of another county).
    VS_ASSIGN_OR_RETURN(uint64_t known, store_->KnownCounter(replica));
    if (known > 0 && caller.role() != "replica") {
      return absl::PermissionDeniedError(absl::StrCat(
          "replica_id: ", Hex(replica),
          " has written here before as another replica; a new device picks "
          "a new random id"));
    }
    absl::MutexLock registering(&mu_);
    VS_ASSIGN_OR_RETURN(int owned, CountOwnedBy(caller.name()));
    if (owned >= max_devices_per_user_ && caller.role() != "replica") {
      return absl::ResourceExhaustedError(absl::StrCat(
          "replica_id: user \"", caller.name(), "\" already has ", owned,
          " registered devices, the most this server allows "
          "(villagesyncd --max_devices_per_user)"));
    }
    device.set_replica_id(replica);
    device.set_user(caller.name());
    device.set_registered_micros(absl::ToUnixMicros(now));
  }
  device.set_role(caller.role());
  device.set_scope(caller.scope());
  device.set_last_sync_micros(absl::ToUnixMicros(now));
  device.set_app_version(Bounded(hello.client_version()));
  device.set_pending_edits(hello.pending_edits());
  // The registration and its count under the user, in one batch.
  VS_RETURN_IF_ERROR(
      store_->PutMetaRows({{DeviceKey(replica), device.SerializeAsString()},
                           {OwnerKey(device.user(), replica), ""}}));
  return device;
}

absl::StatusOr<v1::Device> DeviceRegistry::Owned(const v1::UserInfo& caller,
                                                 uint64_t replica) const {
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> device, Find(replica));
  if (!device) {
    return absl::FailedPreconditionError(
        absl::StrCat("replica_id: ", Hex(replica),
                     " is not registered here: say Hello first"));
  }
  if (device->server() || device->user() != caller.name()) {
    return NotYours(caller, *device);
  }
  if (device->decommissioned_micros() != 0) return Decommissioned(*device);
  return *std::move(device);
}

absl::StatusOr<v1::Device> DeviceRegistry::Decommission(uint64_t replica,
                                                        absl::string_view actor,
                                                        absl::Time now,
                                                        v1::AuditEntry audit) {
  absl::MutexLock lock(&LockOf(replica));
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> device, Find(replica));
  if (!device || device->server()) {
    return absl::NotFoundError(
        absl::StrCat("replica_id: no device ", Hex(replica), " is registered"));
  }
  if (device->decommissioned_micros() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replica_id: device ", Hex(replica), " was already decommissioned by ",
        Quoted(device->decommissioned_by())));
  }
  device->set_decommissioned_micros(absl::ToUnixMicros(now));
  device->set_decommissioned_by(std::string(actor));
  VS_RETURN_IF_ERROR(
      store_->PutMeta(DeviceKey(replica), device->SerializeAsString(), &audit));
  return *std::move(device);
}

absl::Status DeviceRegistry::Push(const v1::Device& device,
                                  const std::string& lineage,
                                  const std::string& next,
                                  const std::function<absl::Status()>& apply) {
  absl::MutexLock lock(&LockOf(device.replica_id()));
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> current,
                      Find(device.replica_id()));
  const std::string tip = current ? current->lineage() : "";
  // A tip this server knows fewer pushes of only lags (a standby) or lost
  // some (restored from an older copy): the device's lineage goes on.
  if (Forked(tip, lineage, next)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lineage: replica ", Hex(device.replica_id()),
        " pushes from a copy of its store that forked from the one this "
        "server knows (restored from an older copy?); it must take a new "
        "replica id (villagesync does so at its next sync)"));
  }
  VS_RETURN_IF_ERROR(apply());
  if (tip == next || next.empty() || !current) return absl::OkStatus();
  current->set_lineage(next);
  return Save(*current);
}

absl::Status DeviceRegistry::CheckForwardable(
    const v1::UserInfo& peer, const v1::Watermark& forwarded) const {
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> existing,
                      Find(forwarded.replica()));
  const std::string& scope = existing ? existing->scope() : forwarded.scope();
  if (!existing && forwarded.owner().empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("forwarded_watermarks: device ", Hex(forwarded.replica()),
                     " is unknown here and forwarded without its owner"));
  }
  if ((existing && existing->server()) || !InScope(peer, scope)) {
    return absl::PermissionDeniedError(
        absl::StrCat("forwarded_watermarks: device ", Hex(forwarded.replica()),
                     " is outside the peer's region ", Quoted(peer.scope())));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DeviceRegistry::Adopt(const v1::Watermark& forwarded) {
  absl::MutexLock lock(&LockOf(forwarded.replica()));
  VS_ASSIGN_OR_RETURN(absl::optional<v1::Device> existing,
                      Find(forwarded.replica()));
  v1::Device device;
  if (existing) {
    if (existing->server() || existing->user() != forwarded.owner()) {
      return false;
    }
    device = std::move(*existing);
  } else {
    device.set_replica_id(forwarded.replica());
    device.set_user(forwarded.owner());
    device.set_scope(forwarded.scope());
    device.set_registered_micros(absl::ToUnixMicros(absl::Now()));
  }
  if (LineageLength(forwarded.lineage()) > LineageLength(device.lineage())) {
    device.set_lineage(forwarded.lineage());
  }
  VS_RETURN_IF_ERROR(store_->PutMetaRows(
      {{DeviceKey(device.replica_id()), device.SerializeAsString()},
       {OwnerKey(device.user(), device.replica_id()), ""}}));
  return true;
}

}  // namespace villagesync
