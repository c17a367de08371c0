// Validation of record keys, field values and changes against the schema
// registry (SPEC §3, §5). Every failure is INVALID_ARGUMENT (or
// FAILED_PRECONDITION for writes to immutable records) with a message that
// names the offending field, so a user can fix the input.
#ifndef VILLAGESYNC_STORAGE_VALIDATION_H_
#define VILLAGESYNC_STORAGE_VALIDATION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/records.pb.h"
#include "storage/schema_registry.h"

namespace villagesync {

// Limits on what one write may carry (documented in README.md).
inline constexpr size_t kMaxRecordIdLength = 64;
inline constexpr size_t kMaxStringValueBytes = 16 * 1024;
inline constexpr int kMaxListItems = 256;
inline constexpr int kMaxSiblingsPerField = 64;
inline constexpr int kMaxContextEntries = 4096;
inline constexpr int kMaxFieldsPerChange = 256;
inline constexpr size_t kMaxChangeBytes = 512 * 1024;

// Input quoted in an error message is cut after this many characters.
inline constexpr size_t kMaxQuotedChars = 64;

// INVALID_ARGUMENT "<field>: <problem>": the form of every field error.
// `field` comes from the caller's input as often as not: it is cut like
// Quoted's text (without quotes).
absl::Status InvalidField(absl::string_view field, absl::string_view problem);

// `text` from a request, safe to put in an error message: in double quotes,
// at most kMaxQuotedChars characters (then "…"), with bytes that are not
// UTF-8, control characters, quotes and backslashes escaped (\xNN, \", \\).
// Messages never echo unbounded or malformed input.
std::string Quoted(absl::string_view text);

// Quoted without the quotes, for names (fields, collections) in messages.
std::string Bounded(absl::string_view text);

// True if `text` is well-formed UTF-8 (no overlong forms or surrogates).
bool IsValidUtf8(absl::string_view text);

// True for a 12-digit village code.
bool IsVillageCode(absl::string_view code);

// True for a region prefix: 0 to 12 digits ("" is the whole country).
bool IsVillagePrefix(absl::string_view prefix);

// True for a record id: 1 to 64 characters of [A-Za-z0-9_-].
bool IsRecordId(absl::string_view id);

// OK if the village is a 12-digit code, the collection exists and the id is
// well formed; otherwise INVALID_ARGUMENT naming "village", "collection" or
// "id".
absl::Status ValidateKey(const SchemaRegistry& schemas,
                         const v1::RecordKey& key);

// OK if `value` has the type `spec` declares (or is cleared), its enum values
// are declared, its integer lies within the field's bounds, its reference
// names a known collection, and its size is within the limits; otherwise
// INVALID_ARGUMENT naming the field.
absl::Status ValidateValue(const SchemaRegistry& schemas,
                           const v1::FieldSpec& spec, const v1::Value& value);

// Integer values of fields, by field name, as one writer meant them
// together (one edit, or what one reader sees).
using IntValues = absl::flat_hash_map<std::string, int64_t>;

// OK if every field with `at_most_field` is at most that field, wherever
// `values` holds both; INVALID_ARGUMENT naming the field otherwise. A
// relation binds values one writer wrote together: concurrent writes by
// others may break it, and then merge like any concurrent values.
absl::Status CheckIntBounds(const v1::CollectionSchema& schema,
                            const IntValues& values);

// Validates a change received from another replica, using only the change
// itself so that every replica accepts or refuses it alike: key, known
// fields, typed values within their bounds (at_most_field among values of
// one write), well-formed dots and contexts, a deletion marker of
// booleans, required fields when the change creates the record, and for
// append-only collections that the change only creates. INVALID_ARGUMENT naming
// the field, or FAILED_PRECONDITION for an edit of an append-only record.
absl::Status ValidateChange(const SchemaRegistry& schemas,
                            const v1::Change& change);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_VALIDATION_H_
