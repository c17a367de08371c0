// Helpers shared by the report renderers (report_output.cc, report_csv.cc):
// the count maps, compliance and sync tests, rates and the summary label.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_REPORT_COMMON_H_
#define VILLAGESYNC_CLIENT_INTERNAL_REPORT_COMMON_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "proto/admin.pb.h"

namespace villagesync {
namespace cli {

using Counts = google::protobuf::Map<std::string, int64_t>;

// The sum of all counts.
int64_t Total(const Counts& counts);

// The server says "never" with days_stale -1; a zero time means the same.
bool NeverSynced(int64_t last_sync_micros, int64_t days_stale);

// True if some meeting type of the row was judged against a rule: only then
// does the row's `complies` say anything.
bool Judged(const v1::ReportRow& row);

// present/due with 3 decimals; "" when nothing was due.
std::string RateDecimal(int64_t present, int64_t due);

// "TOTAL", or "TOTAL PREFIX" for a region prefix.
std::string TotalLabel(const std::string& region_prefix);

// The zone the report's times are shown in: the server's (time_zone), or
// UTC if it names none or this machine cannot load it.
absl::TimeZone ReportZone(const v1::ReportResponse& report);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_REPORT_COMMON_H_
