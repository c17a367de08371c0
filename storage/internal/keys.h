// Row keys of the record store in RocksDB. Internal to storage/.
//
//   m/replica                       this replica's id (8 bytes big-endian)
//   m/seq, m/counter, m/hlc         last sequence, dot counter and HLC time
//                                   issued (8 bytes BE, raised by max-merge)
//   m/incarnations                  IncarnationHistory
//   m/seal-key                      the key sealing this server's own
//                                   writes (see storage/seal.h)
//   m/known                         present once the k/ rows below cover
//                                   every record (stores made before they
//                                   existed build them once)
//   r/<collection>/<village>/<id>   StoredRecord   (a collection + region
//                                                   prefix is one range)
//   l/<seq:8 bytes big-endian>      "<collection>/<village>/<id>" (change log)
//   o/<seq:8 bytes big-endian>      the same, for records this replica wrote
//                                   itself, at their own last write (outbox)
//   w/<replica:8 bytes big-endian>  last acknowledged source seq (8 bytes BE,
//                                   raised by max-merge)
//   k/<replica:8 bytes big-endian>  highest dot counter of that replica
//                                   received through any path, values or
//                                   contexts (8 bytes BE, max-merge)
//   c/<collection>/<village>/<id>/<field>   v1::Conflict
//   a/<micros:8 BE><seq:8 BE>       v1::AuditEntry (resolutions, rule changes)
//   g/<aggregate key>               int64 counter (8 bytes BE, add-merge)
//   x/<key>                         metadata of the layers above (opaque)
// '/' never occurs in a collection name, village code or record id.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_KEYS_H_
#define VILLAGESYNC_STORAGE_INTERNAL_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace villagesync {
namespace keys {

inline constexpr absl::string_view kReplicaId = "m/replica";
inline constexpr absl::string_view kLastSeq = "m/seq";
inline constexpr absl::string_view kLastCounter = "m/counter";
inline constexpr absl::string_view kLastHlc = "m/hlc";
inline constexpr absl::string_view kIncarnations = "m/incarnations";
inline constexpr absl::string_view kKnownBuilt = "m/known";
inline constexpr absl::string_view kSealKey = "m/seal-key";
inline constexpr absl::string_view kRecordPrefix = "r/";
inline constexpr absl::string_view kLogPrefix = "l/";
inline constexpr absl::string_view kOwnLogPrefix = "o/";
inline constexpr absl::string_view kWatermarkPrefix = "w/";
inline constexpr absl::string_view kKnownCounterPrefix = "k/";
inline constexpr absl::string_view kConflictPrefix = "c/";
inline constexpr absl::string_view kAuditPrefix = "a/";
inline constexpr absl::string_view kAggregatePrefix = "g/";
inline constexpr absl::string_view kMetaPrefix = "x/";

// "<collection>/<village>/<id>": the record's identity inside other keys.
std::string RecordPath(const v1::RecordKey& key);
// Parses RecordPath's output; false if malformed.
bool ParseRecordPath(absl::string_view path, v1::RecordKey* key);

std::string RecordRow(const v1::RecordKey& key);
// The range of records of `collection` whose village starts with `prefix`.
std::string RecordRangePrefix(absl::string_view collection,
                              absl::string_view village_prefix);
std::string LogRow(uint64_t seq);
std::string OwnLogRow(uint64_t seq);
// The seq of a change-log or own-writes row.
uint64_t LogSeq(absl::string_view log_row);
std::string WatermarkRow(uint64_t replica);
std::string KnownCounterRow(uint64_t replica);
std::string ConflictRow(const v1::RecordKey& key, absl::string_view field);
std::string AuditRow(int64_t micros, uint64_t seq);

std::string EncodeBigEndian(uint64_t value);
uint64_t DecodeBigEndian(absl::string_view bytes);

}  // namespace keys
}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_KEYS_H_
