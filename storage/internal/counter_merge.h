// The RocksDB merge operator for counter rows that concurrent batches
// change: 8-byte big-endian integers. Rows under "g/" (aggregates) add
// signed deltas; every other row keeps the maximum (the last sequence, dot
// counter and HLC time; per-source watermarks), so a batch that commits late
// never lowers them. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_COUNTER_MERGE_H_
#define VILLAGESYNC_STORAGE_INTERNAL_COUNTER_MERGE_H_

#include <memory>

namespace rocksdb {
class MergeOperator;
}  // namespace rocksdb

namespace villagesync {

// The operator; every open of a store must use it.
std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator();

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_COUNTER_MERGE_H_
