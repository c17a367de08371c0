// Position maps between a server and its replication peer, so a device that
// moves from the peer to this server catches up from where it was instead
// of starting over (SPEC §8). Replication records, per peer:
//   pull map: peer position P -> our position once we had applied the
//             peer's log up to P;
//   push map: peer position P (after it applied our push) -> our push
//             position then (our changes up to it were in the peer's log
//             by P).
// A device's checkpoint from the peer at P maps to the earlier of the two
// positions: our log before it holds only what the peer had by P, which the
// device has read.
#ifndef VILLAGESYNC_SERVER_POSITION_MAP_H_
#define VILLAGESYNC_SERVER_POSITION_MAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "storage/record_store.h"

namespace villagesync {

// Records that the peer's position `peer_checkpoint` corresponds to our
// position `ours` in the map `kind` ("pullmap" or "pushmap") of `peer`.
absl::Status RecordPosition(RecordStore& store, const std::string& peer,
                            const char* kind, absl::string_view peer_checkpoint,
                            uint64_t ours);

// Our checkpoint for a device's `foreign` checkpoint of `peer`'s log, if
// both maps know a position at or before it; nullopt otherwise (read from
// the start).
absl::StatusOr<absl::optional<std::string>> TranslateCheckpoint(
    const RecordStore& store, const std::string& peer,
    absl::string_view foreign);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_POSITION_MAP_H_
