// ReportAggregator says what each record contributes to the county report
// (SPEC §9): members and development stages now, and per month the meetings
// by type with attendance, visits, and requests opened and closed. The
// record store keeps these counters in step with every write.
//
// Counter keys start with the village code, so a region is a key prefix:
//   <village>/s/members/<status>        members now, by status
//   <village>/s/development/<stage>     development pipeline now, by stage
//   <village>/m/<YYYY-MM>/meeting/<type>
//   <village>/m/<YYYY-MM>/due | present meeting attendance
//   <village>/m/<YYYY-MM>/visits
//   <village>/m/<YYYY-MM>/requests_opened | requests_closed
#ifndef VILLAGESYNC_SERVER_REPORT_AGGREGATOR_H_
#define VILLAGESYNC_SERVER_REPORT_AGGREGATOR_H_

#include "storage/aggregator.h"

namespace villagesync {

// Thread-safe and stateless.
class ReportAggregator final : public Aggregator {
 public:
  bool Wants(absl::string_view collection) const override;
  void Contribute(const RecordView& view, Contribution* out) const override;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_REPORT_AGGREGATOR_H_
