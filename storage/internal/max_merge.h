// A RocksDB merge operator keeping the maximum of 8-byte big-endian
// integers, for rows that concurrent batches raise (the last sequence, dot
// counter and HLC time; per-source watermarks): a batch that commits late
// never lowers them. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_MAX_MERGE_H_
#define VILLAGESYNC_STORAGE_INTERNAL_MAX_MERGE_H_

#include <memory>

namespace rocksdb {
class MergeOperator;
}  // namespace rocksdb

namespace villagesync {

// The operator; every open of a store must use it.
std::shared_ptr<rocksdb::MergeOperator> NewMaxMergeOperator();

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_MAX_MERGE_H_
