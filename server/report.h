// The county report (SPEC §9): per village of a region, for a month, quarter
// or year, from the counters the store keeps in step with the records (see
// report_aggregator.h), the rule table, device sync times, open conflicts
// and the villages' party organizations (org_units, a few records each, for
// their names). Nothing rescans the records it counts, so the cost follows
// the number of villages and months, not of records.
#ifndef VILLAGESYNC_SERVER_REPORT_H_
#define VILLAGESYNC_SERVER_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/admin.pb.h"
#include "storage/record_store.h"

namespace villagesync {

// A reporting period: `months` months from `first`.
struct Period {
  absl::CivilMonth first;
  int months = 1;
};

// Parses "2024-05", "2024-Q2" or "2024". INVALID_ARGUMENT naming "period".
absl::StatusOr<Period> ParsePeriod(absl::string_view text);

// Builds the report of `region` for `period` as of `now`; `registered` are
// the registered devices (see device_registry.h), whose field devices the
// report lists with their last sync.
absl::StatusOr<v1::ReportResponse> BuildReport(
    const RecordStore& store, const std::vector<v1::Rule>& rules,
    const std::vector<v1::Device>& registered, absl::string_view region,
    absl::string_view period_text, absl::Time now);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_REPORT_H_
