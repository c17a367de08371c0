// Conflict rows (SPEC §7) and audit rows. Writing: the stored conflicts of a
// record are kept in step with its state; a conflict the state now holds is
// written (opened, or updated with new siblings and their receive times),
// one it no longer holds is marked resolved, with the resolver and reason
// when the change was a resolution made here. Reading: listing with filters
// and paging, one conflict by key and field, and the audit rows of
// resolutions. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_CONFLICT_ROWS_H_
#define VILLAGESYNC_STORAGE_INTERNAL_CONFLICT_ROWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/admin.pb.h"
#include "storage/record_store.h"
#include "storage/record_view.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace villagesync {

// What a write did to a record's conflicts.
struct ConflictUpdate {
  // The record after the write, and its conflicts before and now.
  const Record* record = nullptr;
  const std::vector<v1::Conflict>* before = nullptr;
  const std::vector<v1::Conflict>* now = nullptr;
  // The write's sequence and wall time.
  uint64_t seq = 0;
  int64_t micros = 0;
  // For a resolution: the conflict's field, who resolved it and why.
  const std::string* resolved_field = nullptr;
  std::string resolver;
  std::string reason;
};

// Adds the row changes of `update` to `batch`, reading the stored rows it
// updates from `db`. Errors come from those reads.
absl::Status WriteConflictRows(rocksdb::DB* db, const ConflictUpdate& update,
                               rocksdb::WriteBatch* batch);

// Conflict rows matching `query` (see RecordStore::ListConflicts).
absl::StatusOr<std::vector<v1::Conflict>> ListConflictRows(
    rocksdb::DB* db, const ConflictQuery& query);

// The row of (key, field). NOT_FOUND if there is none.
absl::StatusOr<v1::Conflict> ReadConflictRow(rocksdb::DB* db,
                                             const v1::RecordKey& key,
                                             absl::string_view field);

// Audit rows at or after `since_micros`, oldest first, at most `limit`.
absl::StatusOr<std::vector<v1::AuditEntry>> ListAuditRows(rocksdb::DB* db,
                                                          int64_t since_micros,
                                                          size_t limit);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_CONFLICT_ROWS_H_
