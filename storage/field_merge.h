// The field-level merge of SPEC §4 as pure functions on registers.
//
// A field is a multi-value register: siblings (values no known write has
// superseded) plus a causal context. Joining two registers keeps a sibling
// unless the other side has seen its dot without keeping it, and unions the
// contexts. The join is commutative, associative and idempotent, so replicas
// that exchange registers in any order, with duplicates, converge.
#ifndef VILLAGESYNC_STORAGE_FIELD_MERGE_H_
#define VILLAGESYNC_STORAGE_FIELD_MERGE_H_

#include "proto/records.pb.h"

namespace villagesync {

// Joins `incoming` into `*local` (registers of the same field). Returns true
// if `*local` changed, false if it already held everything in `incoming`
// (a duplicate or causally older write). Siblings stay sorted by dot.
bool JoinFieldState(v1::FieldState* local, const v1::FieldState& incoming);

// The register after a local write of `sibling` over `current`: the write
// supersedes every sibling `current` holds (its context covers them all).
v1::FieldState Overwrite(const v1::FieldState& current, v1::Sibling sibling);

// True if both values are the same (same kind and content).
bool ValueEquals(const v1::Value& a, const v1::Value& b);

// True if the value is cleared (no kind set).
inline bool IsCleared(const v1::Value& value) {
  return value.kind_case() == v1::Value::KIND_NOT_SET;
}

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_FIELD_MERGE_H_
