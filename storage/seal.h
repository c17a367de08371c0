// Seals: a server's mark on its own writes (resolutions), so that a device
// holding such a write can hand it back if the server lost it (restored from
// an older copy) and the server can tell it is its own, not a device's
// forgery (docs/DESIGN.md, "Restores"). A seal is the server's replica id and
// an HMAC-SHA256, under a key only the server holds, of everything the write
// says: record, field, dot, time, author and value. Pure functions.
#ifndef VILLAGESYNC_STORAGE_SEAL_H_
#define VILLAGESYNC_STORAGE_SEAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace villagesync {

// Length of a sealing key, in bytes.
inline constexpr size_t kSealKeyBytes = 32;

// A server's sealing key and the replica id its seals name.
struct Sealer {
  std::string key;
  uint64_t server = 0;
};

// A new random sealing key.
std::string NewSealKey();

// The seal of `sibling` (its `seal` field ignored), written into `field` of
// `record` by the server `server` holding `key`.
std::string Seal(absl::string_view key, uint64_t server,
                 const v1::RecordKey& record, absl::string_view field,
                 const v1::Sibling& sibling);

// The server whose seal `sibling` carries (0 if none or malformed).
uint64_t SealedBy(const v1::Sibling& sibling);

// True if `sibling` carries a valid seal of `server` under `key`.
bool HasValidSeal(absl::string_view key, uint64_t server,
                  const v1::RecordKey& record, absl::string_view field,
                  const v1::Sibling& sibling);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_SEAL_H_
