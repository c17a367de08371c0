// Reading the change log in pages (SPEC §4, §5): each record changed since a
// checkpoint once, with only the fields changed since then, from the change
// log or (for a device's outbox) the index of its own writes. Internal to
// storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_CHANGE_READER_H_
#define VILLAGESYNC_STORAGE_INTERNAL_CHANGE_READER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "storage/record_store.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace villagesync {

// Where a page of the log starts and what it has read.
struct PagePosition {
  // Log rows after `since` are scanned; fields changed after `floor` (at
  // most `since`: see storage::Checkpoint) are read.
  uint64_t since = 0;
  uint64_t floor = 0;
};

// What one page read.
struct PageEnd {
  // The last sequence scanned (the page's checkpoint).
  uint64_t last = 0;
  // True if the scan reached the end of the log: no row after `last` at
  // all, so the pass is complete.
  bool reached_end = false;
};

// Reads one page of `query` from `from`, never past `complete` (the highest
// sequence below which nothing is in flight), under one snapshot. Fills
// `page->changes` and `page->more`. DATA_LOSS for corrupt rows.
absl::StatusOr<PageEnd> ReadChangePage(rocksdb::DB* db,
                                       const ChangeQuery& query,
                                       PagePosition from, uint64_t complete,
                                       ChangePage* page);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_CHANGE_READER_H_
