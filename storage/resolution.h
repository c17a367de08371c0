// Settling a conflict (SPEC §7): the resolving write is a normal change
// whose causal context covers every sibling, so it supersedes them on every
// replica and syncs like any edit. Pure functions; RecordStore::Resolve
// applies the result atomically with the conflict's status and an audit row.
#ifndef VILLAGESYNC_STORAGE_RESOLUTION_H_
#define VILLAGESYNC_STORAGE_RESOLUTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "storage/local_change.h"
#include "storage/record_view.h"
#include "storage/schema_registry.h"

namespace villagesync {

// How an administrator settles one conflict.
struct Resolution {
  enum class Choice { kPick, kValue, kKeep, kDelete };
  v1::RecordKey key;
  // The field in conflict; "" for a delete-versus-edit conflict.
  std::string field;
  Choice choice = Choice::kPick;
  // kPick: the sibling's number, 1-based, in the order the conflict lists.
  int pick = 0;
  // kValue: the value to write.
  v1::Value value;
  // Who resolves, and why (required).
  std::string resolver;
  std::string reason;
};

// The change that settles `resolution` on `record`, stamped with `stamp`.
// FAILED_PRECONDITION if the record holds no such conflict (resolved
// already); INVALID_ARGUMENT naming "pick", "value", "choice" or "reason"
// (and, for values, the field as RecordStore::Put does).
absl::StatusOr<v1::Change> MakeResolution(const SchemaRegistry& schemas,
                                          const Record& record,
                                          const Resolution& resolution,
                                          const WriteStamp& stamp);

// A line for people describing what was chosen (for the audit log).
std::string DescribeResolution(const Resolution& resolution);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_RESOLUTION_H_
