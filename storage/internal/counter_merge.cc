#include "storage/internal/counter_merge.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "rocksdb/merge_operator.h"
#include "storage/internal/keys.h"

namespace villagesync {
namespace {

uint64_t Decode(const rocksdb::Slice& s) {
  return keys::DecodeBigEndian(absl::string_view(s.data(), s.size()));
}

class CounterMerge : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t merged = Decode(value);
    if (existing != nullptr) {
      bool adds = absl::StartsWith(absl::string_view(key.data(), key.size()),
                                   keys::kAggregatePrefix);
      // Two's complement: adding unsigned values adds signed deltas.
      merged = adds ? merged + Decode(*existing)
                    : std::max(merged, Decode(*existing));
    }
    *new_value = keys::EncodeBigEndian(merged);
    return true;
  }

  // Stores opened before aggregates existed used "villagesync.MaxUInt64"
  // for the same max rows; the name is part of the on-disk format.
  const char* Name() const override { return "villagesync.MaxUInt64"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator() {
  return std::make_shared<CounterMerge>();
}

}  // namespace villagesync
