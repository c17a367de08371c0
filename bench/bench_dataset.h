// The records both systems of peer_bench receive: ~1 KB village records
// (members, meetings, visits, shaped as in the domain notes) with Chinese
// text, generated from a seed, and edits of their long text fields. Also the
// canonical content hash that tells whether a replica holds exactly them:
// bench/peer/loadgen.js computes the same bytes for PouchDB documents.
#ifndef VILLAGESYNC_BENCH_BENCH_DATASET_H_
#define VILLAGESYNC_BENCH_BENCH_DATASET_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/record_store.h"
#include "storage/schema_registry.h"

namespace villagesync::bench {

// One record as text: every value is the text the CLI would print for it
// (dates YYYY-MM-DD, integers in decimal), which is also its JSON string
// for the peer.
struct BenchRecord {
  int device = 0;  // the device that creates it
  std::string collection, id, village;
  // Sorted by name.
  std::vector<std::pair<std::string, std::string>> fields;

  // "collection/id": the order of the canonical hash.
  std::string Key() const { return collection + "/" + id; }
};

// A new value for one field of one record (in `village`).
struct FieldEdit {
  std::string collection, id, village, field, value;
};

// `devices` x `per_device` records; device d writes in its own village.
// The same seed gives the same records, byte for byte.
std::vector<BenchRecord> MakeRecords(uint64_t seed, int devices,
                                     int per_device);

// About `bytes` bytes (rounded up to whole characters) of random common
// Chinese characters drawn from `seed`: close to incompressible, so wire
// figures are not flattered by compression folding repeated phrases.
std::string ChineseText(uint64_t seed, size_t bytes);

// The village code device `device` works in (12 digits).
std::string VillageOf(int device);

// Edits replacing the long text field (occupation, topic or notes) of
// `records` with `chars` new random characters each.
std::vector<FieldEdit> MakeTextEdits(
    uint64_t seed, const std::vector<const BenchRecord*>& records, int chars);

// Small edits, the most common kind: the date a member was last contacted
// (`records` must be members).
std::vector<FieldEdit> MakeContactEdits(
    uint64_t seed, const std::vector<const BenchRecord*>& records);

// What the replicas should hold, keyed by BenchRecord::Key().
class ExpectedContent {
 public:
  void Add(const BenchRecord& record);
  // NOT_FOUND if the record was never added.
  absl::Status Apply(const FieldEdit& edit);
  size_t size() const { return records_.size(); }
  // The canonical hash (see CanonicalText) of every record; computed once
  // per content.
  const std::string& Hash() const;

 private:
  std::map<std::string, BenchRecord> records_;
  mutable std::string hash_;  // "" until asked, and after every change
};

// The bytes one record contributes to the canonical hash:
//   "<collection>/<id>\nvillage=<village>\n" then "<name>=<value>\n" per
//   field in name order.
std::string CanonicalText(const BenchRecord& record);

// Lowercase hex SHA-256 of `texts` concatenated in key order.
std::string HashTexts(const std::map<std::string, std::string>& texts);

// The canonical hash and count of the visible, non-deleted records of
// `store` (every collection).
struct ContentDigest {
  size_t records = 0;
  std::string hash;
};
absl::StatusOr<ContentDigest> DigestStore(const RecordStore& store);

// `record` as a local edit creating it, values parsed by the schema.
absl::StatusOr<LocalEdit> ToLocalEdit(const BenchRecord& record,
                                      const SchemaRegistry& schemas);
absl::StatusOr<LocalEdit> ToLocalEdit(const FieldEdit& edit,
                                      const SchemaRegistry& schemas);

// JSON Lines for bench/peer/loadgen.js: one object per record
// {"device","collection","id","village","fields":{...}}, or per edit
// {"collection","id","field","value"}.
absl::Status WriteRecordsJsonl(const std::vector<BenchRecord>& records,
                               const std::string& path);
absl::Status WriteEditsJsonl(const std::vector<FieldEdit>& edits,
                             const std::string& path);

}  // namespace villagesync::bench

#endif  // VILLAGESYNC_BENCH_BENCH_DATASET_H_
