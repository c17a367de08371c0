// The changes local writes make (SPEC §4): a put overwrites the fields it
// names, a delete clears every field and sets the deletion marker, each with
// a new dot whose causal context covers what the writer saw. Pure functions:
// the record store checks, stamps and then applies them like remote changes.
#ifndef VILLAGESYNC_STORAGE_LOCAL_CHANGE_H_
#define VILLAGESYNC_STORAGE_LOCAL_CHANGE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "storage/record_store.h"
#include "storage/record_view.h"
#include "storage/schema_registry.h"

namespace villagesync {

// The stamp of one local write: its dot, time and author.
struct WriteStamp {
  v1::Dot dot;
  uint64_t hlc = 0;
  std::string author;
};

// The sibling a local write of `value` makes.
v1::Sibling Stamped(v1::Value value, const WriteStamp& stamp);

// OK if `edit` may be applied to `current` (null: never seen here). See
// RecordStore::Put for the error codes.
absl::Status CheckPut(const SchemaRegistry& schemas, const Record* current,
                      const LocalEdit& edit);

// The change `edit` makes to `current`; call only after CheckPut succeeded.
v1::Change MakePut(const Record* current, const LocalEdit& edit,
                   const WriteStamp& stamp);

// OK if `current` may be deleted: NOT_FOUND if null or deleted,
// FAILED_PRECONDITION for append-only collections.
absl::Status CheckDelete(const SchemaRegistry& schemas, const Record* current,
                         const v1::RecordKey& key);

// The delete of `current`; call only after CheckDelete succeeded.
v1::Change MakeDelete(const Record& current, const WriteStamp& stamp);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_LOCAL_CHANGE_H_
