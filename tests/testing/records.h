// Builders for values, keys and edits, and a one-way exchange of changes
// between two stores through the change log: what tests need to drive the
// record engine the way replicas do.
#ifndef VILLAGESYNC_TESTS_TESTING_RECORDS_H_
#define VILLAGESYNC_TESTS_TESTING_RECORDS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/records.pb.h"
#include "storage/record_store.h"

namespace villagesync::testing {

v1::Value Str(const std::string& s);
v1::Value Int(int64_t i);
v1::Value Enum(const std::string& s);
v1::Value List(std::vector<std::string> items);
// A civil date; `Date(2024, 5, 10)`.
v1::Value Date(int year, int month, int day);
v1::Value Cleared();

v1::RecordKey Key(const std::string& village, const std::string& collection,
                  const std::string& id);

// An edit of `key` setting `fields`, by `author`.
LocalEdit Edit(const v1::RecordKey& key,
               std::vector<std::pair<std::string, v1::Value>> fields,
               const std::string& author = "tester");

// A valid new `members` record in `village` (name, join_date, status).
LocalEdit NewMember(const std::string& village, const std::string& id,
                    const std::string& name);

// A registry with one collection, "notes", holding a field per merge policy:
// title and body (review), score (int64, lww), tags (string list, union).
// No field is required, so any edit may create a note.
std::shared_ptr<const SchemaRegistry> NotesRegistry();

// Pulls every change of `from` after `*checkpoint` (in pages) and applies it
// to `to`, advancing `*checkpoint`. Returns how many changes were applied
// (not duplicates).
absl::StatusOr<int> Exchange(const RecordStore& from, RecordStore& to,
                             std::string* checkpoint);

// Exchange in both directions with fresh checkpoints (reads everything).
absl::Status FullSync(RecordStore& a, RecordStore& b);

// The visible value of `field` in `key` on `store` ("<none>" if unset,
// "<missing>" if the record is unknown), rendered as text for assertions.
std::string Visible(const RecordStore& store, const v1::RecordKey& key,
                    const std::string& field);

// The fields of `key` in open conflict on `store` ({"<missing>"} if the
// record is unknown).
std::vector<std::string> ConflictFields(const RecordStore& store,
                                        const v1::RecordKey& key);

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_RECORDS_H_
