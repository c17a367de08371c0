// New record ids for `villagesync put` (SPEC §3: ids are chosen by the
// client, so records can be created offline without coordination).
// Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_RECORD_ID_H_
#define VILLAGESYNC_CLIENT_INTERNAL_RECORD_ID_H_

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace villagesync {
namespace cli {

// A ULID-like id: 26 characters of Crockford base32 (0-9, A-Z without
// I L O U), the first 10 encoding the millisecond time `now` so ids sort by
// creation, the last 16 encoding 80 bits from the kernel's random source.
// Thread-safe.
std::string NewRecordId(absl::Time now = absl::Now());

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_RECORD_ID_H_
