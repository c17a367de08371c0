// Aggregator: counters the record store keeps in step with every write
// (SPEC §9 "aggregates maintained incrementally"). The layer above says what
// a record contributes; the store writes the difference between a record's
// contribution before and after each change, in the same atomic batch, so
// counters never drift from the records and nothing rescans the records.
#ifndef VILLAGESYNC_STORAGE_AGGREGATOR_H_
#define VILLAGESYNC_STORAGE_AGGREGATOR_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/record_view.h"

namespace villagesync {

// Counter key -> amount.
using Contribution = std::map<std::string, int64_t>;

// Implementations must be thread-safe and deterministic: the same view must
// always contribute the same counters.
class Aggregator {
 public:
  virtual ~Aggregator() = default;

  // True if records of `collection` may contribute: the store skips viewing
  // the others.
  virtual bool Wants(absl::string_view collection) const = 0;

  // Adds to `out` what the record seen as `view` contributes (a deleted
  // record is passed too; it normally contributes nothing).
  virtual void Contribute(const RecordView& view, Contribution* out) const = 0;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_AGGREGATOR_H_
