// What a field device may say in a push (SPEC §6, the trust boundary): only
// its own writes. A server checks each change of a device's push against
// what it has received (CheckDeviceChange); a device leaves out of what it
// sends the values of other replicas that a pull merged into a field it had
// edited (KeepOwnValuesOnly). Pure functions; the reasoning is in
// docs/DESIGN.md, "Trust".
#ifndef VILLAGESYNC_STORAGE_DEVICE_WRITES_H_
#define VILLAGESYNC_STORAGE_DEVICE_WRITES_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/records.pb.h"
#include "proto/schema.pb.h"
#include "storage/causal_context.h"

namespace villagesync {

// How far above the highest counter a server holds for a device the device's
// dots may go. Edits superseded on the device before it synced leave gaps in
// what it sends; a jump beyond this is a broken or forged counter, which
// would otherwise make every later edit of the device look old.
inline constexpr uint64_t kMaxDotGap = uint64_t{1} << 20;

// The highest dot counter a server has received from a replica, through any
// path (RecordStore::KnownCounter), by replica; missing counts as 0.
using KnownCounters = absl::flat_hash_map<uint64_t, uint64_t>;

// Says whether `sibling`, in register `field` (the field name, or "" for
// the deletion marker) of the change's record, carries this server's own
// valid seal (storage/seal.h).
using SealCheck =
    std::function<bool(absl::string_view field, const v1::Sibling& sibling)>;

// The verdict on one change of a push by `device` (the pushing replica id),
// from the change alone. A register may also hand back a write this server
// sealed (`sealed_here`): then it holds only sealed values and exactly
// their dots as its context, and so claims nothing beyond them.
// - OK: it may be applied, once CheckClaims agrees for each register.
// - INVALID_ARGUMENT naming the field ("fields.phone.dot", ...): a register
//   without a value of `device`'s own, a value with another replica's dot, a
//   counter more than kMaxDotGap above `known[device]`, an edit clearing a
//   required field. Rejected: nothing of it may be applied.
absl::Status CheckDeviceChange(const v1::CollectionSchema& schema,
                               const v1::Change& change, uint64_t device,
                               const KnownCounters& known,
                               const SealCheck& sealed_here);

// UNAVAILABLE naming `name` ("fields.phone.context") if the context of
// `incoming`, a register of `device`'s, claims writes of another replica
// beyond `held`: the context this server holds for that register (empty if
// it has none). It may be genuine (the device last synced with a server
// this one lags behind), so the change is deferred, never applied with the
// claim and never dropped; else OK.
absl::Status CheckClaims(const v1::FieldState& incoming,
                         const CausalContext& held, absl::string_view name,
                         uint64_t device);

// Lowers the claims of `incoming`, a register of `device`'s, about other
// replicas to what `held` has seen of them: the part of a change that
// CheckClaims defers which this server can believe now.
void LimitClaims(const CausalContext& held, uint64_t device,
                 v1::FieldState* incoming);

// True if `state` hands back writes this server sealed (see above).
bool IsReturnedRegister(const v1::FieldState& state, absl::string_view field,
                        const SealCheck& sealed_here);

// Part of the message of every error telling a device that its store forked
// (restored from an older copy) and that it must take a new replica id
// (RecordStore::TakeNewIdentity); devices look for it.
inline constexpr char kTakeNewIdentity[] = "it must take a new replica id";

// A device's push lineage after a push of `changes` is accepted, from the
// lineage before it (proto/sync.proto, PushRequest.lineage): the number of
// pushes (8 bytes, big-endian) and the SHA-256 of the previous lineage and
// the changes, chained. Two copies of one store that push different changes
// from the same lineage get different results.
std::string NextLineage(
    absl::string_view lineage,
    const google::protobuf::RepeatedPtrField<v1::Change>& changes);

// How many pushes `lineage` counts (0 for none or a malformed one).
uint64_t LineageLength(absl::string_view lineage);

// True if a replica whose push lineage is `mine` forked from the one a
// server holds as `known`: the server has a push of it the replica does not
// (as many pushes or more, and not the same). A server that knows fewer
// pushes only lags (a standby) or lost some (restored from an older copy).
// `pending` is the lineage of a push whose answer was lost.
bool Forked(absl::string_view known, absl::string_view mine,
            absl::string_view pending);

// Leaves in `change` only the values `replica` wrote. A value of another
// replica in a register (merged in by a pull after `replica`'s own edit) is
// removed, and the context entry of its writer lowered below it, so the
// change still claims only what `replica`'s own write had seen of that
// writer. A register left without a value of `replica`'s becomes a
// retraction: no value, and a context of `replica`'s own entry only ("my
// writes here up to n were superseded"), which lets a server that lost
// them (a restore) believe the claims of the write that superseded them;
// a register with no write of `replica`'s at all is removed. Returns false
// if nothing is left to send.
bool KeepOwnValuesOnly(uint64_t replica, v1::Change* change);

// True if `state` is a retraction of `replica`'s (see KeepOwnValuesOnly).
bool IsRetraction(const v1::FieldState& state, uint64_t replica);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_DEVICE_WRITES_H_
