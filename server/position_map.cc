#include "server/position_map.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/status_macros.h"

namespace villagesync {
namespace {

// Keys end in the peer position as 16 hex digits: fixed width, so key
// order is position order.
std::string MapPrefix(const std::string& peer, const char* kind,
                      uint64_t incarnation) {
  return absl::StrFormat("peers/%s/%s/%016x/", peer, kind, incarnation);
}

// Our position for the latest peer position at or before `seq`.
absl::StatusOr<absl::optional<uint64_t>> Lookup(const RecordStore& store,
                                                const std::string& prefix,
                                                uint64_t seq) {
  VS_ASSIGN_OR_RETURN(auto rows, store.ScanMeta(prefix));
  absl::optional<uint64_t> found;
  for (const auto& [key, value] : rows) {  // ordered by peer position
    uint64_t position = 0;
    if (!absl::SimpleHexAtoi(absl::string_view(key).substr(prefix.size()),
                             &position) ||
        position > seq) {
      break;
    }
    uint64_t ours = 0;
    if (absl::SimpleAtoi(value, &ours)) found = ours;
  }
  return found;
}

}  // namespace

absl::Status RecordPosition(RecordStore& store, const std::string& peer,
                            const char* kind, absl::string_view peer_checkpoint,
                            uint64_t ours) {
  VS_ASSIGN_OR_RETURN(uint64_t incarnation,
                      RecordStore::CheckpointIncarnation(peer_checkpoint));
  VS_ASSIGN_OR_RETURN(uint64_t seq,
                      RecordStore::CheckpointSeq(peer_checkpoint));
  if (incarnation == 0) return absl::OkStatus();
  return store.PutMeta(absl::StrCat(MapPrefix(peer, kind, incarnation),
                                    absl::StrFormat("%016x", seq)),
                       absl::StrCat(ours));
}

absl::StatusOr<absl::optional<std::string>> TranslateCheckpoint(
    const RecordStore& store, const std::string& peer,
    absl::string_view foreign) {
  VS_ASSIGN_OR_RETURN(uint64_t incarnation,
                      RecordStore::CheckpointIncarnation(foreign));
  VS_ASSIGN_OR_RETURN(uint64_t seq, RecordStore::CheckpointSeq(foreign));
  VS_ASSIGN_OR_RETURN(
      absl::optional<uint64_t> pulled,
      Lookup(store, MapPrefix(peer, "pullmap", incarnation), seq));
  VS_ASSIGN_OR_RETURN(
      absl::optional<uint64_t> pushed,
      Lookup(store, MapPrefix(peer, "pushmap", incarnation), seq));
  if (!pulled || !pushed) return absl::optional<std::string>();
  VS_ASSIGN_OR_RETURN(std::string ours,
                      store.CheckpointAt(std::min(*pulled, *pushed)));
  return absl::optional<std::string>(std::move(ours));
}

}  // namespace villagesync
