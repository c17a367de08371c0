// RuleTable: the meeting cadences reports judge villages against (SPEC §3,
// §9; DOMAIN.md), kept as data with effective dates in the server's store,
// editable by county and admin users, every change audited. Defaults are
// installed on first start.
#ifndef VILLAGESYNC_SERVER_RULE_TABLE_H_
#define VILLAGESYNC_SERVER_RULE_TABLE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "proto/admin.pb.h"
#include "storage/record_store.h"

namespace villagesync {

// Thread-safe (the store is); `store` must outlive the table.
class RuleTable {
 public:
  explicit RuleTable(RecordStore* store);

  // Installs the DOMAIN.md defaults (from 2000-01) if the table is empty.
  absl::Status InstallDefaults();

  // Every rule, by meeting type then effective month.
  absl::StatusOr<std::vector<v1::Rule>> List() const;

  // Adds or replaces the rule of a type and region from its effective
  // month, audited as `actor`. INVALID_ARGUMENT naming "meeting_type" (not
  // a type the meetings schema declares), "cadence", "effective_from" or
  // "region".
  absl::Status Set(const v1::Rule& rule, absl::string_view actor);

 private:
  RecordStore* const store_;
};

// The rule of `meeting_type` in force for `village` in `month`: among the
// rules whose region contains the village and whose effective month is not
// after `month`, the one of the most specific region, then the latest month.
// Null if none.
const v1::Rule* RuleInForce(const std::vector<v1::Rule>& rules,
                            absl::string_view meeting_type,
                            absl::string_view village, absl::CivilMonth month);

// True if `rule` matters to someone looking at `region`: it applies there
// (its region contains `region`) or inside it.
bool AppliesWithin(const v1::Rule& rule, absl::string_view region);

// Parses "YYYY-MM". False if malformed.
bool ParseMonth(absl::string_view text, absl::CivilMonth* month);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_RULE_TABLE_H_
