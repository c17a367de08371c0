#include "storage/internal/max_merge.h"

#include <algorithm>
#include <string>

#include "rocksdb/merge_operator.h"
#include "storage/internal/keys.h"

namespace villagesync {
namespace {

class MaxMerge : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t merged =
        keys::DecodeBigEndian(absl::string_view(value.data(), value.size()));
    if (existing != nullptr) {
      merged = std::max(merged, keys::DecodeBigEndian(absl::string_view(
                                    existing->data(), existing->size())));
    }
    *new_value = keys::EncodeBigEndian(merged);
    return true;
  }

  const char* Name() const override { return "villagesync.MaxUInt64"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewMaxMergeOperator() {
  return std::make_shared<MaxMerge>();
}

}  // namespace villagesync
