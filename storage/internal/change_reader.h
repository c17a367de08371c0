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

// Reads one page of `query` after sequence `since`, never past `complete`
// (the highest sequence below which nothing is in flight), under one
// snapshot. Fills `page->changes` and `page->more`; returns the last
// sequence read (the page's checkpoint). DATA_LOSS for corrupt rows.
absl::StatusOr<uint64_t> ReadChangePage(rocksdb::DB* db,
                                        const ChangeQuery& query,
                                        uint64_t since, uint64_t complete,
                                        ChangePage* page);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_CHANGE_READER_H_
