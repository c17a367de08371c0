// What a reader sees of a stored record: the visible value of each field
// under its merge policy, which fields are in conflict, and whether the
// record is deleted (SPEC §4). Pure functions of the record's state, so every
// replica holding the same state shows the same values and conflicts.
#ifndef VILLAGESYNC_STORAGE_RECORD_VIEW_H_
#define VILLAGESYNC_STORAGE_RECORD_VIEW_H_

#include <string>
#include <vector>

#include "absl/types/optional.h"
#include "proto/records.pb.h"
#include "proto/schema.pb.h"
#include "storage/record_format.pb.h"

namespace villagesync {

// A record as stored on one replica, with its key.
struct Record {
  v1::RecordKey key;
  storage::StoredRecord stored;
};

// How a field's concurrent values stand.
enum class FieldStatus {
  kClean,         // one value (or equal concurrent values, or a union)
  kConflict,      // different concurrent values under `review`: open
  kAutoResolved,  // different concurrent values settled by `lww`
};

// The visible state of one field.
struct FieldView {
  std::string name;
  // Absent if the field is unset or cleared.
  absl::optional<v1::Value> value;
  FieldStatus status = FieldStatus::kClean;
};

// The visible state of a record.
struct RecordView {
  v1::RecordKey key;
  // Set fields only, sorted by name (cleared fields are omitted).
  std::vector<FieldView> fields;
  // Names of fields with an open conflict, sorted.
  std::vector<std::string> conflict_fields;
  // True if a delete won (no concurrent edit or re-creation survives).
  bool deleted = false;
  // True if a delete met a concurrent edit or re-creation: the record stays
  // visible until an administrator decides (never a silent winner).
  bool delete_conflict = false;
};

// The view of one field's register. `delete_dots` are the dots of deletes
// in force on the record: values they cleared are not counted as concurrent
// values of the field (the record-level delete conflict reports them).
FieldView ViewField(const v1::FieldState& state, v1::MergePolicy policy,
                    const std::vector<v1::Dot>& delete_dots);

// The view of a whole record. Fields missing from `schema` use `review`.
RecordView ViewRecord(const Record& record, const v1::CollectionSchema& schema);

// Dots of the deletes in force (true siblings of the deletion marker).
std::vector<v1::Dot> DeleteDots(const storage::StoredRecord& record);

// The deterministic provisional winner among `siblings` (non-empty): the
// latest hybrid-logical-clock time, ties broken by replica then counter.
const v1::Sibling& ProvisionalWinner(
    const google::protobuf::RepeatedPtrField<v1::Sibling>& siblings);

// The conflicts the record's state holds now (open and auto-resolved), with
// `key` set; status and siblings filled, sequences left zero.
std::vector<v1::Conflict> DeriveConflicts(const Record& record,
                                          const v1::CollectionSchema& schema);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_RECORD_VIEW_H_
