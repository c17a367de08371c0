// Causal contexts: version vectors kept as a sorted `repeated v1::Dot`
// (one entry per replica, the highest counter seen). A context "covers" a dot
// when it has seen that write. Pure functions, no storage.
#ifndef VILLAGESYNC_STORAGE_CAUSAL_CONTEXT_H_
#define VILLAGESYNC_STORAGE_CAUSAL_CONTEXT_H_

#include "google/protobuf/repeated_field.h"
#include "proto/records.pb.h"

namespace villagesync {

using CausalContext = google::protobuf::RepeatedPtrField<v1::Dot>;

// True if `context` has seen `dot` (same replica, counter at or below).
bool Covers(const CausalContext& context, const v1::Dot& dot);

// Raises `context` to include `dot`, keeping it sorted by replica.
void AddDot(CausalContext* context, const v1::Dot& dot);

// Raises `context` to include every dot of `other` (pointwise maximum).
void MergeContext(CausalContext* context, const CausalContext& other);

// True if `context` is sorted by replica with no repeats, no zero replica
// and no zero counter (the form every stored or sent context must have).
bool IsWellFormed(const CausalContext& context);

// Orders dots by (replica, counter).
bool DotLess(const v1::Dot& a, const v1::Dot& b);
bool DotEqual(const v1::Dot& a, const v1::Dot& b);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_CAUSAL_CONTEXT_H_
